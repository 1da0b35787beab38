import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { HostSnapshot } from "../../src/host/types.js";
import { parseConfig } from "../../src/io/config.js";
import { snapshotHost } from "../../src/io/live-host.js";
import { alertLog, settingsFromConfig, type WatchClock, WatchLoop } from "../../src/io/watch-loop.js";
import type { WatchEvaluation } from "../../src/watch/evaluator.js";
import type { AlertEvent } from "../../src/watch/types.js";
import { watchSettings } from "../../src/watch/types.js";
import { fakeHost } from "../fixtures/hostrules/fake-host.js";
import { many, owner, snap, sock } from "../fixtures/hostrules/snapshots.js";
import { repoRoot } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tcpdoctor-watch-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A clock that only moves when slept on (or when a snapshot "takes time"). */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  const clock: WatchClock = {
    now: () => now,
    wallClock: () => new Date(Date.UTC(2026, 0, 1) + now).toISOString(),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, advance: (ms: number) => (now += ms) };
}

const leak = (n: number) =>
  snap({
    sockets: many(n, (i) =>
      sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.1:${41000 + i}`, owner("java", 4242, 10 + i)),
    ),
    counters: { TcpRetransSegs: 10 + n, TcpOutSegs: 1000 + 100 * n },
  });

describe("WatchLoop", () => {
  it("runs on a fixed cadence, fires and resolves, and appends the alert log", async () => {
    const { clock, sleeps } = fakeClock();
    const series = [leak(12), leak(12), leak(12), snap({ sockets: [] }), snap({ sockets: [] })];
    let i = 0;
    const log = alertLog(join(dir, "alerts.jsonl"));
    const events: AlertEvent[] = [];
    const metrics: string[] = [];
    const loop = new WatchLoop({
      intervalSeconds: 10,
      settings: watchSettings(),
      clock,
      snapshot: async () => series[i++] as HostSnapshot,
      onEvent: async (e) => {
        events.push(e);
        await log.write(e);
      },
      metrics: { update: (t) => metrics.push(t) },
      maxIntervals: series.length,
    });
    const summary = await loop.run();
    assert.deepEqual(summary, { intervals: 5, fired: 1, resolved: 1, firing: 0 });
    assert.deepEqual(sleeps, [10000, 10000, 10000, 10000]);
    assert.deepEqual(
      events.map((e) => [e.state, e.time]),
      [
        ["firing", "2026-01-01T00:00:10.000Z"],
        ["resolved", "2026-01-01T00:00:40.000Z"],
      ],
    );
    const lines = readFileSync(join(dir, "alerts.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.deepEqual(Object.keys(lines[0]), [
      "time",
      "id",
      "severity",
      "state",
      "subject",
      "summary",
      "evidence",
      "fix",
    ]);
    assert.equal(lines[0].subject, "java(pid 4242)");
    assert.equal(lines[1].state, "resolved");
    assert.equal(metrics.length, 5);
    assert.match(metrics[1] ?? "", /^tcpdoctor_finding\{id="close-wait-leak",severity="warning"\} 1$/m);
    assert.doesNotMatch(metrics[4] ?? "", /^tcpdoctor_finding\{/m);
    assert.match(metrics[4] ?? "", /^tcpdoctor_watch_intervals_total 5$/m);
  });

  it("skips the slots a slow snapshot overran instead of running back to back", async () => {
    const { clock, sleeps, advance } = fakeClock();
    let n = 0;
    const loop = new WatchLoop({
      intervalSeconds: 1,
      settings: watchSettings(),
      clock,
      snapshot: async () => {
        if (n++ === 1) advance(2500); // the second snapshot takes 2.5 intervals
        return snap({ sockets: [] });
      },
      maxIntervals: 4,
    });
    await loop.run();
    // Slots at 0, 1000, (2000 and 3000 missed), 4000, 5000.
    assert.deepEqual(sleeps, [1000, 500, 1000]);
  });

  it("goes on after a failed snapshot, and reports it", async () => {
    const { clock } = fakeClock();
    let n = 0;
    const errors: string[] = [];
    const loop = new WatchLoop({
      intervalSeconds: 1,
      settings: watchSettings({ fireAfter: 1 }),
      clock,
      snapshot: async () => {
        if (n++ === 1) throw new Error("ss exploded");
        return leak(12);
      },
      onError: (e) => errors.push((e as Error).message),
      maxIntervals: 3,
    });
    const s = await loop.run();
    assert.deepEqual(errors, ["ss exploded"]);
    assert.equal(loop.failures, 1);
    assert.equal(s.intervals, 2);
    assert.equal(s.fired, 1);
  });

  it("stops promptly when asked during the wait, and reports staleness", async () => {
    const loop = new WatchLoop({
      intervalSeconds: 3600,
      settings: watchSettings(),
      snapshot: async () => snap({ sockets: [] }),
    });
    assert.equal(loop.health().ok, false);
    const started = performance.now();
    const running = loop.run();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(loop.health().ok, true);
    loop.stop();
    const s = await running;
    assert.equal(s.intervals, 1);
    assert.ok(performance.now() - started < 2000);
  });

  it("takes its settings from the config file's keys", () => {
    const cfg = parseConfig(
      "hysteresis:\n  fireAfter: 3\n  resolveAfter: 4\ntopN: 5\ndisable: [keepalive-too-long]\nthresholds:\n  close-wait-leak:\n    growthIntervals: 7\n",
      "watch.yaml",
    );
    assert.deepEqual(settingsFromConfig(cfg), {
      fireAfter: 3,
      resolveAfter: 4,
      topN: 5,
      disable: ["keepalive-too-long"],
      thresholds: { "close-wait-leak": { growthIntervals: 7 } },
    });
    assert.deepEqual(settingsFromConfig({}), watchSettings());
  });
});

describe("WatchLoop on the live snapshot path (fake host)", () => {
  it("fires on the pile-up, leaves old kernel log lines alone, and survives a missing ss", async () => {
    for (const ss of [true, false]) {
      const h = fakeHost({ ss, dmesg: "ok" });
      const { clock } = fakeClock();
      const evaluations: WatchEvaluation[] = [];
      const loop = new WatchLoop({
        intervalSeconds: 10,
        settings: watchSettings(),
        clock,
        snapshot: () => snapshotHost({ interval: 0, io: h.io, readFile: h.readFile, exec: h.exec }),
        onEvaluation: (ev) => {
          evaluations.push(ev);
        },
        maxIntervals: 3,
      });
      const summary = await loop.run();
      assert.equal(loop.failures, 0);
      assert.equal(summary.intervals, 3);
      const ids = new Set(evaluations.flatMap((e) => e.findings.map((f) => f.id)));
      assert.ok(!ids.has("tcp-memory-pressure"), "the kernel log line was there before the watch started");
      assert.equal(evaluations[1]?.rates.retransPerSec, 0.1, "1 retransmission over 10 s");
      if (ss) {
        assert.equal(summary.fired, 1);
        assert.equal(evaluations[1]?.events[0]?.subject, "python3(pid 5386)");
      } else {
        const said = evaluations.flatMap((e) => e.newlyUnavailable).filter((u) => u.startsWith("ss:"));
        assert.equal(said.length, 1, "a missing ss is said once");
        assert.equal(evaluations[2]?.sockets.LISTEN, 1, "sockets from /proc/net/tcp");
      }
    }
  });
});

describe("docs/watch.md", () => {
  it("shows a config example the config loader accepts", () => {
    const md = readFileSync(join(repoRoot, "docs", "watch.md"), "utf8");
    const block = /```yaml\n([\s\S]*?)```/.exec(md)?.[1];
    assert.ok(block, "a yaml block");
    const settings = settingsFromConfig(parseConfig(block, "docs/watch.md"));
    assert.equal(settings.fireAfter, 2);
    assert.equal(settings.thresholds["close-wait-leak"]?.growthIntervals, 5);
  });
});
