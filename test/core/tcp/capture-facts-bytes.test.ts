// Duplicate frames compared byte for byte: same headers and same captured bytes within the window,
// found without hashing every byte of every packet.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CaptureFactsBuilder, RecentPackets } from "../../../src/core/tcp/capture-facts.js";
import type { DecodedPacket, PacketRecord } from "../../../src/core/types.js";

let frame = 0;

/** An IPv4 TCP packet at `atUs` microseconds with its record (Ethernet + IPv4 + TCP + payload). */
function packet(
  atUs: number,
  payload: number[],
  o: { seq?: number; id?: number; flags?: number } = {},
): {
  pkt: DecodedPacket;
  rec: PacketRecord;
} {
  const data = new Uint8Array(54 + payload.length);
  // Header bytes only need to differ where the decoded fields differ; the payload is what counts.
  data[14] = 0x45;
  data[18] = (o.id ?? 1) >> 8;
  data[19] = (o.id ?? 1) & 255;
  data.set(payload, 54);
  const n = ++frame;
  const rec: PacketRecord = {
    frame: n,
    tsSec: 1_700_000_000,
    tsNsec: atUs * 1000,
    interfaceId: 0,
    linkType: 1,
    capLen: data.length,
    origLen: data.length,
    bytes: data,
    start: 0,
  };
  const pkt: DecodedPacket = {
    frame: n,
    tsSec: rec.tsSec,
    tsNsec: rec.tsNsec,
    linkType: 1,
    capLen: data.length,
    origLen: data.length,
    ip: {
      version: 4,
      src: "10.0.0.1",
      dst: "10.0.0.2",
      ttl: 64,
      protocol: 6,
      headerLen: 20,
      totalLen: 40 + payload.length,
      id: o.id ?? 1,
    },
    tcp: {
      srcPort: 40000,
      dstPort: 80,
      seq: o.seq ?? 1000,
      ack: 5000,
      headerLen: 20,
      flags: o.flags ?? 0x18,
      window: 500,
      urgent: 0,
      payloadLen: payload.length,
      capturedPayloadLen: payload.length,
      payloadOffset: 54,
      options: { tsVal: 7, tsEcr: 3 },
    },
  };
  return { pkt, rec };
}

function duplicates(pkts: { pkt: DecodedPacket; rec?: PacketRecord }[], opts = {}): boolean[] {
  const b = new CaptureFactsBuilder(opts);
  return pkts.map(({ pkt, rec }) => b.packet(pkt, rec));
}

describe("duplicate frames", () => {
  it("takes a mirrored copy for a duplicate", () => {
    const a = packet(0, [1, 2, 3, 4]);
    const b = packet(10, [1, 2, 3, 4]);
    assert.deepEqual(duplicates([a, b]), [false, true]);
  });

  it("compares the captured bytes when the headers match", () => {
    const a = packet(0, [1, 2, 3, 4]);
    const b = packet(10, [1, 2, 3, 5]);
    const c = packet(20, [1, 2, 3, 4]);
    // b differs in its last payload byte; c is a copy of a (found past b in the same bucket).
    assert.deepEqual(duplicates([a, b, c]), [false, false, true]);
  });

  it("does not take packets with other headers, or outside the window, for duplicates", () => {
    const a = packet(0, [9, 9]);
    const otherId = packet(5, [9, 9], { id: 2 });
    const otherSeq = packet(6, [9, 9], { seq: 1001 });
    const late = packet(500, [9, 9]);
    assert.deepEqual(duplicates([a, otherId, otherSeq, late]), [false, false, false, false]);
    assert.deepEqual(duplicates([packet(0, [9, 9]), packet(500, [9, 9])], { duplicateWindowSec: 0.001 }), [
      false,
      true,
    ]);
  });

  it("compares headers alone when there are no captured bytes (tcpdump text)", () => {
    const a = packet(0, [1]);
    const b = packet(1, [2]);
    assert.deepEqual(
      duplicates([
        { pkt: a.pkt, rec: undefined },
        { pkt: b.pkt, rec: undefined },
      ]),
      [false, true],
    );
  });

  it("keeps nothing of the packet objects: the caller may refill them for the next packet", () => {
    // With bytes (a binary capture) and without (tcpdump text): the packet pushed first is then
    // overwritten with other headers, as a reusing decoder would; its copy is still found.
    for (const withBytes of [true, false]) {
      const a = packet(0, [1, 2, 3, 4]);
      const copy = packet(10, [1, 2, 3, 4]);
      const facts = new CaptureFactsBuilder();
      assert.equal(facts.packet(a.pkt, withBytes ? a.rec : undefined), false);
      Object.assign(a.pkt.tcp!, { seq: 1, ack: 2, options: {} });
      Object.assign(a.pkt.ip!, { id: 99, src: "10.9.9.9" });
      assert.equal(facts.packet(copy.pkt, withBytes ? copy.rec : undefined), true, `bytes: ${withBytes}`);
    }
  });

  it("takes equal bytes for a copy only with the same original length", () => {
    const a = packet(0, [1, 2, 3, 4]);
    const b = packet(10, [1, 2, 3, 4]);
    const facts = new CaptureFactsBuilder();
    facts.packet(a.pkt, a.rec);
    const longer = { ...b.pkt, origLen: b.pkt.origLen + 4 };
    assert.equal(facts.packet(longer, { ...b.rec, origLen: longer.origLen }), false);
  });

  it("keeps finding copies when the window holds thousands of packets", () => {
    // 5000 distinct packets within 50 µs (the ring grows), then a copy of each.
    const first = Array.from({ length: 5000 }, (_, i) =>
      packet(i / 100, [i & 255, i >> 8], { seq: 1000 + i * 2 }),
    );
    const again = first.map(({ pkt, rec }) => ({ pkt: { ...pkt, frame: pkt.frame + 10000 }, rec }));
    const result = duplicates([...first, ...again]);
    assert.equal(result.slice(0, 5000).filter(Boolean).length, 0);
    assert.equal(result.slice(5000).filter(Boolean).length, 5000);
  });

  it("copies the bytes it keeps when the records' buffer is about to be reused", () => {
    // b arrives in the very buffer a was read into (a reader reusing its buffers): a must be
    // compared by its own bytes, not by whatever now sits where they were.
    const a = packet(0, [1, 2, 3, 4]);
    const b = packet(10, [1, 2, 3, 5]);
    const shared = a.rec.bytes;
    const facts = new CaptureFactsBuilder();
    assert.equal(facts.packet(a.pkt, a.rec), false);
    facts.detachRecords();
    shared.set(b.rec.bytes);
    assert.equal(facts.packet(b.pkt, { ...b.rec, bytes: shared }), false, "b is not a copy of a");
    const c = packet(20, [1, 2, 3, 4]);
    assert.equal(facts.packet(c.pkt, c.rec), true, "c is");
  });

  it("holds a bounded number of packets when the timestamps stand still", () => {
    // 10,000 packets at one instant: the oldest beyond 8192 are let go of.
    const all = Array.from({ length: 10_000 }, (_, i) => packet(0, [i & 255], { seq: 1000 + i }));
    const facts = new CaptureFactsBuilder();
    for (const { pkt, rec } of all) facts.packet(pkt, rec);
    const copy = (i: number) => ({ pkt: { ...all[i].pkt, frame: 99_999 }, rec: all[i].rec });
    assert.equal(facts.packet(copy(9_999).pkt, copy(9_999).rec), true, "a recent copy is found");
    assert.equal(facts.packet(copy(0).pkt, copy(0).rec), false, "the first packet was let go of");
  });

  it("counts them in the capture facts", () => {
    const b = new CaptureFactsBuilder();
    const a = packet(0, [1, 2]);
    b.packet(a.pkt, a.rec);
    b.packet(a.pkt, a.rec);
    assert.equal(b.result().duplicates, 1);
    assert.equal(b.result().packets, 2);
  });
});

describe("the ring of recent packets", () => {
  /** Times of the live entries of a bucket, newest first, found as duplicate detection finds them. */
  function timesOf(ring: RecentPackets, key: number): number[] {
    const out: number[] = [];
    for (let pos = ring.newest(key); pos >= ring.head; pos = ring.prev[pos & ring.mask]) {
      if (ring.key[pos & ring.mask] === key) out.push(ring.at[pos & ring.mask]);
    }
    return out;
  }

  it("finds every packet still in the window across growth and renumbering, and none older", () => {
    // Renumbered from position 3000 (2^30 outside tests): 12000 packets cross it several times.
    const ring = new RecentPackets(3000);
    const { pkt } = packet(0, [1]);
    // Packets older than the cutoff have left for good (a cutoff never moves back).
    let cutoff = 0;
    let grew = false;
    for (let t = 0; t < 12000; t++) {
      // Long windows at times (1500 packets: the ring of 1024 grows), short ones in between.
      cutoff = Math.max(cutoff, t - (t % 4000 < 2500 ? 1500 : 3));
      ring.expire(cutoff);
      ring.push(t, t % 7, pkt, 0, new Uint8Array(1), 0, 1);
      grew ||= ring.capacity > 1024;
      assert.ok(ring.tail <= 3000, `position ${ring.tail} stays below the renumbering point`);
      for (let key = 0; key < 7; key++) {
        const expected: number[] = [];
        for (let u = t; u >= cutoff; u--) if (u % 7 === key) expected.push(u);
        assert.deepEqual(timesOf(ring, key), expected, `bucket ${key} after packet ${t}`);
      }
    }
    assert.ok(grew, "the ring grew");
  });
});
