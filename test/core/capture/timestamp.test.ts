import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SplitTime, splitTimestamp, tsResolution } from "../../../src/core/capture/timestamp.js";

/** Reference conversion with BigInt throughout. */
function reference(units: bigint, tsresol: number): [number, number] {
  const exp = BigInt(tsresol & 0x7f);
  const perSec = (tsresol & 0x80) !== 0 ? 1n << exp : 10n ** exp;
  const sec = units / perSec;
  const nsec = ((units % perSec) * 1_000_000_000n) / perSec;
  return [Number(sec), Number(nsec)];
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe("splitTimestamp", () => {
  it("matches exact integer arithmetic for every decimal and binary resolution", () => {
    const next = lcg(7);
    const out: SplitTime = { sec: 0, nsec: 0 };
    const resolutions = [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      12,
      15,
      0x80,
      0x80 | 1,
      0x80 | 10,
      0x80 | 20,
      0x80 | 32,
      0x80 | 40,
    ];
    for (const tsresol of resolutions) {
      const res = tsResolution(tsresol);
      // Random values, and values around the 2^53 boundary of the fast path.
      const his = [0, 1, 0x1fffff, 0x200000, 0x200001, 0xffffffff];
      for (let i = 0; i < 300; i++) his.push(i % 2 ? next() : next() >>> 11);
      for (const hi of his) {
        const lo = next();
        splitTimestamp(hi, lo, res, out);
        const units = (BigInt(hi) << 32n) | BigInt(lo);
        assert.deepEqual(
          [out.sec, out.nsec],
          reference(units, tsresol),
          `tsresol ${tsresol}, ${units} units`,
        );
      }
    }
  });

  it("knows the precision each resolution carries", () => {
    assert.equal(tsResolution(6).digits, 6);
    assert.equal(tsResolution(9).digits, 9);
    assert.equal(tsResolution(12).digits, 9);
    assert.equal(tsResolution(0x80 | 10).digits, 4); // 1/1024 s
    assert.equal(tsResolution(0x80 | 30).digits, 9);
  });
});
