// What the per-packet stages share about time: packet times as nanoseconds since a reference (the
// unit the analysis works in), and when they sweep their idle connections.

/**
 * Nanoseconds from (t0Sec, t0Nsec) to (sec, nsec): exact, as doubles hold every integer below
 * 2^53 ns (104 days). The 4 s added and taken off again keep V8's arithmetic on doubles from the
 * first packet: speculating on small integers, the product overflows 2.1 s into a capture, and the
 * optimised code of the whole per-packet path that inlined it is thrown away and compiled again.
 */
export function nsBetween(t0Sec: number, t0Nsec: number, sec: number, nsec: number): number {
  return (sec - t0Sec + 4) * 1e9 - 4e9 + (nsec - t0Nsec);
}

/**
 * When a per-packet stage sweeps its connections: every `every` (in the stage's time unit) from
 * `first` on, and once at packet SWEEP_WARMUP_PACKETS as of -Infinity, a time that retires nothing.
 * Why that one: V8 records no type feedback for a function's first calls, and code first run
 * after it is optimised deoptimises; the first timed sweep (at the first packet, or a second into
 * the capture) would throw away the optimised per-packet path that inlined the call. Both kinds
 * go through the same code, run in full at the warm-up packet.
 */
export class SweepSchedule {
  private next: number;
  /** Packets counted up to SWEEP_WARMUP_PACKETS. */
  private packets = 0;

  constructor(
    private readonly every: number,
    first: number,
  ) {
    this.next = first;
  }

  /** For a packet at `now`: the time to sweep as of, or undefined for no sweep. */
  sweepAt(now: number): number | undefined {
    const due = now >= this.next;
    if (!due && (this.packets >= SWEEP_WARMUP_PACKETS || ++this.packets !== SWEEP_WARMUP_PACKETS))
      return undefined;
    const next = now + this.every;
    this.next = due ? next : this.next;
    return due ? now : Number.NEGATIVE_INFINITY;
  }
}

const SWEEP_WARMUP_PACKETS = 128;
