import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mathisBps } from "../../../src/rules/capture/common.js";
import {
  bandwidthBottleneck,
  cwndLimitedLossyPath,
  packetLoss,
  receiverZeroWindow,
  reordering,
  windowLimited,
} from "../../../src/rules/capture/transfer.js";
import { diagnose } from "../../../src/rules/engine.js";
import type { Facts, Rule } from "../../../src/rules/types.js";
import { bulk, conn, facts } from "../../fixtures/rules/connections.js";

function run(rule: Rule, f: Facts, thresholds: Record<string, number> = {}) {
  return rule.evaluate(f, { threshold: (name, fallback) => thresholds[name] ?? fallback });
}

const MB = 1_000_000;

/** A sender-side capture of a 5 MB upload with `lost` segments sent twice. */
function lossy(
  lost: number,
  opts: { bps?: number; rttMin?: number; rttP50?: number; lostBefore?: boolean } = {},
) {
  const rttMin = opts.rttMin ?? 0.02;
  const seconds = (5 * MB * 8) / (opts.bps ?? 5e6);
  return bulk(
    0,
    { side: "client", bytes: 5 * MB, seconds, rttMin, rttP50: opts.rttP50 ?? rttMin * 1.04 },
    {
      dir: {
        client: opts.lostBefore
          ? { lostBeforeCapture: lost, retransmissions: { total: lost, fast: lost } }
          : {
              repeatedSegments: lost,
              fullSizeRetransmissions: lost,
              retransmissions: { total: lost, fast: lost - 2, rto: 2 },
            },
      },
    },
  );
}

describe("packet-loss", () => {
  it("reports ≥1% loss counted from the bytes, and says which side of the capture point it is on", () => {
    const [f] = run(packetLoss, facts([lossy(60)]));
    assert.equal(f?.id, "packet-loss");
    assert.equal(f.evidence.lostAfterCapturePoint, 60);
    assert.match(f.summary, /after the capture point/);
    const [g] = run(packetLoss, facts([lossy(60, { lostBefore: true })]));
    assert.equal(g.evidence.lostBeforeCapturePoint, 60);
    assert.match(g.summary, /before the capture point/);
  });

  it("a handful of retransmissions is normal TCP", () => {
    assert.deepEqual(run(packetLoss, facts([lossy(4)])), []);
    // 20 of 3453 segments = 0.6%: below the 1% that hurts.
    assert.deepEqual(run(packetLoss, facts([lossy(20)])), []);
    assert.equal(run(packetLoss, facts([lossy(20)]), { minLossRate: 0.005 }).length, 1);
  });

  it("adds up many short connections on the same path", () => {
    const conns = Array.from({ length: 20 }, (_, i) =>
      conn({ stream: i, dir: { server: { uniqueBytes: 14480, maxSegment: 1448, repeatedSegments: 1 } } }),
    );
    const [f] = run(packetLoss, facts(conns));
    assert.equal((f.evidence.paths as { lostSegments: number }[])[0].lostSegments, 20);
  });

  it("does not count spurious retransmissions or the cost of path-MTU discovery", () => {
    const spurious = lossy(60);
    spurious.dir.client.retransmissions.spurious = 58;
    assert.deepEqual(run(packetLoss, facts([spurious])), []);
    const pmtu = lossy(12, { bps: 50e6 });
    pmtu.dir.client.uniqueBytes = 200_000;
    pmtu.dir.client.maxInFlight = 65536;
    pmtu.icmp = [{ frame: 15, time: 0.01, type: 3, code: 4, kind: "frag-needed", mtu: 1400 }];
    assert.deepEqual(run(packetLoss, facts([pmtu])), []);
  });
});

describe("cwnd-limited-lossy-path", () => {
  it("throughput near the Reno/CUBIC loss bound on a long path without queueing: the congestion window is the limit", () => {
    // 59 lost of 3453 at 20 ms: the loss-bound rate is about 5 Mbit/s.
    const bound = mathisBps(1448, 0.0208, 59 / 3453);
    assert.ok(bound > 4.5e6 && bound < 5.5e6, String(bound));
    const [f] = run(cwndLimitedLossyPath, facts([lossy(59, { bps: 5.2e6 })]));
    assert.equal(f?.id, "cwnd-limited-lossy-path");
    assert.ok((f.evidence.throughputToLossBound as number) < 1.5);
  });

  it("a sender far above the loss bound (BBR-like) is not window-limited by loss", () => {
    assert.deepEqual(run(cwndLimitedLossyPath, facts([lossy(85, { bps: 18.7e6, rttP50: 0.03 })])), []);
  });

  it("needs data-RTT samples: a receiver-side capture cannot rule out a queue", () => {
    const c = lossy(59, { bps: 5.2e6, lostBefore: true });
    c.rtt = { min: 0.022, avg: 0.022, max: 0.022, samples: 1, p50: 0.022, p95: 0.022 };
    assert.deepEqual(run(cwndLimitedLossyPath, facts([c])), []);
    assert.equal(run(packetLoss, facts([c])).length, 1);
  });

  it("queueing (RTT far above its minimum) is a bottleneck, not random loss", () => {
    assert.deepEqual(run(cwndLimitedLossyPath, facts([lossy(59, { bps: 5.2e6, rttP50: 0.09 })])), []);
  });
});

describe("bandwidth-bottleneck", () => {
  const shaped = () =>
    bulk(
      0,
      { bytes: 3 * MB, seconds: 6.2, rttMin: 0.0206, rttP50: 0.097 },
      { dir: { server: { repeatedSegments: 26, maxInFlight: 97_000 } } },
    );

  it("flat rate with RTT inflated by a standing queue and an open receive window", () => {
    const [f] = run(bandwidthBottleneck, facts([shaped()]));
    assert.equal(f?.id, "bandwidth-bottleneck");
    assert.equal(f.evidence.queueDropSegments, 26);
    assert.ok((f.evidence.queueingDelaySeconds as number) > 0.07);
  });

  it("outranks and explains the loss and is not a window problem", () => {
    const out = diagnose(facts([shaped()]));
    assert.equal(out[0].id, "bandwidth-bottleneck");
    const loss = out.find((x) => x.id === "packet-loss");
    assert.equal(loss?.severity, "info");
    for (const id of ["receiver-zero-window", "window-limited", "cwnd-limited-lossy-path"]) {
      assert.ok(!out.some((x) => x.id === id && x.severity !== "info"), id);
    }
  });

  it("no queue, no bottleneck; a full receive window is not the path's fault", () => {
    assert.deepEqual(
      run(bandwidthBottleneck, facts([bulk(0, { bytes: 3 * MB, seconds: 2, rttMin: 0.02, rttP50: 0.021 })])),
      [],
    );
    const windowBound = shaped();
    windowBound.dir.client.maxWindow = 100_000;
    assert.deepEqual(run(bandwidthBottleneck, facts([windowBound])), []);
  });
});

describe("receiver-zero-window", () => {
  const stalled = (stall: number) =>
    bulk(
      0,
      { side: "client", bytes: 400_000, seconds: 3, rttMin: 0.0001, rttP50: 0.0001 },
      {
        zeroWindow: {
          episodes: 2,
          totalStall: stall,
          spans: [{ start: 0.1, end: 0.1 + stall, frame: 19, side: "server" }],
        },
        dir: { client: { zeroWindowProbes: 3, windowFull: 40 }, server: { maxWindow: 8688, minWindow: 0 } },
      },
    );

  it("names the receiver that stopped reading, the stall and the probes", () => {
    const [f] = run(receiverZeroWindow, facts([stalled(2.9)]));
    assert.equal(f?.severity, "warning");
    assert.equal(f.evidence.receiver, "10.0.0.2:8080");
    assert.equal(f.evidence.zeroWindowProbes, 3);
    assert.match(f.summary, /pinned small/);
    assert.match(f.fix, /10\.0\.0\.2:8080/);
  });

  it("a brief zero window is only noted", () => {
    assert.equal(run(receiverZeroWindow, facts([stalled(0.05)]))[0].severity, "info");
  });

  it("is not packet loss and explains the small window", () => {
    const c = stalled(2.9);
    c.dir.client.maxInFlight = 8688;
    const out = diagnose(facts([c]));
    assert.equal(out[0].id, "receiver-zero-window");
    assert.ok(!out.some((x) => x.id === "packet-loss"));
  });
});

describe("window-limited", () => {
  it("in flight ≈ the receiver's window and throughput ≈ window/RTT", () => {
    // 64 KiB per 50 ms = 10.5 Mbit/s, window scaling off.
    const c = bulk(
      0,
      { bytes: 10 * MB, seconds: (10 * MB * 8) / 10.2e6, rttMin: 0.05, rttP50: 0.051 },
      {
        handshake: { windowScaling: false },
        dir: { server: { maxInFlight: 65000 }, client: { maxWindow: 65535 } },
      },
    );
    const [f] = run(windowLimited, facts([c]));
    assert.equal(f?.id, "window-limited");
    assert.match(f.summary, /scaling was not negotiated/);
  });

  it("an open window that the sender never fills is not the limit", () => {
    const c = bulk(0, { bytes: 10 * MB, seconds: 8, rttMin: 0.05, rttP50: 0.051 });
    assert.deepEqual(run(windowLimited, facts([c])), []);
  });
});

describe("reordering", () => {
  const reordered = (n: number, lost = 0) =>
    bulk(
      0,
      { side: "client", bytes: 3 * MB, seconds: 1.3, rttMin: 0.02, rttP50: 0.021 },
      {
        dir: {
          client: {
            reorderedSegments: n,
            maxReorderDistance: 16,
            lostBeforeCapture: lost,
            retransmissions: { total: 40, fast: 39 },
          },
        },
      },
    );

  it("late segments that fill their hole within the RTT are reordering, not loss (whatever the labels say)", () => {
    const f = facts([reordered(45, 2)]);
    const [hit] = run(reordering, f);
    assert.equal(hit?.id, "reordering");
    assert.equal(hit.evidence.labelledRetransmissions, 40);
    assert.match(hit.summary, /sent once/);
    const out = diagnose(f);
    assert.equal(out[0].id, "reordering");
    assert.ok(!out.some((x) => x.id === "packet-loss" && x.severity !== "info"));
  });

  it("a couple of late segments in a long transfer is noise", () => {
    assert.deepEqual(run(reordering, facts([reordered(2)])), []);
    assert.deepEqual(run(reordering, facts([reordered(8)])), []);
  });
});
