import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostSnapshot } from "../../src/host/types.js";
import { type WatchEvaluation, WatchEvaluator } from "../../src/watch/evaluator.js";
import { alertLine, liveView, summaryLine } from "../../src/watch/render.js";
import { watchSettings } from "../../src/watch/types.js";
import { many, owner, snap, sock } from "../fixtures/hostrules/snapshots.js";

const closeWait = (n: number, pid = 4242, name = "java") =>
  many(n, (i) => sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.1:${41000 + i}`, owner(name, pid, 10 + i)));

/** Runs snapshots through one evaluator, one second apart on the monotonic clock. */
function drive(ev: WatchEvaluator, snaps: HostSnapshot[], startMs = 0, stepMs = 1000): WatchEvaluation[] {
  return snaps.map((s, i) =>
    ev.evaluate({ snapshot: s, monotonicMs: startMs + i * stepMs, time: `2026-01-01T00:00:0${i}.000Z` }),
  );
}

describe("WatchEvaluator", () => {
  it("fires a CLOSE-WAIT pile-up per process after two intervals and resolves it after two clear", () => {
    const ev = new WatchEvaluator(watchSettings());
    const leak = snap({ sockets: closeWait(12) });
    const clean = snap({ sockets: [] });
    const runs = drive(ev, [leak, leak, leak, clean, clean]);
    assert.deepEqual(
      runs.map((r) => r.events.map((e) => `${e.state}:${e.id}:${e.subject}`)),
      [[], ["firing:close-wait-leak:java(pid 4242)"], [], [], ["resolved:close-wait-leak:java(pid 4242)"]],
    );
    const fired = runs[1]?.events[0];
    assert.equal(fired?.time, "2026-01-01T00:00:01.000Z");
    assert.match(fired?.summary ?? "", /12 sockets/);
    assert.match(fired?.fix ?? "", /close\(\)/);
    assert.deepEqual(ev.summary(), { intervals: 5, fired: 1, resolved: 1, firing: 0 });
  });

  it("reports a CLOSE-WAIT count that keeps growing while still under every threshold", () => {
    const ev = new WatchEvaluator(watchSettings());
    // 1..7 sockets: below minSockets (10) all along; the fifth increase is at interval 6.
    const runs = drive(
      ev,
      [1, 2, 3, 4, 5, 6, 7].map((n) => snap({ sockets: closeWait(n, 77, "leaky") })),
    );
    const firstFiring = runs.findIndex((r) => r.events.some((e) => e.state === "firing"));
    assert.equal(firstFiring, 5);
    const e = runs[5]?.events[0];
    assert.equal(e?.id, "close-wait-leak");
    assert.equal(e?.subject, "leaky(pid 77)");
    assert.deepEqual(e?.evidence.recent, [1, 2, 3, 4, 5, 6]);
    assert.match(e?.fix ?? "", /close\(\)/);
  });

  it("takes the growth length from the config", () => {
    const ev = new WatchEvaluator(
      watchSettings({ thresholds: { "close-wait-leak": { growthIntervals: 2 } } }),
    );
    const runs = drive(
      ev,
      [1, 2, 3].map((n) => snap({ sockets: closeWait(n, 5, "x") })),
    );
    assert.equal(runs[2]?.events[0]?.state, "firing");
  });

  it("keeps a state total hovering at its threshold as one alert (clears only well below)", () => {
    const ev = new WatchEvaluator(
      watchSettings({ thresholds: { "connection-churn": { timeWaitTotal: 100 } } }),
    );
    // TIME-WAIT spread over many destinations: only the host total speaks of it.
    const tw = (n: number) =>
      snap({
        sockets: many(n, (i) =>
          sock("TIME-WAIT", `10.0.0.2:${40000 + i}`, `10.1.${i % 250}.${1 + (i % 7)}:443`),
        ),
      });
    const series = [100, 99, 101, 98, 100, 97, 102, 99, 80, 80];
    const runs = drive(ev, series.map(tw));
    const events = runs.flatMap((r, i) => r.events.map((e) => `${i + 1}:${e.state}:${e.id}`));
    assert.deepEqual(events, ["2:firing:connection-churn", "10:resolved:connection-churn"]);
  });

  it("computes per-second rates over the interval, never negative after a counter reset", () => {
    const ev = new WatchEvaluator(watchSettings());
    const c = (retrans: number, out: number) =>
      snap({ sockets: [], counters: { TcpRetransSegs: retrans, TcpOutSegs: out, TcpOutRsts: 5 } });
    const [first, second, reset] = drive(ev, [c(1000, 100000), c(1020, 102000), c(3, 500)], 0, 2000);
    assert.deepEqual(first?.rates, {});
    assert.equal(second?.seconds, 2);
    assert.equal(second?.rates.retransPerSec, 10);
    assert.equal(second?.rates.outSegsPerSec, 1000);
    assert.equal(second?.rates.retransRatio, 0.01);
    // After the reset the counters count from zero: the new values are the increase.
    assert.equal(reset?.rates.retransPerSec, 1.5);
    assert.equal(reset?.rates.outSegsPerSec, 250);
    for (const r of [first, second, reset]) {
      for (const v of Object.values(r?.rates ?? {})) assert.ok(Number.isFinite(v) && v >= 0);
    }
  });

  it("never divides by a zero or backward interval", () => {
    const ev = new WatchEvaluator(watchSettings());
    const c = (n: number) => snap({ sockets: [], counters: { TcpRetransSegs: n, TcpOutSegs: n * 10 } });
    ev.evaluate({ snapshot: c(10), monotonicMs: 5000, time: "t1" });
    const same = ev.evaluate({ snapshot: c(20), monotonicMs: 5000, time: "t2" });
    const back = ev.evaluate({ snapshot: c(30), monotonicMs: 4000, time: "t3" });
    for (const r of [same, back]) {
      assert.equal(r.seconds, undefined);
      assert.equal(r.rates.retransPerSec, undefined);
      assert.ok(Object.values(r.rates).every((v) => Number.isFinite(v)));
    }
  });

  it("does not raise findings from history: counters since boot and old kernel log lines", () => {
    const ev = new WatchEvaluator(watchSettings());
    const full = (lines: string[]) =>
      snap({
        sockets: [],
        counters: { TcpExtListenOverflows: 5000, TcpPassiveOpens: 10000 },
        kernelLog: lines.map((text) => ({ kind: "conntrack-full" as const, text })),
      });
    const old = "[ 10.0] nf_conntrack: table full, dropping packet";
    const [first, second] = drive(ev, [full([old]), full([old])]);
    assert.deepEqual(
      first?.findings.map((f) => f.id),
      [],
    );
    assert.deepEqual(
      second?.findings.map((f) => f.id),
      [],
    );
    const third = ev.evaluate({
      snapshot: full([old, "[ 99.0] nf_conntrack: table full, dropping packet"]),
      monotonicMs: 3000,
      time: "t3",
    });
    assert.deepEqual(
      third.findings.map((f) => f.id),
      ["conntrack-near-full"],
    );
  });

  it("survives a vanished process and an unreadable source, saying the latter once", () => {
    const ev = new WatchEvaluator(watchSettings({ fireAfter: 1, resolveAfter: 1 }));
    const withLeak = snap({ sockets: closeWait(15, 9, "gone"), unavailable: ["ss: not installed"] });
    const after = snap({ sockets: [], unavailable: ["ss: not installed"] });
    const [a, b] = drive(ev, [withLeak, after]);
    assert.deepEqual(a?.newlyUnavailable, ["ss: not installed"]);
    assert.deepEqual(b?.newlyUnavailable, []);
    assert.equal(b?.events[0]?.state, "resolved");
    assert.equal(b?.events[0]?.subject, "gone(pid 9)");
  });

  it("ignores disabled diagnoses, and a reload keeps the alert state", () => {
    const ev = new WatchEvaluator(watchSettings({ fireAfter: 1 }));
    const leak = snap({ sockets: closeWait(12) });
    assert.equal(drive(ev, [leak])[0]?.events.length, 1);
    ev.configure(watchSettings({ fireAfter: 1, disable: ["close-wait-leak"] }));
    const r = ev.evaluate({ snapshot: leak, monotonicMs: 1000, time: "t" });
    assert.equal(r.findings.length, 0);
    assert.equal(r.alerts[0]?.state, "firing"); // clearing: resolves after resolveAfter intervals
    ev.configure(watchSettings({ fireAfter: 1 }));
    const again = ev.evaluate({ snapshot: leak, monotonicMs: 2000, time: "t2" });
    assert.equal(again.events.length, 0, "no second firing event for an alert that never resolved");
  });
});

describe("watch text", () => {
  it("renders alert lines, the live view within the terminal width, and the summary", () => {
    const ev = new WatchEvaluator(watchSettings({ fireAfter: 1 }));
    const [r] = drive(ev, [snap({ hostname: "box", sockets: closeWait(12) })]);
    assert.ok(r);
    const line = alertLine(r.events[0] as NonNullable<(typeof r.events)[0]>);
    assert.match(
      line,
      /^2026-01-01T00:00:00\.000Z FIRING warning close-wait-leak java\(pid 4242\): 12 sockets/,
    );
    const view = liveView(r, { intervalSeconds: 10, columns: 60 });
    assert.match(view[0] ?? "", /tcpdoctor watch box/);
    assert.ok(view.some((l) => /CLOSE-WAIT 12/.test(l)));
    assert.ok(view.some((l) => /1 firing/.test(l)));
    assert.ok(view.every((l) => l.replace(/\x1b\[[0-9;]*m/g, "").length <= 59));
    assert.equal(
      summaryLine(ev.summary()),
      "tcpdoctor watch: 1 interval run, 1 alert fired, 0 resolved, 1 still firing",
    );
  });
});
