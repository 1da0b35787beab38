// Rate-of-change detection: a count per subject (CLOSE-WAIT sockets per process) that keeps rising.
//
// CLOSE-WAIT never times out, so a leaking process only accumulates: its count rises and never
// falls. A healthy process closes its sockets and its count goes down now and then. The trend is
// therefore: N increases with no decrease in between (an interval without change neither counts nor
// breaks the trend, so a slow leak of one socket a minute is caught at a 10 s interval too). A
// decrease, or the subject vanishing (process gone, no CLOSE-WAIT left), starts over.

export interface GrowthTrend {
  subject: string;
  /** Increases since the last decrease. */
  increases: number;
  /** Current count. */
  count: number;
  /** Count when the trend started (before its first increase). */
  startCount: number;
  /** The most recent counts, oldest first (at most intervals + 1 values). */
  recent: number[];
}

interface Track {
  increases: number;
  startCount: number;
  recent: number[];
}

export class GrowthTracker {
  private readonly tracks = new Map<string, Track>();

  constructor(private intervals: number) {}

  setIntervals(n: number): void {
    this.intervals = Math.max(1, Math.floor(n));
  }

  /**
   * Folds one interval's counts (subject → count; absent subjects count as gone) and returns the
   * subjects whose count rose at least `intervals` times without falling.
   */
  update(counts: Map<string, number>): GrowthTrend[] {
    for (const subject of [...this.tracks.keys()]) if (!counts.has(subject)) this.tracks.delete(subject);
    const out: GrowthTrend[] = [];
    for (const [subject, count] of counts) {
      const t = this.tracks.get(subject);
      if (!t) {
        this.tracks.set(subject, { increases: 0, startCount: count, recent: [count] });
        continue;
      }
      const last = t.recent[t.recent.length - 1] ?? count;
      if (count > last) t.increases++;
      else if (count < last) {
        t.increases = 0;
        t.startCount = count;
      }
      t.recent.push(count);
      if (t.recent.length > this.intervals + 1) t.recent.shift();
      if (t.increases >= this.intervals) {
        out.push({ subject, increases: t.increases, count, startCount: t.startCount, recent: [...t.recent] });
      }
    }
    return out;
  }
}
