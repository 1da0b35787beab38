// Helpers shared by the host rules: socket table access, sysctl and counter lookups, and the
// shape of a cited socket line. Pure: everything comes from the HostSnapshot.
import type { HostSnapshot, SocketEntry, SourceRef } from "../../host/types.js";

// Socket tables can hold 100k+ entries: these take a list's extremes without spreading it.
export { maxOf, minOf } from "../capture/common.js";

/** How many offending socket lines a finding cites (the rest are counted, not listed). */
export const MAX_CITED = 10;

const uniqueCache = new WeakMap<HostSnapshot, SocketEntry[]>();

/** Richness of an entry: a socket seen in both `ss -tan` and `ss -tanpie` keeps the fuller row. */
function richness(s: SocketEntry): number {
  return (s.processes ? 4 : 0) + (s.info ? 2 : 0) + (s.timer ? 1 : 0) + (s.skmem ? 1 : 0);
}

/**
 * The socket table with duplicates removed: several inputs of one host (ss -tan, ss -tanpie,
 * /proc/net/tcp) may list the same socket; counting it twice would double every pile-up.
 */
export function sockets(host: HostSnapshot): SocketEntry[] {
  return cachedPerHost(uniqueCache, host, uniqueSockets);
}

function uniqueSockets(host: HostSnapshot): SocketEntry[] {
  const byKey = new Map<string, SocketEntry>();
  for (const s of host.sockets ?? []) {
    const key = `${s.state}|${endpoint(s.localIp, s.localPort)}|${endpoint(s.peerIp, s.peerPort)}`;
    const seen = byKey.get(key);
    if (!seen || richness(s) > richness(seen)) byKey.set(key, s);
  }
  return [...byKey.values()];
}

/** What `compute` derives from a snapshot, computed once per snapshot: several rules ask for it. */
export function cachedPerHost<T>(
  cache: WeakMap<HostSnapshot, T>,
  host: HostSnapshot,
  compute: (host: HostSnapshot) => T,
): T {
  let value = cache.get(host);
  if (value === undefined) {
    value = compute(host);
    cache.set(host, value);
  }
  return value;
}

/** "ip:port", IPv6 in brackets; port 0 printed as "*". */
export function endpoint(ip: string, port: number): string {
  const p = port === 0 ? "*" : String(port);
  return ip.includes(":") ? `[${ip}]:${p}` : `${ip}:${p}`;
}

export function localOf(s: SocketEntry): string {
  return endpoint(s.localIp, s.localPort);
}

export function peerOf(s: SocketEntry): string {
  return endpoint(s.peerIp, s.peerPort);
}

/** The line a finding cites for a socket: the input line when known, else a rebuilt ss-like row. */
function socketLine(s: SocketEntry): string {
  if (s.source?.text) return s.source.text;
  const users = s.processes?.length
    ? ` users:(${s.processes.map((p) => `("${p.name}",pid=${p.pid},fd=${p.fd})`).join(",")})`
    : "";
  const timer = s.timer
    ? ` timer:(${s.timer.name},${s.timer.expiresMs ?? ""}ms,${s.timer.retrans ?? 0})`
    : "";
  return `${s.state} ${s.recvQ} ${s.sendQ} ${localOf(s)} ${peerOf(s)}${users}${timer}`;
}

export function sourceOf(s: SocketEntry): SourceRef | undefined {
  return s.source ? { ...s.source, text: s.source.text ?? socketLine(s) } : undefined;
}

/** Cited lines and source references for a list of offending sockets (first MAX_CITED). */
export function cite(list: SocketEntry[], max = MAX_CITED): { sockets: string[]; sources: SourceRef[] } {
  const picked = list.slice(0, max);
  const sources: SourceRef[] = [];
  for (const s of picked) {
    const ref = sourceOf(s);
    if (ref) sources.push(ref);
  }
  return { sockets: picked.map(socketLine), sources };
}

/** The process that owns a socket, as "name(pid)", or undefined when ss -p was not used. */
export function ownerOf(s: SocketEntry): { label: string; pid: number; name: string } | undefined {
  const p = s.processes?.[0];
  if (!p) return undefined;
  return { label: `${p.name}(pid ${p.pid})`, pid: p.pid, name: p.name };
}

/** Counts per key, largest first. */
export function tally<T>(items: T[], keyOf: (x: T) => string | undefined): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    if (k === undefined) continue;
    let g = groups.get(k);
    if (!g) {
      g = [];
      groups.set(k, g);
    }
    g.push(it);
  }
  return [...groups.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
}

/** A sysctl as a number (first field), accepting the dotted or slashed name. */
export function sysctlNumber(host: HostSnapshot, name: string): number | undefined {
  const v = sysctlNumbers(host, name);
  return v?.[0];
}

/** A sysctl with several fields ("4096 131072 6291456") as numbers. */
export function sysctlNumbers(host: HostSnapshot, name: string): number[] | undefined {
  const raw = host.sysctls?.[name] ?? host.sysctls?.[name.replace(/\./g, "/")];
  if (raw === undefined) return undefined;
  const parts = raw
    .trim()
    .split(/\s+/)
    .map((x) => Number(x));
  if (parts.length === 0 || parts.some((x) => !Number.isFinite(x))) return undefined;
  return parts;
}

/** The ephemeral port range (net.ipv4.ip_local_port_range), inclusive, and its size. */
export function portRange(host: HostSnapshot): { low: number; high: number; size: number } | undefined {
  const v = sysctlNumbers(host, "net.ipv4.ip_local_port_range");
  if (!v || v.length < 2) return undefined;
  const [low, high] = v as [number, number];
  if (high < low) return undefined;
  return { low, high, size: high - low + 1 };
}

/** A counter reading: the increase over an interval when known, else the absolute value. */
export interface CounterReading {
  value: number;
  /** "delta" = increase over counterDeltas.seconds (may be unknown); "absolute" = since boot/namespace creation. */
  kind: "delta" | "absolute";
  seconds?: number;
  source?: string;
}

/** Reads a counter preferring the interval delta; undefined when the counter is absent everywhere. */
export function counter(host: HostSnapshot, name: string): CounterReading | undefined {
  const d = host.counterDeltas;
  if (d && name in d.values) {
    return { value: d.values[name] ?? 0, kind: "delta", seconds: d.seconds, source: d.source };
  }
  // An nstat delta lists only counters that moved: a missing one did not move.
  if (d && hasCounterFamily(d.values, name))
    return { value: 0, kind: "delta", seconds: d.seconds, source: d.source };
  const abs = host.counters?.[name];
  if (abs === undefined) return undefined;
  return { value: abs, kind: "absolute" };
}

/**
 * Several counters read consistently: all from the interval delta when there is one (missing =
 * did not move), else all absolute (missing = unknown, left out).
 */
export function counterSet(
  host: HostSnapshot,
  names: string[],
): { values: Record<string, number>; kind: "delta" | "absolute"; seconds?: number; source?: string } {
  const values: Record<string, number> = {};
  const d = host.counterDeltas;
  if (d && Object.keys(d.values).length > 0) {
    for (const n of names) values[n] = d.values[n] ?? 0;
    return { values, kind: "delta", seconds: d.seconds, source: d.source };
  }
  for (const n of names) {
    const v = host.counters?.[n];
    if (v !== undefined) values[n] = v;
  }
  return { values, kind: "absolute" };
}

/** Whether a delta set speaks about this family of counters at all (Tcp*, TcpExt*, Ip*...). */
function hasCounterFamily(values: Record<string, number>, name: string): boolean {
  const family = (n: string) => /^(TcpExt|IpExt|Tcp|Ip|UdpLite|Udp|IcmpMsg|Icmp)/.exec(n)?.[1];
  const fam = family(name);
  if (!fam) return false;
  for (const k of Object.keys(values)) if (family(k) === fam) return true;
  return false;
}

/** Describes where a counter value came from, for evidence. */
export function counterNote(r: CounterReading): string {
  if (r.kind === "absolute") return "absolute (since boot or namespace creation)";
  return r.seconds ? `increase over ${round(r.seconds, 1)} s` : "increase over the sampled interval";
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function pct(x: number, digits = 1): string {
  return `${round(x * 100, digits)}%`;
}

/** Listening sockets by local port. */
export function listeners(host: HostSnapshot): SocketEntry[] {
  return sockets(host).filter((s) => s.state === "LISTEN");
}

/** Whether an address is a wildcard bind (0.0.0.0, ::, *). */
export function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "*" || ip === "[::]" || ip === "";
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1" || ip === "::ffff:127.0.0.1";
}

/** Normalises an address for comparison (IPv4-mapped IPv6 → IPv4, lower case). */
export function sameIp(a: string, b: string): boolean {
  const n = (x: string) =>
    x
      .toLowerCase()
      .replace(/^\[|\]$/g, "")
      .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  return n(a) === n(b);
}

/** Human-friendly duration from seconds. */
export function humanSeconds(s: number): string {
  if (s < 120) return `${round(s, 1)} s`;
  if (s < 7200) return `${round(s / 60, 1)} min`;
  return `${round(s / 3600, 2)} h`;
}

export function humanBytes(b: number): string {
  if (b >= 1024 * 1024) return `${round(b / (1024 * 1024), 1)} MiB`;
  if (b >= 1024) return `${round(b / 1024, 1)} KiB`;
  return `${b} B`;
}

/** The lines the named counters were read from (the latest reading), for Finding.sources. */
export function counterRefs(host: HostSnapshot, names: string[]): SourceRef[] {
  return refsOf(host.counterSources, names);
}

/** The lines the named sysctls were read from. */
export function sysctlRefs(host: HostSnapshot, names: string[]): SourceRef[] {
  return refsOf(host.sysctlSources, names);
}

function refsOf(sources: Record<string, SourceRef> | undefined, names: string[]): SourceRef[] {
  const out: SourceRef[] = [];
  for (const n of names) {
    const ref = sources?.[n];
    if (ref) out.push(ref);
  }
  return out;
}

/** Addresses of this host: from `ip addr` when present, and every non-wildcard local socket address. */
export function hostAddresses(host: HostSnapshot): string[] {
  const out = new Set<string>();
  for (const i of host.interfaces ?? []) for (const a of i.addresses ?? []) out.add(a.replace(/\/\d+$/, ""));
  for (const s of sockets(host)) if (!isWildcard(s.localIp)) out.add(s.localIp);
  return [...out];
}
