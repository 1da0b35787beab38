// Shared pieces of the probe rules: attempts grouped into series (one target, address and port),
// connect-time percentiles, the kernel's SYN retransmission schedule, and number formatting.
import { endpoint as endpointOf } from "../../core/endpoint.js";
import type { Facts, Finding, ProbeAttempt } from "../types.js";

export type Outcome = ProbeAttempt["outcome"];

/** Attempts to one address and port of one target, in the order they were made. */
export interface ProbeSeries {
  target: string;
  address: string;
  port: number;
  /** "ip:port" ("[v6]:port"). */
  endpoint: string;
  attempts: ProbeAttempt[];
  /** Attempts whose TCP handshake completed (connected, or reset/closed only afterwards). */
  connects: ProbeAttempt[];
  /** Attempts that failed to connect: refused, timed out, unreachable. */
  connectFailures: ProbeAttempt[];
  byOutcome: Partial<Record<Outcome, number>>;
  /** connects / (connects + connectFailures); undefined when neither happened. */
  successRate?: number;
  /** Connect times of the completed handshakes, seconds. */
  connectTime?: { min: number; p50: number; p90: number; max: number; samples: number };
}

/** The TCP handshake completed, whatever came after it. */
function handshakeCompleted(p: ProbeAttempt): boolean {
  if (p.outcome === "connected" || p.outcome === "reset") return true;
  return p.outcome === "error" && p.exchange !== undefined;
}

function connectFailed(p: ProbeAttempt): boolean {
  return p.outcome === "refused" || p.outcome === "timeout" || p.outcome === "unreachable";
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Groups attempts into series, keeping the order in which targets and addresses first appear. */
export function probeSeries(probes: ProbeAttempt[]): ProbeSeries[] {
  const byKey = new Map<string, ProbeSeries>();
  for (const p of probes) {
    if (p.outcome === "dns-failure") continue;
    const key = `${p.target}\u0000${p.address}\u0000${p.port}`;
    let s = byKey.get(key);
    if (!s) {
      s = {
        target: p.target,
        address: p.address,
        port: p.port,
        endpoint: endpointOf(p.address, p.port),
        attempts: [],
        connects: [],
        connectFailures: [],
        byOutcome: {},
      };
      byKey.set(key, s);
    }
    s.attempts.push(p);
  }
  for (const s of byKey.values()) {
    s.attempts.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.at - b.at);
    for (const p of s.attempts) {
      s.byOutcome[p.outcome] = (s.byOutcome[p.outcome] ?? 0) + 1;
      if (handshakeCompleted(p)) s.connects.push(p);
      else if (connectFailed(p)) s.connectFailures.push(p);
    }
    const decided = s.connects.length + s.connectFailures.length;
    if (decided > 0) s.successRate = s.connects.length / decided;
    const times = s.connects
      .map((p) => p.connectTime)
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    if (times.length) {
      s.connectTime = {
        min: times[0],
        p50: percentile(times, 0.5),
        p90: percentile(times, 0.9),
        max: times[times.length - 1],
        samples: times.length,
      };
    }
  }
  return [...byKey.values()];
}

/**
 * A rule's findings over the series of the probes, at most one per series; `find` also gets every
 * series, for the other addresses of the same name.
 */
export function findingsPerSeries(
  facts: Facts,
  find: (s: ProbeSeries, all: ProbeSeries[]) => Finding | undefined,
): Finding[] {
  const out: Finding[] = [];
  const all = probeSeries(facts.probes ?? []);
  for (const s of all) {
    const f = find(s, all);
    if (f) out.push(f);
  }
  return out;
}

/** "ip:port", then the target in parentheses when it was given otherwise (by name). */
export function seriesLabel(s: ProbeSeries): string {
  return s.target !== s.endpoint ? `${s.endpoint} (${s.target})` : s.endpoint;
}

/** Other series of the same target (other addresses of the same name). */
export function siblings(all: ProbeSeries[], s: ProbeSeries): ProbeSeries[] {
  return all.filter((x) => x !== s && x.target === s.target && x.port === s.port);
}

/**
 * Seconds after the first SYN at which the kernel sends retransmission n (1-based): the initial
 * timeout is 1 s; the first `linear` + 1 timeouts stay at 1 s (net.ipv4.tcp_syn_linear_timeouts,
 * Linux 6.6+; 0 on older kernels), then each one doubles: 1, 3, 7, 15 s with linear = 0;
 * 1, 2, 3, 4, 5, 7, 11 s with linear = 4.
 */
export function synRetransmitAt(n: number, linear = 0): number {
  let at = 0;
  for (let k = 0; k < n; k++) at += k <= linear ? 1 : 2 ** (k - linear);
  return at;
}

/**
 * SYN retransmissions that explain a handshake taking `seconds` on a path whose plain handshake
 * takes `base` seconds: the most retransmissions whose send time fits, with a 0.15 s allowance
 * for timer slack.
 */
export function synRetriesFor(seconds: number, base: number, linear = 0): number {
  let n = 0;
  while (n < 64 && synRetransmitAt(n + 1, linear) <= seconds - base + 0.15) n++;
  return n;
}

/** SYNs (first one included) sent within `seconds` before giving up. */
export function synsWithin(seconds: number, linear = 0): number {
  return 1 + synRetriesFor(seconds, 0, linear);
}

export function plural(n: number, word: string, many?: string): string {
  return `${n} ${n === 1 ? word : (many ?? `${word}s`)}`;
}

export function fmtSeconds(x: number): string {
  const a = Math.abs(x);
  if (a < 0.001) return `${Math.round(x * 1e6)} µs`;
  if (a < 1) return `${(x * 1000).toFixed(a < 0.01 ? 2 : 1)} ms`;
  return `${x.toFixed(a < 10 ? 2 : 1)} s`;
}

export function fmtPct(fraction: number): string {
  const p = fraction * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

/** Rounds seconds to microseconds for evidence. */
export function sec(x: number | undefined): number | undefined {
  return x === undefined ? undefined : Math.round(x * 1e6) / 1e6;
}

/** Placeholder values of the catalogue texts for a series. */
export function seriesVars(s: ProbeSeries): Record<string, string | number> {
  return { server: s.endpoint, serverIp: s.address, serverPort: s.port };
}

/** Attempt numbers (1-based) of the attempts given, listed briefly. */
export function attemptList(ps: ProbeAttempt[], max = 8): string {
  const nums = ps.map((p) => p.seq ?? 0).filter((n) => n > 0);
  if (nums.length === 0) return "";
  const shown = nums.slice(0, max).join(", ");
  return nums.length > max ? `${shown} …` : shown;
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1" || ip === "::ffff:127.0.0.1";
}

export function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "*" || ip === "";
}

/** Splits "ip:port" / "[v6]:port" into its parts. */
export function splitEndpoint(ep: string): { ip: string; port: number } | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(ep);
  return m ? { ip: m[1], port: Number(m[2]) } : undefined;
}

/** The errno names that mean "no way to reach that address" and what each says. */
export const UNREACHABLE_ERRNOS: Record<string, string> = {
  EHOSTUNREACH:
    "host unreachable: no neighbour answered on the local segment, or a router or firewall sent ICMP host-unreachable / administratively prohibited",
  ENETUNREACH: "network unreachable: no route to it, or a router sent ICMP network-unreachable",
  ENETDOWN: "the network interface towards it is down",
  EHOSTDOWN: "the host is down",
  EACCES: "a local policy refused to send the SYN (firewall output rule, or a route of type prohibit)",
  EPERM: "a local firewall rule refused to send the SYN (output chain drop)",
  EADDRNOTAVAIL: "no local source address can reach it",
};
