import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { LinkType } from "../../../src/core/types.js";
import {
  be16,
  be32,
  concat,
  ethernet,
  ipv4,
  ipv6,
  le32,
  padded,
  record,
  tcp,
} from "../../fixtures/decode/frames.js";

const segment = tcp({ srcPort: 40001, dstPort: 8080, seq: 7, ack: 9, flags: 0x18 }, [1, 2, 3, 4, 5]);
const v4Packet = ipv4({ src: "10.77.0.1", dst: "10.77.0.2" }, segment);
const v6Packet = ipv6({ src: "fd00:77::1", dst: "fd00:77::2" }, segment);

function assertTcpOverV4(linkType: number, data: Uint8Array, payloadOffset: number): void {
  const p = decodePacket(record(linkType, data));
  assert.equal(p.error, undefined);
  assert.equal(p.ip?.version, 4);
  assert.equal(p.ip?.src, "10.77.0.1");
  assert.equal(p.ip?.dst, "10.77.0.2");
  assert.equal(p.tcp?.srcPort, 40001);
  assert.equal(p.tcp?.payloadLen, 5);
  assert.equal(p.tcp?.payloadOffset, payloadOffset);
  assert.deepEqual([...data.subarray(payloadOffset, payloadOffset + 5)], [1, 2, 3, 4, 5]);
}

function assertTcpOverV6(linkType: number, data: Uint8Array, payloadOffset: number): void {
  const p = decodePacket(record(linkType, data));
  assert.equal(p.error, undefined);
  assert.equal(p.ip?.version, 6);
  assert.equal(p.ip?.src, "fd00:77::1");
  assert.equal(p.ip?.dst, "fd00:77::2");
  assert.equal(p.tcp?.dstPort, 8080);
  assert.equal(p.tcp?.payloadLen, 5);
  assert.equal(p.tcp?.payloadOffset, payloadOffset);
}

describe("Ethernet", () => {
  it("decodes IPv4 and IPv6 and copies the record fields", () => {
    assertTcpOverV4(LinkType.ETHERNET, ethernet(0x0800, v4Packet), 14 + 20 + 20);
    assertTcpOverV6(LinkType.ETHERNET, ethernet(0x86dd, v6Packet), 14 + 40 + 20);
    const rec = record(LinkType.ETHERNET, ethernet(0x0800, v4Packet), 1514, 42);
    const p = decodePacket(rec);
    assert.equal(p.frame, 42);
    assert.equal(p.tsSec, rec.tsSec);
    assert.equal(p.tsNsec, rec.tsNsec);
    assert.equal(p.linkType, LinkType.ETHERNET);
    assert.equal(p.capLen, rec.capLen);
    assert.equal(p.origLen, 1514);
  });

  it("skips 802.1Q, 802.1ad and 0x9100 tags", () => {
    assertTcpOverV4(LinkType.ETHERNET, ethernet(0x0800, v4Packet, [[0x8100, 100]]), 18 + 40);
    const qinq: [number, number][] = [
      [0x88a8, 10],
      [0x8100, 20],
    ];
    assertTcpOverV4(LinkType.ETHERNET, ethernet(0x0800, v4Packet, qinq), 22 + 40);
    assertTcpOverV6(LinkType.ETHERNET, ethernet(0x86dd, v6Packet, [[0x9100, 5]]), 18 + 60);
  });

  it("does not count Ethernet padding as payload", () => {
    // A bare ACK: 14 + 20 + 20 = 54 bytes, padded to 60 on the wire.
    const frame = padded(ethernet(0x0800, ipv4({}, tcp({ flags: 0x10 }))));
    assert.equal(frame.length, 60);
    const p = decodePacket(record(LinkType.ETHERNET, frame));
    assert.equal(p.tcp?.payloadLen, 0);
    assert.equal(p.tcp?.capturedPayloadLen, 0);
    assert.equal(p.error, undefined);
    // Same with a 2-byte payload and a 4-byte frame check sequence after the padding.
    const withFcs = concat(padded(ethernet(0x0800, ipv4({}, tcp({}, [9, 9])))), [0xde, 0xad, 0xbe, 0xef]);
    const q = decodePacket(record(LinkType.ETHERNET, withFcs));
    assert.equal(q.tcp?.payloadLen, 2);
    assert.equal(q.tcp?.capturedPayloadLen, 2);
  });

  it("leaves non-IP frames without ip and without error", () => {
    const arp = padded(ethernet(0x0806, new Uint8Array(28)));
    const p = decodePacket(record(LinkType.ETHERNET, arp));
    assert.equal(p.ip, undefined);
    assert.equal(p.tcp, undefined);
    assert.equal(p.error, undefined);
    // 802.3 frame with a plain LLC header (spanning tree): not IP either.
    const stp = concat(
      [1, 0x80, 0xc2, 0, 0, 0, 2, 0, 0x0a, 0x4d, 0, 1],
      be16(38),
      [0x42, 0x42, 3],
      new Uint8Array(35),
    );
    const q = decodePacket(record(LinkType.ETHERNET, stp));
    assert.equal(q.ip, undefined);
    assert.equal(q.error, undefined);
  });

  it("decodes IPv4 inside 802.3 LLC/SNAP", () => {
    const llcSnap = [0xaa, 0xaa, 0x03, 0, 0, 0, ...be16(0x0800)];
    const body = concat(llcSnap, v4Packet);
    const frame = concat([2, 0, 0x0a, 0x4d, 0, 2, 2, 0, 0x0a, 0x4d, 0, 1], be16(body.length), body);
    assertTcpOverV4(LinkType.ETHERNET, frame, 14 + 8 + 40);
  });

  it("flags a frame cut inside the Ethernet header or a VLAN tag", () => {
    const p = decodePacket(record(LinkType.ETHERNET, ethernet(0x0800, v4Packet).subarray(0, 10)));
    assert.equal(p.truncated, true);
    assert.match(p.error ?? "", /Ethernet/);
    assert.equal(p.ip, undefined);
    const q = decodePacket(
      record(LinkType.ETHERNET, ethernet(0x0800, v4Packet, [[0x8100, 1]]).subarray(0, 16)),
    );
    assert.equal(q.truncated, true);
    assert.match(q.error ?? "", /VLAN/);
  });

  it("gives up on an endless chain of VLAN tags without throwing", () => {
    const tags = new Array<[number, number]>(12).fill([0x8100, 1]);
    const p = decodePacket(record(LinkType.ETHERNET, ethernet(0x0800, v4Packet, tags)));
    assert.match(p.error ?? "", /VLAN/);
    assert.equal(p.ip, undefined);
  });
});

describe("Linux cooked captures", () => {
  it("SLL (v1): protocol at offset 14", () => {
    const sll = concat(be16(0), be16(1), be16(6), [2, 0, 0x0a, 0x4d, 0, 1, 0, 0], be16(0x0800));
    assertTcpOverV4(LinkType.LINUX_SLL, concat(sll, v4Packet), 16 + 40);
    const sll6 = concat(be16(4), be16(1), be16(6), [2, 0, 0x0a, 0x4d, 0, 1, 0, 0], be16(0x86dd));
    assertTcpOverV6(LinkType.LINUX_SLL, concat(sll6, v6Packet), 16 + 60);
  });

  it("SLL with a VLAN tag re-inserted after the cooked header", () => {
    const sll = concat(be16(0), be16(1), be16(6), [2, 0, 0x0a, 0x4d, 0, 1, 0, 0], be16(0x8100));
    assertTcpOverV4(LinkType.LINUX_SLL, concat(sll, be16(7), be16(0x0800), v4Packet), 20 + 40);
  });

  it("SLL2: protocol first, 20-byte header", () => {
    const sll2 = concat(be16(0x86dd), be16(0), be32(3), be16(1), [4, 6], [2, 0, 0x0a, 0x4d, 0, 1, 0, 0]);
    assertTcpOverV6(LinkType.LINUX_SLL2, concat(sll2, v6Packet), 20 + 60);
  });

  it("flags cooked headers cut short", () => {
    const p = decodePacket(record(LinkType.LINUX_SLL2, new Uint8Array(12)));
    assert.equal(p.truncated, true);
    assert.match(p.error ?? "", /SLL2/);
  });
});

describe("raw IP link types", () => {
  it("101, 12 and 14 pick the version from the first nibble", () => {
    for (const lt of [LinkType.RAW, LinkType.RAW_OPENBSD, LinkType.RAW_ALT]) {
      assertTcpOverV4(lt, v4Packet, 40);
      assertTcpOverV6(lt, v6Packet, 60);
    }
  });

  it("228 is IPv4 and 229 IPv6", () => {
    assertTcpOverV4(LinkType.IPV4, v4Packet, 40);
    assertTcpOverV6(LinkType.IPV6, v6Packet, 60);
    // The link type decides: an IPv6 packet under LINKTYPE_IPV4 is an error, not IPv6.
    const p = decodePacket(record(LinkType.IPV4, v6Packet));
    assert.equal(p.ip, undefined);
    assert.match(p.error ?? "", /version 6/);
  });

  it("rejects other IP versions", () => {
    const p = decodePacket(record(LinkType.RAW, concat([0x50], new Uint8Array(30))));
    assert.match(p.error ?? "", /version 5/);
    assert.equal(p.ip, undefined);
  });
});

describe("BSD loopback", () => {
  it("NULL: AF_INET in either byte order", () => {
    assertTcpOverV4(LinkType.NULL, concat(le32(2), v4Packet), 4 + 40);
    assertTcpOverV4(LinkType.NULL, concat(be32(2), v4Packet), 4 + 40);
  });

  it("NULL: the BSDs' AF_INET6 values 24, 28 and 30", () => {
    for (const af of [24, 28, 30]) {
      assertTcpOverV6(LinkType.NULL, concat(le32(af), v6Packet), 4 + 60);
      assertTcpOverV6(LinkType.NULL, concat(be32(af), v6Packet), 4 + 60);
    }
  });

  it("LOOP: network byte order", () => {
    assertTcpOverV4(LinkType.LOOP, concat(be32(2), v4Packet), 4 + 40);
    assertTcpOverV6(LinkType.LOOP, concat(be32(24), v6Packet), 4 + 60);
  });

  it("reports an unknown address family", () => {
    const p = decodePacket(record(LinkType.NULL, concat(le32(7), v4Packet)));
    assert.match(p.error ?? "", /address family 7/);
    assert.equal(p.ip, undefined);
  });
});

describe("unknown link types", () => {
  it("come back with an error, never a throw", () => {
    for (const lt of [147, 127, 9999, -1]) {
      const p = decodePacket(record(lt, ethernet(0x0800, v4Packet)));
      assert.match(p.error ?? "", new RegExp(`link type ${lt}`));
      assert.equal(p.ip, undefined);
      assert.equal(p.linkType, lt);
    }
  });

  it("an empty record is truncated, not a crash", () => {
    for (const lt of [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.RAW, LinkType.NULL, LinkType.IPV6]) {
      const p = decodePacket(record(lt, new Uint8Array(0)));
      assert.equal(p.truncated, true, `link type ${lt}`);
      assert.equal(p.ip, undefined);
    }
  });
});
