import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import { captureIncomplete } from "../../../src/rules/capture/evidence.js";
import { slowServerResponse } from "../../../src/rules/capture/latency.js";
import { pmtuBlackhole, pmtuReduced } from "../../../src/rules/capture/pmtu.js";
import { diagnose } from "../../../src/rules/engine.js";
import type { Facts, Rule } from "../../../src/rules/types.js";
import { conn, facts } from "../../fixtures/rules/connections.js";

function run(rule: Rule, f: Facts, thresholds: Record<string, number> = {}) {
  return rule.evaluate(f, { threshold: (name, fallback) => thresholds[name] ?? fallback });
}

/** Server sends 16 KB in full-size segments that are never acknowledged; retransmitted on timeout. */
function blackholed(): ConnectionSummary {
  const c = conn({ duration: 8 });
  return {
    ...c,
    state: "S2",
    dir: {
      ...c.dir,
      server: {
        ...c.dir.server,
        uniqueBytes: 16011,
        maxSegment: 1448,
        maxIpLen: 1500,
        maxInFlight: 15928,
        repeatedSegments: 5,
        fullSizeRetransmissions: 5,
        retransmissions: { total: 5, fast: 0, rto: 5, spurious: 0, syn: 0, synAck: 0 },
      },
    },
  };
}

describe("pmtu-blackhole", () => {
  it("full-size segments resent on timeout and never acknowledged, small ones passing, no ICMP", () => {
    const f = facts([blackholed()]);
    const [hit] = run(pmtuBlackhole, f);
    assert.equal(hit?.severity, "critical");
    assert.equal(hit.evidence.fullSizeRetransmissions, 5);
    assert.match(hit.summary, /No ICMP/);
    const out = diagnose(f);
    assert.equal(out[0].id, "pmtu-blackhole");
    assert.equal(out.find((x) => x.id === "packet-loss")?.severity, "info");
  });

  it("is not reported once an ICMP 'fragmentation needed' arrived, nor for ordinary loss recovered by fast retransmit", () => {
    const withIcmp = blackholed();
    withIcmp.icmp = [{ frame: 12, time: 0.02, type: 3, code: 4, kind: "frag-needed", mtu: 1400 }];
    assert.deepEqual(run(pmtuBlackhole, facts([withIcmp])), []);
    const fast = blackholed();
    fast.dir.server.retransmissions = { total: 5, fast: 5, rto: 0, spurious: 0, syn: 0, synAck: 0 };
    fast.dir.server.uniqueBytes = 5_000_000;
    assert.deepEqual(run(pmtuBlackhole, facts([fast])), []);
  });
});

describe("pmtu-reduced", () => {
  it("an honoured ICMP 'fragmentation needed' is info, and its retransmissions are not loss", () => {
    const c = conn();
    const ok: ConnectionSummary = {
      ...c,
      icmp: [{ frame: 15, time: 0.01, type: 3, code: 4, kind: "frag-needed", mtu: 1400 }],
      dir: {
        ...c.dir,
        server: {
          ...c.dir.server,
          uniqueBytes: 200_083,
          maxSegment: 1448,
          maxInFlight: 65536,
          repeatedSegments: 12,
          retransmissions: { total: 12, fast: 0, rto: 12, spurious: 0, syn: 0, synAck: 0 },
        },
      },
    };
    const f = facts([ok]);
    const [hit] = run(pmtuReduced, f);
    assert.equal(hit?.severity, "info");
    assert.deepEqual(hit.evidence.pathMtu, [1400]);
    const out = diagnose(f);
    assert.ok(out.some((x) => x.id === "pmtu-reduced"));
    assert.deepEqual(
      out.filter((x) => x.severity !== "info").map((x) => x.id),
      [],
    );
  });
});

describe("slow-server-response", () => {
  const slow = (gap: number, rtt = 0.02): ConnectionSummary =>
    conn({
      rtt: { min: rtt, avg: rtt, max: rtt, samples: 3, p50: rtt, p95: rtt },
      handshake: { rtt },
      thinkTimes: [
        { requestAt: 1, requestFrame: 10, ackAt: 1.06, responseAt: 1 + gap, responseFrame: 12, gap },
      ],
    });

  it("a request ACKed within an RTT and answered 1.5 s later: the application", () => {
    const [f] = run(slowServerResponse, facts([slow(1.5)]));
    assert.equal(f?.confidence, "high");
    assert.equal(f.evidence.requestFrame, 10);
    assert.match(f.summary, /1\.50 s/);
  });

  it("a gap the network explains, or a short one, is not slow", () => {
    assert.deepEqual(run(slowServerResponse, facts([slow(0.2)])), []);
    assert.deepEqual(run(slowServerResponse, facts([slow(0.6, 0.3)])), []);
  });

  it("a stalled receiver or a lost request is another diagnosis", () => {
    const lost = slow(1.5);
    lost.dir.client.repeatedSegments = 1;
    assert.deepEqual(run(slowServerResponse, facts([lost])), []);
  });
});

describe("capture-incomplete", () => {
  it("healthy captures raise nothing", () => {
    assert.deepEqual(run(captureIncomplete, facts([conn()])), []);
  });

  it("drops and one-sided data connections affect the analysis; snaplen cuts do not", () => {
    const oneSided = conn({ stream: 1, oneSided: true, packets: { server: 0 } });
    const f = facts([conn(), oneSided], {
      files: [{ path: "a.pcap", format: "pcap", packets: 9, linkTypes: [1], droppedByKernel: 7 }],
    });
    const [hit] = run(captureIncomplete, f);
    assert.equal(hit.severity, "info");
    assert.equal(hit.evidence.droppedByCapture, 7);
    assert.equal(hit.evidence.affectsAnalysis, true);
    assert.deepEqual(hit.streams, [1]);
    const [cut] = run(captureIncomplete, facts([conn()], { snaplenTruncated: 40 }));
    assert.equal(cut.evidence.affectsAnalysis, false);
  });

  it("an unanswered SYN is one-sided by nature, not a capture defect", () => {
    const c = conn();
    const syn: ConnectionSummary = {
      ...c,
      oneSided: true,
      bytes: { client: 0, server: 0 },
      packets: { client: 3, server: 0 },
    };
    assert.deepEqual(run(captureIncomplete, facts([syn])), []);
  });
});
