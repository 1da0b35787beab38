// Small wording helpers shared by the explainers: durations, sizes, rates, counts.

/** Seconds → "0.4 ms", "148 ms", "1.02 s", "3 min 20 s". */
export function duration(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const abs = Math.abs(sec);
  if (abs < 0.001) return `${(sec * 1000).toFixed(3).replace(/0+$/, "").replace(/\.$/, "")} ms`;
  if (abs < 0.01) return `${(sec * 1000).toFixed(1)} ms`;
  if (abs < 1) return `${Math.round(sec * 1000)} ms`;
  if (abs < 120) return `${sec.toFixed(abs < 10 ? 2 : 1)} s`;
  const min = Math.floor(abs / 60);
  return `${sec < 0 ? "-" : ""}${min} min ${Math.round(abs - min * 60)} s`;
}

/** Milliseconds → the same wording as duration(). */
export function ms(msValue: number): string {
  return duration(msValue / 1000);
}

/** Bytes → "1448 bytes", "64.0 KiB", "8.6 MiB". */
export function bytes(n: number): string {
  if (n < 10 * 1024) return `${n} byte${n === 1 ? "" : "s"}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** Bits per second → "780 kbit/s", "18.7 Mbit/s". */
export function rate(bps: number): string {
  if (bps < 1000) return `${Math.round(bps)} bit/s`;
  if (bps < 1e6) return `${Math.round(bps / 1000)} kbit/s`;
  if (bps < 1e9) return `${(bps / 1e6).toFixed(bps < 1e7 ? 2 : 1)} Mbit/s`;
  return `${(bps / 1e9).toFixed(2)} Gbit/s`;
}

/** 1 → "1st", 2 → "2nd", ... */
export function ordinal(n: number): string {
  const mod100 = n % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`;
  const suffix = n % 10 === 1 ? "st" : n % 10 === 2 ? "nd" : n % 10 === 3 ? "rd" : "th";
  return `${n}${suffix}`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Thousands separated with a thin comma: 41827 → "41,827". */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A percentage with sensible precision. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return "0%";
  const p = (part / whole) * 100;
  return `${p < 1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}
