// pcapng timestamps: a 64-bit count of interface time units (if_tsresol) since the epoch, split
// exactly into whole seconds and nanoseconds. Decimal resolutions down to 1 ns (the usual µs and
// ns) use exact double arithmetic; binary and sub-nanosecond resolutions, and dates past 2106,
// fall back to BigInt.

/** How one interface's raw timestamps convert to seconds + nanoseconds. */
export interface TsResolution {
  /** Raw if_tsresol byte (6 when the option is absent). */
  raw: number;
  /** Time units per second when they are a power of ten no finer than 1 ns, else 0 (BigInt path). */
  unitsPerSec: number;
  /** Nanoseconds per unit on the decimal path. */
  nsPerUnit: number;
  /** Decimal digits of precision the resolution carries (at most 9). */
  digits: number;
}

/** Decodes if_tsresol: high bit clear = 10^-n s, set = 2^-n s. */
export function tsResolution(tsresol: number): TsResolution {
  const exp = tsresol & 0x7f;
  if ((tsresol & 0x80) === 0) {
    if (exp <= 9) return { raw: tsresol, unitsPerSec: 10 ** exp, nsPerUnit: 10 ** (9 - exp), digits: exp };
    return { raw: tsresol, unitsPerSec: 0, nsPerUnit: 0, digits: 9 };
  }
  return { raw: tsresol, unitsPerSec: 0, nsPerUnit: 0, digits: Math.min(9, Math.ceil(exp * Math.log10(2))) };
}

export const MICROSECONDS: TsResolution = tsResolution(6);

/** Result slot reused across calls so the per-packet path allocates nothing. */
export interface SplitTime {
  sec: number;
  nsec: number;
}

/** Splits the 64-bit unit count hi:lo into seconds and nanoseconds, exactly. */
export function splitTimestamp(hi: number, lo: number, res: TsResolution, out: SplitTime): void {
  const units = res.unitsPerSec;
  if (units !== 0) {
    // Estimate the seconds from the rounded count (off by at most one), then get the remainder
    // exactly: hi·2^32 and q·units (units = 2^n·5^n, 5^9 < 2^21) are exact doubles while q < 2^32,
    // so their difference is exact too. No floating-point modulo (a slow library call) involved.
    let q = Math.floor((hi * 4294967296 + lo) / units);
    if (q < 4294967296) {
      let r = hi * 4294967296 - q * units + lo;
      while (r < 0) {
        r += units;
        q--;
      }
      while (r >= units) {
        r -= units;
        q++;
      }
      out.sec = q;
      out.nsec = r * res.nsPerUnit;
      return;
    }
  }
  splitTimestampExact(hi, lo, res.raw, out);
}

function splitTimestampExact(hi: number, lo: number, tsresol: number, out: SplitTime): void {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const exp = BigInt(tsresol & 0x7f);
  const perSec = (tsresol & 0x80) !== 0 ? 1n << exp : 10n ** exp;
  // Fractions finer than 1 ns are truncated (never rounded up into the next second).
  out.sec = Number(v / perSec);
  out.nsec = Number(((v % perSec) * 1_000_000_000n) / perSec);
}
