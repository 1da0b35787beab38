// The arithmetic behind `tcpdoctor tune`: units, bandwidth-delay product, buffer sizes, keepalive
// detection time, ephemeral port capacity. Pure functions, no I/O.

/** TIME-WAIT lasts 60 s on Linux (TCP_TIMEWAIT_LEN, not configurable). */
export const TIME_WAIT_SECONDS = 60;

const RATE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  bps: 1,
  k: 1e3,
  kb: 1e3,
  kbit: 1e3,
  kbps: 1e3,
  m: 1e6,
  mb: 1e6,
  mbit: 1e6,
  mbps: 1e6,
  g: 1e9,
  gb: 1e9,
  gbit: 1e9,
  gbps: 1e9,
  t: 1e12,
  tbit: 1e12,
  tbps: 1e12,
};

/**
 * A bandwidth in bits per second: "1g", "1Gbit", "100M", "250mbps", "1e9". Network rates are bits
 * and decimal (1 Gbit = 10^9); "B" in "MB/s" means bytes.
 */
export function parseBandwidth(text: string): number | undefined {
  const m = /^\s*([\d.]+(?:e\d+)?)\s*([a-zA-Z]*)(\/s)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  let unit = m[2] ?? "";
  let bytes = false;
  // "MB/s", "MBps" (capital B alone after the prefix) are bytes per second.
  if (/^[kKmMgGtT]?B(ps)?$/.test(unit) || (m[3] && /B$/.test(unit))) {
    bytes = true;
    unit = unit.replace(/B(ps)?$/, "");
  }
  const factor = RATE_UNITS[unit.toLowerCase()];
  if (!Number.isFinite(value) || factor === undefined) return undefined;
  return value * factor * (bytes ? 8 : 1);
}

/** A duration in milliseconds: "20ms", "0.02s", "150us", "2min"; a bare number is seconds ("0.05" = 50 ms). */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*([\d.]+(?:e-?\d+)?)\s*(us|µs|ms|s|m|min)?\s*$/.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!Number.isFinite(v)) return undefined;
  switch (m[2]) {
    case "us":
    case "µs":
      return v / 1000;
    case "ms":
      return v;
    case "m":
    case "min":
      return v * 60_000;
    default:
      return v * 1000;
  }
}

/** Bandwidth-delay product in bytes: how much data is in flight to fill the path. */
export function bdpBytes(bandwidthBps: number, rttMs: number): number {
  return (bandwidthBps / 8) * (rttMs / 1000);
}

/** The throughput one connection can reach with `bufferBytes` of window over `rttMs`, bits/s. */
export function windowLimitedRate(bufferBytes: number, rttMs: number): number {
  return rttMs > 0 ? (bufferBytes * 8) / (rttMs / 1000) : Number.POSITIVE_INFINITY;
}

/** Next power of two at or above n (buffer maxima are conventionally powers of two). */
export function nextPowerOfTwo(n: number): number {
  if (n <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * The socket buffer maximum a path needs. Linux gives the receive window only part of the buffer
 * (the rest is bookkeeping overhead, tcp_adv_win_scale / scaling_ratio, about half by default), and
 * the sender keeps unacknowledged data for retransmission: twice the BDP, rounded up to a power of
 * two, never below 4 MiB (the usual kernel default maximum).
 */
export function bufferMaxFor(bdp: number): number {
  return Math.max(4 * 1024 * 1024, nextPowerOfTwo(Math.ceil(2 * bdp)));
}

export interface KeepaliveTimers {
  /** Idle seconds before the first probe (tcp_keepalive_time). */
  time: number;
  /** Seconds between probes (tcp_keepalive_intvl). */
  intvl: number;
  /** Unanswered probes before the connection is dropped (tcp_keepalive_probes). */
  probes: number;
}

/** Seconds from the last data until a dead peer is detected: time + intvl x probes. */
export function keepaliveDetectionSeconds(k: KeepaliveTimers): number {
  return k.time + k.intvl * k.probes;
}

/**
 * Keepalive timers that detect a dead peer, and keep middleboxes from expiring an idle connection,
 * before `idleTimeoutSec` (the shortest proxy / load balancer / NAT idle timeout on the path): the
 * first probe at half of it, then `probes` probes spread over the other half.
 */
export function keepaliveFor(idleTimeoutSec: number, probes = 4): KeepaliveTimers {
  const time = Math.max(30, Math.floor(idleTimeoutSec / 2));
  const intvl = Math.max(5, Math.floor((idleTimeoutSec - time) / probes));
  return { time, intvl, probes };
}

/** Ephemeral ports in a range "low high" (inclusive). */
export function portRangeSize(low: number, high: number): number {
  return high >= low ? high - low + 1 : 0;
}

/**
 * New connections per second one client address can open to one destination ip:port while every
 * closed one holds its port in TIME-WAIT for 60 s (without tcp_tw_reuse).
 */
export function connectionsPerSecondCapacity(rangeSize: number): number {
  return rangeSize / TIME_WAIT_SECONDS;
}

/** Ports tied up in TIME-WAIT towards one destination at a steady connection rate. */
export function timeWaitAtRate(connectionsPerSecond: number): number {
  return connectionsPerSecond * TIME_WAIT_SECONDS;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${round(n / 1024 ** 3)} GiB`;
  if (n >= 1024 * 1024) return `${round(n / 1024 ** 2)} MiB`;
  if (n >= 1024) return `${round(n / 1024)} KiB`;
  return `${Math.round(n)} B`;
}

export function formatRate(bps: number): string {
  if (bps >= 1e9) return `${round(bps / 1e9)} Gbit/s`;
  if (bps >= 1e6) return `${round(bps / 1e6)} Mbit/s`;
  if (bps >= 1e3) return `${round(bps / 1e3)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

export function formatSeconds(s: number): string {
  if (s >= 3600) return `${round(s / 3600)} h`;
  if (s >= 120) return `${round(s / 60)} min`;
  return `${round(s)} s`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
