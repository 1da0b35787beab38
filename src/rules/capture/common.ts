// Shared pieces of the capture-side rules: the documented rule shape, threshold reading, the
// measurements several rules need (RTT of the path, loss, data segments) and number formatting.
import type { ConnectionSummary, DirectionFacts, PeerSilence } from "../../core/tcp/types.js";
import type { Facts, Rule, RuleContext } from "../types.js";

/** A rule that also says what it is and which thresholds it reads (for `tcpdoctor rules`). */
export interface DocumentedRule extends Rule {
  description: string;
  /** Default values of every threshold the rule reads through ctx.threshold. */
  thresholds: Record<string, number>;
  /** Other diagnosis ids the rule can produce besides its own id. */
  produces?: string[];
}

/** Reads every threshold of a rule through the context (configured value, else the default). */
export function readThresholds<T extends Record<string, number>>(ctx: RuleContext, defaults: T): T {
  const out = {} as Record<string, number>;
  for (const [name, value] of Object.entries(defaults)) out[name] = ctx.threshold(name, value);
  return out as T;
}

export type Side = "client" | "server";

export function otherSide(s: Side): Side {
  return s === "client" ? "server" : "client";
}

/**
 * `make` worked out once per facts: rules run one after another on the same facts and several ask
 * for the same thing. Worked out again when the facts' connections or capture were replaced.
 */
export function perFacts<T>(make: (facts: Facts) => T): (facts: Facts) => T {
  const known = new WeakMap<
    Facts,
    { connections: Facts["connections"]; count: number; capture: Facts["capture"]; value: T }
  >();
  return (facts) => {
    const k = known.get(facts);
    const { connections, capture } = facts;
    if (k && k.connections === connections && k.count === connections.length && k.capture === capture)
      return k.value;
    const value = make(facts);
    known.set(facts, { connections, count: connections.length, capture, value });
    return value;
  };
}

/** Seconds from the first to the last packet of the capture(s). */
export const captureEnd: (facts: Facts) => number = perFacts((facts) => {
  let end = facts.capture?.duration ?? 0;
  for (const c of facts.connections) end = Math.max(end, c.start + c.duration);
  return end;
});

/** Largest value (a loop: spreading 100 000 connections into Math.max overflows the stack). */
export function maxOf(xs: number[], empty = 0): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  return xs.length ? m : empty;
}

export function minOf(xs: number[], empty = 0): number {
  let m = Number.POSITIVE_INFINITY;
  for (const x of xs) if (x < m) m = x;
  return xs.length ? m : empty;
}

export function groupBy<T>(items: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** The direction that carried the data (most unique bytes). */
export function dataSide(c: ConnectionSummary): Side | undefined {
  if (c.throughput) return c.throughput.direction;
  const a = c.dir.client.uniqueBytes;
  const b = c.dir.server.uniqueBytes;
  if (a === 0 && b === 0) return undefined;
  return b > a ? "server" : "client";
}

/** Typical payload of a full segment in this direction. */
export function segmentSize(d: DirectionFacts): number {
  if (d.maxSegment >= 200) return d.maxSegment;
  if (d.mss) return Math.min(d.mss, 1448);
  return 1448;
}

/** Distinct data segments the direction needed (unique bytes / segment size). */
export function dataSegments(d: DirectionFacts): number {
  return d.uniqueBytes > 0 ? Math.max(1, Math.round(d.uniqueBytes / segmentSize(d))) : 0;
}

/** ICMP errors on the connection that report a smaller path MTU. */
export function pmtuIcmp(c: ConnectionSummary): ConnectionSummary["icmp"] {
  return c.icmp.filter((i) => i.kind === "frag-needed" || i.kind === "packet-too-big");
}

/**
 * Segments lost after the capture point: distinct resent ranges the receiver did not already have
 * (each counted once however often it was resent), else — facts without that count — every resend
 * minus the spurious ones.
 */
export function lostAfterCapture(d: DirectionFacts): number {
  return d.lostAfterCapture ?? Math.max(0, d.repeatedSegments - d.retransmissions.spurious);
}

/**
 * Segments this direction really lost, counted from the bytes: ranges sent twice (lost after the
 * capture point, see lostAfterCapture) plus holes filled late by a retransmission (lost before it).
 * Retransmissions after an honoured ICMP "fragmentation needed" are the cost of
 * path-MTU discovery, not loss: every too-big segment in flight at that moment is resent (usually
 * split in two), and routers rate-limit the ICMP, so the cost is up to one window.
 */
export function lostSegments(c: ConnectionSummary, side: Side): number {
  const d = c.dir[side];
  const raw = lostAfterCapture(d) + (d.lostBeforeCapture ?? 0);
  const icmp = pmtuIcmp(c).length;
  const pmtuCost = icmp > 0 ? Math.max(2 * icmp, Math.ceil(d.maxInFlight / segmentSize(d))) : 0;
  return Math.max(0, raw - pmtuCost);
}

/** Lowest RTT of the path (data ACK RTT, else the handshake), seconds. */
export function baseRtt(c: ConnectionSummary): number | undefined {
  const candidates = [c.rtt?.min, c.handshake.rtt].filter((x): x is number => x !== undefined && x > 0);
  return candidates.length ? minOf(candidates) : undefined;
}

/** Typical RTT of the path while data flowed (median data RTT, else the handshake RTT), seconds. */
export function typicalRtt(c: ConnectionSummary): number | undefined {
  if (c.rtt && c.rtt.samples >= 3) return c.rtt.p50 ?? c.rtt.avg;
  return c.handshake.rtt ?? c.rtt?.avg;
}

/**
 * Loss-limited throughput of a Reno/CUBIC flow (Mathis et al.): MSS/RTT × 1.22/√p, in bit/s.
 * A flow far above it is not backing off on loss the way a loss-based algorithm does.
 */
export function mathisBps(segmentBytes: number, rtt: number, lossRate: number): number {
  if (rtt <= 0 || lossRate <= 0) return Number.POSITIVE_INFINITY;
  return ((segmentBytes * 8) / rtt) * (1.22 / Math.sqrt(lossRate));
}

/** The handshake completed (or the connection was caught mid-stream with traffic both ways). */
export function established(c: ConnectionSummary): boolean {
  if (c.handshake.ackSeen) return true;
  if (c.handshake.synSeen && c.handshake.synAckSeen && (c.bytes.client > 0 || c.bytes.server > 0))
    return true;
  return !c.handshake.synSeen && c.packets.client > 0 && c.packets.server > 0;
}

/** Gaps between successive times. */
export function gaps(times: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(times[i] - times[i - 1]);
  return out;
}

/**
 * Resends of one segment on a backed-off timer: every gap at least about as long as the one before
 * (scheduling jitter allowed), and the last clearly longer than the first.
 */
export function backedOff(times: number[], minGrowth: number): boolean {
  const g = gaps(times);
  if (g.length < 1) return false;
  for (let i = 1; i < g.length; i++) if (g[i] < 0.8 * g[i - 1]) return false;
  return g.length === 1 || g[g.length - 1] >= minGrowth * g[0];
}

/** Defaults of the dead-peer rule for a tail of resends (see silentRetransmissionTail). */
export const SILENT_TAIL_DEFAULTS = { minResends: 3, minBackoffGrowth: 1.5 };

/**
 * A side whose last retransmissions got no packet at all back: the lowest unacknowledged segment
 * resent at least `minResends` times on a backed-off timer until the capture ended, the peer silent
 * since before the first of them although it had answered earlier. Linux gives up after
 * tcp_retries2 without sending anything, so this tail is all a capture shows of the abort.
 */
export function silentRetransmissionTail(
  c: ConnectionSummary,
  side: Side,
  minResends: number,
  minGrowth: number,
): PeerSilence | undefined {
  const tail = c.dir[side].silentTail;
  if (!tail || tail.answered) return undefined;
  const peer: Side = side === "client" ? "server" : "client";
  if (c.packets[peer] === 0 || !established(c)) return undefined;
  const heads = tail.headRetransmissionTimes;
  if (heads.length < minResends || !backedOff(heads, minGrowth)) return undefined;
  return tail;
}

export type CaptureSide = "client" | "server" | "middle";

/** Per-connection guesses of the capture side, counted (keys in the order first seen). */
export type SideVotes = Partial<Record<CaptureSide, number>>;

/** The side with most votes; on a tie, the one voted for first. */
export function sideOfVotes(votes: SideVotes): CaptureSide | undefined {
  let best: CaptureSide | undefined;
  let n = 0;
  for (const [k, v] of Object.entries(votes)) {
    if (v > n) {
      best = k as CaptureSide;
      n = v;
    }
  }
  return best;
}

/** Placeholder values for catalogue texts from one connection. */
export function varsOf(c: ConnectionSummary): Record<string, string | number> {
  return {
    server: c.server,
    serverIp: c.serverIp,
    serverPort: c.serverPort,
    client: c.client,
    clientIp: c.clientIp,
  };
}

export function streamsOf(conns: ConnectionSummary[]): number[] {
  return conns.map((c) => c.stream);
}

// ---------------------------------------------------------------------------- formatting

export function plural(n: number, word: string, many?: string): string {
  return `${n} ${n === 1 ? word : (many ?? `${word}s`)}`;
}

export function fmtSeconds(x: number): string {
  if (!Number.isFinite(x)) return "?";
  const a = Math.abs(x);
  if (a < 0.001) return `${Math.round(x * 1e6)} µs`;
  if (a < 1) return `${(x * 1000).toFixed(a < 0.01 ? 2 : a < 0.1 ? 1 : 0)} ms`;
  if (a < 120) return `${x.toFixed(a < 10 ? 2 : 1)} s`;
  return `${(x / 60).toFixed(1)} min`;
}

export function fmtBps(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function fmtPct(fraction: number): string {
  const p = fraction * 100;
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)}%`;
}

/** Rounds seconds for evidence objects (µs precision is plenty). */
export function sec(x: number | undefined): number | undefined {
  return x === undefined ? undefined : Math.round(x * 1e6) / 1e6;
}

/** "streams 1, 2, 3 and 47 more" for summaries. */
export function listStreams(streams: number[], max = 5): string {
  const shown = streams.slice(0, max).join(", ");
  const rest = streams.length - max;
  return `${streams.length === 1 ? "stream" : "streams"} ${shown}${rest > 0 ? ` and ${rest} more` : ""}`;
}

/** Like listStreams, for any list of words. */
export function listSome(items: string[], max = 3): string {
  const shown = items.slice(0, max).join(", ");
  const rest = items.length - max;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}
