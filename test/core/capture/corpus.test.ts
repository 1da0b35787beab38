// Conformance of the capture reader on every capture of the shared corpus: the records must not
// depend on how the bytes are chunked, and must match capinfos' count and tshark's timestamps.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CaptureParser, recordBytes } from "../../../src/core/capture/parser.js";
import type { CaptureFileInfo, PacketRecord } from "../../../src/core/types.js";
import { corpusCaptures, needsShared, which } from "../../helpers.js";

/** Deterministic PRNG (mulberry32) so a failing chunking can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Read {
  records: PacketRecord[];
  info: CaptureFileInfo;
}

/**
 * Feeds bytes in chunks of the given sizes. With `copy` every chunk is a fresh buffer, as a stream
 * delivers them, so records compared after the last push prove their views stayed valid.
 */
function readChunked(bytes: Uint8Array, nextSize: () => number, copy = true): Read {
  const parser = new CaptureParser();
  const records: PacketRecord[] = [];
  const emit = (r: PacketRecord) => records.push(r);
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(bytes.length - at, Math.max(1, nextSize()));
    parser.push(copy ? bytes.slice(at, at + n) : bytes.subarray(at, at + n), emit);
    at += n;
  }
  return { records, info: parser.end() };
}

function readWhole(bytes: Uint8Array): Read {
  const parser = new CaptureParser();
  const records: PacketRecord[] = [];
  parser.push(bytes, (r) => records.push(r));
  return { records, info: parser.end() };
}

/** Mostly small chunks (records straddle often) mixed with large ones (the in-place path). */
function randomSizes(seed: number): () => number {
  const rand = prng(seed);
  return () => (rand() < 0.5 ? 1 + Math.floor(rand() * 200) : 1 + Math.floor(rand() * 70000));
}

function assertSameRecords(actual: Read, expected: Read, what: string): void {
  assert.equal(actual.records.length, expected.records.length, `${what}: record count`);
  for (let i = 0; i < expected.records.length; i++) {
    const a = actual.records[i];
    const e = expected.records[i];
    // Where the bytes lie depends on the chunking; what they are must not.
    const { bytes: _ab, start: _as, ...af } = a;
    const { bytes: _eb, start: _es, ...ef } = e;
    const ad = recordBytes(a);
    const ed = recordBytes(e);
    assert.deepEqual(af, ef, `${what}: record ${i + 1}`);
    assert.ok(
      Buffer.from(ad.buffer, ad.byteOffset, ad.length).equals(ed),
      `${what}: bytes of record ${i + 1}`,
    );
  }
  assert.deepEqual(actual.info, expected.info, `${what}: file info`);
}

/** 1-byte chunking is slow: beyond this size it runs on a cut copy of the file's start. */
const ONE_BYTE_LIMIT = 200_000;

const captures = corpusCaptures();
const capinfos = which("capinfos");
const tshark = which("tshark");

describe("capture reader on the corpus", { skip: needsShared }, () => {
  it("finds capture files in the corpus", () => {
    assert.ok(captures.length > 10, `only ${captures.length} captures found`);
  });

  for (const [scenario, file, path] of captures) {
    const name = `${scenario}/${file}`;
    describe(name, () => {
      const bytes = new Uint8Array(readFileSync(path));
      const whole = readWhole(bytes);

      it("reads the file whole without warnings", () => {
        assert.ok(whole.records.length > 0);
        assert.deepEqual(whole.info.warnings, []);
        assert.equal(whole.info.truncatedAt, undefined);
        assert.equal(whole.info.packets, whole.records.length);
        whole.records.forEach((r, i) => {
          assert.equal(r.frame, i + 1);
          assert.equal(recordBytes(r).length, r.capLen);
        });
      });

      it("gives identical records for random chunk sizes", () => {
        for (const seed of [1, 2])
          assertSameRecords(readChunked(bytes, randomSizes(seed)), whole, `seed ${seed}`);
      });

      it("gives identical records for 1-byte chunks", () => {
        const cut = bytes.length > ONE_BYTE_LIMIT ? bytes.slice(0, ONE_BYTE_LIMIT) : bytes;
        const expected = cut === bytes ? whole : readWhole(cut);
        if (cut !== bytes) assert.ok(expected.info.truncatedAt !== undefined || expected.records.length > 0);
        assertSameRecords(
          readChunked(cut, () => 1, false),
          expected,
          "1-byte chunks",
        );
      });

      it(
        "counts the packets capinfos counts",
        {
          skip: capinfos ? false : "skipped: capinfos not installed",
        },
        () => {
          const r = spawnSync(capinfos!, ["-c", "-M", path], { encoding: "utf8" });
          const m = /Number of packets:\s+(\d+)/.exec(r.stdout);
          assert.ok(m, `capinfos output: ${r.stdout}${r.stderr}`);
          assert.equal(whole.records.length, Number(m[1]));
        },
      );

      it(
        "matches tshark's timestamps and lengths to the nanosecond",
        {
          skip: tshark ? false : "skipped: tshark not installed",
        },
        () => {
          const r = spawnSync(
            tshark!,
            [
              "-n",
              "-r",
              path,
              "-T",
              "fields",
              "-e",
              "frame.time_epoch",
              "-e",
              "frame.cap_len",
              "-e",
              "frame.len",
              "-e",
              "frame.interface_id",
            ],
            { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
          );
          assert.equal(r.status, 0, r.stderr);
          const lines = r.stdout.trimEnd().split("\n");
          assert.equal(lines.length, whole.records.length);
          lines.forEach((line, i) => {
            const [epoch, capLen, len, ifId] = line.split("\t");
            const rec = whole.records[i];
            const ours = `${rec.tsSec}.${String(rec.tsNsec).padStart(9, "0")}`;
            assert.equal(ours, epoch, `frame ${i + 1} timestamp`);
            assert.equal(rec.capLen, Number(capLen), `frame ${i + 1} captured length`);
            assert.equal(rec.origLen, Number(len), `frame ${i + 1} length`);
            assert.equal(rec.interfaceId, Number(ifId || 0), `frame ${i + 1} interface`);
          });
        },
      );
    });
  }
});
