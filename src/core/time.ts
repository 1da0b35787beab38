// What the per-packet stages share about time: packet times as nanoseconds since a reference (the
// unit the analysis works in), and when their sweeps of idle connections start.

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
 * The per-packet stages sweep their connections once at this packet, as of a time that retires
 * nothing. V8 records no type feedback for a function's first calls, and code never run before
 * it is optimised deoptimises the first time it runs: the first timed sweep (at the first packet,
 * or a second into the capture) would throw away the optimised per-packet path.
 */
export const SWEEP_WARMUP_PACKETS = 128;
