// Loss counted from the bytes (each resent range once, minus resends the receiver already had) and
// the silences of a peer while the other side retransmits: hand-built sequences, capture at the
// client (the sender), 20 ms RTT.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import type { DecodedPacket } from "../../../src/core/types.js";
import { Flow, track } from "../../fixtures/rules/flow.js";

const SEG = 1000;

/** Handshake, then 100 bytes ACKed after one RTT (an RTT sample of 20 ms); data continues at 101. */
function prefix(f: Flow): DecodedPacket[] {
  return [
    ...f.handshake(0, 0.02),
    f.cli("PA", 1, 1, 100, { at: 0.03, options: { tsVal: 30 } }),
    f.srv("A", 1, 101, 0, { at: 0.05, options: { tsVal: 50, tsEcr: 30 } }),
  ];
}

/** Relative sequence of the client's n-th full segment after the prefix (0-based). */
const seg = (n: number) => 101 + n * SEG;

function one(pkts: DecodedPacket[]): ConnectionSummary {
  const all = track(pkts);
  assert.equal(all.length, 1);
  return all[0];
}

describe("lost segments after the capture point", () => {
  it("counts a range resent several times once", () => {
    const f = new Flow();
    const c = one([
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1, options: { tsVal: 100 } }),
      f.cli("A", seg(0), 1, SEG, { at: 0.3, options: { tsVal: 300 } }),
      f.cli("A", seg(0), 1, SEG, { at: 0.7, options: { tsVal: 700 } }),
      f.srv("A", 1, seg(1), 0, { at: 0.72, options: { tsVal: 720, tsEcr: 700 } }),
    ]);
    const d = c.dir.client;
    assert.equal(d.repeatedSegments, 2);
    assert.equal(d.lostAfterCapture, 1);
    assert.equal(d.unneededRetransmissions, 0);
  });

  it("leaves out a resend whose ACK echoes the original's timestamp (the original had arrived)", () => {
    const f = new Flow();
    const c = one([
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1, options: { tsVal: 100 } }),
      f.cli("A", seg(1), 1, SEG, { at: 0.1, options: { tsVal: 100 } }),
      // The ACKs are late (a delay spike): the timer fires and resends the first segment.
      f.cli("A", seg(0), 1, SEG, { at: 0.35, options: { tsVal: 350 } }),
      f.srv("A", 1, seg(2), 0, { at: 0.36, options: { tsVal: 360, tsEcr: 100 } }),
    ]);
    assert.equal(c.dir.client.repeatedSegments, 1);
    assert.equal(c.dir.client.lostAfterCapture, 0);
    assert.equal(c.dir.client.unneededRetransmissions, 1);
  });

  it("counts a resend as lost when the ACK echoes the resend itself", () => {
    const f = new Flow();
    const c = one([
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1, options: { tsVal: 100 } }),
      f.cli("A", seg(1), 1, SEG, { at: 0.1, options: { tsVal: 100 } }),
      f.srv("A", 1, seg(0), 0, {
        at: 0.12,
        options: { tsVal: 120, tsEcr: 30, sack: [[1000 + seg(1), 1000 + seg(2)]] },
      }),
      f.cli("A", seg(0), 1, SEG, { at: 0.35, options: { tsVal: 350 } }),
      f.srv("A", 1, seg(2), 0, { at: 0.37, options: { tsVal: 370, tsEcr: 350 } }),
    ]);
    assert.equal(c.dir.client.lostAfterCapture, 1);
    assert.equal(c.dir.client.unneededRetransmissions, 0);
  });

  it("leaves out a resend the receiver reports as a duplicate (D-SACK below the cumulative ACK)", () => {
    const f = new Flow();
    const c = one([
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1 }),
      f.cli("A", seg(1), 1, SEG, { at: 0.1 }),
      f.cli("A", seg(0), 1, SEG, { at: 0.35 }),
      // No timestamps; the ACK comes one RTT after the resend, so only the D-SACK tells.
      f.srv("A", 1, seg(2), 0, { at: 0.37 }),
      f.srv("A", 1, seg(2), 0, { at: 0.371, options: { sack: [[1000 + seg(0), 1000 + seg(1)]] } }),
    ]);
    assert.equal(c.dir.client.lostAfterCapture, 0);
    assert.equal(c.dir.client.unneededRetransmissions, 1);
  });

  it("leaves out a resend ACKed sooner than the resend could have been answered", () => {
    const f = new Flow();
    const c = one([
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1 }),
      f.cli("A", seg(0), 1, SEG, { at: 0.35 }),
      f.srv("A", 1, seg(1), 0, { at: 0.352 }),
    ]);
    assert.equal(c.dir.client.lostAfterCapture, 0);
    assert.equal(c.dir.client.unneededRetransmissions, 1);
  });

  it("does not count data resent after it was ACKed", () => {
    const f = new Flow();
    const c = one([
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1 }),
      f.srv("A", 1, seg(1), 0, { at: 0.12 }),
      f.cli("A", seg(0), 1, SEG, { at: 0.3 }),
    ]);
    assert.equal(c.dir.client.repeatedSegments, 1);
    assert.equal(c.dir.client.lostAfterCapture, 0);
    assert.equal(c.dir.client.unneededRetransmissions, 1);
  });

  it("after a timeout resends the whole flight, counts only the segment the receiver lacked", () => {
    const f = new Flow();
    const flight = [0, 1, 2, 3].map((n) => f.cli("A", seg(n), 1, SEG, { at: 0.1, options: { tsVal: 100 } }));
    // The first segment is lost and the receiver's SACKs for the others too; the timer resends all four.
    const resend = [0, 1, 2, 3].map((n) => f.cli("A", seg(n), 1, SEG, { at: 0.35, options: { tsVal: 350 } }));
    const dsack = (n: number) => [[1000 + seg(n), 1000 + seg(n + 1)]] as [number, number][];
    const c = one([
      ...prefix(f),
      ...flight,
      ...resend,
      f.srv("A", 1, seg(4), 0, { at: 0.37, options: { tsVal: 370, tsEcr: 350 } }),
      f.srv("A", 1, seg(4), 0, { at: 0.371, options: { tsVal: 371, tsEcr: 350, sack: dsack(1) } }),
      f.srv("A", 1, seg(4), 0, { at: 0.372, options: { tsVal: 372, tsEcr: 350, sack: dsack(2) } }),
      f.srv("A", 1, seg(4), 0, { at: 0.373, options: { tsVal: 373, tsEcr: 350, sack: dsack(3) } }),
    ]);
    const d = c.dir.client;
    assert.equal(d.repeatedSegments, 4);
    assert.equal(d.lostAfterCapture, 1);
    assert.equal(d.unneededRetransmissions, 3);
  });
});

describe("silences of the peer while this side retransmits", () => {
  /** One segment sent at 0.1 and resent on a doubling timer; the server last spoke at 0.05. */
  function stuck(f: Flow, resends: number[]): DecodedPacket[] {
    return [
      ...prefix(f),
      f.cli("A", seg(0), 1, SEG, { at: 0.1, options: { tsVal: 100 } }),
      ...resends.map((t) => f.cli("A", seg(0), 1, SEG, { at: t, options: { tsVal: Math.round(t * 1000) } })),
    ];
  }

  it("reports resends that got no packet back until the end as a silent tail", () => {
    const f = new Flow();
    const c = one(stuck(f, [0.3, 0.7, 1.5, 3.1]));
    const tail = c.dir.client.silentTail;
    assert.ok(tail);
    assert.equal(tail.answered, false);
    assert.equal(tail.start, 0.05);
    assert.ok(Math.abs(tail.end - 3.1) < 1e-9);
    assert.deepEqual(
      tail.headRetransmissionTimes.map((x) => Math.round(x * 1000)),
      [300, 700, 1500, 3100],
    );
    assert.equal(tail.retransmissions, 4);
    assert.equal(tail.lostSegments, 1);
    assert.deepEqual(c.dir.client.peerSilence, tail);
    assert.equal(c.dir.server.silentTail, undefined);
  });

  it("ends the silence at the peer's first packet: an outage that recovered is no silent tail", () => {
    const f = new Flow();
    const c = one([
      ...stuck(f, [0.3, 0.7, 1.5]),
      f.srv("A", 1, seg(1), 0, { at: 1.52, options: { tsVal: 1520, tsEcr: 1500 } }),
      f.cli("A", seg(1), 1, SEG, { at: 1.53, options: { tsVal: 1530 } }),
      f.srv("A", 1, seg(2), 0, { at: 1.55, options: { tsVal: 1550, tsEcr: 1530 } }),
    ]);
    assert.equal(c.dir.client.silentTail, undefined);
    const s = c.dir.client.peerSilence;
    assert.ok(s);
    assert.equal(s.answered, true);
    assert.equal(s.start, 0.05);
    assert.ok(Math.abs(s.end - 1.52) < 1e-9);
    assert.equal(s.headRetransmissionTimes.length, 3);
    assert.equal(s.lostSegments, 1);
  });

  it("any packet from the peer breaks the silence, even one that acknowledges nothing new", () => {
    const f = new Flow();
    const c = one([
      ...stuck(f, [0.3, 0.7]),
      f.srv("A", 1, seg(0), 0, { at: 0.8, win: 2000 }),
      f.cli("A", seg(0), 1, SEG, { at: 1.5, options: { tsVal: 1500 } }),
    ]);
    const tail = c.dir.client.silentTail;
    assert.ok(tail);
    assert.equal(tail.start, 0.8);
    assert.equal(tail.headRetransmissionTimes.length, 1);
    assert.equal(c.dir.client.peerSilence?.answered, true);
  });

  it("counts the lost segments of the flight outstanding during an outage", () => {
    const f = new Flow();
    const flight = [0, 1, 2].map((n) => f.cli("A", seg(n), 1, SEG, { at: 0.1, options: { tsVal: 100 } }));
    const c = one([
      ...prefix(f),
      ...flight,
      f.cli("A", seg(0), 1, SEG, { at: 0.3, options: { tsVal: 300 } }),
      f.cli("A", seg(0), 1, SEG, { at: 0.7, options: { tsVal: 700 } }),
      f.srv("A", 1, seg(1), 0, { at: 0.72, options: { tsVal: 720, tsEcr: 700 } }),
      // After the recovery the rest of the flight, lost in the outage too, is resent.
      f.cli("A", seg(1), 1, SEG, { at: 0.73, options: { tsVal: 730 } }),
      f.cli("A", seg(2), 1, SEG, { at: 0.73, options: { tsVal: 730 } }),
      f.srv("A", 1, seg(3), 0, { at: 0.75, options: { tsVal: 750, tsEcr: 730 } }),
    ]);
    const s = c.dir.client.peerSilence;
    assert.ok(s?.answered);
    assert.equal(s.lostSegments, 3);
    assert.equal(c.dir.client.lostAfterCapture, 3);
  });
});
