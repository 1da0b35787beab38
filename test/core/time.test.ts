// Packet times in nanoseconds: exact over any span a capture can have, either direction.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nsBetween } from "../../src/core/time.js";

describe("nsBetween", () => {
  it("is the exact nanosecond difference, with or without a second boundary between", () => {
    assert.equal(nsBetween(1_700_000_000, 999_999_999, 1_700_000_000, 999_999_999), 0);
    assert.equal(nsBetween(1_700_000_000, 999_999_999, 1_700_000_001, 0), 1);
    assert.equal(nsBetween(1_700_000_000, 500, 1_700_000_000, 1_500), 1_000);
  });

  it("stays exact past the 2.1 s where small integers overflow, and over 100 days", () => {
    assert.equal(nsBetween(1_700_000_000, 123, 1_700_000_003, 124), 3_000_000_001);
    const days100 = 100 * 86_400;
    const ns = nsBetween(1_700_000_000, 1, 1_700_000_000 + days100, 999_999_999);
    assert.equal(ns, days100 * 1e9 + 999_999_998);
    assert.ok(Number.isSafeInteger(ns));
  });

  it("is negative when the clock ran backwards", () => {
    assert.equal(nsBetween(1_700_000_010, 0, 1_700_000_000, 250), -9_999_999_750);
    assert.equal(nsBetween(1_700_000_000, 800, 1_700_000_000, 200), -600);
  });
});
