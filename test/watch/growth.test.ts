import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GrowthTracker } from "../../src/watch/growth.js";

function run(tracker: GrowthTracker, series: (number | undefined)[]): number[] {
  const hits: number[] = [];
  series.forEach((n, i) => {
    const counts = new Map<string, number>();
    if (n !== undefined) counts.set("app(pid 7)", n);
    if (tracker.update(counts).length) hits.push(i + 1);
  });
  return hits;
}

describe("GrowthTracker", () => {
  it("reports a count that rose N times without falling, pauses included", () => {
    const t = new GrowthTracker(5);
    // 1 → 2 → 2 → 3 → 4 → 4 → 5 → 6: the fifth increase is at interval 8.
    assert.deepEqual(run(t, [1, 2, 2, 3, 4, 4, 5, 6, 6]), [8, 9]);
  });

  it("starts over after a decrease, and when the subject vanishes", () => {
    const t = new GrowthTracker(3);
    assert.deepEqual(run(t, [1, 2, 3, 2, 3, 4, undefined, 5, 6, 7, 8]), [11]);
  });

  it("gives the trend's numbers", () => {
    const t = new GrowthTracker(2);
    t.update(new Map([["s", 4]]));
    t.update(new Map([["s", 6]]));
    const [trend] = t.update(new Map([["s", 9]]));
    assert.deepEqual(trend, { subject: "s", increases: 2, count: 9, startCount: 4, recent: [4, 6, 9] });
  });
});
