import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AlertTracker } from "../../src/watch/hysteresis.js";
import type { AlertEvent, Observation } from "../../src/watch/types.js";

const obs = (extra: Partial<Observation> = {}): Observation => ({
  id: "close-wait-leak",
  subject: "app(pid 42)",
  severity: "warning",
  summary: "12 sockets in CLOSE-WAIT",
  evidence: { count: 12 },
  fix: "close them",
  ...extra,
});

/** Feeds one boolean per interval (over or clear) and collects the events with their interval. */
function feed(
  tracker: AlertTracker,
  pattern: boolean[],
  o: Observation = obs(),
): { at: number; e: AlertEvent }[] {
  const out: { at: number; e: AlertEvent }[] = [];
  pattern.forEach((over, i) => {
    for (const e of tracker.update(over ? [o] : [], `t${i + 1}`)) out.push({ at: i + 1, e });
  });
  return out;
}

describe("AlertTracker", () => {
  it("fires after fireAfter consecutive intervals over and resolves after resolveAfter clear", () => {
    const t = new AlertTracker({ fireAfter: 2, resolveAfter: 3 });
    const events = feed(t, [true, true, true, false, false, false, false]);
    assert.deepEqual(
      events.map((x) => [x.at, x.e.state]),
      [
        [2, "firing"],
        [6, "resolved"],
      ],
    );
    const fired = events[0]?.e as AlertEvent;
    assert.equal(fired.time, "t2");
    assert.equal(fired.id, "close-wait-leak");
    assert.equal(fired.subject, "app(pid 42)");
    assert.equal(fired.fix, "close them");
    assert.equal(t.fired, 1);
    assert.equal(t.resolved, 1);
    assert.equal(t.active().length, 0);
  });

  it("does not flap on a value hovering at the threshold", () => {
    const t = new AlertTracker({ fireAfter: 2, resolveAfter: 2 });
    // Over every other interval: never two in a row, so it never fires.
    assert.deepEqual(feed(t, [true, false, true, false, true, false, true, false]), []);
    // Firing, then hovering: never two clear in a row, so it never resolves either.
    const events = feed(t, [true, true, false, true, false, true, false, true, false, true]);
    assert.deepEqual(
      events.map((x) => x.e.state),
      ["firing"],
    );
    assert.equal(t.firing().length, 1);
  });

  it("fires at once for an observation confirmed by its own trend", () => {
    const t = new AlertTracker({ fireAfter: 3, resolveAfter: 2 });
    const events = feed(t, [true], obs({ confirmed: true }));
    assert.equal(events[0]?.at, 1);
    assert.equal(events[0]?.e.state, "firing");
  });

  it("keeps one alert per subject and says again when a firing alert becomes more severe", () => {
    const t = new AlertTracker({ fireAfter: 1, resolveAfter: 1 });
    const a = obs({ subject: "a(pid 1)" });
    const b = obs({ subject: "b(pid 2)" });
    assert.equal(t.update([a, b], "t1").length, 2);
    assert.equal(t.update([a, b], "t2").length, 0);
    const esc = t.update([{ ...a, severity: "critical" }, b], "t3");
    assert.deepEqual(
      esc.map((e) => [e.subject, e.state, e.severity]),
      [["a(pid 1)", "firing", "critical"]],
    );
    const resolved = t.update([b], "t4");
    assert.deepEqual(
      resolved.map((e) => [e.subject, e.state]),
      [["a(pid 1)", "resolved"]],
    );
    assert.equal(resolved[0]?.evidence.firingSince, "t1");
  });

  it("drops a pending alert that clears before firing, without any event", () => {
    const t = new AlertTracker({ fireAfter: 3, resolveAfter: 2 });
    assert.deepEqual(feed(t, [true, true, false, true, true, false]), []);
    assert.equal(t.fired, 0);
  });
});
