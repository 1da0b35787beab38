import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { LinkType } from "../../../src/core/types.js";
import {
  bytes,
  concat,
  ethernet,
  ext6,
  frag6,
  ipv4,
  ipv6,
  record,
  snap,
  tcp,
} from "../../fixtures/decode/frames.js";

const raw = (data: Uint8Array, origLen?: number) => decodePacket(record(LinkType.RAW, data, origLen));

describe("IPv4", () => {
  it("reads addresses, TTL, id, DF and lengths", () => {
    const p = raw(
      ipv4({ src: "192.0.2.200", dst: "198.51.100.7", ttl: 63, id: 0xbeef }, tcp({}, bytes(100))),
    );
    assert.equal(p.ip?.version, 4);
    assert.equal(p.ip?.src, "192.0.2.200");
    assert.equal(p.ip?.dst, "198.51.100.7");
    assert.equal(p.ip?.ttl, 63);
    assert.equal(p.ip?.id, 0xbeef);
    assert.equal(p.ip?.dontFragment, true);
    assert.equal(p.ip?.protocol, 6);
    assert.equal(p.ip?.headerLen, 20);
    assert.equal(p.ip?.totalLen, 140);
    assert.equal(p.ip?.hasOptions, false);
    assert.equal(p.ip?.fragment, undefined);
    assert.equal(p.tcp?.payloadLen, 100);
    const q = raw(ipv4({ flagsFrag: 0 }, tcp({})));
    assert.equal(q.ip?.dontFragment, false);
  });

  it("skips header options", () => {
    // Record route (7), length 7, pointer 4, one empty slot, then EOL.
    const options = [7, 7, 4, 0, 0, 0, 0, 0];
    const p = raw(ipv4({ options }, tcp({ srcPort: 1234 }, bytes(10))));
    assert.equal(p.ip?.hasOptions, true);
    assert.equal(p.ip?.headerLen, 28);
    assert.equal(p.tcp?.srcPort, 1234);
    assert.equal(p.tcp?.payloadOffset, 48);
    assert.equal(p.tcp?.payloadLen, 10);
  });

  it("decodes TCP in a first fragment and records the fragment", () => {
    const p = raw(ipv4({ flagsFrag: 0x2000, id: 77 }, tcp({ seq: 5 }, bytes(1000))));
    assert.deepEqual(p.ip?.fragment, { offset: 0, more: true });
    assert.equal(p.tcp?.seq, 5);
    // Only this fragment's bytes are known: no reassembly.
    assert.equal(p.tcp?.payloadLen, 1000);
  });

  it("does not read a TCP header from a non-first fragment", () => {
    const p = raw(ipv4({ flagsFrag: 185, id: 77 }, bytes(500)));
    assert.deepEqual(p.ip?.fragment, { offset: 1480, more: false });
    assert.equal(p.ip?.protocol, 6);
    assert.equal(p.tcp, undefined);
    assert.equal(p.error, undefined);
  });

  it("takes a zero total length (offload super-packet) from the frame length", () => {
    const data = ipv4({ totalLen: 0 }, tcp({}, bytes(3000)));
    const p = raw(data);
    assert.equal(p.ip?.totalLen, data.length);
    assert.equal(p.tcp?.payloadLen, 3000);
    assert.equal(p.error, undefined);
  });

  it("flags a total length below the header length", () => {
    const p = raw(ipv4({ totalLen: 12 }, tcp({})));
    assert.match(p.error ?? "", /total length 12/);
    assert.equal(p.ip?.src, "10.77.0.1");
    assert.equal(p.tcp, undefined);
  });

  it("flags a total length beyond the frame and trusts the frame", () => {
    const p = raw(ipv4({ totalLen: 400 }, tcp({}, bytes(10))));
    assert.match(p.error ?? "", /exceeds/);
    assert.equal(p.tcp?.payloadLen, 10);
  });

  it("flags a header length below 20", () => {
    const data = ipv4({}, tcp({}));
    data[0] = 0x44;
    const p = raw(data);
    assert.match(p.error ?? "", /header length 16/);
    assert.equal(p.ip, undefined);
  });

  it("truncated: before the addresses, and inside the options", () => {
    const p = raw(ipv4({}, tcp({})).subarray(0, 15));
    assert.equal(p.truncated, true);
    assert.equal(p.ip, undefined);
    const full = ipv4({ options: [1, 1, 1, 0] }, tcp({}));
    const q = decodePacket(snap(LinkType.RAW, full, 22));
    assert.equal(q.truncated, true);
    assert.equal(q.ip?.dst, "10.77.0.2");
    assert.equal(q.tcp, undefined);
  });

  it("takes the payload length from the IP header under a snaplen", () => {
    const frame = ethernet(0x0800, ipv4({}, tcp({}, bytes(1448))));
    const p = decodePacket(snap(LinkType.ETHERNET, frame, 96));
    assert.equal(p.truncated, undefined);
    assert.equal(p.error, undefined);
    assert.equal(p.ip?.totalLen, 1488);
    assert.equal(p.tcp?.payloadLen, 1448);
    assert.equal(p.tcp?.capturedPayloadLen, 96 - 54);
    assert.equal(p.tcp?.payloadOffset, 54);
  });
});

describe("IPv6", () => {
  it("reads addresses, hop limit and lengths", () => {
    const p = raw(ipv6({ src: "2001:db8::1", dst: "2001:db8:0:1::2", hopLimit: 61 }, tcp({}, bytes(20))));
    assert.equal(p.ip?.version, 6);
    assert.equal(p.ip?.src, "2001:db8::1");
    assert.equal(p.ip?.dst, "2001:db8:0:1::2");
    assert.equal(p.ip?.ttl, 61);
    assert.equal(p.ip?.protocol, 6);
    assert.equal(p.ip?.headerLen, 40);
    assert.equal(p.ip?.totalLen, 80);
    assert.equal(p.ip?.id, undefined);
    assert.equal(p.tcp?.payloadLen, 20);
  });

  it("walks hop-by-hop, routing and destination options to TCP", () => {
    const rest = concat(ext6(43, 1), ext6(60, 3), ext6(6, 2), tcp({ dstPort: 443 }, bytes(7)));
    const p = raw(ipv6({ next: 0 }, rest));
    assert.equal(p.ip?.protocol, 6);
    assert.equal(p.ip?.headerLen, 40 + 8 + 24 + 16);
    assert.equal(p.tcp?.dstPort, 443);
    assert.equal(p.tcp?.payloadLen, 7);
    assert.equal(p.tcp?.payloadOffset, 40 + 48 + 20);
  });

  it("walks an authentication header (length in 4-byte units)", () => {
    // AH: next, payload len = 4 (=> (4+2)*4 = 24 bytes), reserved, SPI, sequence, 12-byte ICV.
    const ah = [6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, ...new Array(12).fill(0xab)];
    const p = raw(ipv6({ next: 51 }, concat(ah, tcp({}, bytes(3)))));
    assert.equal(p.ip?.headerLen, 64);
    assert.equal(p.tcp?.payloadLen, 3);
  });

  it("records a fragment header and decodes TCP in the first fragment", () => {
    const p = raw(ipv6({ next: 44 }, concat(frag6(6, 0, true, 0xcafe0001), tcp({ seq: 99 }, bytes(64)))));
    assert.deepEqual(p.ip?.fragment, { offset: 0, more: true });
    assert.equal(p.ip?.id, 0xcafe0001);
    assert.equal(p.ip?.protocol, 6);
    assert.equal(p.tcp?.seq, 99);
    assert.equal(p.tcp?.payloadLen, 64);
  });

  it("does not read a TCP header from a non-first fragment", () => {
    const p = raw(ipv6({ next: 44 }, concat(frag6(6, 1232, false, 5), bytes(100))));
    assert.deepEqual(p.ip?.fragment, { offset: 1232, more: false });
    assert.equal(p.ip?.protocol, 6);
    assert.equal(p.tcp, undefined);
    assert.equal(p.error, undefined);
  });

  it("no next header (59) ends the packet", () => {
    const p = raw(ipv6({ next: 0 }, concat(ext6(59, 1))));
    assert.equal(p.ip?.protocol, 59);
    assert.equal(p.tcp, undefined);
    assert.equal(p.error, undefined);
  });

  it("flags extension headers that run past the packet", () => {
    const hop = ext6(6, 1);
    hop[1] = 20; // claims 168 bytes
    const p = raw(ipv6({ next: 0 }, concat(hop, tcp({}))));
    assert.match(p.error ?? "", /extension headers/);
    assert.equal(p.tcp, undefined);
    assert.equal(p.ip?.src, "fd00:77::1");
  });

  it("flags extension headers cut by the snaplen", () => {
    const full = ipv6({ next: 0 }, concat(ext6(44, 1), frag6(6, 0, false, 1), tcp({})));
    const p = decodePacket(snap(LinkType.RAW, full, 50));
    assert.equal(p.truncated, true);
    assert.equal(p.tcp, undefined);
    assert.equal(p.ip?.dst, "fd00:77::2");
  });

  it("truncated before the end of the fixed header", () => {
    const p = decodePacket(snap(LinkType.RAW, ipv6({}, tcp({})), 30));
    assert.equal(p.truncated, true);
    assert.equal(p.ip, undefined);
  });

  it("takes the TCP payload length from the payload length under a snaplen", () => {
    const frame = ethernet(
      0x86dd,
      ipv6(
        { next: 0 },
        concat(ext6(6, 1), tcp({ options: [1, 1, 8, 10, ...new Array(8).fill(0)] }, bytes(1200))),
      ),
    );
    const p = decodePacket(snap(LinkType.ETHERNET, frame, 128));
    assert.equal(p.ip?.totalLen, 40 + 8 + 32 + 1200);
    assert.equal(p.tcp?.payloadLen, 1200);
    assert.equal(p.tcp?.capturedPayloadLen, 128 - (14 + 48 + 32));
  });

  it("payload length beyond the frame: flagged, frame trusted", () => {
    const p = raw(ipv6({ payloadLen: 900 }, tcp({}, bytes(5))));
    assert.match(p.error ?? "", /exceeds/);
    assert.equal(p.tcp?.payloadLen, 5);
  });

  it("does not count Ethernet padding after a short IPv6 packet", () => {
    // 14 + 40 = 54 bytes: a no-next-header packet padded to 60.
    const frame = concat(ethernet(0x86dd, ipv6({ next: 59 }, new Uint8Array(0))), new Uint8Array(6));
    const p = decodePacket(record(LinkType.ETHERNET, frame));
    assert.equal(p.ip?.totalLen, 40);
    assert.equal(p.error, undefined);
  });
});

it("the EtherType picks the decoder: IPv6 bytes under 0x0800 are an error", () => {
  const p = decodePacket(record(LinkType.ETHERNET, ethernet(0x0800, ipv6({}, tcp({})))));
  assert.match(p.error ?? "", /IPv4 header with version 6/);
  assert.equal(p.ip, undefined);
});
