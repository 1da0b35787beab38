// TcpAnalyzer rule by rule on hand-built packet sequences. The expected values are what tshark
// 4.0 reports for the same sequences (the crafted captures in test/fixtures/tcp hold the same
// cases as real files, checked against tshark's own output in analyzer-fixtures.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TcpAnalyzer, type TcpAnalyzerOptions } from "../../../src/core/tcp/analyzer.js";
import type { PacketAnalysis } from "../../../src/core/tcp/types.js";
import type { DecodedPacket, TcpOptions } from "../../../src/core/types.js";

const CLIENT = "10.0.0.1";
const SERVER = "10.0.0.2";

interface Spec {
  /** Seconds since the start. */
  t: number;
  /** "c": client -> server, "s": server -> client. */
  from: "c" | "s";
  /** Flag letters F S R P A. */
  flags: string;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  opts?: TcpOptions;
  cport?: number;
}

const BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

function packet(frame: number, s: Spec): DecodedPacket {
  const ns = Math.round(s.t * 1e9);
  const cport = s.cport ?? 40000;
  const fromClient = s.from === "c";
  let flags = 0;
  for (const ch of s.flags) flags |= BITS[ch];
  return {
    frame,
    tsSec: 1_700_000_000 + Math.floor(ns / 1e9),
    tsNsec: ns % 1e9,
    linkType: 101,
    capLen: 80,
    origLen: 80,
    ip: {
      version: 4,
      src: fromClient ? CLIENT : SERVER,
      dst: fromClient ? SERVER : CLIENT,
      ttl: 64,
      protocol: 6,
      headerLen: 20,
      totalLen: 40 + (s.len ?? 0),
    },
    tcp: {
      srcPort: fromClient ? cport : 80,
      dstPort: fromClient ? 80 : cport,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      headerLen: 20,
      flags,
      window: s.win ?? 500,
      urgent: 0,
      payloadLen: s.len ?? 0,
      capturedPayloadLen: 0,
      payloadOffset: 40,
      options: s.opts ?? {},
    },
  };
}

/** Runs the specs (frames numbered from 1) and returns one row per packet. */
function run(specs: Spec[], opts?: TcpAnalyzerOptions): PacketAnalysis[] {
  const a = new TcpAnalyzer(opts);
  const rows = specs.map((s, i) => a.push(packet(i + 1, s)));
  a.finish();
  return rows.map((r, i) => {
    assert.ok(r, `frame ${i + 1} analysed`);
    return r;
  });
}

/** Client ISN 1000, server ISN 5000, iRTT 2 ms; both sides scale windows by 2^2. */
const HANDSHAKE: Spec[] = [
  { t: 0, from: "c", flags: "S", seq: 1000, win: 64240, opts: { wscale: 2, mss: 1460 } },
  { t: 0.001, from: "s", flags: "SA", seq: 5000, ack: 1001, win: 65000, opts: { wscale: 2, mss: 1460 } },
  { t: 0.002, from: "c", flags: "A", seq: 1001, ack: 5001, win: 500 },
];

const flagsOf = (r: PacketAnalysis) => [...r.analysis].sort();

describe("TcpAnalyzer numbering", () => {
  it("numbers seq/ack from the ISNs and scales windows after the SYNs", () => {
    const r = run([
      ...HANDSHAKE,
      { t: 0.01, from: "c", flags: "PA", seq: 1001, ack: 5001, len: 100, win: 500 },
    ]);
    assert.deepEqual(
      r.map((x) => [x.flags, x.seq, x.ack, x.len, x.win]),
      [
        ["S", 0, 0, 0, 64240],
        ["SA", 0, 1, 0, 65000],
        ["A", 1, 1, 0, 2000],
        ["PA", 1, 1, 100, 2000],
      ],
    );
    assert.deepEqual(
      r.map((x) => x.stream),
      [0, 0, 0, 0],
    );
    assert.equal(r[0].src, "10.0.0.1:40000");
    assert.equal(r[1].src, "10.0.0.2:80");
    assert.deepEqual(
      r.map((x) => x.fromClient),
      [true, false, true, true],
    );
    assert.equal(r[1].ackRtt, 0.001);
    assert.equal(r[2].ackRtt, 0.001);
    assert.equal(r[1].iRtt, undefined, "iRTT is known from the final handshake ACK on");
    assert.equal(r[2].iRtt, 0.002);
    assert.equal(r[3].iRtt, 0.002);
  });

  it("without a handshake starts each side at 1, taking the other side's base from the first ACK", () => {
    const r = run([
      { t: 0, from: "c", flags: "A", seq: 1001, ack: 5001 },
      { t: 0.1, from: "s", flags: "A", seq: 7000, ack: 1001 },
    ]);
    assert.deepEqual(
      r.map((x) => [x.seq, x.ack]),
      [
        [1, 1],
        [2000, 1],
      ],
    );
  });

  it("shows the raw acknowledgment field when the ACK bit is clear", () => {
    const r = run([{ t: 0, from: "c", flags: "S", seq: 1000, ack: 123456 }]);
    assert.equal(r[0].ack, 123456);
  });

  it("scales a side's window by its own SYN option unless a SYN turned scaling off", () => {
    const synOnly = run([
      { t: 0, from: "c", flags: "S", seq: 1000, opts: { wscale: 7 } },
      { t: 0.1, from: "c", flags: "A", seq: 1001, ack: 5001, win: 500 },
      { t: 0.3, from: "s", flags: "A", seq: 7000, ack: 1101, win: 300 },
    ]);
    assert.deepEqual(
      synOnly.map((x) => x.win),
      [500, 64000, 300],
      "the SYN's own option scales the client; the server's windows stay raw",
    );
    const synAckWithout = run([
      { t: 0, from: "c", flags: "S", seq: 1000, opts: { wscale: 7 } },
      { t: 0.01, from: "s", flags: "SA", seq: 5000, ack: 1001, win: 65000 },
      { t: 0.02, from: "c", flags: "A", seq: 1001, ack: 5001, win: 500 },
    ]);
    assert.equal(synAckWithout[2].win, 500);
    const synWithout = run([
      { t: 0, from: "c", flags: "S", seq: 1000 },
      { t: 0.01, from: "s", flags: "SA", seq: 5000, ack: 1001, win: 65000, opts: { wscale: 3 } },
      { t: 0.03, from: "s", flags: "A", seq: 5001, ack: 1001, win: 300 },
    ]);
    assert.equal(synWithout[2].win, 300);
    const synAckOnly = run([
      { t: 0.01, from: "s", flags: "SA", seq: 5000, ack: 1001, win: 65000, opts: { wscale: 3 } },
      { t: 0.02, from: "c", flags: "A", seq: 1001, ack: 5001, win: 500 },
      { t: 0.03, from: "s", flags: "A", seq: 5001, ack: 1001, win: 300 },
    ]);
    assert.deepEqual(
      synAckOnly.map((x) => x.win),
      [65000, 500, 2400],
    );
  });

  it("keeps a repeated SYN in its stream and starts a new stream for a SYN with another ISN", () => {
    const r = run([
      ...HANDSHAKE,
      { t: 0.03, from: "c", flags: "FA", seq: 1001, ack: 5001 },
      { t: 0.04, from: "s", flags: "FA", seq: 5001, ack: 1002 },
      { t: 0.05, from: "c", flags: "A", seq: 1002, ack: 5002 },
      { t: 1, from: "c", flags: "S", seq: 1000 },
      { t: 1.1, from: "c", flags: "S", seq: 2000 },
      { t: 1.11, from: "s", flags: "SA", seq: 9000, ack: 2001 },
      { t: 2, from: "s", flags: "S", seq: 3000 },
    ]);
    assert.deepEqual(
      r.map((x) => x.stream),
      [0, 0, 0, 0, 0, 0, 0, 1, 1, 2],
    );
    assert.deepEqual(flagsOf(r[6]), ["retransmission"]);
    assert.deepEqual(flagsOf(r[7]), ["reused_ports"]);
    assert.deepEqual(flagsOf(r[9]), ["reused_ports"]);
    assert.equal(r[9].src, "10.0.0.2:80", "the new stream's first side is the SYN sender");
  });

  it("gives each stream its own handshake RTT, also a stream on reused ports and one revived after idling", () => {
    const r = run(
      [
        ...HANDSHAKE,
        { t: 0.03, from: "c", flags: "PA", seq: 1001, ack: 5001, len: 10 },
        { t: 0.05, from: "c", flags: "FA", seq: 1011, ack: 5001 },
        { t: 0.06, from: "s", flags: "FA", seq: 5001, ack: 1012 },
        { t: 0.07, from: "c", flags: "A", seq: 1012, ack: 5002 },
        // Same ports, another ISN: stream 1, whose handshake takes 50 ms.
        { t: 1, from: "c", flags: "S", seq: 2000 },
        { t: 1.03, from: "s", flags: "SA", seq: 9000, ack: 2001 },
        { t: 1.05, from: "c", flags: "A", seq: 2001, ack: 9001 },
        // Idle past the timeout (retired), then back: still stream 1 and its RTT.
        { t: 10, from: "c", flags: "PA", seq: 2001, ack: 9001, len: 5 },
      ],
      { idleTimeoutSec: 2 },
    );
    assert.deepEqual(
      r.map((x) => x.stream),
      [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    );
    assert.deepEqual(
      r.map((x) => x.iRtt),
      [undefined, undefined, 0.002, 0.002, 0.002, 0.002, 0.002, undefined, undefined, 0.05, 0.05],
    );
  });

  it("flags a SYN-ACK with another ISN as reused ports and renumbers from it, in the same stream", () => {
    const r = run([
      ...HANDSHAKE,
      { t: 1, from: "s", flags: "SA", seq: 9000, ack: 2001 },
      { t: 1.01, from: "c", flags: "A", seq: 2001, ack: 9001 },
    ]);
    assert.equal(r[3].stream, 0);
    assert.equal(r[3].seq, 0);
    assert.ok(r[3].analysis.includes("reused_ports"));
    assert.equal(r[4].ack, 1);
  });

  it("measures time from the first packet of any kind and numbers ICMP errors with their connection", () => {
    const a = new TcpAnalyzer();
    const first: DecodedPacket = {
      frame: 1,
      tsSec: 1_699_999_999,
      tsNsec: 500_000_000,
      linkType: 1,
      capLen: 42,
      origLen: 42,
    };
    assert.equal(a.push(first), undefined);
    const syn = a.push(packet(2, HANDSHAKE[0]));
    assert.equal(syn?.time, 0.5);
    const icmp: DecodedPacket = {
      frame: 3,
      tsSec: 1_700_000_000,
      tsNsec: 1_000_000,
      linkType: 101,
      capLen: 76,
      origLen: 76,
      ip: { version: 4, src: "10.0.0.254", dst: CLIENT, ttl: 64, protocol: 1, headerLen: 20, totalLen: 76 },
      icmp: {
        version: 4,
        type: 3,
        code: 4,
        kind: "frag-needed",
        mtu: 1400,
        inner: {
          src: CLIENT,
          dst: SERVER,
          protocol: 6,
          srcPort: 40000,
          dstPort: 80,
          seq: 1001,
          ack: 5001,
          flags: 16,
          window: 500,
        },
      },
    };
    const q = a.push(icmp);
    assert.ok(q);
    assert.deepEqual(
      [q.stream, q.seq, q.ack, q.flags, q.win, q.analysis.length],
      [0, 1001, 5001, "A", 500, 0],
    );
    const other = a.push({
      ...icmp,
      frame: 4,
      icmp: { ...icmp.icmp!, inner: { ...icmp.icmp!.inner!, srcPort: 40001 } },
    });
    assert.equal(other?.stream, 1, "an ICMP error about an unknown connection opens a stream");
  });
});

describe("TcpAnalyzer flags", () => {
  const data = (t: number, seq: number, len = 100, extra: Partial<Spec> = {}): Spec => ({
    t,
    from: "c",
    flags: "A",
    seq,
    ack: 5001,
    len,
    ...extra,
  });
  const ackFromServer = (t: number, ack: number, extra: Partial<Spec> = {}): Spec => ({
    t,
    from: "s",
    flags: "A",
    seq: 5001,
    ack,
    ...extra,
  });

  it("retransmission, out-of-order (within the handshake RTT) and spurious retransmission", () => {
    const r = run([
      ...HANDSHAKE,
      data(0.01, 1001),
      data(0.011, 1101),
      data(0.0115, 1001), // 0.5 ms after the highest segment, < iRTT: overtaken
      data(0.5, 1001), // long after: resent
      ackFromServer(0.6, 1201),
      data(0.7, 1101), // everything acknowledged already
      data(0.8, 1201),
      data(0.8, 1201), // the highest segment again at once: a retransmission, not out-of-order
    ]);
    assert.deepEqual(flagsOf(r[5]), ["out_of_order"]);
    assert.deepEqual(flagsOf(r[6]), ["retransmission"]);
    assert.deepEqual(flagsOf(r[8]), ["spurious_retransmission"]);
    assert.deepEqual(flagsOf(r[10]), ["retransmission"]);
  });

  it("out-of-order window is 3 ms when the handshake RTT is unknown", () => {
    const r = run([
      data(0, 1001),
      data(0.001, 1101),
      data(0.0025, 1001),
      data(0.002501, 1201),
      data(0.0065, 1101),
    ]);
    assert.deepEqual(flagsOf(r[2]), ["out_of_order"]);
    assert.deepEqual(flagsOf(r[4]), ["retransmission"]);
  });

  it("fast retransmission after two duplicate ACKs within 20 ms", () => {
    const base = [...HANDSHAKE, data(0.01, 1001), data(0.011, 1101), data(0.012, 1201)];
    const dups = [ackFromServer(0.05, 1101), ackFromServer(0.051, 1101), ackFromServer(0.052, 1101)];
    const fast = run([...base, ...dups, data(0.06, 1101)]);
    assert.deepEqual(
      fast.slice(6, 9).map((x) => [flagsOf(x), x.dupAckNum]),
      [
        [[], undefined],
        [["duplicate_ack"], 1],
        [["duplicate_ack"], 2],
      ],
    );
    assert.deepEqual(flagsOf(fast[9]), ["fast_retransmission"]);
    const late = run([...base, ...dups, data(0.073, 1101)]);
    assert.deepEqual(flagsOf(late[9]), ["retransmission"], "21 ms after the last ACK");
    const one = run([...base, ...dups.slice(0, 2), data(0.055, 1101)]);
    assert.deepEqual(flagsOf(one[8]), ["retransmission"], "one duplicate ACK is not enough");
  });

  it("counts duplicate ACKs until the acknowledgment number changes", () => {
    const r = run([
      ...HANDSHAKE,
      data(0.01, 1001),
      ackFromServer(0.02, 1101),
      ackFromServer(0.021, 1101),
      ackFromServer(0.022, 1101, { win: 501 }), // window update: not a duplicate, count kept
      ackFromServer(0.023, 1101, { win: 501 }),
      ackFromServer(0.024, 1101, { win: 501, len: 10, flags: "PA" }), // data: count kept
      { t: 0.025, from: "s", flags: "A", seq: 5011, ack: 1101, win: 501 },
      { t: 0.026, from: "s", flags: "A", seq: 5011, ack: 1101, win: 501, len: 0 },
      data(0.027, 1101, 10),
      { t: 0.03, from: "s", flags: "A", seq: 5011, ack: 1111, win: 501 },
      { t: 0.031, from: "s", flags: "A", seq: 5011, ack: 1111, win: 501 },
    ]);
    assert.deepEqual(
      r.slice(4).map((x) => x.dupAckNum ?? (x.analysis.includes("window_update") ? "update" : "-")),
      ["-", 1, "update", 2, "-", 3, 4, "-", "-", 1],
    );
  });

  it("previous segment not captured, and ACKs of segments not captured", () => {
    const r = run([
      ...HANDSHAKE,
      data(0.01, 1001),
      ackFromServer(0.011, 1301), // beyond everything sent: reported once
      ackFromServer(0.012, 1401),
      data(0.013, 1401), // a gap 1101..1401
      ackFromServer(0.014, 1501), // covers the gap: reported
      ackFromServer(0.015, 1601), // beyond everything again: not while the client's ack is unchanged
    ]);
    assert.deepEqual(flagsOf(r[4]), ["ack_lost_segment"]);
    assert.deepEqual(flagsOf(r[5]), []);
    assert.deepEqual(flagsOf(r[6]), ["lost_segment"]);
    assert.deepEqual(flagsOf(r[7]), ["ack_lost_segment"]);
    assert.deepEqual(flagsOf(r[8]), []);
  });

  it("zero window, zero-window probe and its ACK; no zero window on a RST", () => {
    const r = run([
      ...HANDSHAKE,
      data(0.01, 1001),
      ackFromServer(0.02, 1101, { win: 0 }),
      data(0.5, 1101, 1),
      ackFromServer(0.51, 1101, { win: 0 }),
      { t: 0.6, from: "s", flags: "RA", seq: 5001, ack: 1101, win: 0 },
    ]);
    assert.deepEqual(flagsOf(r[4]), ["zero_window"]);
    assert.deepEqual(flagsOf(r[5]), ["zero_window_probe"]);
    assert.deepEqual(flagsOf(r[6]), ["zero_window", "zero_window_probe_ack"]);
    assert.deepEqual(flagsOf(r[7]), []);
  });

  it("window full and window update", () => {
    const r = run([
      ...HANDSHAKE,
      ackFromServer(0.005, 1001, { win: 100 }), // 100 << 2 = 400 bytes open
      data(0.01, 1001, 400),
      ackFromServer(0.02, 1401, { win: 100 }),
      ackFromServer(0.021, 1401, { win: 200 }),
    ]);
    assert.deepEqual(flagsOf(r[3]), ["window_update"]);
    assert.deepEqual(flagsOf(r[4]), ["window_full"]);
    assert.deepEqual(flagsOf(r[6]), ["window_update"]);
  });

  it("keep-alive and its ACK; data starting one byte early is not a retransmission", () => {
    const r = run([
      ...HANDSHAKE,
      data(0.01, 1001),
      ackFromServer(0.02, 1101),
      data(5, 1100, 0),
      ackFromServer(5.01, 1101),
      data(10, 1100, 1),
      data(15, 1100, 536),
    ]);
    assert.deepEqual(flagsOf(r[5]), ["keep_alive"]);
    assert.deepEqual(flagsOf(r[6]), ["keep_alive_ack"]);
    assert.deepEqual(flagsOf(r[7]), ["keep_alive"]);
    assert.deepEqual(flagsOf(r[8]), []);
  });

  it("a repeated SYN rewinds the next expected sequence number past a gap", () => {
    const r = run([
      ...HANDSHAKE,
      data(0.01, 1001),
      data(0.011, 1301, 10),
      { t: 0.5, from: "c", flags: "S", seq: 1000 },
      data(0.6, 1100, 0),
    ]);
    assert.deepEqual(flagsOf(r[4]), ["lost_segment"]);
    assert.deepEqual(flagsOf(r[5]), ["retransmission"]);
    assert.deepEqual(flagsOf(r[6]), ["keep_alive"], "next expected is 1101 again");
  });
});

describe("TcpAnalyzer ack_rtt", () => {
  it("times an ACK from the earliest segment ending at the acknowledged number", () => {
    const r = run([
      ...HANDSHAKE,
      { t: 0.01, from: "c", flags: "A", seq: 1001, ack: 5001, len: 100 },
      { t: 0.02, from: "c", flags: "A", seq: 1101, ack: 5001, len: 100 },
      { t: 0.025, from: "s", flags: "A", seq: 5001, ack: 1051 }, // inside a segment: no RTT
      { t: 0.5, from: "c", flags: "A", seq: 1101, ack: 5001, len: 100 }, // retransmission
      { t: 0.6, from: "s", flags: "A", seq: 5001, ack: 1201 },
    ]);
    assert.equal(r[5].ackRtt, undefined);
    assert.ok(Math.abs(r[7].ackRtt! - 0.58) < 1e-9, `timed from the original (${r[7].ackRtt})`);
  });

  it("matches the acknowledgment field of a bare RST", () => {
    const r = run([
      ...HANDSHAKE,
      { t: 0.01, from: "s", flags: "PA", seq: 5001, ack: 1001, len: 10 },
      { t: 0.5, from: "c", flags: "R", seq: 1001, ack: 5011 },
    ]);
    assert.ok(Math.abs(r[4].ackRtt! - 0.49) < 1e-9);
  });
});

describe("TcpAnalyzer state", () => {
  it("retires connections over the cap and revives them with the same stream and numbering", () => {
    const a = new TcpAnalyzer({ maxLiveStreams: 16 });
    let frame = 0;
    const rows: PacketAnalysis[] = [];
    for (let c = 0; c < 100; c++) {
      rows.push(
        a.push(packet(++frame, { t: c * 0.001, from: "c", flags: "S", seq: 1000 + c, cport: 20000 + c }))!,
      );
      assert.ok(a.activeStreams <= 16);
    }
    const late = a.push(
      packet(++frame, { t: 1, from: "c", flags: "A", seq: 1001, ack: 7001, cport: 20000 }),
    )!;
    assert.equal(late.stream, 0);
    assert.equal(late.seq, 1, "relative to the SYN seen before retirement");
    const again = a.push(packet(++frame, { t: 1.1, from: "c", flags: "S", seq: 1000, cport: 20000 }))!;
    assert.equal(again.stream, 0, "same ISN: the same connection");
    const reused = a.push(packet(++frame, { t: 1.2, from: "c", flags: "S", seq: 99, cport: 20001 }))!;
    assert.equal(reused.stream, 100, "another ISN after retirement: a new stream");
    assert.ok(reused.analysis.includes("reused_ports"));
    assert.deepEqual(
      rows.map((r) => r.stream),
      rows.map((_, i) => i),
    );
    a.finish();
    assert.equal(a.activeStreams, 0);
    assert.equal(a.streams, 101);
  });

  it("retires idle connections and closed ones after the linger time", () => {
    const a = new TcpAnalyzer({ idleTimeoutSec: 30, closedLingerSec: 5 });
    let frame = 0;
    const push = (s: Spec) => a.push(packet(++frame, s))!;
    for (const s of HANDSHAKE) push(s);
    for (const s of HANDSHAKE) push({ ...s, cport: 40001 });
    push({ t: 0.1, from: "c", flags: "R", seq: 1001, cport: 40001 });
    assert.equal(a.activeStreams, 2);
    push({ t: 10, from: "c", flags: "A", seq: 1001, ack: 5001 });
    assert.equal(a.activeStreams, 1, "the reset connection is gone after 5 s");
    push({ t: 50, from: "c", flags: "A", seq: 1001, ack: 5001, cport: 40002 });
    assert.equal(a.activeStreams, 1, "the idle one is gone after 30 s");
    const back = push({ t: 51, from: "c", flags: "A", seq: 1001, ack: 5001 });
    assert.deepEqual([back.stream, back.seq, back.ack], [0, 1, 1]);
  });

  it("caps the segments remembered for ack_rtt", () => {
    const specs: Spec[] = [...HANDSHAKE];
    for (let i = 0; i < 50; i++)
      specs.push({ t: 0.01 + i * 1e-4, from: "c", flags: "A", seq: 1001 + i * 10, ack: 5001, len: 10 });
    specs.push({ t: 0.1, from: "s", flags: "A", seq: 5001, ack: 1011 });
    specs.push({ t: 0.1, from: "s", flags: "A", seq: 5001, ack: 1501 });
    const r = run(specs, { maxTrackedSegments: 10 });
    assert.ok(r[53].ackRtt !== undefined, "the first segment was remembered");
    assert.equal(r[54].ackRtt, undefined, "the 50th was not");
  });
});
