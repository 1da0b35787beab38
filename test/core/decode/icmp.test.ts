import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { LinkType } from "../../../src/core/types.js";
import { be16, be32, bytes, concat, ext6, ipv4, ipv6, record, tcp } from "../../fixtures/decode/frames.js";

/** The offending packet as a router sends it back: IP header + the first bytes of its payload. */
const offending4 = ipv4(
  { src: "10.77.2.1", dst: "10.77.1.1" },
  tcp({ srcPort: 8080, dstPort: 40012, seq: 2743521592 }, bytes(1448)),
);
const offending6 = ipv6(
  { src: "fd00:77::2", dst: "fd00:77:1::1" },
  tcp({ srcPort: 8080, dstPort: 40012, seq: 0xfedcba98 }, bytes(1400)),
);

function icmp4(type: number, code: number, word: number[], quoted: Uint8Array, quoteLen: number): Uint8Array {
  return ipv4(
    { src: "10.77.2.254", dst: "10.77.2.1", protocol: 1, flagsFrag: 0 },
    concat([type, code, 0, 0], word, quoted.subarray(0, quoteLen)),
  );
}

function icmp6(type: number, code: number, word: number[], quoted: Uint8Array, quoteLen: number): Uint8Array {
  return ipv6(
    { src: "fd00:77::fe", dst: "fd00:77::2", next: 58 },
    concat([type, code, 0, 0], word, quoted.subarray(0, quoteLen)),
  );
}

const decodeRaw = (data: Uint8Array) => decodePacket(record(LinkType.RAW, data));

describe("ICMPv4 errors", () => {
  it("fragmentation needed: next-hop MTU and the quoted TCP ports and sequence", () => {
    const p = decodeRaw(icmp4(3, 4, [0, 0, ...be16(1400)], offending4, 28));
    assert.equal(p.ip?.protocol, 1);
    assert.equal(p.tcp, undefined);
    assert.deepEqual(p.icmp, {
      version: 4,
      type: 3,
      code: 4,
      kind: "frag-needed",
      mtu: 1400,
      inner: {
        src: "10.77.2.1",
        dst: "10.77.1.1",
        protocol: 6,
        srcPort: 8080,
        dstPort: 40012,
        seq: 2743521592,
      },
    });
  });

  it("Linux quotes as much as fits (576 bytes): the same inner facts", () => {
    const p = decodeRaw(icmp4(3, 4, [0, 0, ...be16(1400)], offending4, 548));
    assert.equal(p.ip?.totalLen, 576);
    assert.deepEqual(p.icmp?.inner, {
      src: "10.77.2.1",
      dst: "10.77.1.1",
      protocol: 6,
      srcPort: 8080,
      dstPort: 40012,
      seq: 2743521592,
      ack: 2000,
      flags: 0x10,
      window: 502,
    });
  });

  it("other unreachable codes: no MTU; a quoted UDP datagram gives ports without seq", () => {
    const udp = ipv4({ protocol: 17 }, concat(be16(5353), be16(53), be16(20), be16(0), bytes(12)));
    const p = decodeRaw(icmp4(3, 3, [0, 0, 0, 0], udp, 28));
    assert.equal(p.icmp?.kind, "unreachable");
    assert.equal(p.icmp?.code, 3);
    assert.equal(p.icmp?.mtu, undefined);
    assert.deepEqual(p.icmp?.inner, {
      src: "10.77.0.1",
      dst: "10.77.0.2",
      protocol: 17,
      srcPort: 5353,
      dstPort: 53,
    });
  });

  it("time exceeded", () => {
    const p = decodeRaw(icmp4(11, 0, [0, 0, 0, 0], offending4, 28));
    assert.equal(p.icmp?.kind, "time-exceeded");
    assert.equal(p.icmp?.inner?.dstPort, 40012);
  });

  it("parameter problem is an error of kind other", () => {
    const p = decodeRaw(icmp4(12, 0, [20, 0, 0, 0], offending4, 28));
    assert.equal(p.icmp?.kind, "other");
    assert.equal(p.icmp?.inner?.srcPort, 8080);
  });

  it("a quote too short for the sequence number gives what is there", () => {
    const ports = decodeRaw(icmp4(3, 1, [0, 0, 0, 0], offending4, 24));
    assert.deepEqual(ports.icmp?.inner, {
      src: "10.77.2.1",
      dst: "10.77.1.1",
      protocol: 6,
      srcPort: 8080,
      dstPort: 40012,
    });
    const headerOnly = decodeRaw(icmp4(3, 1, [0, 0, 0, 0], offending4, 20));
    assert.deepEqual(headerOnly.icmp?.inner, { src: "10.77.2.1", dst: "10.77.1.1", protocol: 6 });
    const none = decodeRaw(icmp4(3, 1, [0, 0, 0, 0], offending4, 10));
    assert.equal(none.icmp?.kind, "unreachable");
    assert.equal(none.icmp?.inner, undefined);
  });

  it("echo request/reply are not errors: no icmp", () => {
    for (const type of [0, 8]) {
      const p = decodeRaw(ipv4({ protocol: 1 }, concat([type, 0, 0, 0], be32(0x00010001), bytes(56))));
      assert.equal(p.ip?.protocol, 1);
      assert.equal(p.icmp, undefined);
      assert.equal(p.error, undefined);
    }
  });

  it("an ICMP header cut short is truncated", () => {
    const p = decodeRaw(ipv4({ protocol: 1 }, new Uint8Array([3, 4, 0, 0])));
    assert.equal(p.truncated, true);
    assert.equal(p.icmp, undefined);
  });
});

describe("ICMPv6 errors", () => {
  it("packet too big: 32-bit MTU and the quoted TCP header", () => {
    const p = decodeRaw(icmp6(2, 0, be32(1280), offending6, 48));
    assert.equal(p.ip?.protocol, 58);
    assert.deepEqual(p.icmp, {
      version: 6,
      type: 2,
      code: 0,
      kind: "packet-too-big",
      mtu: 1280,
      inner: {
        src: "fd00:77::2",
        dst: "fd00:77:1::1",
        protocol: 6,
        srcPort: 8080,
        dstPort: 40012,
        seq: 0xfedcba98,
      },
    });
  });

  it("destination unreachable and time exceeded", () => {
    const u = decodeRaw(icmp6(1, 4, [0, 0, 0, 0], offending6, 48));
    assert.equal(u.icmp?.kind, "unreachable");
    assert.equal(u.icmp?.code, 4);
    assert.equal(u.icmp?.mtu, undefined);
    assert.equal(u.icmp?.inner?.seq, 0xfedcba98);
    const t = decodeRaw(icmp6(3, 0, [0, 0, 0, 0], offending6, 60));
    assert.equal(t.icmp?.kind, "time-exceeded");
    assert.equal(t.icmp?.inner?.ack, 2000);
    assert.equal(t.icmp?.inner?.window, 502);
  });

  it("walks extension headers of the quoted packet", () => {
    const quoted = ipv6({ next: 60 }, concat(ext6(6, 1), tcp({ srcPort: 1111, dstPort: 2222, seq: 3 })));
    const p = decodeRaw(icmp6(1, 0, [0, 0, 0, 0], quoted, 56));
    assert.deepEqual(p.icmp?.inner, {
      src: "fd00:77::1",
      dst: "fd00:77::2",
      protocol: 6,
      srcPort: 1111,
      dstPort: 2222,
      seq: 3,
    });
  });

  it("informational messages (echo, neighbour discovery) are not errors: no icmp", () => {
    for (const type of [128, 129, 135, 136]) {
      const p = decodeRaw(ipv6({ next: 58 }, concat([type, 0, 0, 0], bytes(28))));
      assert.equal(p.ip?.protocol, 58);
      assert.equal(p.icmp, undefined);
      assert.equal(p.error, undefined);
    }
  });

  it("ICMPv6 behind a hop-by-hop header", () => {
    const msg = concat([2, 0, 0, 0], be32(1400), offending6.subarray(0, 48));
    const p = decodeRaw(ipv6({ next: 0 }, concat(ext6(58, 1), msg)));
    assert.equal(p.ip?.protocol, 58);
    assert.equal(p.icmp?.mtu, 1400);
    assert.equal(p.icmp?.inner?.dstPort, 40012);
  });
});
