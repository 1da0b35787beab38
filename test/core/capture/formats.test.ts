// The reader on small synthetic files covering each corner of the two formats.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  CaptureFormatError,
  CaptureParser,
  captureFormatOf,
  isGzip,
  recordBytes,
} from "../../../src/core/capture/parser.js";
import type { CaptureFileInfo, PacketRecord, ReaderWarning } from "../../../src/core/types.js";
import {
  block,
  concatBytes,
  epb,
  idb,
  isb,
  opb,
  optI64,
  optString,
  optU8,
  optU64,
  payload,
  pcapFile,
  shb,
  spb,
} from "../../fixtures/capture/builders.js";
import { which } from "../../helpers.js";

/** A record's bytes, as numbers. */
const bytesOf = (r: PacketRecord) => [...recordBytes(r)];
/** A record's fields but where its bytes lie (which depends on the chunking). */
const fieldsOf = ({ bytes: _bytes, start: _start, ...rest }: PacketRecord) => rest;
/** A record that owns a copy of its bytes (taken during the callback, as a consumer must). */
const snapshot = (r: PacketRecord): PacketRecord => ({ ...r, bytes: recordBytes(r).slice(), start: 0 });

interface Result {
  records: PacketRecord[];
  info: CaptureFileInfo;
  warnings: ReaderWarning[];
}

function read(bytes: Uint8Array, chunk = bytes.length || 1): Result {
  const warnings: ReaderWarning[] = [];
  const parser = new CaptureParser({ onWarning: (w) => warnings.push(w) });
  const records: PacketRecord[] = [];
  for (let at = 0; at < bytes.length; at += chunk) {
    parser.push(bytes.slice(at, at + chunk), (r) => records.push(r));
  }
  return { records, info: parser.end(), warnings };
}

/** Reads whole and in 1-, 3- and 7-byte chunks; all must agree; returns the whole read. */
function readAllWays(bytes: Uint8Array): Result {
  const whole = read(bytes);
  for (const n of [1, 3, 7]) {
    const r = read(bytes, n);
    assert.deepEqual(r.records.map(fieldsOf), whole.records.map(fieldsOf), `${n}-byte chunks`);
    assert.deepEqual(r.records.map(bytesOf), whole.records.map(bytesOf), `${n}-byte chunks: bytes`);
    assert.deepEqual(r.info, whole.info, `${n}-byte chunks: info`);
  }
  return whole;
}

function formatError(bytes: Uint8Array, chunk?: number): CaptureFormatError {
  try {
    read(bytes, chunk);
  } catch (err) {
    assert.ok(err instanceof CaptureFormatError, `expected a CaptureFormatError, got ${err}`);
    return err;
  }
  assert.fail("expected the read to throw");
}

const tshark = which("tshark");
const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-capture-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** tshark's view of a file: "epoch\tcaplen\tlen" per frame. */
function tsharkFrames(bytes: Uint8Array, name: string): string[] {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  const r = spawnSync(
    tshark!,
    ["-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split("\n");
}

function ours(records: PacketRecord[]): string[] {
  return records.map((r) => `${r.tsSec}.${String(r.tsNsec).padStart(9, "0")}\t${r.capLen}\t${r.origLen}`);
}

const noTshark = tshark ? false : "skipped: tshark not installed";

describe("classic pcap", () => {
  const records = [
    { sec: 1700000000, frac: 1, data: payload(60, 1) },
    { sec: 1700000001, frac: 999_999, data: payload(54, 2), origLen: 1514 },
    { sec: 1700000002, frac: 500_000, data: payload(0, 3) },
  ];

  for (const littleEndian of [true, false]) {
    const order = littleEndian ? "little-endian" : "big-endian";
    it(`reads a ${order} µs file`, () => {
      const { records: got, info } = readAllWays(pcapFile({ littleEndian, snaplen: 65535 }, records));
      assert.deepEqual(
        got.map((r) => [r.frame, r.tsSec, r.tsNsec, r.capLen, r.origLen, r.linkType, r.interfaceId]),
        [
          [1, 1700000000, 1000, 60, 60, 1, 0],
          [2, 1700000001, 999_999_000, 54, 1514, 1, 0],
          [3, 1700000002, 500_000_000, 0, 0, 1, 0],
        ],
      );
      assert.deepEqual(bytesOf(got[1]), [...payload(54, 2)]);
      assert.equal(info.format, "pcap");
      assert.equal(info.tsPrecision, 6);
      assert.deepEqual(info.interfaces, [{ linkType: 1, snaplen: 65535 }]);
      assert.equal(info.packets, 3);
    });

    it(`reads a ${order} ns file`, () => {
      const ns = [
        { sec: 1700000000, frac: 123_456_789, data: payload(60) },
        { sec: 1700000000, frac: 999_999_999, data: payload(60) },
      ];
      const { records: got, info } = readAllWays(pcapFile({ littleEndian, nanos: true }, ns));
      assert.deepEqual(
        got.map((r) => [r.tsSec, r.tsNsec]),
        [
          [1700000000, 123_456_789],
          [1700000000, 999_999_999],
        ],
      );
      assert.equal(info.tsPrecision, 9);
    });

    it(`agrees with tshark on a ${order} ns file`, { skip: noTshark }, () => {
      const bytes = pcapFile({ littleEndian, nanos: true }, [
        { sec: 1700000000, frac: 1, data: payload(60) },
        { sec: 1700000003, frac: 987_654_321, data: payload(42), origLen: 100 },
      ]);
      assert.deepEqual(ours(read(bytes).records), tsharkFrames(bytes, `ns-${order}.pcap`));
    });
  }

  it("masks the FCS bits off the link-type field", () => {
    const field = 0x10000000 | 0x04000000 | 113; // FCS length 1 (×16 bits), F flag, Linux SLL
    const { records: got, info } = read(pcapFile({ linkTypeField: field }, records));
    assert.equal(got[0].linkType, 113);
    assert.equal(info.interfaces[0].linkType, 113);
  });

  it("accepts records longer than the header's snaplen", () => {
    const { records: got } = read(pcapFile({ snaplen: 10 }, records));
    assert.equal(got[0].capLen, 60);
  });
});

describe("pcapng", () => {
  it("reads two sections of different byte order, interface ids restarting per section", () => {
    const bytes = concatBytes(
      shb(true),
      idb(true, 1, 262144, [optString(2, "eth0")]),
      epb(true, 0, 1700000000_000001n, payload(60, 1)),
      shb(false),
      idb(false, 113, 0),
      idb(false, 101, 128, [optString(2, "tun0\0")]),
      epb(false, 1, 1700000000_000002n, payload(40, 2)),
      epb(false, 0, 1700000000_000003n, payload(44, 3)),
    );
    const { records: got, info, warnings } = readAllWays(bytes);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      got.map((r) => [r.frame, r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.capLen]),
      [
        [1, 0, 1, 1700000000, 1000, 60],
        [2, 2, 101, 1700000000, 2000, 40],
        [3, 1, 113, 1700000000, 3000, 44],
      ],
    );
    assert.deepEqual(bytesOf(got[1]), [...payload(40, 2)]);
    assert.equal(info.format, "pcapng");
    assert.deepEqual(info.interfaces, [
      { linkType: 1, snaplen: 262144, name: "eth0" },
      { linkType: 113, snaplen: 0 },
      { linkType: 101, snaplen: 128, name: "tun0" },
    ]);
  });

  it("converts if_tsresol powers of two and adds if_tsoffset", () => {
    const le = true;
    const bytes = concatBytes(
      shb(le),
      idb(le, 1, 0, [optU8(9, 0x80 | 30), optI64(14, 100n, le)]),
      epb(le, 0, (1700000000n << 30n) + (1n << 29n), payload(60)), // + 1/2 s
      epb(le, 0, (1700000001n << 30n) + 123456789n, payload(60)),
      epb(le, 0, (1700000001n << 30n) + (1n << 30n) - 1n, payload(60)), // just below the next second
    );
    const { records: got, info } = readAllWays(bytes);
    // 123456789 / 2^30 s = 0.114978094.38 s: fractions are truncated to whole nanoseconds.
    assert.deepEqual(
      got.map((r) => [r.tsSec, r.tsNsec]),
      [
        [1700000100, 500_000_000],
        [1700000101, 114_978_094],
        [1700000101, 999_999_999],
      ],
    );
    assert.equal(info.tsPrecision, 9);
  });

  it("agrees with tshark on power-of-two resolutions and offsets", { skip: noTshark }, () => {
    const le = false;
    const bytes = concatBytes(
      shb(le),
      idb(le, 1, 0, [optU8(9, 0x80 | 20), optI64(14, -3600n, le)]),
      epb(le, 0, (1700000000n << 20n) + 777777n, payload(60)),
      epb(le, 0, (1700000005n << 20n) + 1n, payload(70)),
    );
    assert.deepEqual(ours(read(bytes).records), tsharkFrames(bytes, "pow2.pcapng"));
  });

  it("converts decimal resolutions from seconds to picoseconds exactly", () => {
    const le = true;
    const cases: [tsresol: number, units: bigint, sec: number, nsec: number][] = [
      [0, 1700000000n, 1700000000, 0],
      [3, 1700000000_123n, 1700000000, 123_000_000],
      [6, 1700000000_123456n, 1700000000, 123_456_000],
      [9, 1700000000_123456789n, 1700000000, 123_456_789],
      [9, 0xffffffffffffffffn, 18446744073, 709_551_615],
      [12, 12345678_901234567890n, 12345678, 901_234_567],
    ];
    for (const [tsresol, units, sec, nsec] of cases) {
      const bytes = concatBytes(shb(le), idb(le, 1, 0, [optU8(9, tsresol)]), epb(le, 0, units, payload(20)));
      const { records: got, info } = read(bytes);
      assert.deepEqual([got[0].tsSec, got[0].tsNsec], [sec, nsec], `if_tsresol ${tsresol}, ${units} units`);
      assert.equal(info.tsPrecision, Math.min(tsresol, 9));
    }
  });

  it("takes a simple packet block's captured length from its original length and the snaplen", () => {
    const le = true;
    const bytes = concatBytes(shb(le), idb(le, 1, 64), spb(le, 100, payload(64)), spb(le, 41, payload(41)));
    const { records: got } = readAllWays(bytes);
    assert.deepEqual(
      got.map((r) => [r.capLen, r.origLen, recordBytes(r).length, r.tsSec, r.tsNsec]),
      [
        [64, 100, 64, 0, 0],
        [41, 41, 41, 0, 0],
      ],
    );
    assert.deepEqual(bytesOf(got[1]), [...payload(41)]);
  });

  it("reads the obsolete packet block", () => {
    const le = false;
    const bytes = concatBytes(shb(le), idb(le, 1, 0), opb(le, 0, 0, 1700000000_250000n, payload(33)));
    const { records: got } = readAllWays(bytes);
    assert.deepEqual(
      got.map((r) => [r.tsSec, r.tsNsec, r.capLen, r.interfaceId]),
      [[1700000000, 250_000_000, 33, 0]],
    );
    assert.deepEqual(bytesOf(got[0]), [...payload(33)]);
  });

  it("reports interface drops from statistics blocks, latest counters per interface", () => {
    const le = true;
    const bytes = concatBytes(
      shb(le),
      idb(le, 1, 0, [optString(2, "eth0")]),
      idb(le, 1, 0),
      epb(le, 0, 1n, payload(20)),
      isb(le, 0, 2n, [optU64(5, 3n, le), optU64(7, 2n, le)]),
      isb(le, 0, 3n, [optU64(4, 100n, le), optU64(5, 4n, le), optU64(7, 6n, le)]),
      isb(le, 1, 3n, [optU64(7, 1n, le)]),
    );
    const { info, warnings } = readAllWays(bytes);
    assert.equal(info.droppedByInterface, 11);
    assert.ok(warnings.every((w) => w.code === "INTERFACE_DROPS"));
    assert.equal(warnings.length, 3);
    assert.match(warnings[1].message, /interface 0 \(eth0\) reports 10 packets dropped/);
    assert.deepEqual(
      info.warnings,
      warnings.map((w) => w.message),
    );
  });

  it("has no drop count when no statistics block says so", () => {
    const le = true;
    const { info } = read(concatBytes(shb(le), idb(le, 1, 0), isb(le, 0, 0n, [optU64(5, 0n, le)])));
    assert.equal(info.droppedByInterface, 0);
    const { info: none } = read(concatBytes(shb(le), idb(le, 1, 0)));
    assert.equal(none.droppedByInterface, undefined);
  });

  it("skips unknown blocks by their length", () => {
    const le = true;
    const bytes = concatBytes(
      shb(le),
      block(0x40000bad, le, new Uint8Array(12)), // custom block
      block(4, le, new Uint8Array(4)), // name resolution
      idb(le, 1, 0),
      block(0x0000000a, le, new Uint8Array(20)), // decryption secrets
      epb(le, 0, 5n, payload(20)),
      block(0x12345678, le, new Uint8Array(0)),
    );
    const { records: got, warnings } = readAllWays(bytes);
    assert.equal(got.length, 1);
    assert.deepEqual(warnings, []);
  });

  it("skips, with one warning, packets of an interface the section does not declare", () => {
    const le = true;
    const bytes = concatBytes(
      shb(le),
      idb(le, 1, 0),
      epb(le, 3, 1n, payload(20)),
      epb(le, 3, 2n, payload(20)),
      epb(le, 0, 3n, payload(20)),
    );
    const { records: got, warnings } = read(bytes);
    assert.deepEqual(
      got.map((r) => r.frame),
      [1],
    );
    assert.deepEqual(
      warnings.map((w) => w.code),
      ["UNKNOWN_INTERFACE"],
    );
  });
});

describe("damaged input", () => {
  const le = true;
  const goodPcap = pcapFile({}, [
    { sec: 1, frac: 0, data: payload(60) },
    { sec: 2, frac: 0, data: payload(60) },
    { sec: 3, frac: 0, data: payload(60) },
  ]);
  const thirdRecordAt = 24 + 2 * (16 + 60);

  it("keeps the records before a pcap record cut short and says where", () => {
    for (const cut of [thirdRecordAt + 5, thirdRecordAt + 16 + 30]) {
      for (const chunk of [1, 10, 1000]) {
        const { records: got, info, warnings } = read(goodPcap.subarray(0, cut), chunk);
        assert.equal(got.length, 2);
        assert.equal(info.truncatedAt, thirdRecordAt);
        assert.equal(info.packets, 2);
        assert.deepEqual(
          warnings.map((w) => [w.code, w.offset]),
          [["TRUNCATED", thirdRecordAt]],
        );
        assert.match(info.warnings[0], new RegExp(`byte ${thirdRecordAt}\\b`));
      }
    }
  });

  it("keeps the blocks before a pcapng block cut short", () => {
    const head = concatBytes(shb(le), idb(le, 1, 0), epb(le, 0, 1n, payload(60)));
    const bytes = concatBytes(head, epb(le, 0, 2n, payload(60)));
    const { records: got, info } = read(bytes.subarray(0, bytes.length - 3), 7);
    assert.equal(got.length, 1);
    assert.equal(info.truncatedAt, head.length);
  });

  it("ends cleanly on a record boundary", () => {
    const { info, warnings } = read(goodPcap.subarray(0, thirdRecordAt), 5);
    assert.equal(info.truncatedAt, undefined);
    assert.deepEqual(warnings, []);
  });

  it("rejects a bad magic at byte 0", () => {
    const bytes = goodPcap.slice();
    bytes[0] = 0x42;
    const err = formatError(bytes);
    assert.equal(err.code, "BAD_MAGIC");
    assert.equal(err.offset, 0);
    assert.match(err.message, /expected a pcap magic .* at byte 0$/);
  });

  it("names text and gzip for what they are", () => {
    assert.match(
      formatError(new TextEncoder().encode("1700000000.000001 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S]\n"))
        .message,
      /text/,
    );
    assert.match(formatError(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0)).message, /gzip/);
  });

  it("rejects empty input and a file shorter than its header", () => {
    assert.equal(formatError(new Uint8Array(0)).code, "EMPTY_INPUT");
    const short = formatError(goodPcap.subarray(0, 20), 3);
    assert.equal(short.code, "SHORT_HEADER");
    assert.match(short.message, /24-byte pcap file header/);
    assert.equal(formatError(shb(le).subarray(0, 16)).code, "SHORT_HEADER");
  });

  it("rejects an unsupported pcap version", () => {
    const bytes = goodPcap.slice();
    bytes[4] = 3;
    const err = formatError(bytes);
    assert.equal(err.code, "BAD_VERSION");
  });

  it("rejects an impossible pcap record length at the record's offset, after the records before it", () => {
    const bytes = goodPcap.slice();
    new DataView(bytes.buffer).setUint32(thirdRecordAt + 8, 0x7fffffff, true);
    for (const chunk of [1, 50, bytes.length]) {
      const seen: number[] = [];
      const parser = new CaptureParser();
      assert.throws(
        () => {
          for (let at = 0; at < bytes.length; at += chunk)
            parser.push(bytes.slice(at, at + chunk), (r) => seen.push(r.frame));
        },
        (err: unknown) =>
          err instanceof CaptureFormatError &&
          err.code === "BAD_RECORD_LENGTH" &&
          err.offset === thirdRecordAt,
      );
      assert.deepEqual(seen, [1, 2]);
    }
  });

  it("rejects a pcapng block whose length is not a multiple of 4", () => {
    const head = concatBytes(shb(le), idb(le, 1, 0));
    const bad = epb(le, 0, 1n, payload(60));
    new DataView(bad.buffer).setUint32(4, 90, le);
    for (const chunk of [1, 1000]) {
      const err = formatError(concatBytes(head, bad), chunk);
      assert.equal(err.code, "BAD_BLOCK_LENGTH");
      assert.equal(err.offset, head.length);
      assert.match(err.message, new RegExp(`multiple of 4 .* at byte ${head.length}$`));
    }
  });

  it("rejects a pcapng block whose trailing length differs", () => {
    const head = concatBytes(shb(le), idb(le, 1, 0));
    const bad = epb(le, 0, 1n, payload(60));
    new DataView(bad.buffer).setUint32(bad.length - 4, bad.length + 4, le);
    const err = formatError(concatBytes(head, bad, epb(le, 0, 2n, payload(60))));
    assert.equal(err.code, "BAD_BLOCK_TRAILER");
    assert.equal(err.offset, head.length + bad.length - 4);
  });

  it("rejects a bad byte-order magic and blocks before any section header", () => {
    const badShb = shb(le);
    new DataView(badShb.buffer).setUint32(8, 0xdeadbeef, le);
    const err = formatError(badShb);
    assert.equal(err.code, "BAD_MAGIC");
    assert.equal(err.offset, 8);
    // A second section with a broken header is reported at its own offset.
    const first = concatBytes(shb(le), idb(le, 1, 0));
    assert.equal(formatError(concatBytes(first, badShb)).offset, first.length + 8);
  });

  it("rejects an enhanced packet block whose captured length overruns the block", () => {
    const head = concatBytes(shb(le), idb(le, 1, 0));
    const bad = epb(le, 0, 1n, payload(60));
    new DataView(bad.buffer).setUint32(20, 200, le);
    const err = formatError(concatBytes(head, bad));
    assert.equal(err.code, "BAD_BLOCK");
    assert.equal(err.offset, head.length);
  });

  it("never throws on packet contents", () => {
    // Arbitrary bytes inside records are the decoder's business, not the reader's.
    const rand = Uint8Array.from({ length: 3000 }, (_, i) => (i * 2654435761) >>> 24);
    const bytes = pcapFile({ linkTypeField: 0xffff }, [
      { sec: 0, frac: 0, data: rand.subarray(0, 1500) },
      { sec: 0xffffffff, frac: 0xffffffff, data: rand.subarray(1500), origLen: 0 },
    ]);
    const { records: got } = readAllWays(bytes);
    assert.equal(got.length, 2);
    // An out-of-range µs field carries into the seconds instead of giving tsNsec >= 1e9.
    assert.ok(got[1].tsNsec < 1e9);
  });
});

describe("views stay valid", () => {
  it("keeps every record's bytes intact after the chunks that carried it are overwritten by the caller", () => {
    // The parser must not reuse its own buffers; chunks it was given are the caller's to keep.
    const recs = Array.from({ length: 50 }, (_, i) => ({ sec: i, frac: 0, data: payload(37 + i, i) }));
    const bytes = pcapFile({}, recs);
    const parser = new CaptureParser();
    const got: PacketRecord[] = [];
    for (let at = 0; at < bytes.length; at += 13) parser.push(bytes.slice(at, at + 13), (r) => got.push(r));
    parser.end();
    assert.equal(got.length, 50);
    for (const [i, r] of got.entries()) assert.deepEqual(bytesOf(r), [...payload(37 + i, i)]);
  });
});

/**
 * Reads through one scratch buffer that every chunk is copied into, overwriting the previous one
 * (a reader reusing its buffers); records are snapshotted during the callback, as they must be.
 */
function readReusingOneBuffer(bytes: Uint8Array, chunk: number): Result {
  const parser = new CaptureParser({ reusedChunks: true });
  const scratch = new Uint8Array(chunk);
  const records: PacketRecord[] = [];
  for (let at = 0; at < bytes.length; at += chunk) {
    const n = Math.min(chunk, bytes.length - at);
    scratch.set(bytes.subarray(at, at + n));
    parser.push(scratch.subarray(0, n), (r) => records.push(snapshot(r)));
  }
  return { records, info: parser.end(), warnings: [] };
}

describe("chunks reused by the caller", () => {
  it("gives the records of fresh chunks, whatever the chunk size, with frames longer than a chunk", () => {
    const recs = Array.from({ length: 40 }, (_, i) => ({
      sec: i,
      frac: 0,
      data: payload(i % 7 === 0 ? 9000 : 60 + i, i),
    }));
    const le = true;
    const pcapng = concatBytes(
      shb(le),
      idb(le, 1, 65535),
      ...recs.map((r, i) => epb(le, 0, BigInt(i) * 1000n, r.data)),
    );
    for (const [name, bytes] of [
      ["pcap", pcapFile({}, recs)],
      ["pcapng", pcapng],
    ] as const) {
      const whole = read(bytes);
      assert.equal(whole.records.length, 40);
      for (const n of [1, 5, 100, 4096, 100_000]) {
        const r = readReusingOneBuffer(bytes, n);
        assert.deepEqual(
          r.records.map(bytesOf),
          whole.records.map(bytesOf),
          `${name}, ${n}-byte chunks: bytes`,
        );
        assert.deepEqual(
          r.records.map(fieldsOf),
          whole.records.map(fieldsOf),
          `${name}, ${n}-byte chunks: fields`,
        );
      }
    }
  });

  it("still reports a record cut short at the end", () => {
    const bytes = pcapFile({}, [{ sec: 1, frac: 0, data: payload(500, 1) }]);
    const cut = bytes.subarray(0, bytes.length - 100);
    const r = readReusingOneBuffer(cut, 64);
    assert.equal(r.records.length, 0);
    assert.equal(r.info.truncatedAt, 24);
  });
});

describe("records reused by the parser", () => {
  it("refills one record object for every record, with the fields and bytes of fresh records", () => {
    const recs = Array.from({ length: 30 }, (_, i) => ({
      sec: i,
      frac: i * 1000,
      data: payload(40 + i * 97, i),
    }));
    const le = true;
    const pcapng = concatBytes(
      shb(le),
      idb(le, 1, 65535),
      ...recs.map((r, i) =>
        i % 5 === 4 ? spb(le, r.data.length, r.data) : epb(le, 0, BigInt(i) * 1000n, r.data),
      ),
    );
    for (const [name, bytes] of [
      ["pcap", pcapFile({}, recs)],
      ["pcapng", pcapng],
    ] as const) {
      const fresh = read(bytes).records;
      for (const chunk of [7, 1000, bytes.length]) {
        const parser = new CaptureParser({ reusedRecords: true });
        const seen = new Set<PacketRecord>();
        const got: PacketRecord[] = [];
        for (let at = 0; at < bytes.length; at += chunk) {
          parser.push(bytes.slice(at, at + chunk), (r) => {
            seen.add(r);
            got.push(snapshot(r));
          });
        }
        parser.end();
        assert.equal(seen.size, 1, `${name}, ${chunk}-byte chunks: one object`);
        assert.deepEqual(got.map(fieldsOf), fresh.map(fieldsOf), `${name}, ${chunk}-byte chunks: fields`);
        assert.deepEqual(got.map(bytesOf), fresh.map(bytesOf), `${name}, ${chunk}-byte chunks: bytes`);
      }
    }
  });
});

describe("content detection", () => {
  it("recognises pcap, pcapng and gzip heads", () => {
    assert.equal(captureFormatOf(pcapFile({ littleEndian: false }, [])), "pcap");
    assert.equal(captureFormatOf(pcapFile({ nanos: true }, [])), "pcap");
    assert.equal(captureFormatOf(shb(false)), "pcapng");
    assert.equal(captureFormatOf(shb(true).subarray(0, 6)), "pcapng");
    assert.equal(captureFormatOf(new TextEncoder().encode("\n\r\r\nxxxxxxxxxxxxx")), undefined);
    assert.equal(captureFormatOf(new TextEncoder().encode("State  Recv-Q Send-Q")), undefined);
    assert.equal(captureFormatOf(Uint8Array.of(0xa1, 0xb2)), undefined);
    assert.equal(isGzip(Uint8Array.of(0x1f, 0x8b, 8)), true);
    assert.equal(isGzip(Uint8Array.of(0x1f)), false);
    assert.equal(isGzip(shb(true)), false);
  });
});
