import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePacket, decodeTcpOptions, NO_OPTIONS } from "../../../src/core/decode/index.js";
import { LinkType, TcpFlag } from "../../../src/core/types.js";
import { be16, be32, bytes, ethernet, ipv4, record, snap, tcp } from "../../fixtures/decode/frames.js";

const decodeTcpBytes = (segment: Uint8Array) => decodePacket(record(LinkType.RAW, ipv4({}, segment)));
const optionsOf = (options: number[]) => decodeTcpBytes(tcp({ options })).tcp?.options;

const MSS_1460 = [2, 4, ...be16(1460)];
const TS = (val: number, ecr: number) => [8, 10, ...be32(val), ...be32(ecr)];

describe("TCP header", () => {
  it("reads ports, unsigned seq/ack, window, urgent and header length", () => {
    const p = decodeTcpBytes(
      tcp(
        {
          srcPort: 65535,
          dstPort: 1,
          seq: 0xffffffff,
          ack: 0x80000000,
          window: 65535,
          urgent: 3,
          flags: 0x30,
        },
        [1],
      ),
    );
    const t = p.tcp;
    assert.ok(t);
    assert.equal(t.srcPort, 65535);
    assert.equal(t.dstPort, 1);
    assert.equal(t.seq, 4294967295);
    assert.equal(t.ack, 2147483648);
    assert.equal(t.window, 65535);
    assert.equal(t.urgent, 3);
    assert.equal(t.headerLen, 20);
    assert.equal(t.flags, TcpFlag.URG | TcpFlag.ACK);
    assert.equal(t.payloadLen, 1);
    assert.equal(t.capturedPayloadLen, 1);
    assert.equal(t.payloadOffset, 40);
  });

  it("keeps every flag bit, ECE, CWR and NS included", () => {
    const all = decodeTcpBytes(tcp({ flags: 0x1ff })).tcp;
    assert.equal(all?.flags, 0x1ff);
    const ecnSyn = decodeTcpBytes(tcp({ flags: TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR })).tcp;
    assert.equal(ecnSyn?.flags, 0xc2);
    const ns = decodeTcpBytes(tcp({ flags: 0x100 | TcpFlag.ACK })).tcp;
    assert.equal(ns?.flags, 0x110);
  });

  it("a header without options shares the frozen empty options object", () => {
    const a = decodeTcpBytes(tcp({})).tcp;
    const b = decodeTcpBytes(tcp({ seq: 1 })).tcp;
    assert.equal(a?.options, NO_OPTIONS);
    assert.equal(b?.options, NO_OPTIONS);
    assert.ok(Object.isFrozen(NO_OPTIONS));
    assert.deepEqual({ ...NO_OPTIONS }, {});
  });

  it("flags a data offset below 5", () => {
    const p = decodeTcpBytes(tcp({ dataOffsetWords: 4 }, bytes(8)));
    assert.match(p.error ?? "", /TCP header length 16/);
    assert.equal(p.tcp, undefined);
    assert.equal(p.ip?.protocol, 6);
  });

  it("flags a header longer than the IP payload", () => {
    const p = decodeTcpBytes(tcp({ dataOffsetWords: 15 }));
    assert.match(p.error ?? "", /exceeds/);
    assert.equal(p.truncated, undefined);
    assert.equal(p.tcp?.options.malformed, true);
    assert.equal(p.tcp?.payloadLen, 0);
    assert.equal(p.tcp?.capturedPayloadLen, 0);
  });

  it("a header cut before 20 bytes leaves ip and no tcp", () => {
    const p = decodePacket(snap(LinkType.ETHERNET, ethernet(0x0800, ipv4({}, tcp({}))), 14 + 20 + 12));
    assert.equal(p.truncated, true);
    assert.match(p.error ?? "", /TCP header/);
    assert.equal(p.ip?.src, "10.77.0.1");
    assert.equal(p.tcp, undefined);
  });

  it("a capture cut inside the options keeps the header, marks options malformed and the packet truncated", () => {
    const frame = ethernet(0x0800, ipv4({}, tcp({ seq: 42, options: [1, 1, ...TS(5, 6)] }, bytes(100))));
    const p = decodePacket(snap(LinkType.ETHERNET, frame, 14 + 20 + 20 + 6));
    assert.equal(p.truncated, true);
    assert.equal(p.tcp?.seq, 42);
    assert.equal(p.tcp?.payloadLen, 100);
    assert.equal(p.tcp?.capturedPayloadLen, 0);
    assert.equal(p.tcp?.options.malformed, true);
    assert.equal(p.tcp?.options.tsVal, undefined);
  });
});

describe("TCP options", () => {
  it("a Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale", () => {
    const o = optionsOf([...MSS_1460, 4, 2, ...TS(1972276864, 0), 1, 3, 3, 10]);
    assert.deepEqual(o, { mss: 1460, sackPermitted: true, tsVal: 1972276864, tsEcr: 0, wscale: 10 });
  });

  it("NOP NOP timestamps, the usual data segment layout", () => {
    assert.deepEqual(optionsOf([1, 1, ...TS(0xfffffffe, 7)]), { tsVal: 4294967294, tsEcr: 7 });
    // The same option without the NOP prefix goes through the general walk with the same result.
    assert.deepEqual(optionsOf([...TS(0xfffffffe, 7), 0, 0]), { tsVal: 4294967294, tsEcr: 7 });
  });

  it("SACK blocks as unsigned [left, right) pairs, one to four blocks", () => {
    for (let n = 1; n <= 4; n++) {
      const edges: number[] = [];
      for (let i = 0; i < n; i++)
        edges.push(...be32(0xfffff000 + i * 100), ...be32(0xfffff000 + i * 100 + 50));
      const o = optionsOf(n < 4 ? [1, 1, 5, 2 + 8 * n, ...edges] : [5, 2 + 8 * n, ...edges]);
      assert.equal(o?.sack?.length, n);
      assert.deepEqual(o?.sack?.[n - 1], [0xfffff000 + (n - 1) * 100, 0xfffff000 + (n - 1) * 100 + 50]);
    }
    assert.equal(optionsOf([1, 1, ...TS(1, 2)])?.sack, undefined);
  });

  it("TCP Fast Open: kind 34 and experimental 254 with magic 0xF989", () => {
    assert.equal(optionsOf([34, 2])?.tfo, true);
    assert.equal(optionsOf([34, 10, 1, 2, 3, 4, 5, 6, 7, 8])?.tfo, true);
    assert.equal(optionsOf([254, 4, 0xf9, 0x89])?.tfo, true);
    const otherExperiment = optionsOf([254, 4, 0x12, 0x34]);
    assert.equal(otherExperiment?.tfo, undefined);
    assert.deepEqual(otherExperiment?.unknown, [254]);
  });

  it("keeps unknown kinds by number and walks past them", () => {
    const o = optionsOf([30, 4, 0, 0, 29, 3, 0, ...MSS_1460]);
    assert.deepEqual(o?.unknown, [30, 29]);
    assert.equal(o?.mss, 1460);
    assert.equal(o?.malformed, undefined);
  });

  it("stops at end of option list", () => {
    const o = optionsOf([...MSS_1460, 0, 3, 3, 7]);
    assert.deepEqual(o, { mss: 1460 });
  });

  it("flags option lengths below 2 or past the header, keeping what came before", () => {
    assert.deepEqual(optionsOf([...MSS_1460, 8, 1, 0, 0]), { mss: 1460, malformed: true });
    assert.deepEqual(optionsOf([...MSS_1460, 8, 0, 0, 0]), { mss: 1460, malformed: true });
    assert.deepEqual(optionsOf([1, 1, 1, 8, 10, 0, 0, 0]), { malformed: true });
    // A kind byte as the very last byte of the header: no room for its length.
    assert.deepEqual(optionsOf([1, 1, 1, 2]), { malformed: true });
  });

  it("flags known options with the wrong length and skips them", () => {
    const o = optionsOf([2, 3, 5, 3, 4, 14, 1, 1]);
    assert.equal(o?.mss, undefined);
    assert.equal(o?.wscale, undefined);
    assert.equal(o?.malformed, true);
    assert.equal(optionsOf([5, 7, 0, 0, 0, 0, 0, 1, 1, 1])?.sack, undefined);
    assert.equal(optionsOf([4, 3, 0, 1])?.sackPermitted, undefined);
  });

  it("decodeTcpOptions works on any slice without throwing", () => {
    const opts = new Uint8Array([2, 4, 5, 180, 3, 3, 7, 4, 2]);
    assert.deepEqual(decodeTcpOptions(opts, 0, opts.length), { mss: 1460, wscale: 7, sackPermitted: true });
    assert.deepEqual(decodeTcpOptions(opts, 0, 3), { malformed: true });
    assert.deepEqual(decodeTcpOptions(opts, 4, 6, true), { malformed: true });
  });
});
