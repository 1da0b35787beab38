// packetDecoder({ reuse: true }): one packet object refilled for every record, holding what a fresh
// decode would hold, whatever kind of packet came before.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket, packetDecoder } from "../../../src/core/decode/index.js";
import { LinkType, type PacketRecord } from "../../../src/core/types.js";
import { readCaptureFile } from "../../../src/io/capture-source.js";
import { be32, bytes, ethernet, ipv4, record, snap, tcp } from "../../fixtures/decode/frames.js";
import { fixturesDir } from "../../helpers.js";

const TS_OPTIONS = [1, 1, 8, 10, ...be32(0x90000001), ...be32(0x80000002)];

/** Records of every kind the decoder tells apart, one after another. */
function mixedRecords(): PacketRecord[] {
  const seg = (o: Parameters<typeof tcp>[0], payload = bytes(10)) => tcp(o, payload);
  return [
    // The common case: timestamps only, addresses above 2^31.
    record(LinkType.RAW, ipv4({ src: "192.168.1.1", dst: "172.16.0.2" }, seg({ options: TS_OPTIONS }))),
    // A SYN with the usual options, then the common case again.
    record(
      LinkType.RAW,
      ipv4({}, seg({ flags: 0x02, options: [2, 4, 5, 180, 4, 2, ...TS_OPTIONS.slice(2)] })),
    ),
    record(LinkType.RAW, ipv4({ id: 7 }, seg({ seq: 0xfffffff0, options: TS_OPTIONS }))),
    // No options at all, then a first fragment and a later one.
    record(LinkType.ETHERNET, ethernet(0x0800, ipv4({}, seg({})))),
    record(LinkType.RAW, ipv4({ flagsFrag: 0x2000 }, seg({ options: TS_OPTIONS }))),
    record(LinkType.RAW, ipv4({ flagsFrag: 0x0010 }, bytes(24))),
    record(LinkType.RAW, ipv4({ src: "10.0.0.9" }, seg({ options: TS_OPTIONS }))),
    // Cut by the snaplen inside the TCP header, inside the options, then whole again.
    snap(LinkType.RAW, ipv4({}, seg({ options: TS_OPTIONS })), 30),
    snap(LinkType.RAW, ipv4({}, seg({ options: TS_OPTIONS })), 44),
    record(LinkType.RAW, ipv4({ ttl: 3 }, seg({ options: TS_OPTIONS }))),
    // A bad IPv4 total length, an unknown link type, not IP at all.
    record(LinkType.RAW, ipv4({ totalLen: 400 }, seg({ options: TS_OPTIONS }))),
    record(4000, bytes(60)),
    record(LinkType.ETHERNET, ethernet(0x0806, bytes(28))),
    record(LinkType.RAW, ipv4({}, seg({ options: TS_OPTIONS }))),
  ];
}

/** A deep copy of a decoded packet as plain data, for comparing after the object is refilled. */
const plain = (x: unknown) => structuredClone(x) as unknown;

function checkSequence(records: PacketRecord[]): number {
  const decode = packetDecoder({ reuse: true });
  let first: object | undefined;
  for (const rec of records) {
    const expected = decodePacket(rec);
    const got = decode(rec);
    first ??= got;
    assert.equal(got, first, `frame ${rec.frame}: a new packet object`);
    assert.deepEqual(plain(got), plain(expected), `frame ${rec.frame}`);
  }
  return records.length;
}

describe("packetDecoder reuse", () => {
  it("gives what decodePacket gives, packet after packet of every kind", () => {
    checkSequence(mixedRecords().map((r, i) => ({ ...r, frame: i + 1 })));
  });

  it("refills one IPv4 header, TCP header and timestamp options in the common case", () => {
    const decode = packetDecoder({ reuse: true });
    const [a, , c] = mixedRecords();
    const p1 = decode(a);
    const objects = [p1.ip, p1.tcp, p1.tcp?.options];
    const p3 = decode(c);
    assert.deepEqual([p3.ip, p3.tcp, p3.tcp?.options], objects);
    assert.equal(p3.tcp?.seq, 0xfffffff0);
    assert.equal(p3.ip?.id, 7);
  });

  it("leaves a fragment's header alone: the next packet gets the reused one", () => {
    const decode = packetDecoder({ reuse: true });
    const records = mixedRecords();
    const whole = decode(records[0]).ip;
    const fragment = decode(records[4]).ip;
    assert.notEqual(fragment, whole);
    assert.deepEqual(fragment?.fragment, { offset: 0, more: true });
    const next = decode(records[6]).ip;
    assert.equal(next, whole);
    assert.equal(next?.fragment, undefined);
  });

  it("without reuse, every packet is a new object", () => {
    const decode = packetDecoder();
    const [a] = mixedRecords();
    assert.notEqual(decode(a), decode(a));
    assert.notEqual(decode(a).tcp, decode(a).tcp);
  });

  for (const dir of ["decode", "conns", "tcp"]) {
    it(`gives what decodePacket gives on the ${dir} fixture captures`, async () => {
      const files = readdirSync(join(fixturesDir, dir)).filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f));
      let n = 0;
      for (const file of files) {
        const records: PacketRecord[] = [];
        await readCaptureFile(join(fixturesDir, dir, file), (rec) => {
          records.push(rec);
        });
        n += checkSequence(records);
      }
      assert.ok(n > 20, `${n} records`);
    });
  }
});
