// Packet times as nanoseconds since a reference, the unit the per-packet analysis works in.

/**
 * Nanoseconds from (t0Sec, t0Nsec) to (sec, nsec): exact, as doubles hold every integer below
 * 2^53 ns (104 days). The 4 s added and taken off again keep V8's arithmetic on doubles from the
 * first packet: speculating on small integers, the product overflows 2.1 s into a capture, and the
 * optimised code of the whole per-packet path that inlined it is thrown away and compiled again.
 */
export function nsBetween(t0Sec: number, t0Nsec: number, sec: number, nsec: number): number {
  return (sec - t0Sec + 4) * 1e9 - 4e9 + (nsec - t0Nsec);
}
