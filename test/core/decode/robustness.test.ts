import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { type DecodedPacket, LinkType, type PacketRecord } from "../../../src/core/types.js";
import {
  be16,
  be32,
  bytes,
  concat,
  ethernet,
  ext6,
  frag6,
  ipv4,
  ipv6,
  le32,
  record,
  snap,
  tcp,
} from "../../fixtures/decode/frames.js";

const TS = [1, 1, 8, 10, ...be32(123456), ...be32(654321)];
const SACK = [1, 1, 5, 18, ...be32(100), ...be32(200), ...be32(300), ...be32(400)];
const segment = tcp({ seq: 0xdeadbeef, ack: 17, options: [...TS, ...SACK] }, bytes(300));
const quoted = ipv4({ src: "10.0.0.9" }, tcp({ seq: 5 }, bytes(40))).subarray(0, 28);
const icmpV4 = ipv4({ protocol: 1 }, concat([3, 4, 0, 0, 0, 0, ...be16(1400)], quoted));

/** Valid frames of every supported link type, with the TCP payload length they carry. */
const FRAMES: [string, number, Uint8Array, number][] = [
  ["ethernet/ipv4/tcp", LinkType.ETHERNET, ethernet(0x0800, ipv4({ options: [1, 1, 1, 0] }, segment)), 300],
  [
    "ethernet/vlan/ipv6/ext/tcp",
    LinkType.ETHERNET,
    ethernet(0x86dd, ipv6({ next: 0 }, concat(ext6(44, 1), frag6(6, 0, false, 9), segment)), [[0x8100, 3]]),
    300,
  ],
  [
    "sll/ipv4/icmp",
    LinkType.LINUX_SLL,
    concat(be16(0), be16(1), be16(6), new Uint8Array(8), be16(0x0800), icmpV4),
    -1,
  ],
  ["sll2/ipv6/tcp", LinkType.LINUX_SLL2, concat(be16(0x86dd), new Uint8Array(18), ipv6({}, segment)), 300],
  ["null/ipv4/tcp", LinkType.NULL, concat(le32(2), ipv4({}, segment)), 300],
  ["loop/ipv6/tcp", LinkType.LOOP, concat(be32(24), ipv6({}, segment)), 300],
  ["raw/ipv4/tcp", LinkType.RAW, ipv4({}, segment), 300],
];

function checkInvariants(p: DecodedPacket, rec: PacketRecord): void {
  const t = p.tcp;
  if (t) {
    assert.ok(t.capturedPayloadLen >= 0 && t.capturedPayloadLen <= t.payloadLen);
    if (t.capturedPayloadLen > 0) assert.ok(t.payloadOffset + t.capturedPayloadLen <= rec.start + rec.capLen);
    assert.ok(t.seq >= 0 && t.seq <= 0xffffffff && t.ack >= 0 && t.ack <= 0xffffffff);
    assert.ok(Number.isInteger(t.payloadLen));
    assert.ok(t.headerLen >= 20);
  }
  if (p.ip) assert.ok(p.ip.headerLen >= 20);
}

describe("decoding never throws on packet bytes", () => {
  for (const [name, linkType, frame, payloadLen] of FRAMES) {
    it(`${name}: every snaplen`, () => {
      const full = decodePacket(record(linkType, frame));
      assert.equal(full.error, undefined, name);
      assert.ok(full.tcp || full.icmp);
      for (let len = 0; len <= frame.length; len++) {
        const rec = snap(linkType, frame, len);
        const p = decodePacket(rec);
        checkInvariants(p, rec);
        const headersEnd = full.tcp ? full.tcp.payloadOffset : frame.length;
        if (len >= headersEnd) {
          // Cut inside the payload: the headers are whole and the lengths come from them.
          assert.equal(p.truncated, undefined, `${name} at ${len}`);
          assert.equal(p.error, undefined, `${name} at ${len}`);
          if (payloadLen >= 0) {
            assert.equal(p.tcp?.payloadLen, payloadLen);
            assert.equal(p.tcp?.capturedPayloadLen, len - headersEnd);
            assert.equal(p.tcp?.seq, 0xdeadbeef);
          }
        } else if (!full.icmp) {
          // Cut inside the headers: said so, one way or the other.
          assert.ok(p.truncated === true || p.tcp?.options.malformed === true, `${name} at ${len}`);
        }
      }
    });
  }

  it("random corruption of valid frames", () => {
    let state = 0x2545f491;
    const rand = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    for (let iter = 0; iter < 3000; iter++) {
      const [, linkType, frame] = FRAMES[iter % FRAMES.length];
      const data = frame.slice(0, 8 + Math.floor(rand() * frame.length));
      const flips = 1 + Math.floor(rand() * 6);
      // Corrupt header bytes mostly: that is where the lengths and next-protocol fields are.
      for (let f = 0; f < flips; f++)
        data[Math.floor(rand() * Math.min(data.length, 120))] = Math.floor(rand() * 256);
      const rec = record(linkType, data, data.length + Math.floor(rand() * 64));
      checkInvariants(decodePacket(rec), rec);
    }
  });

  it("random bytes under every link type", () => {
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 16;
    };
    for (const linkType of [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]) {
      for (let iter = 0; iter < 300; iter++) {
        const data = new Uint8Array(next() % 200);
        for (let i = 0; i < data.length; i++) data[i] = next() & 255;
        // Steer half the cases into IP so the deeper layers see garbage too.
        if (linkType === 101 && data.length && iter % 2)
          data[0] = (iter % 4 === 1 ? 0x45 : 0x60) | (data[0] & 15);
        const rec = record(linkType, data);
        checkInvariants(decodePacket(rec), rec);
      }
    }
  });

  it("a record inside a larger buffer (where a reader finds it) decodes as the record alone", () => {
    for (const [name, linkType, frame] of FRAMES) {
      for (const cut of [frame.length, 54, 30]) {
        const alone = snap(linkType, frame, cut);
        // Bytes of other records around it: 0xff everywhere but the record's own bytes.
        const at = 37;
        const buffer = new Uint8Array(at + alone.capLen + 64).fill(0xff);
        buffer.set(alone.bytes, at);
        const inside: PacketRecord = { ...alone, bytes: buffer, start: at };
        const a = decodePacket(alone);
        const b = decodePacket(inside);
        checkInvariants(b, inside);
        // Offsets are indexes into the record's buffer; everything else is the same.
        if (a.tcp && b.tcp) b.tcp.payloadOffset -= at;
        assert.deepEqual(b, a, `${name} cut at ${cut}`);
      }
    }
  });

  it("a data view longer than capLen: bytes past capLen are ignored", () => {
    const frame = ethernet(0x0800, ipv4({}, segment));
    const rec: PacketRecord = { ...record(LinkType.ETHERNET, frame, frame.length), capLen: 60 };
    const p = decodePacket(rec);
    assert.equal(p.tcp?.payloadLen, 300);
    assert.equal(p.tcp?.options.malformed, true);
    assert.equal(p.truncated, true);
  });
});
