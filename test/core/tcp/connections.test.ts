// Per-connection facts from hand-built packet sequences: one behaviour per test.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionTracker } from "../../../src/core/tcp/connections.js";
import type { AnalysisFlag, ConnectionSummary, PacketAnalysis } from "../../../src/core/tcp/types.js";
import type { DecodedPacket, IcmpError, TcpOptions } from "../../../src/core/types.js";

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

interface PktOpts {
  /** Seconds since the start of the flow (absolute, not a delta). */
  at: number;
  win?: number;
  options?: TcpOptions;
  ipId?: number;
  ttl?: number;
  ipVersion?: 4 | 6;
}

/**
 * A two-party TCP conversation with absolute sequence numbers: the client's ISN is 1000, the
 * server's 5000 unless told otherwise. Packets get frame numbers in the order they are built.
 */
class Flow {
  frame = 0;
  cIsn: number;
  sIsn: number;
  constructor(
    readonly c = { ip: "10.0.0.1", port: 40000, ttl: 64 },
    readonly s = { ip: "10.0.0.2", port: 80, ttl: 64 },
    isn: { client?: number; server?: number } = {},
    readonly t0 = 1_700_000_000,
  ) {
    this.cIsn = isn.client ?? 1000;
    this.sIsn = isn.server ?? 5000;
  }

  private make(
    fromClient: boolean,
    flags: string,
    seq: number,
    ack: number,
    len: number,
    o: PktOpts,
  ): DecodedPacket {
    let bits = 0;
    for (const ch of flags) bits |= FLAG_BITS[ch] ?? 0;
    const src = fromClient ? this.c : this.s;
    const dst = fromClient ? this.s : this.c;
    const whole = Math.floor(o.at);
    const ipHeader = o.ipVersion === 6 ? 40 : 20;
    return {
      frame: ++this.frame,
      tsSec: this.t0 + whole,
      tsNsec: Math.round((o.at - whole) * 1e9),
      linkType: 1,
      capLen: 54 + len,
      origLen: 54 + len,
      ip: {
        version: o.ipVersion ?? 4,
        src: src.ip,
        dst: dst.ip,
        ttl: o.ttl ?? src.ttl,
        protocol: 6,
        headerLen: ipHeader,
        totalLen: ipHeader + 20 + len,
        id: o.ipId,
      },
      tcp: {
        srcPort: src.port,
        dstPort: dst.port,
        seq: seq >>> 0,
        ack: ack >>> 0,
        headerLen: 20,
        flags: bits,
        window: o.win ?? 1000,
        urgent: 0,
        payloadLen: len,
        capturedPayloadLen: len,
        payloadOffset: 54,
        options: o.options ?? {},
      },
    };
  }

  /** Client packet; seq/ack relative to the ISNs (the SYN is at 0, data starts at 1). */
  cli(flags: string, seq: number, ack: number, len: number, o: PktOpts): DecodedPacket {
    return this.make(true, flags, this.cIsn + seq, this.sIsn + ack, len, o);
  }

  srv(flags: string, seq: number, ack: number, len: number, o: PktOpts): DecodedPacket {
    return this.make(false, flags, this.sIsn + seq, this.cIsn + ack, len, o);
  }

  /** SYN, SYN-ACK, ACK at t, t+rtt, t+rtt+ackDelay. */
  handshake(
    t: number,
    rtt: number,
    ackDelay = 0.0001,
    opts: { c?: TcpOptions; s?: TcpOptions } = {},
  ): DecodedPacket[] {
    return [
      this.cli("S", 0, 0, 0, {
        at: t,
        options: opts.c ?? { mss: 1460, wscale: 7, sackPermitted: true, tsVal: 1 },
      }),
      this.srv("SA", 0, 1, 0, {
        at: t + rtt,
        options: opts.s ?? { mss: 1460, wscale: 7, sackPermitted: true, tsVal: 1 },
      }),
      this.cli("A", 1, 1, 0, { at: t + rtt + ackDelay }),
    ];
  }
}

function run(pkts: DecodedPacket[], pas?: (PacketAnalysis | undefined)[]): ConnectionSummary[] {
  const t = new ConnectionTracker();
  for (let i = 0; i < pkts.length; i++) t.observe(pkts[i], pas?.[i]);
  return t.finish();
}

function one(pkts: DecodedPacket[]): ConnectionSummary {
  const all = run(pkts);
  assert.equal(all.length, 1, `expected one connection, got ${all.length}`);
  return all[0];
}

describe("connection lifecycle", () => {
  it("groups SYN retries with the same ISN into one unanswered attempt (S0)", () => {
    const f = new Flow();
    const c = one([
      f.cli("S", 0, 0, 0, { at: 0 }),
      f.cli("S", 0, 0, 0, { at: 1 }),
      f.cli("S", 0, 0, 0, { at: 3 }),
    ]);
    assert.equal(c.state, "S0");
    assert.equal(c.history, "S");
    assert.equal(c.handshake.synCount, 3);
    assert.equal(c.handshake.synAckSeen, false);
    assert.equal(c.oneSided, true);
    assert.equal(c.duration, 3);
    assert.match(c.verdict, /3 SYNs/);
  });

  it("calls a SYN answered by RST refused (REJ)", () => {
    const f = new Flow();
    const c = one([f.cli("S", 0, 0, 0, { at: 0 }), f.srv("RA", 0, 1, 0, { at: 0.0001, win: 0 })]);
    assert.equal(c.state, "REJ");
    assert.equal(c.history, "Sr");
    assert.equal(c.handshake.refused, true);
    assert.equal(c.close.firstRst, "server");
    // A RST's zero window is no zero-window advertisement.
    assert.equal(c.dir.server.zeroWindows, 0);
    assert.equal(c.handshake.rtt, undefined);
  });

  it("follows a normal exchange to SF with Zeek history and handshake timings", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.02),
      f.cli("PA", 1, 1, 100, { at: 0.03 }),
      f.srv("A", 1, 101, 0, { at: 0.05 }),
      f.srv("PA", 1, 101, 300, { at: 0.06 }),
      f.cli("A", 101, 301, 0, { at: 0.08 }),
      f.srv("FA", 301, 101, 0, { at: 0.1 }),
      f.cli("FA", 101, 302, 0, { at: 0.12 }),
      f.srv("A", 302, 102, 0, { at: 0.14 }),
    ]);
    assert.equal(c.state, "SF");
    assert.equal(c.history, "ShADadfF");
    assert.equal(c.client, "10.0.0.1:40000");
    assert.equal(c.server, "10.0.0.2:80");
    assert.deepEqual(c.packets, { client: 5, server: 5 });
    assert.deepEqual(c.bytes, { client: 100, server: 300 });
    assert.equal(c.dir.server.uniqueBytes, 300);
    assert.equal(c.close.firstFin, "server");
    assert.equal(c.close.halfClosedBy, undefined);
    assert.ok(Math.abs((c.handshake.rtt ?? 0) - 0.0201) < 1e-9);
    assert.ok(Math.abs((c.handshake.synToSynAck ?? 0) - 0.02) < 1e-9);
    assert.equal(c.handshake.ackSeen, true);
    assert.equal(c.handshake.sackPermitted, true);
    assert.equal(c.handshake.windowScaling, true);
    assert.equal(c.handshake.timestamps, true);
    assert.equal(c.dir.client.mss, 1460);
    assert.equal(c.dir.server.wscale, 7);
    assert.match(c.verdict, /server FIN first/);
  });

  it("reports a SYN-ACK that was never acknowledged as S1 with an incomplete handshake", () => {
    const f = new Flow();
    const c = one([
      f.cli("S", 0, 0, 0, { at: 0 }),
      f.srv("SA", 0, 1, 0, { at: 0.001 }),
      f.srv("SA", 0, 1, 0, { at: 1.001 }),
    ]);
    assert.equal(c.state, "S1");
    assert.equal(c.history, "Sh");
    assert.equal(c.handshake.synAckCount, 2);
    assert.equal(c.handshake.ackSeen, false);
    assert.match(c.verdict, /handshake incomplete/);
  });

  it("takes the receiver of a leading SYN-ACK as the client, and the first sender mid-stream", () => {
    const f = new Flow();
    const a = one([f.srv("SA", 0, 1, 0, { at: 0 }), f.cli("A", 1, 1, 0, { at: 0.001 })]);
    assert.equal(a.client, "10.0.0.1:40000");
    assert.equal(a.state, "OTH");
    const g = new Flow();
    const b = one([g.srv("PA", 1, 1, 10, { at: 0 }), g.cli("A", 1, 11, 0, { at: 0.001 })]);
    assert.equal(b.client, "10.0.0.2:80");
    assert.equal(b.state, "OTH");
    assert.equal(b.handshake.synSeen, false);
  });

  it("marks the side that got a FIN, ACKed it and never closed as half-closed (S2)", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.cli("PA", 1, 1, 50, { at: 0.01 }),
      f.srv("PA", 1, 51, 500, { at: 0.02 }),
      f.cli("FA", 51, 501, 0, { at: 0.03 }),
      f.srv("A", 501, 52, 0, { at: 0.031 }),
    ]);
    assert.equal(c.state, "S2");
    assert.equal(c.close.firstFin, "client");
    assert.equal(c.close.halfClosedBy, "server");
    assert.match(c.verdict, /half-closed/);
  });

  it("does not call a FIN that was never ACKed half-closed", () => {
    const f = new Flow();
    const c = one([...f.handshake(0, 0.001), f.cli("FA", 1, 1, 0, { at: 0.01 })]);
    assert.equal(c.state, "S2");
    assert.equal(c.close.halfClosedBy, undefined);
  });

  it("records who reset, whether data was in flight and the idle time before the RST", () => {
    const f = new Flow();
    const inFlight = one([
      ...f.handshake(0, 0.001),
      f.cli("PA", 1, 1, 50, { at: 0.01 }),
      f.srv("A", 1, 51, 1000, { at: 0.02 }),
      f.srv("A", 1001, 51, 1000, { at: 0.021 }),
      f.cli("RA", 51, 1001, 0, { at: 0.03 }),
    ]);
    assert.equal(inFlight.state, "RSTO");
    assert.equal(inFlight.close.firstRst, "client");
    assert.equal(inFlight.close.rstWithDataInFlight, true);
    assert.ok(Math.abs((inFlight.close.idleBeforeRst ?? 0) - 0.009) < 1e-9);
    assert.match(inFlight.verdict, /reset by client with data in flight/);

    const g = new Flow();
    const idle = one([
      ...g.handshake(0, 0.001),
      g.cli("PA", 1, 1, 50, { at: 0.01 }),
      g.srv("PA", 1, 51, 100, { at: 0.02 }),
      g.cli("A", 51, 101, 0, { at: 0.021 }),
      g.srv("RA", 101, 51, 0, { at: 300.021 }),
    ]);
    assert.equal(idle.state, "RSTR");
    assert.equal(idle.close.rstWithDataInFlight, false);
    assert.equal(idle.close.idleBeforeRst, 300);
    assert.equal(idle.idleGaps[0].end - idle.idleGaps[0].start, 300);
  });

  it("calls a client RST after an unanswered SYN RSTOS0", () => {
    const f = new Flow();
    const c = one([f.cli("S", 0, 0, 0, { at: 0 }), f.cli("R", 1, 0, 0, { at: 1 })]);
    assert.equal(c.state, "RSTOS0");
    assert.equal(c.history, "SR");
  });
});

describe("sequence facts measured from the bytes", () => {
  it("counts repeated ranges, excludes ambiguous ACKs from RTT (Karn) and spots full-size retransmissions", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.02),
      f.srv("PA", 1, 1, 100, { at: 0.1 }), // small segment, delivered
      f.cli("A", 1, 101, 0, { at: 0.12 }), // RTT sample 20 ms
      f.srv("A", 101, 1, 1448, { at: 0.2 }),
      f.srv("A", 101, 1, 1448, { at: 0.4 }), // retransmitted
      f.cli("A", 1, 1549, 0, { at: 0.41 }), // ambiguous: no sample
      f.srv("A", 1549, 1, 1448, { at: 0.5 }),
      f.cli("A", 1, 2997, 0, { at: 0.53 }), // RTT sample 30 ms
    ]);
    const s = c.dir.server;
    assert.equal(s.repeatedSegments, 1);
    assert.equal(s.fullSizeRetransmissions, 1);
    assert.equal(s.smallSegmentsDelivered, 1);
    assert.equal(s.ackRtt?.samples, 2);
    assert.ok(Math.abs((s.ackRtt?.min ?? 0) - 0.02) < 1e-9);
    assert.ok(Math.abs((s.ackRtt?.max ?? 0) - 0.03) < 1e-9);
    assert.ok(Math.abs((c.rtt?.avg ?? 0) - 0.025) < 1e-9);
    assert.equal(s.uniqueBytes, 100 + 1448 * 2);
    assert.equal(s.bytes, 100 + 1448 * 3);
    assert.equal(s.maxIpLen, 1488);
    // Without Wireshark's labels the tracker classifies retransmissions itself: no dup ACK came, so a timeout.
    assert.equal(s.retransmissions.total, 1);
    assert.equal(s.retransmissions.rto, 1);
    assert.match(c.history, /t/);
  });

  it("times ACKs against the newest 4096 segments in flight, in order, past the ring's wrap", () => {
    // 5000 segments 1 ms apart with no ACK; then ACKs at 5.1 s: one for segment 100 (forgotten:
    // no sample), one for segment 4999 (timed from it), then two rounds more through the ring.
    const f = new Flow();
    const pkts = [...f.handshake(0, 0.001)];
    const at = (i: number) => 0.1 + i * 0.001;
    for (let i = 0; i < 5000; i++) pkts.push(f.cli("A", 1 + i * 100, 1, 100, { at: at(i) }));
    pkts.push(f.srv("A", 1, 1 + 101 * 100, 0, { at: 5.1 }));
    pkts.push(f.srv("A", 1, 1 + 4000 * 100, 0, { at: 5.2 }));
    pkts.push(f.srv("A", 1, 1 + 5000 * 100, 0, { at: 5.3 }));
    for (let round = 0; round < 3; round++) {
      const base = 5000 + round * 3000;
      for (let i = 0; i < 3000; i++)
        pkts.push(f.cli("A", 1 + (base + i) * 100, 1, 100, { at: 6 + round + i * 1e-4 }));
      pkts.push(f.srv("A", 1, 1 + (base + 3000) * 100, 0, { at: 6.5 + round }));
    }
    const d = one(pkts).dir.client;
    assert.equal(d.ackRtt?.samples, 5);
    assert.ok(Math.abs((d.ackRtt?.max ?? 0) - (5.1 - at(100))) > 1, "segment 100 was forgotten");
    assert.ok(Math.abs((d.ackRtt?.max ?? 0) - (5.2 - at(3999))) < 1e-9, `max ${d.ackRtt?.max}`);
    assert.ok(Math.abs((d.ackRtt?.min ?? 0) - (6.5 - (6 + 2999e-4))) < 1e-9, `min ${d.ackRtt?.min}`);
  });

  it("classifies a retransmission after duplicate ACKs as fast", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.cli("A", 1, 1, 1000, { at: 0.01 }),
      f.cli("A", 1001, 1, 1000, { at: 0.011 }),
      f.cli("A", 2001, 1, 1000, { at: 0.012 }),
      f.srv("A", 1, 1001, 0, { at: 0.013 }),
      f.srv("A", 1, 1001, 0, { at: 0.014, options: { sack: [[1000 + 2001, 1000 + 3001]] } }),
      f.cli("A", 1001, 1, 1000, { at: 0.015 }),
    ]);
    assert.equal(c.dir.client.retransmissions.fast, 1);
    assert.equal(c.dir.client.retransmissions.rto, 0);
  });

  it("tells reordering from a segment lost before the capture point by the sender's IP ids", () => {
    // Receiver-side capture; the sender numbers its packets 100, 101, ... A steady run comes
    // first so the ids are trusted by the time the holes are filled.
    const g = new Flow();
    const ordered = [
      ...g.handshake(0, 0.02),
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
        g.cli("A", 1 + i * 1000, 1, 1000, { at: 0.1 + i * 0.001, ipId: 100 + i }),
      ),
      g.cli("A", 10001, 1, 1000, { at: 0.2, ipId: 110 }), // hole [9001, 10001)
      g.cli("A", 11001, 1, 1000, { at: 0.201, ipId: 111 }),
      g.cli("A", 9001, 1, 1000, { at: 0.202, ipId: 109 }), // sent earlier: reordering, distance 2
      g.cli("A", 13001, 1, 1000, { at: 0.3, ipId: 112 }), // hole [12001, 13001)
      g.cli("A", 12001, 1, 1000, { at: 0.301, ipId: 113 }), // sent later: lost before the capture
    ];
    const c = one(ordered);
    assert.equal(c.dir.client.reorderedSegments, 1);
    assert.equal(c.dir.client.maxReorderDistance, 2);
    assert.equal(c.dir.client.lostBeforeCapture, 1);
    assert.equal(c.dir.client.repeatedSegments, 0);
    assert.equal(c.dir.client.missedSegments, 0);
  });

  it("without ids or timestamps, a hole filled within half the handshake RTT is reordering", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.02),
      f.cli("A", 1001, 1, 1000, { at: 0.1 }),
      f.cli("A", 1, 1, 1000, { at: 0.103 }), // 3 ms late < 10 ms: reordering
      f.cli("A", 3001, 1, 1000, { at: 0.2 }),
      f.cli("A", 2001, 1, 1000, { at: 0.25 }), // 50 ms late: lost and retransmitted
    ]);
    assert.equal(c.dir.client.reorderedSegments, 1);
    assert.equal(c.dir.client.lostBeforeCapture, 1);
  });

  it("counts data the peer ACKed but the capture never showed, and nobody retransmitted, as missed", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.srv("A", 1, 1, 1000, { at: 0.01 }),
      // [1001, 3001) never captured
      f.srv("A", 3001, 1, 1000, { at: 0.012 }),
      f.cli("A", 1, 4001, 0, { at: 0.013 }),
      f.cli("A", 1, 6001, 0, { at: 0.014 }), // ACKs beyond anything seen
    ]);
    assert.equal(c.dir.server.missedSegments, 2 + 2);
    assert.equal(c.dir.server.lostBeforeCapture ?? 0, 0);
  });

  it("measures the largest amount of data in flight", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.srv("A", 1, 1, 1000, { at: 0.01 }),
      f.srv("A", 1001, 1, 1000, { at: 0.011 }),
      f.srv("A", 2001, 1, 1000, { at: 0.012 }),
      f.cli("A", 1, 3001, 0, { at: 0.02 }),
      f.srv("A", 3001, 1, 1000, { at: 0.021 }),
    ]);
    assert.equal(c.dir.server.maxInFlight, 3000);
  });

  it("handles sequence numbers that wrap around 2^32", () => {
    const f = new Flow(undefined, undefined, { client: 4294967296 - 1500 });
    const c = one([
      ...f.handshake(0, 0.001),
      f.cli("A", 1, 1, 1000, { at: 0.01 }),
      f.cli("A", 1001, 1, 1000, { at: 0.011 }), // crosses zero
      f.cli("A", 2001, 1, 1000, { at: 0.012 }),
      f.srv("A", 1, 3001, 0, { at: 0.02 }),
    ]);
    assert.equal(c.dir.client.repeatedSegments, 0);
    assert.equal(c.dir.client.reorderedSegments, 0);
    assert.equal(c.dir.client.uniqueBytes, 3000);
    assert.equal(c.dir.client.ackRtt?.samples, 1);
  });
});

describe("windows and probes", () => {
  it("counts Linux zero-window probes (seq = SND.UNA-1) as probes, not keepalives, and measures the stall", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.cli("A", 1, 1, 1000, { at: 0.01 }),
      f.srv("A", 1, 1001, 0, { at: 0.011, win: 0 }),
      f.cli("A", 1000, 1, 0, { at: 0.2 }),
      f.srv("A", 1, 1001, 0, { at: 0.201, win: 0 }),
      f.cli("A", 1000, 1, 0, { at: 0.6 }),
      f.srv("A", 1, 1001, 0, { at: 0.601, win: 0 }),
      f.srv("A", 1, 1001, 0, { at: 3.011, win: 500 }),
      f.cli("A", 1001, 1, 1000, { at: 3.012 }),
    ]);
    assert.equal(c.dir.client.zeroWindowProbes, 2);
    assert.equal(c.dir.client.keepAlives, 0);
    assert.equal(c.keepalive.probes, 0);
    assert.equal(c.dir.server.zeroWindows, 3);
    assert.equal(c.zeroWindow.episodes, 1);
    assert.equal(c.zeroWindow.spans[0].side, "server");
    assert.ok(Math.abs(c.zeroWindow.totalStall - 3) < 1e-9);
    assert.equal(c.dir.server.minWindow, 0);
    assert.equal(c.dir.server.maxWindow, 500 * 128);
    assert.match(c.history, /w/);
  });

  it("closes a zero-window episode still open at the end of the capture", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.srv("A", 1, 1, 0, { at: 1, win: 0 }),
      f.cli("A", 1, 1, 0, { at: 5 }),
    ]);
    assert.equal(c.zeroWindow.episodes, 1);
    assert.equal(c.zeroWindow.totalStall, 4);
  });

  it("counts keepalives and the unanswered ones at the end", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.001),
      f.cli("PA", 1, 1, 10, { at: 0.01 }),
      f.srv("A", 1, 11, 0, { at: 0.011 }),
      f.cli("A", 10, 1, 0, { at: 1 }),
      f.srv("A", 1, 11, 0, { at: 1.001 }),
      f.cli("A", 10, 1, 0, { at: 2 }),
      f.cli("A", 10, 1, 0, { at: 3 }),
      f.cli("A", 10, 1, 0, { at: 4 }),
      f.cli("RA", 11, 1, 0, { at: 5 }),
    ]);
    assert.equal(c.dir.client.keepAlives, 4);
    assert.equal(c.dir.server.keepAliveAcks, 1);
    assert.deepEqual(c.keepalive, { probes: 4, answered: 1, unansweredTail: 3 });
    assert.equal(c.state, "RSTO");
    assert.match(c.verdict, /3 unanswered keepalives/);
  });
});

describe("timing facts", () => {
  it("measures server think time after a request and when the request was ACKed", () => {
    const f = new Flow();
    const c = one([
      ...f.handshake(0, 0.02),
      f.cli("PA", 1, 1, 40, { at: 0.1 }),
      f.srv("PA", 1, 41, 200, { at: 0.125 }),
      f.cli("PA", 41, 201, 40, { at: 0.2 }),
      f.srv("A", 201, 81, 0, { at: 0.26 }),
      f.srv("PA", 201, 81, 200, { at: 1.7 }),
      f.cli("A", 81, 401, 0, { at: 1.72 }),
    ]);
    assert.equal(c.thinkTimes.length, 2);
    const slow = c.thinkTimes[0];
    assert.ok(Math.abs(slow.gap - 1.5) < 1e-9);
    assert.equal(slow.requestFrame, 6);
    assert.equal(slow.responseFrame, 8);
    assert.ok(Math.abs((slow.ackAt ?? 0) - 0.26) < 1e-9);
    assert.ok(c.thinkTimes[1].gap < slow.gap);
    assert.equal(c.thinkTimes[1].ackAt, undefined);
    assert.match(c.verdict, /1\.50 s to respond/);
  });

  it("keeps the five largest idle gaps, largest first", () => {
    const f = new Flow();
    const gaps = [0.5, 3, 1, 7, 2, 4, 0.1];
    const pkts = [...f.handshake(0, 0.0009)];
    let t = 0.001;
    for (const g of gaps) {
      t += g;
      pkts.push(f.cli("A", 1, 1, 0, { at: t }));
    }
    const c = one(pkts);
    assert.deepEqual(
      c.idleGaps.map((s) => Math.round((s.end - s.start) * 1000) / 1000),
      [7, 4, 3, 2, 1],
    );
  });

  it("computes the throughput of the main data direction", () => {
    const f = new Flow();
    const pkts = [...f.handshake(0, 0.001)];
    for (let i = 0; i < 11; i++) pkts.push(f.srv("A", 1 + i * 1000, 1, 1000, { at: 1 + i * 0.1 }));
    const c = one(pkts);
    assert.equal(c.throughput?.direction, "server");
    assert.equal(c.throughput?.bytes, 11000);
    assert.ok(Math.abs((c.throughput?.seconds ?? 0) - 1) < 1e-9);
    assert.ok(Math.abs((c.throughput?.bps ?? 0) - 88000) < 1e-6);
  });
});

describe("capture side", () => {
  it("sees the capture near the host whose packets still carry an initial TTL", () => {
    const f = new Flow({ ip: "10.0.0.1", port: 40000, ttl: 64 }, { ip: "10.9.0.2", port: 80, ttl: 61 });
    assert.equal(one(f.handshake(0, 0.0002, 0.0001)).captureSide, "client");
    const g = new Flow({ ip: "10.0.0.1", port: 40000, ttl: 62 }, { ip: "10.9.0.2", port: 80, ttl: 64 });
    assert.equal(one(g.handshake(0, 0.0002, 0.0001)).captureSide, "server");
  });

  it("reads the side from handshake timing when TTLs say nothing", () => {
    const near = new Flow();
    assert.equal(one(near.handshake(0, 0.03, 0.0001)).captureSide, "client");
    const far = new Flow();
    assert.equal(one(far.handshake(0, 0.0001, 0.03)).captureSide, "server");
    const mid = new Flow();
    assert.equal(one(mid.handshake(0, 0.015, 0.015)).captureSide, "middle");
    const veth = new Flow();
    assert.equal(one(veth.handshake(0, 0.00002, 0.00001)).captureSide, undefined);
  });
});

describe("ICMP errors", () => {
  const icmpFor = (inner: IcmpError["inner"], frame: number, at: number): DecodedPacket => ({
    frame,
    tsSec: 1_700_000_000 + Math.floor(at),
    tsNsec: Math.round((at % 1) * 1e9),
    linkType: 1,
    capLen: 70,
    origLen: 590,
    ip: {
      version: 4,
      src: "10.0.0.254",
      dst: "10.0.0.2",
      ttl: 64,
      protocol: 1,
      headerLen: 20,
      totalLen: 576,
    },
    icmp: { version: 4, type: 3, code: 4, kind: "frag-needed", mtu: 1400, inner },
  });

  it("ties an ICMP error to the connection it quotes and reports the others", () => {
    const f = new Flow();
    const unmatched: number[] = [];
    const t = new ConnectionTracker({ onUnmatchedIcmp: (p, icmp) => unmatched.push(p.frame, icmp.mtu ?? 0) });
    for (const p of f.handshake(0, 0.001)) t.observe(p);
    t.observe(f.srv("A", 1, 1, 1448, { at: 0.01 }));
    t.observe(
      icmpFor(
        { src: "10.0.0.2", dst: "10.0.0.1", protocol: 6, srcPort: 80, dstPort: 40000, seq: 5001 },
        50,
        0.011,
      ),
    );
    t.observe(
      icmpFor(
        { src: "10.0.0.2", dst: "10.0.0.7", protocol: 6, srcPort: 80, dstPort: 40001, seq: 1 },
        51,
        0.012,
      ),
    );
    const [c] = t.finish();
    assert.equal(c.icmp.length, 1);
    assert.deepEqual(c.icmp[0], { frame: 50, time: 0.011, type: 3, code: 4, kind: "frag-needed", mtu: 1400 });
    assert.deepEqual(unmatched, [51, 1400]);
  });
});

describe("Wireshark labels", () => {
  it("counts the analyzer's flags per direction and splits retransmissions by kind", () => {
    const f = new Flow();
    const pkts = [
      ...f.handshake(0, 0.001),
      f.cli("S", 0, 0, 0, { at: 0.002 }),
      f.cli("A", 1, 1, 100, { at: 0.01 }),
      f.cli("A", 1, 1, 100, { at: 0.2 }),
      f.cli("A", 1, 1, 100, { at: 0.3 }),
      f.cli("A", 1, 1, 100, { at: 0.4 }),
      f.srv("A", 1, 101, 0, { at: 0.41 }),
      f.srv("A", 1, 101, 0, { at: 0.42 }),
    ];
    const labels: AnalysisFlag[][] = [
      [],
      [],
      [],
      ["retransmission"],
      [],
      ["retransmission"],
      ["retransmission", "fast_retransmission"],
      ["retransmission", "spurious_retransmission"],
      [],
      ["duplicate_ack", "window_update"],
    ];
    const pas: PacketAnalysis[] = pkts.map((p, i) => ({
      frame: p.frame,
      time: p.tsSec - 1_700_000_000 + p.tsNsec / 1e9,
      stream: 0,
      src: "",
      dst: "",
      flags: "",
      seq: 0,
      ack: 0,
      len: p.tcp!.payloadLen,
      win: p.tcp!.window,
      analysis: labels[i],
      fromClient: p.ip!.src === "10.0.0.1",
    }));
    const [c] = run(pkts, pas);
    assert.deepEqual(c.dir.client.retransmissions, {
      total: 4,
      fast: 1,
      rto: 1,
      spurious: 1,
      syn: 1,
      synAck: 0,
    });
    assert.equal(c.dir.server.duplicateAcks, 1);
    assert.equal(c.dir.server.windowUpdates, 1);
    // The byte-level count stays independent of the labels: three repeats of [1, 101).
    assert.equal(c.dir.client.repeatedSegments, 3);
    assert.equal(c.handshake.synCount, 2);
  });
});

describe("Zeek history letters", () => {
  it("records t and w at the 1st and 10th occurrence only", () => {
    const f = new Flow();
    const pkts = [...f.handshake(0, 0.001), f.cli("A", 1, 1, 100, { at: 0.01 })];
    for (let i = 0; i < 12; i++) pkts.push(f.cli("A", 1, 1, 100, { at: 0.1 + i * 0.1 }));
    for (let i = 0; i < 10; i++) pkts.push(f.srv("A", 1, 101, 0, { at: 2 + i * 0.1, win: 0 }));
    const c = one(pkts);
    assert.equal(c.history, "ShADTTaww");
  });
});

describe("streaming and memory", () => {
  it("finalises closed connections while streaming and keeps live state bounded", () => {
    const finals: ConnectionSummary[] = [];
    const t = new ConnectionTracker({ onFinal: (c) => finals.push(c) });
    let maxLive = 0;
    for (let i = 0; i < 200; i++) {
      const f = new Flow(
        { ip: "10.0.0.1", port: 20000 + i, ttl: 64 },
        { ip: "10.0.0.2", port: 80, ttl: 64 },
        {},
        1_700_000_000 + i * 10,
      );
      for (const p of [
        ...f.handshake(0, 0.001),
        f.cli("FA", 1, 1, 0, { at: 0.01 }),
        f.srv("FA", 1, 2, 0, { at: 0.02 }),
        f.cli("A", 2, 2, 0, { at: 0.03 }),
      ]) {
        t.observe(p);
      }
      maxLive = Math.max(maxLive, t.liveCount);
    }
    // Closed connections linger 60 s of capture time: with one every 10 s, about 7 stay live.
    assert.ok(maxLive <= 8, `live connections peaked at ${maxLive}`);
    assert.ok(finals.length >= 190);
    const before = finals.length;
    const rest = t.finish();
    assert.equal(finals.length, 200);
    // finish() hands back exactly the connections it finalised itself (also given to onFinal).
    assert.equal(rest.length, 200 - before);
    assert.deepEqual(rest, finals.slice(before));
    const streams = finals.map((c) => c.stream).sort((a, b) => a - b);
    assert.deepEqual(
      streams,
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.ok(finals.every((c) => c.state === "SF"));
  });

  it("finalises idle connections after the idle timeout", () => {
    const finals: ConnectionSummary[] = [];
    const t = new ConnectionTracker({ idleTimeoutSec: 30, onFinal: (c) => finals.push(c) });
    const f = new Flow();
    for (const p of [...f.handshake(0, 0.001), f.cli("PA", 1, 1, 10, { at: 0.01 })]) t.observe(p);
    const g = new Flow({ ip: "10.0.0.3", port: 40000, ttl: 64 }, { ip: "10.0.0.2", port: 80, ttl: 64 });
    t.observe(g.cli("S", 0, 0, 0, { at: 40 }));
    assert.equal(finals.length, 1);
    assert.equal(finals[0].client, "10.0.0.1:40000");
    assert.equal(t.liveCount, 1);
  });

  it("starts a new connection for a new ISN on a closed 4-tuple", () => {
    const f = new Flow();
    const g = new Flow(undefined, undefined, { client: 90000, server: 70000 });
    const all = run([...f.handshake(0, 0.001), f.cli("RA", 1, 1, 0, { at: 0.01 }), ...g.handshake(1, 0.001)]);
    assert.equal(all.length, 2);
    assert.deepEqual(
      all.map((c) => [c.stream, c.state]),
      [
        [0, "RSTO"],
        [1, "S1"],
      ],
    );
  });
});
