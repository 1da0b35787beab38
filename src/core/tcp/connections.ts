// Per-connection facts: what really happened on each TCP connection, folded packet by packet
// from the decoded headers (absolute sequence numbers) plus, when available, the Wireshark-style
// per-packet analysis. Memory is bounded by the live connections: closed and idle connections are
// finalised while streaming, and every per-connection list is capped.
//
// Two kinds of facts sit side by side:
// - Wireshark's labels (retransmission, duplicate_ack, ...) counted per direction, so `conns`
//   agrees with `packets`;
// - facts measured from the bytes themselves, independent of those labels: sequence ranges seen
//   twice (repeatedSegments), holes filled soon after they opened (reordering) or late (a segment
//   lost before the capture point and retransmitted), holes never filled although the peer ACKed
//   them (capture loss), Linux zero-window probes told apart from keepalives.

import { ipv4Number, ipv4Text } from "../decode/address.js";
import { endpoint } from "../endpoint.js";
import { SweepSchedule } from "../time.js";
import type { DecodedPacket, IcmpError } from "../types.js";
import { DOUBLE_ZERO, TcpFlag } from "../types.js";
import type {
  AnalysisFlag,
  ConnectionSummary,
  DirectionFacts,
  PacketAnalysis,
  PeerSilence,
  RetransmissionCounts,
  Span,
  ThinkTime,
} from "./types.js";

export interface ConnectionTrackerOptions {
  /**
   * Seconds without a packet after which an open connection is finalised while streaming
   * (default 7200, the Linux keepalive idle). Connection attempts that never completed a
   * handshake nor carried data are finalised after min(this, 180 s); connections closed by
   * FIN both ways or RST after min(this, 60 s).
   */
  idleTimeoutSec?: number;
  /**
   * Receives every connection exactly once, when it is finalised (while streaming or by
   * finish()). With it the tracker keeps no finished summary itself.
   */
  onFinal?: (c: ConnectionSummary) => void;
  /** Receives ICMP errors whose quoted packet belongs to no connection seen so far. */
  onUnmatchedIcmp?: (pkt: DecodedPacket, icmp: IcmpError, time: number) => void;
  /**
   * Keep a connection that is so far one bare SYN (with a PacketAnalysis) as a compact record
   * of about 120 bytes instead of its full state, and summarise it from that record when it ends
   * that way (default true). A SYN flood is a million such connections.
   */
  compactSyns?: boolean;
}

/** At most this many RTT samples are kept per direction for percentiles (running min/avg/max are exact). */
const RTT_RESERVOIR = 256;
/** Outstanding data segments remembered per direction for RTT sampling (a power of two: Unacked's ring doubles up to it). */
const MAX_OUTSTANDING = 4096;

/** Shared empty storage for a side's unacknowledged segments until it sends data. */
const NO_DOUBLES = new Float64Array(0);
const NO_BYTES = new Uint8Array(0);

/** Sequence holes tracked per direction (reordering / capture loss). */
const MAX_HOLES = 128;
/** Disjoint byte ranges kept per direction before the closest ones are merged. */
const MAX_RANGES = 512;
/** Recently finalised streams remembered so stray late packets do not start a second summary. */
const MAX_RECENT_FINAL = 8192;
/** Without any RTT estimate, a hole filled within this many seconds counts as reordering. */
const DEFAULT_REORDER_WINDOW = 0.01;
/** Distinct resent ranges remembered per direction for their verdict (beyond: counted as lost). */
const MAX_RESENT = 8192;
/** Resent ranges searched (newest first) when a D-SACK names one. */
const DSACK_LOOKBACK = 1024;
/** Resends of the lowest unacknowledged segment kept per silence. */
const MAX_HEAD_TIMES = 32;
const TOP = 5;
/** SACK blocks one segment can carry (40 bytes of options), and scratch for them, relative. */
const MAX_SACK_BLOCKS = 4;
const SACK_BLOCKS = new Float64Array(2 * MAX_SACK_BLOCKS);

const TWO32 = 4294967296;

/** Running RTT aggregate plus a bounded, deterministic reservoir for percentiles. */
class RttStats {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  private readonly reservoir: number[] = [];
  private rng: number;

  constructor(seed: number) {
    this.rng = (seed * 2654435761 + 1) >>> 0 || 1;
  }

  add(x: number): void {
    this.count++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.reservoir.length < RTT_RESERVOIR) {
      this.reservoir.push(x);
      return;
    }
    // Reservoir sampling with a xorshift generator: pure and reproducible.
    let r = this.rng;
    r ^= r << 13;
    r >>>= 0;
    r ^= r >>> 17;
    r ^= r << 5;
    r >>>= 0;
    this.rng = r;
    const j = r % this.count;
    if (j < RTT_RESERVOIR) this.reservoir[j] = x;
  }

  summary():
    { min: number; avg: number; max: number; samples: number; p50?: number; p95?: number } | undefined {
    if (this.count === 0) return undefined;
    // The percentiles cost a sort; summarise asks twice for the same side.
    if (this.percentilesAt !== this.count) {
      const sorted = Float64Array.from(this.reservoir).sort();
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
      this.p50 = pct(0.5);
      this.p95 = pct(0.95);
      this.percentilesAt = this.count;
    }
    return {
      min: this.min,
      avg: this.sum / this.count,
      max: this.max,
      samples: this.count,
      p50: this.p50,
      p95: this.p95,
    };
  }

  private percentilesAt = 0;
  private p50 = 0;
  private p95 = 0;
}

/** Sorted disjoint [start, end) ranges of sequence space seen. */
class RangeSet {
  starts: number[] = [];
  ends: number[] = [];

  /** Bytes of [s, e) already covered. */
  overlap(s: number, e: number): number {
    let covered = 0;
    // Ranges are few (usually one); a linear scan from the end is cheap.
    for (let i = this.starts.length - 1; i >= 0; i--) {
      if (this.ends[i] <= s) break;
      const lo = Math.max(s, this.starts[i]);
      const hi = Math.min(e, this.ends[i]);
      if (hi > lo) covered += hi - lo;
    }
    return covered;
  }

  add(s: number, e: number): void {
    if (e <= s) return;
    const n = this.starts.length;
    // Fast path: extends or follows the last range.
    if (n === 0 || s > this.ends[n - 1]) {
      this.starts.push(s);
      this.ends.push(e);
    } else if (s >= this.starts[n - 1]) {
      if (e > this.ends[n - 1]) this.ends[n - 1] = e;
    } else {
      let i = 0;
      while (i < n && this.ends[i] < s) i++;
      let j = i;
      let ns = s;
      let ne = e;
      while (j < n && this.starts[j] <= e) {
        ns = Math.min(ns, this.starts[j]);
        ne = Math.max(ne, this.ends[j]);
        j++;
      }
      this.starts.splice(i, j - i, ns);
      this.ends.splice(i, j - i, ne);
    }
    if (this.starts.length > MAX_RANGES) this.mergeClosest();
  }

  private mergeClosest(): void {
    let best = 0;
    let bestGap = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < this.starts.length; i++) {
      const gap = this.starts[i + 1] - this.ends[i];
      if (gap < bestGap) {
        bestGap = gap;
        best = i;
      }
    }
    this.ends[best] = this.ends[best + 1];
    this.starts.splice(best + 1, 1);
    this.ends.splice(best + 1, 1);
  }
}

/** FIFO with a moving head: dropping from the front costs nothing per element. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  at(i: number): T {
    return this.items[this.head + i];
  }

  push(x: T): void {
    this.items.push(x);
  }

  /** Drops the first n items. */
  drop(n: number): void {
    this.head += n;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** A gap in one direction's sequence space, opened when a later segment arrived. */
interface Hole {
  start: number;
  end: number;
  openedAt: number;
  /** Data-segment arrival index when it opened (for the reordering distance). */
  openedIndex: number;
  /** Opened by an ACK for data never seen (rather than by a later segment). */
  byAck: boolean;
  /** IPv4 id and TCP timestamp of the segment that opened it (when it carried them). */
  ipId?: number;
  tsVal?: number;
}

/**
 * Data segments sent and not acknowledged yet, oldest first: where each ends, when it was sent,
 * whether it was resent since. A ring over parallel typed arrays whose size doubles up to
 * MAX_OUTSTANDING, not an object per segment (a bulk transfer has one per packet): steady
 * traffic allocates nothing. A side that never sends data holds none (shared empty arrays).
 */
class Unacked {
  private ends = NO_DOUBLES;
  private ats = NO_DOUBLES;
  private resent = NO_BYTES;
  /** Ring index of the oldest segment. */
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  endOf(i: number): number {
    return this.ends[(this.head + i) & (this.ends.length - 1)];
  }

  sentAt(i: number): number {
    return this.ats[(this.head + i) & (this.ends.length - 1)];
  }

  wasResent(i: number): boolean {
    return this.resent[(this.head + i) & (this.ends.length - 1)] === 1;
  }

  markResent(i: number): void {
    this.resent[(this.head + i) & (this.ends.length - 1)] = 1;
  }

  /**
   * Adds the newest segment; at MAX_OUTSTANDING the oldest is overwritten. That is counted in
   * without a branch of its own: code first run late in a capture (when the cap is reached) would
   * throw away the optimised per-packet fold that inlines this.
   */
  push(end: number, at: number): void {
    if (this.count === this.ends.length && this.count < MAX_OUTSTANDING) this.grow();
    const mask = this.ends.length - 1;
    const full = this.count === this.ends.length ? 1 : 0;
    const i = (this.head + this.count) & mask;
    this.ends[i] = end;
    this.ats[i] = at;
    this.resent[i] = 0;
    this.head = (this.head + full) & mask;
    this.count += 1 - full;
  }

  /** Drops the first n segments. */
  drop(n: number): void {
    this.head = (this.head + n) & (this.ends.length - 1);
    this.count -= n;
  }

  /** Twice the room (at least 8), the segments moved to its start in order. */
  private grow(): void {
    const size = Math.max(8, this.ends.length * 2);
    const ends = new Float64Array(size);
    const ats = new Float64Array(size);
    const resent = new Uint8Array(size);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & (this.ends.length - 1);
      ends[k] = this.ends[i];
      ats[k] = this.ats[i];
      resent[k] = this.resent[i];
    }
    this.ends = ends;
    this.ats = ats;
    this.resent = resent;
    this.head = 0;
  }
}

/** One distinct sequence range resent after the capture point, and whether it was really lost. */
interface Resent {
  start: number;
  end: number;
  /** First resend: time and TCP timestamp. */
  at: number;
  tsVal?: number;
  verdict: "pending" | "lost" | "unneeded";
}

/** A stretch of silence from the peer while this side retransmits (internal form of PeerSilence). */
interface Silence {
  start: number;
  lastAt: number;
  firstFrame: number;
  lastFrame: number;
  retransmissions: number;
  headTimes: number[];
  /** The sequence space outstanding during it: from the lowest unacked byte at its start to the highest sent by its end. */
  seqFrom: number;
  seqTo: number;
  end?: number;
  answered?: boolean;
}

function emptyRetrans(): RetransmissionCounts {
  return { total: 0, fast: 0, rto: 0, spurious: 0, syn: 0, synAck: 0 };
}

function emptyDirection(): DirectionFacts {
  return {
    packets: 0,
    bytes: 0,
    uniqueBytes: 0,
    retransmissions: emptyRetrans(),
    repeatedSegments: 0,
    reorderedSegments: 0,
    maxReorderDistance: 0,
    duplicateAcks: 0,
    outOfOrder: 0,
    lostSegments: 0,
    ackedUnseen: 0,
    zeroWindows: 0,
    zeroWindowProbes: 0,
    keepAlives: 0,
    keepAliveAcks: 0,
    windowFull: 0,
    windowUpdates: 0,
    maxSegment: 0,
    maxIpLen: 0,
    maxInFlight: 0,
    fullSizeRetransmissions: 0,
    smallSegmentsDelivered: 0,
    lostBeforeCapture: 0,
    missedSegments: 0,
  };
}

/** One sending direction of a connection: its sequence space and what the peer said about it. */
class Side {
  readonly facts = emptyDirection();
  /** Absolute sequence number that maps to relative 0 (ISN, else the first one seen). */
  base?: number;
  /** The base came from a real packet of this side (not inferred from the peer's ACK). */
  baseFromPacket = false;
  /** Highest relative sequence reached, SYN and FIN included. */
  high = Number.NEGATIVE_INFINITY;
  /** Highest relative end of payload bytes, and the lowest payload start seen. */
  dataHigh = Number.NEGATIVE_INFINITY;
  dataLow = Number.POSITIVE_INFINITY;
  readonly sent = new RangeSet();
  holes: Hole[] = [];
  arrivals = 0;
  /** Highest relative ACK the peer sent for this side's data. */
  ackHigh = Number.NEGATIVE_INFINITY;
  ackSeen = false;
  /** Loss signalled by the peer (dup ACK / SACK): retransmissions up to this point are "fast". */
  recoveryPoint?: number;
  lastPeerAck?: number;
  lastPeerWin?: number;
  /** Last window this side advertised (scaled when known), and the raw value. */
  win?: number;
  rawWin?: number;
  zeroSince?: { start: number; frame: number };
  isn?: number;
  synCount = 0;
  synAt?: number;
  lastSynAt?: number;
  synFrame?: number;
  fin = false;
  finRel?: number;
  rst = false;
  sackPermitted = false;
  timestamps = false;
  tfo = false;
  /** IPv4 ids: how often consecutive packets of this side carried nearby increasing ids. */
  lastIpId?: number;
  idSteps = 0;
  idJumps = 0;
  /** TTL / hop limit of this side's packets. */
  ttlMin = 256;
  ttlMax = -1;
  readonly outstanding = new Unacked();
  readonly rtt: RttStats;
  /** Ends of small segments sent and not yet acknowledged (delivery of small segments). */
  readonly smallPending = new Fifo<number>();
  /** Keepalive probes sent by this side since the peer last sent anything. */
  pendingProbes = 0;
  probesAnswered = 0;
  firstDataAt?: number;
  lastDataAt?: number;
  lastDataFrame?: number;
  /** Zeek history bookkeeping: last sequence number of each repeatable letter, counters of log letters. */
  lastSynSeq = -1;
  lastFinSeq = -1;
  lastRstSeq = -1;
  /** Bit set of the letters recorded at most once (LETTER_ONCE). */
  onceLetters = 0;
  retransCount = 0;
  zeroWinCount = 0;
  /** Time of this side's last packet of any kind. */
  lastPacketAt?: number;
  /** Bytes resent so far, and the distinct resent ranges with their verdicts. */
  readonly resentBytes = new RangeSet();
  resent: Resent[] = [];
  resentPending: Resent[] = [];
  /** Resent ranges beyond MAX_RESENT (counted as lost), and resends of data already ACKed. */
  resentOverflow = 0;
  resentAfterAck = 0;
  /** Open silence of the peer while this side retransmits, and the longest one so far. */
  silence?: Silence;
  longestSilence?: Silence;

  constructor(seed: number) {
    this.rtt = new RttStats(seed);
  }

  /** Relative offset of an absolute sequence number, unwrapped around what was seen so far. */
  rel(seq: number): number {
    const base = this.base ?? seq;
    const d = (seq - base) >>> 0;
    const ref = Number.isFinite(this.high) ? this.high : 0;
    const k = Math.round((ref - d) / TWO32);
    return d + k * TWO32;
  }
}

/** Internal state of one connection. */
class Conn {
  readonly client: Side;
  readonly server: Side;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  ipVersion: 4 | 6;
  start: number;
  lastAt: number;
  firstFrame: number;
  lastFrame: number;
  history = "";
  synAckAt?: number;
  synAckCount = 0;
  synAckIsn?: number;
  completedAt?: number;
  refused = false;
  firstFin?: "client" | "server";
  firstFinAt?: number;
  firstRst?: "client" | "server";
  rstAt?: number;
  rstFrame?: number;
  rstWithDataInFlight?: boolean;
  idleBeforeRst?: number;
  idleGaps: Span[] = [];
  /** A gap must exceed this to enter idleGaps (0 until the list is full): one compare per packet. */
  idleGapFloor = DOUBLE_ZERO;
  thinkTimes: ThinkTime[] = [];
  request?: { at: number; frame: number; ackAt?: number; clientHigh: number };
  zeroSpans: (Span & { side: "client" | "server" })[] = [];
  zeroEpisodes = 0;
  zeroStall = DOUBLE_ZERO;
  icmp: ConnectionSummary["icmp"] = [];
  /** 4-tuple key, for connections found by 4-tuple (those tracked without a PacketAnalysis). */
  key?: string;

  constructor(
    readonly stream: number,
    clientIp: string,
    clientPort: number,
    serverIp: string,
    serverPort: number,
    ipVersion: 4 | 6,
    time: number,
    frame: number,
  ) {
    this.client = new Side(stream * 2 + 1);
    this.server = new Side(stream * 2 + 2);
    this.clientIp = clientIp;
    this.clientPort = clientPort;
    this.serverIp = serverIp;
    this.serverPort = serverPort;
    this.ipVersion = ipVersion;
    this.start = time;
    this.lastAt = time;
    this.firstFrame = frame;
    this.lastFrame = frame;
  }

  closed(): boolean {
    return this.client.rst || this.server.rst || (this.client.fin && this.server.fin);
  }

  attemptOnly(): boolean {
    return this.completedAt === undefined && this.client.facts.bytes === 0 && this.server.facts.bytes === 0;
  }
}

/** Direction-independent key of a 4-tuple. */
function flowKey(ipA: string, portA: number, ipB: string, portB: number): string {
  const a = `${ipA}|${portA}`;
  const b = `${ipB}|${portB}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

const spanLength = (s: Span) => s.end - s.start;
const thinkGap = (t: ThinkTime) => t.gap;

function insertTop<T>(list: T[], item: T, weight: (x: T) => number): void {
  const w = weight(item);
  if (list.length >= TOP && w <= weight(list[list.length - 1])) return;
  let i = list.length;
  while (i > 0 && weight(list[i - 1]) < w) i--;
  list.splice(i, 0, item);
  if (list.length > TOP) list.pop();
}

const RETRANS_FLAGS: AnalysisFlag[] = ["retransmission", "fast_retransmission", "spurious_retransmission"];
const NO_LABELS: AnalysisFlag[] = Object.freeze([]) as unknown as AnalysisFlag[];

/**
 * Counts one packet's Wireshark labels into its direction's facts. Out of fold() on purpose: called
 * for a few packets in a hundred, it is not inlined there, so a kind of label first seen late in a
 * capture (window_full after many dup ACKs) recompiles this small function, not the whole fold.
 */
function countLabels(
  f: DirectionFacts,
  labels: readonly AnalysisFlag[],
  syn: boolean,
  ackFlag: boolean,
): void {
  let labelledRetrans = false;
  for (let li = 0; li < labels.length; li++) {
    const a = labels[li];
    switch (a) {
      case "duplicate_ack":
        f.duplicateAcks++;
        break;
      case "out_of_order":
        f.outOfOrder++;
        break;
      case "lost_segment":
        f.lostSegments++;
        break;
      case "ack_lost_segment":
        f.ackedUnseen++;
        break;
      case "window_full":
        f.windowFull++;
        break;
      case "window_update":
        f.windowUpdates++;
        break;
      default:
        if (RETRANS_FLAGS.includes(a)) labelledRetrans = true;
    }
  }
  if (labelledRetrans) {
    const r = f.retransmissions;
    r.total++;
    if (labels.includes("spurious_retransmission")) r.spurious++;
    else if (labels.includes("fast_retransmission")) r.fast++;
    else if (syn) {
      if (ackFlag) r.synAck++;
      else r.syn++;
    } else r.rto++;
  }
}

/**
 * Folds packets into per-connection summaries. Connections are keyed by the analyzer's stream
 * number when a PacketAnalysis is given (so `conns` and `packets` agree), else by 4-tuple with
 * its own numbering (a SYN with a new ISN from the client starts a new connection).
 */
export class ConnectionTracker {
  private readonly live = new Map<number, Conn>();
  /** The connection of the last packet (a cache in front of `live`). */
  private lastConn: Conn | undefined;
  /** Connections that are one bare SYN so far, as rows of a compact store indexed by stream. */
  private readonly synShapes: SynShape[] = [];
  private readonly syns = new SynRows(this.synShapes);
  private readonly synShapeIds = new Map<string, number>();
  private readonly recentShapes = new Int32Array(16).fill(-1);
  private readonly compactSyns: boolean;
  private readonly byTuple = new Map<string, Conn>();
  private readonly done: ConnectionSummary[] = [];
  private readonly recentFinal = new Set<number>();
  private readonly recentRing: (number | undefined)[] = [];
  private recentPos = 0;
  private readonly idleTimeout: number;
  private readonly onFinal?: (c: ConnectionSummary) => void;
  private readonly onUnmatchedIcmp?: ConnectionTrackerOptions["onUnmatchedIcmp"];
  private baseSec?: number;
  private baseNsec = 0;
  private nextOwnStream = 0;
  /** Once a second of capture time. */
  private readonly sweeps = new SweepSchedule(1, 0);

  constructor(opts: ConnectionTrackerOptions = {}) {
    this.idleTimeout = opts.idleTimeoutSec ?? 7200;
    this.onFinal = opts.onFinal;
    this.onUnmatchedIcmp = opts.onUnmatchedIcmp;
    this.compactSyns = opts.compactSyns ?? true;
  }

  /** Live connections right now (for tests and progress). */
  get liveCount(): number {
    return this.live.size + this.syns.count;
  }

  observe(pkt: DecodedPacket, pa?: PacketAnalysis): void {
    if (this.baseSec === undefined) {
      this.baseSec = pkt.tsSec;
      this.baseNsec = pkt.tsNsec - Math.round((pa?.time ?? 0) * 1e9);
    }
    // Seconds and nanoseconds apart: epoch seconds as one float would lose the microseconds.
    const time = pa?.time ?? pkt.tsSec - this.baseSec + (pkt.tsNsec - this.baseNsec) / 1e9;
    const sweepAt = this.sweeps.sweepAt(time);
    if (sweepAt !== undefined) this.sweep(sweepAt);
    if (pkt.icmp && !pkt.tcp) {
      this.observeIcmp(pkt, pkt.icmp, time, pa);
      return;
    }
    const tcp = pkt.tcp;
    const ip = pkt.ip;
    if (!tcp || !ip) return;

    const conn = this.connectionFor(pkt, pa, time);
    if (!conn) return;
    // The analyzer knows the direction already; a connection found by 4-tuple compares addresses.
    const fromClient =
      pa && conn.key === undefined
        ? pa.fromClient
        : ip.src === conn.clientIp && tcp.srcPort === conn.clientPort;
    this.fold(conn, pkt, pa, time, fromClient);
  }

  /** Finalises every live connection; see ConnectionTrackerOptions.onFinal for what is returned. */
  finish(): ConnectionSummary[] {
    // Allocated at its final size: growing an array of a million wastes as much again.
    const out: ConnectionSummary[] = this.onFinal ? new Array(this.live.size + this.syns.count) : [];
    let filled = 0;
    // In stream order, so a consumer of onFinal can write them out as they come: the bare SYNs
    // are indexed in stream order already, the other live connections are merged in.
    const streams = [...this.live.keys()].sort((a, b) => a - b);
    const rows = this.syns.rowsInOrder();
    let i = 0;
    let j = 0;
    while (i < streams.length || j < rows.length) {
      const s =
        j >= rows.length || (i < streams.length && streams[i] < this.syns.streamOf(rows[j]))
          ? this.finalise(this.live.get(streams[i++])!)
          : this.finaliseSyn(rows[j++]);
      if (this.onFinal) out[filled++] = s;
    }
    if (this.onFinal) out.length = filled;
    else {
      for (const s of this.done) out.push(s);
      this.done.length = 0;
      out.sort((a, b) => a.stream - b.stream || a.start - b.start);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  private connectionFor(pkt: DecodedPacket, pa: PacketAnalysis | undefined, time: number): Conn | undefined {
    const ip = pkt.ip!;
    const tcp = pkt.tcp!;
    const syn = (tcp.flags & TcpFlag.SYN) !== 0;
    const ack = (tcp.flags & TcpFlag.ACK) !== 0;
    let conn: Conn | undefined;
    let stream: number;
    // Only connections tracked without the analyzer are found by 4-tuple.
    let key: string | undefined;
    if (pa) {
      stream = pa.stream;
      // Consecutive packets mostly belong to the same connection.
      const last = this.lastConn;
      conn = last !== undefined && last.stream === stream ? last : this.live.get(stream);
      if (conn) this.lastConn = conn;
      else {
        if (this.recentFinal.has(stream)) return undefined;
        const row = this.syns.rowOf(stream);
        if (row >= 0) return this.expand(row);
        if (this.compactSyns && isBareSyn(pkt, pa) && this.addSyn(pkt, pa, time)) return undefined;
      }
    } else {
      key = flowKey(ip.src, tcp.srcPort, ip.dst, tcp.dstPort);
      conn = this.byTuple.get(key);
      // A SYN with another ISN from the same client is a new attempt, hence a new connection
      // (retries of one attempt keep their ISN), as Wireshark numbers streams.
      if (
        conn &&
        syn &&
        !ack &&
        conn.client.isn !== undefined &&
        conn.client.isn !== tcp.seq &&
        ip.src === conn.clientIp &&
        tcp.srcPort === conn.clientPort
      ) {
        this.finalise(conn);
        conn = undefined;
      }
      stream = conn ? conn.stream : this.nextOwnStream;
    }
    if (conn) return conn;

    // Who is the client: the analyzer says so when present; else the SYN sender, the receiver of
    // a SYN-ACK, or the sender of the first packet.
    let clientIsSrc: boolean;
    if (pa) clientIsSrc = pa.fromClient;
    else if (syn) clientIsSrc = !ack;
    else clientIsSrc = true;
    const [cIp, cPort, sIp, sPort] = clientIsSrc
      ? [ip.src, tcp.srcPort, ip.dst, tcp.dstPort]
      : [ip.dst, tcp.dstPort, ip.src, tcp.srcPort];
    conn = new Conn(stream, cIp, cPort, sIp, sPort, ip.version, time, pkt.frame);
    if (!pa) this.nextOwnStream = stream + 1;
    else if (stream >= this.nextOwnStream) this.nextOwnStream = stream + 1;
    this.live.set(stream, conn);
    if (key !== undefined) {
      conn.key = key;
      this.byTuple.set(key, conn);
    }
    return conn;
  }

  private observeIcmp(pkt: DecodedPacket, icmp: IcmpError, time: number, pa?: PacketAnalysis): void {
    const inner = icmp.inner;
    let conn: Conn | undefined;
    // With the analyzer, the quoted header is numbered with its connection already.
    if (pa) {
      const row = this.syns.rowOf(pa.stream);
      conn = row >= 0 ? this.expand(row) : this.live.get(pa.stream);
    }
    if (
      !conn &&
      inner &&
      inner.protocol === 6 &&
      inner.srcPort !== undefined &&
      inner.dstPort !== undefined
    ) {
      conn = this.byTuple.get(flowKey(inner.src, inner.srcPort, inner.dst, inner.dstPort));
    }
    if (!conn) {
      this.onUnmatchedIcmp?.(pkt, icmp, time);
      return;
    }
    if (conn.icmp.length < 64) {
      const entry: ConnectionSummary["icmp"][number] = {
        frame: pkt.frame,
        time,
        type: icmp.type,
        code: icmp.code,
        kind: icmp.kind,
      };
      if (icmp.mtu !== undefined) entry.mtu = icmp.mtu;
      conn.icmp.push(entry);
    }
  }

  /** Finalises connections that are closed or idle long enough, so memory follows live connections. */
  private sweep(now: number): void {
    const closedAfter = Math.min(this.idleTimeout, 60);
    const attemptAfter = Math.min(this.idleTimeout, 180);
    // Bare SYNs are stored in arrival order: the expired ones are the first.
    for (let row = this.syns.oldest(); row >= 0 && now - this.syns.startOf(row) > attemptAfter;) {
      this.finaliseSyn(row);
      row = this.syns.oldest();
    }
    for (const conn of [...this.live.values()]) {
      const idle = now - conn.lastAt;
      if (
        idle > this.idleTimeout ||
        (conn.closed() && idle > closedAfter) ||
        (conn.attemptOnly() && idle > attemptAfter)
      ) {
        this.finalise(conn);
      }
    }
  }

  private finalise(conn: Conn): ConnectionSummary {
    this.live.delete(conn.stream);
    if (this.lastConn === conn) this.lastConn = undefined;
    if (conn.key !== undefined && this.byTuple.get(conn.key) === conn) this.byTuple.delete(conn.key);
    this.rememberFinal(conn.stream);
    const summary = summarise(conn);
    if (this.onFinal) this.onFinal(summary);
    else this.done.push(summary);
    return summary;
  }

  /** Ring of recently finalised streams (a Set alone would need iteration to evict). */
  private rememberFinal(stream: number): void {
    const evicted = this.recentRing[this.recentPos];
    if (evicted !== undefined) this.recentFinal.delete(evicted);
    this.recentRing[this.recentPos] = stream;
    this.recentPos = (this.recentPos + 1) % MAX_RECENT_FINAL;
    this.recentFinal.add(stream);
  }

  // ---- connections that are one bare SYN --------------------------------------------------------

  /** Keeps a bare SYN as a compact row; false when it cannot be (then it gets full state). */
  private addSyn(pkt: DecodedPacket, pa: PacketAnalysis, time: number): boolean {
    // Most SYNs are of a shape seen just before: a few recent ones are tried without building a key.
    const recent = pkt.ip!.ttl & 15;
    let shapeId: number | undefined = this.recentShapes[recent];
    if (shapeId < 0 || !sameShape(this.synShapes[shapeId], pkt, pa)) {
      shapeId = this.synShapeIds.get(synShapeKey(pkt, pa));
    }
    if (shapeId === undefined) {
      const key = synShapeKey(pkt, pa);
      // A bounded table of templates: further kinds of SYN get full state.
      if (this.synShapes.length >= MAX_SYN_SHAPES) return false;
      shapeId = this.synShapes.length;
      this.synShapes.push(newSynShape(key, pkt, pa));
      this.synShapeIds.set(key, shapeId);
    }
    this.recentShapes[recent] = shapeId;
    const row = this.syns.add(pa.stream, shapeId, time, pkt);
    if (row < 0) return false;
    const shape = this.synShapes[shapeId];
    if (shape.safe === undefined) this.checkShape(shape, row);
    if (pa.stream >= this.nextOwnStream) this.nextOwnStream = pa.stream + 1;
    return true;
  }

  /** The full state of a bare-SYN connection: its SYN folded into a new connection. */
  private stateOf(row: number): Conn {
    const { pkt, pa } = this.syns.packet(row, this.synShapes[this.syns.shapeOf(row)]);
    const ip = pkt.ip!;
    const tcp = pkt.tcp!;
    const conn = new Conn(
      pa.stream,
      ip.src,
      tcp.srcPort,
      ip.dst,
      tcp.dstPort,
      ip.version,
      pa.time,
      pkt.frame,
    );
    this.fold(conn, pkt, pa, pa.time, true);
    return conn;
  }

  /** A second packet (or an ICMP error) for a bare-SYN connection: it gets its full state. */
  private expand(row: number): Conn {
    const conn = this.stateOf(row);
    this.syns.remove(row);
    this.live.set(conn.stream, conn);
    return conn;
  }

  private finaliseSyn(row: number): ConnectionSummary {
    const shape = this.synShapes[this.syns.shapeOf(row)];
    const summary = shape.safe ? this.syns.summary(row) : summarise(this.stateOf(row));
    this.syns.remove(row);
    this.rememberFinal(summary.stream);
    if (this.onFinal) this.onFinal(summary);
    else this.done.push(summary);
    return summary;
  }

  /**
   * The first SYN of a shape sets its template: the summary its connection gets through the full
   * state. Compact summaries of that shape are used only if they reproduce the full summary
   * exactly, for this SYN and for one with every other field changed (other addresses, ports,
   * time, frame, stream, sequence number, IPv4 id, window, timestamp).
   */
  private checkShape(shape: SynShape, row: number): void {
    const template = summarise(this.stateOf(row));
    const other = this.syns.variant(row);
    const otherFull = summarise(this.stateOf(other));
    // Handshake times that are the SYN's own time (firstSynAt) follow each SYN.
    const h = template.handshake as unknown as Record<string, unknown>;
    const oh = otherFull.handshake as unknown as Record<string, unknown>;
    shape.handshakeTimes = Object.keys(h).filter((k) => h[k] === template.start && oh[k] === otherFull.start);
    shape.setTemplate(template);
    const same = (r: number, full: ConnectionSummary) =>
      JSON.stringify(this.syns.summary(r)) === JSON.stringify(full);
    shape.safe = same(row, summarise(this.stateOf(row))) && same(other, otherFull);
    this.syns.done(other);
  }

  // ---------------------------------------------------------------------------------------------

  private fold(
    conn: Conn,
    pkt: DecodedPacket,
    pa: PacketAnalysis | undefined,
    time: number,
    fromClient: boolean,
  ): void {
    const tcp = pkt.tcp!;
    const ip = pkt.ip!;
    const me = fromClient ? conn.client : conn.server;
    const peer = fromClient ? conn.server : conn.client;
    const side: "client" | "server" = fromClient ? "client" : "server";
    const f = me.facts;
    const flags = tcp.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ackFlag = (flags & TcpFlag.ACK) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const len = tcp.payloadLen;

    // Idle gaps (no packet either way) before this one.
    if (conn.lastFrame !== pkt.frame || conn.lastAt !== time) {
      const gap = time - conn.lastAt;
      if (gap > conn.idleGapFloor) {
        const gaps = conn.idleGaps;
        insertTop(gaps, { start: conn.lastAt, end: time, frame: conn.lastFrame }, spanLength);
        if (gaps.length >= TOP) conn.idleGapFloor = spanLength(gaps[gaps.length - 1]);
      }
    }
    const idleBefore = time - conn.lastAt;

    f.packets++;
    f.bytes += len;
    if (len > f.maxSegment) f.maxSegment = len;
    if (ip.totalLen > f.maxIpLen) f.maxIpLen = ip.totalLen;
    if (ip.id !== undefined && ip.version === 4) {
      if (me.lastIpId !== undefined) {
        const step = (ip.id - me.lastIpId) & 0xffff;
        if (step >= 1 && step <= 64) me.idSteps++;
        else me.idJumps++;
      }
      me.lastIpId = ip.id;
    }
    if (ip.ttl < me.ttlMin) me.ttlMin = ip.ttl;
    if (ip.ttl > me.ttlMax) me.ttlMax = ip.ttl;

    // Wireshark's labels, counted per sending direction. Most packets have none.
    const labels = pa?.analysis ?? NO_LABELS;
    if (labels.length !== 0) countLabels(f, labels, syn, ackFlag);

    // ---- handshake -----------------------------------------------------------------------------
    if (syn) {
      const opts = tcp.options;
      if (opts.mss !== undefined) f.mss = opts.mss;
      if (opts.wscale !== undefined) f.wscale = opts.wscale;
      if (opts.sackPermitted) me.sackPermitted = true;
      if (opts.tsVal !== undefined) me.timestamps = true;
      if (opts.tfo) me.tfo = true;
      if (me.isn === undefined) {
        me.isn = tcp.seq;
        me.base = tcp.seq;
        me.baseFromPacket = true;
        me.synAt = time;
        me.synFrame = pkt.frame;
      }
      me.synCount++;
      me.lastSynAt = ackFlag ? me.lastSynAt : time;
      if (ackFlag) {
        conn.synAckCount++;
        if (conn.synAckAt === undefined) conn.synAckAt = time;
        if (!pa && conn.synAckCount > 1) {
          f.retransmissions.total++;
          f.retransmissions.synAck++;
        }
      } else if (!pa && me.synCount > 1) {
        f.retransmissions.total++;
        f.retransmissions.syn++;
      }
    }
    if (me.base === undefined) {
      me.base = tcp.seq;
      me.baseFromPacket = true;
    } else if (!me.baseFromPacket) {
      me.baseFromPacket = true;
    }

    // Final ACK of the handshake: the client ACKs the server's SYN.
    if (
      fromClient &&
      ackFlag &&
      !syn &&
      conn.completedAt === undefined &&
      conn.synAckAt !== undefined &&
      conn.server.isn !== undefined &&
      tcp.ack === (conn.server.isn + 1) >>> 0
    ) {
      conn.completedAt = time;
    }
    if (
      rst &&
      !fromClient &&
      conn.synAckAt === undefined &&
      conn.client.synCount > 0 &&
      conn.client.facts.bytes === 0
    ) {
      conn.refused = true;
    }

    // ---- this side's sequence space -------------------------------------------------------------
    const seqRel = me.rel(tcp.seq);
    const prevHigh = me.high;
    // Probes sit one below the next sequence number (keepalive: SND.NXT-1; Linux zero-window
    // probe: SND.UNA-1) and carry at most one byte.
    const isProbe =
      !syn &&
      !fin &&
      !rst &&
      len <= 1 &&
      Number.isFinite(prevHigh) &&
      (seqRel === prevHigh - 1 || (me.ackSeen && seqRel === me.ackHigh - 1 && seqRel < prevHigh));
    let repeated = false;
    let lateFill = false;
    let resentFrom = Number.NaN;
    let resentTo = Number.NaN;
    if (isProbe) {
      // Linux probes: zero-length (or one garbage byte) at SND.NXT-1. While the peer advertises
      // a zero window it is a zero-window probe (the persist timer), otherwise a keepalive.
      if (peer.rawWin === 0) f.zeroWindowProbes++;
      else {
        f.keepAlives++;
        me.pendingProbes++;
      }
    } else if (labels.length !== 0 && labels.includes("zero_window_probe")) {
      f.zeroWindowProbes++;
    }

    if (len > 0 && !isProbe) {
      const s = syn ? seqRel + 1 : seqRel;
      const e = s + len;
      const overlap = me.sent.overlap(s, e);
      const fullSize = len >= 512 && ip.totalLen >= 0.97 * f.maxIpLen;
      // Bytes below the highest one seen that were never seen fill a hole.
      const hole = s < me.dataHigh && overlap < len ? this.takeHole(me, s, e) : undefined;
      if (overlap > 0) {
        repeated = true;
        f.repeatedSegments++;
        if (fullSize) f.fullSizeRetransmissions++;
        // Karn: ACKs that cover retransmitted data give no RTT sample.
        this.markRetransmitted(me, s);
        if (!pa) this.classifyOwnRetransmission(me, e);
        this.noteResend(me, s, e, time, tcp.options.tsVal);
        resentFrom = s;
        resentTo = e;
      } else if (s < me.dataHigh) {
        // Never seen before, yet below the highest byte. Soon after the hole opened = reordering
        // on the path; an RTT or so later = the retransmission of a segment lost before the
        // capture point.
        if (
          hole &&
          !hole.byAck &&
          sentBeforeOpener(me, hole, ip.id, tcp.options.tsVal, time - hole.openedAt, conn)
        ) {
          f.reorderedSegments++;
          const distance = me.arrivals - hole.openedIndex;
          if (distance > f.maxReorderDistance) f.maxReorderDistance = distance;
        } else {
          lateFill = true;
          f.lostBeforeCapture = (f.lostBeforeCapture ?? 0) + 1;
          if (fullSize) f.fullSizeRetransmissions++;
          if (!pa) this.classifyOwnRetransmission(me, e);
        }
      }
      // Where the next byte was expected: after the highest seen, or right after the SYN.
      const expected = Number.isFinite(me.dataHigh) ? me.dataHigh : me.isn !== undefined ? 1 : Number.NaN;
      if (s > expected) this.openHole(me, expected, s, time, false, ip.id, tcp.options.tsVal);
      me.arrivals++;
      me.sent.add(s, e);
      if (e > me.dataHigh) me.dataHigh = e;
      if (s < me.dataLow) me.dataLow = s;
      if (me.firstDataAt === undefined) me.firstDataAt = time;
      me.lastDataAt = time;
      me.lastDataFrame = pkt.frame;
      if (!repeated && !lateFill && e >= me.dataHigh) {
        me.outstanding.push(e, time);
        if (!fullSize && me.smallPending.length < MAX_OUTSTANDING) me.smallPending.push(e);
      } else if (lateFill) {
        // The cumulative ACK that covers a late fill covers what was sent after the hole too.
        this.markRetransmitted(me, s);
      }
      if (me.ackSeen) {
        const inFlight = me.dataHigh - me.ackHigh;
        if (inFlight > f.maxInFlight) f.maxInFlight = inFlight;
      }
    }
    const end = seqRel + len + (syn ? 1 : 0) + (fin ? 1 : 0);
    // A bare FIN sent again (its ACK never came) is a retransmission too.
    if (fin && !syn && len === 0 && me.fin && me.finRel === seqRel && Number.isNaN(resentFrom)) {
      resentFrom = seqRel;
      resentTo = seqRel + 1;
    }
    if (!rst && end > me.high) me.high = end;
    else if (rst && !Number.isFinite(me.high)) me.high = seqRel;

    // ---- FIN / RST ------------------------------------------------------------------------------
    if (fin && !me.fin) {
      me.fin = true;
      me.finRel = seqRel + len + (syn ? 1 : 0);
      f.finAt = time;
      f.finFrame = pkt.frame;
      if (!conn.firstFin) {
        conn.firstFin = side;
        conn.firstFinAt = time;
      }
    }
    if (rst && !me.rst) {
      me.rst = true;
      f.rstAt = time;
      f.rstFrame = pkt.frame;
      if (!conn.firstRst) {
        conn.firstRst = side;
        conn.rstAt = time;
        conn.rstFrame = pkt.frame;
        const c = conn.client;
        const sv = conn.server;
        const unacked = (d: Side) =>
          Number.isFinite(d.dataHigh) && d.dataHigh > (d.ackSeen ? d.ackHigh : d.dataLow);
        conn.rstWithDataInFlight = unacked(c) || unacked(sv);
        conn.idleBeforeRst = idleBefore;
      }
    }

    // ---- window advertised by this side ---------------------------------------------------------
    const scaled = this.scaledWindow(conn, me, peer, tcp.window, syn, pa);
    if (!syn && !rst && !fin) {
      if (tcp.window === 0) {
        f.zeroWindows++;
        if (!me.zeroSince) me.zeroSince = { start: time, frame: pkt.frame };
      } else if (me.zeroSince) {
        endZeroEpisode(conn, me, side, time);
      }
    }
    if (!syn && !rst) {
      if (f.minWindow === undefined || scaled < f.minWindow) f.minWindow = scaled;
      if (f.maxWindow === undefined || scaled > f.maxWindow) f.maxWindow = scaled;
    }
    if (!rst) {
      me.win = scaled;
      me.rawWin = tcp.window;
    }

    // ---- what this packet ACKs of the peer's data -----------------------------------------------
    if (ackFlag && !rst)
      this.processAck(peer, tcp.ack, tcp.window, len, flags, tcp.options.sack, time, tcp.options.tsEcr);

    // ---- silences: any packet from this side ends the peer's; a resend opens or extends this side's
    if (peer.silence) closeSilence(peer, time, true);
    if (!Number.isNaN(resentFrom)) this.noteSilence(me, peer, resentFrom, resentTo, time, pkt.frame);
    me.lastPacketAt = time;

    // ---- keepalive answers ----------------------------------------------------------------------
    if (peer.pendingProbes > 0) {
      peer.probesAnswered += peer.pendingProbes;
      peer.pendingProbes = 0;
      if (len === 0 && !syn && !fin && !rst) f.keepAliveAcks++;
    }

    // ---- request → response think time ----------------------------------------------------------
    if (len > 0 && !isProbe && !repeated) {
      if (fromClient) {
        if (!conn.request) conn.request = { at: time, frame: pkt.frame, clientHigh: me.dataHigh };
        else {
          conn.request.at = time;
          conn.request.frame = pkt.frame;
          conn.request.clientHigh = me.dataHigh;
          conn.request.ackAt = undefined;
        }
      } else if (conn.request) {
        const r = conn.request;
        const t: ThinkTime = {
          requestAt: r.at,
          requestFrame: r.frame,
          responseAt: time,
          responseFrame: pkt.frame,
          gap: time - r.at,
        };
        if (r.ackAt !== undefined) t.ackAt = r.ackAt;
        insertTop(conn.thinkTimes, t, thinkGap);
        conn.request = undefined;
      }
    } else if (
      !fromClient &&
      conn.request &&
      len === 0 &&
      ackFlag &&
      !syn &&
      !fin &&
      !rst &&
      conn.request.ackAt === undefined
    ) {
      if (conn.client.ackSeen && conn.client.ackHigh >= conn.request.clientHigh) conn.request.ackAt = time;
    }

    // ---- Zeek history ---------------------------------------------------------------------------
    this.history(conn, me, fromClient, tcp.seq, flags, len, tcp.window, repeated || lateFill);

    conn.lastAt = time;
    conn.lastFrame = pkt.frame;
  }

  private scaledWindow(
    conn: Conn,
    me: Side,
    peer: Side,
    raw: number,
    syn: boolean,
    pa: PacketAnalysis | undefined,
  ): number {
    if (pa) return pa.win;
    if (syn) return raw;
    // Scaling applies only when both SYNs carried the option.
    if (
      me.facts.wscale !== undefined &&
      peer.facts.wscale !== undefined &&
      conn.client.isn !== undefined &&
      conn.synAckAt !== undefined
    ) {
      return raw * 2 ** me.facts.wscale;
    }
    return raw;
  }

  /** Outstanding segments ending above `from` can only be ACKed together with a retransmission. */
  private markRetransmitted(me: Side, from: number): void {
    const o = me.outstanding;
    for (let i = o.length - 1; i >= 0; i--) {
      if (o.endOf(i) <= from) break;
      o.markResent(i);
    }
  }

  private openHole(
    me: Side,
    start: number,
    end: number,
    time: number,
    byAck: boolean,
    ipId?: number,
    tsVal?: number,
  ): void {
    if (me.holes.length >= MAX_HOLES) me.holes.shift();
    me.holes.push({ start, end, openedAt: time, openedIndex: me.arrivals, byAck, ipId, tsVal });
  }

  /** Removes [s, e) from the holes; returns the hole it fell into (the earliest-opened one). */
  private takeHole(me: Side, s: number, e: number): Hole | undefined {
    let found: Hole | undefined;
    const next: Hole[] = [];
    for (const h of me.holes) {
      if (h.end <= s || h.start >= e) {
        next.push(h);
        continue;
      }
      if (!found || h.openedAt < found.openedAt) found = h;
      if (h.start < s) next.push({ ...h, end: s });
      if (h.end > e) next.push({ ...h, start: e });
    }
    me.holes = next;
    return found;
  }

  /** Without Wireshark's labels: a retransmission during loss recovery is fast, otherwise timeout-driven. */
  private classifyOwnRetransmission(me: Side, end: number): void {
    const r = me.facts.retransmissions;
    r.total++;
    if (end <= me.ackHigh) r.spurious++;
    else if (me.recoveryPoint !== undefined) r.fast++;
    else r.rto++;
  }

  /** An ACK sent about the peer's data: delivery, RTT samples, loss signals, unseen data. */
  private processAck(
    peer: Side,
    ackAbs: number,
    win: number,
    len: number,
    flags: number,
    sack: [number, number][] | undefined,
    time: number,
    tsEcr?: number,
  ): void {
    if (peer.base === undefined) peer.base = ackAbs;
    const ack = peer.rel(ackAbs);
    if (sack && sack.length > 0 && (peer.resentPending.length > 0 || peer.resent.length > 0))
      this.judgeBySack(peer, ack, sack, time);
    const pure = len === 0 && (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
    if (!peer.ackSeen || ack > peer.ackHigh) {
      // ACK for data the capture never showed: a hole that only a retransmission could fill.
      if (peer.baseFromPacket && Number.isFinite(peer.high) && ack > peer.high) {
        const from = Number.isFinite(peer.dataHigh) ? Math.max(peer.dataHigh, peer.high) : peer.high;
        if (ack > from) this.openHole(peer, from, ack, time, true);
        peer.high = ack;
      }
      peer.ackHigh = ack;
      peer.ackSeen = true;
      if (peer.resentPending.length > 0) this.judgeByAck(peer, ack, time, tsEcr);
      if (peer.recoveryPoint !== undefined && ack >= peer.recoveryPoint) peer.recoveryPoint = undefined;
      this.rttSample(peer, ack, time);
      // Small segments now delivered.
      let n = 0;
      while (n < peer.smallPending.length && peer.smallPending.at(n) <= ack) n++;
      if (n > 0) {
        peer.facts.smallSegmentsDelivered += n;
        peer.smallPending.drop(n);
      }
    } else if (pure && ack === peer.ackHigh && Number.isFinite(peer.dataHigh) && peer.dataHigh > ack) {
      // Duplicate ACK / SACK: the peer learns of a loss; what it retransmits next is "fast".
      if (peer.lastPeerAck === ack && (peer.lastPeerWin === win || (sack && sack.length > 0))) {
        if (peer.recoveryPoint === undefined) peer.recoveryPoint = peer.dataHigh;
      }
    }
    if (sack && sack.length > 0 && peer.recoveryPoint === undefined && Number.isFinite(peer.dataHigh)) {
      for (const [l] of sack) {
        if (peer.rel(l) > ack) {
          peer.recoveryPoint = peer.dataHigh;
          break;
        }
      }
    }
    peer.lastPeerAck = ack;
    peer.lastPeerWin = win;
  }

  /**
   * A resend of [s, e): a new distinct range when most of its bytes were never resent before.
   * Data the peer had already ACKed when it was resent is not lost (Wireshark's spurious flag).
   */
  private noteResend(me: Side, s: number, e: number, time: number, tsVal: number | undefined): void {
    const fresh = e - s - me.resentBytes.overlap(s, e);
    me.resentBytes.add(s, e);
    if (fresh * 2 < e - s) return;
    if (me.ackSeen && e <= me.ackHigh) {
      me.resentAfterAck++;
      return;
    }
    if (me.resent.length >= MAX_RESENT) {
      me.resentOverflow++;
      return;
    }
    // One object shape whether or not the segment carried a timestamp.
    const r: Resent = { start: s, end: e, at: time, tsVal, verdict: "pending" };
    me.resent.push(r);
    me.resentPending.push(r);
  }

  /**
   * The first cumulative ACK covering a resent range says whether the original had arrived: its
   * timestamp echo is older than the resend (Eifel), or it came sooner than half an RTT after the
   * resend, so the resend cannot be what it acknowledges.
   */
  private judgeByAck(side: Side, ack: number, time: number, tsEcr: number | undefined): void {
    const halfRtt = side.rtt.count > 0 ? side.rtt.min / 2 : 0;
    const keep: Resent[] = [];
    for (const r of side.resentPending) {
      if (r.end > ack) {
        keep.push(r);
        continue;
      }
      const echoesOriginal = tsEcr !== undefined && r.tsVal !== undefined && tsBefore(tsEcr, r.tsVal);
      r.verdict = echoesOriginal || time - r.at < halfRtt ? "unneeded" : "lost";
    }
    side.resentPending = keep;
  }

  /**
   * SACK blocks about resent ranges. A D-SACK (first block below the cumulative ACK, or inside the
   * second block) reports data received twice: that resend was not needed, whatever was judged
   * before. A plain SACK covering a pending range decides it by timing alone (out-of-order data
   * does not update the timestamp the receiver echoes).
   */
  private judgeBySack(side: Side, ack: number, sack: [number, number][], time: number): void {
    const l0 = side.rel(sack[0][0]);
    const r0 = side.rel(sack[0][1]);
    const dsack = r0 <= ack || (sack.length > 1 && l0 >= side.rel(sack[1][0]) && r0 <= side.rel(sack[1][1]));
    if (dsack) {
      const from = Math.max(0, side.resent.length - DSACK_LOOKBACK);
      for (let i = side.resent.length - 1; i >= from; i--) {
        const r = side.resent[i];
        if (r.start < r0 && r.end > l0) r.verdict = "unneeded";
      }
    }
    // Plain loops, no closures: this runs on every SACK while resends are pending, and the
    // optimising compiler inlines array callbacks at a high price.
    const pending = side.resentPending;
    if (pending.length === 0) return;
    // The blocks that can report a plain arrival: not the D-SACK one.
    const blocks = SACK_BLOCKS;
    let nb = 0;
    for (let i = dsack ? 1 : 0; i < sack.length && nb < MAX_SACK_BLOCKS; i++) {
      blocks[2 * nb] = side.rel(sack[i][0]);
      blocks[2 * nb + 1] = side.rel(sack[i][1]);
      nb++;
    }
    const halfRtt = side.rtt.count > 0 ? side.rtt.min / 2 : 0;
    let kept = 0;
    for (let p = 0; p < pending.length; p++) {
      const r = pending[p];
      if (r.verdict !== "pending") continue;
      let covered = false;
      for (let i = 0; i < nb && !covered; i++)
        covered = blocks[2 * i] <= r.start && blocks[2 * i + 1] >= r.end;
      if (covered) r.verdict = time - r.at < halfRtt ? "unneeded" : "lost";
      else pending[kept++] = r;
    }
    pending.length = kept;
  }

  /** A resend of [s, e) by `me` while the peer is silent: opens or extends me's silence. */
  private noteSilence(me: Side, peer: Side, s: number, e: number, time: number, frame: number): void {
    const low = me.ackSeen ? me.ackHigh : me.dataLow;
    let sl = me.silence;
    if (!sl) {
      sl = {
        start: peer.lastPacketAt ?? time,
        lastAt: time,
        firstFrame: frame,
        lastFrame: frame,
        retransmissions: 0,
        headTimes: [],
        seqFrom: Number.isFinite(low) ? low : s,
        seqTo: me.dataHigh,
      };
      me.silence = sl;
    }
    sl.retransmissions++;
    sl.lastAt = time;
    sl.lastFrame = frame;
    const isHead = Number.isFinite(low) ? s <= low && low < e : true;
    if (isHead && sl.headTimes.length < MAX_HEAD_TIMES) sl.headTimes.push(time);
  }

  private rttSample(side: Side, ack: number, time: number): void {
    const o = side.outstanding;
    let ambiguous = false;
    let n = 0;
    while (n < o.length && o.endOf(n) <= ack) {
      if (o.wasResent(n)) ambiguous = true;
      n++;
    }
    if (n === 0) return;
    const sentAt = o.sentAt(n - 1);
    o.drop(n);
    if (!ambiguous) side.rtt.add(Math.max(0, time - sentAt));
  }

  /**
   * Zeek history letters for one packet: upper case from the client. s/h/f/r again only when the
   * sequence number differs from the last such packet; a/d/q/i once; t/w at the 1st, 10th,
   * 100th ... occurrence.
   */
  private history(
    conn: Conn,
    me: Side,
    fromClient: boolean,
    seq: number,
    flags: number,
    len: number,
    win: number,
    retrans: boolean,
  ): void {
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    let letters = "";
    if (syn && (fin || rst) && once(me, LETTER_ONCE.q)) letters += "q";
    if (fin && rst && once(me, LETTER_ONCE.i)) letters += "i";
    if (syn && me.lastSynSeq !== seq) {
      me.lastSynSeq = seq;
      letters += ack ? "h" : "s";
    }
    if (len > 0 && once(me, LETTER_ONCE.d)) letters += "d";
    if (ack && !syn && !fin && !rst && len === 0 && once(me, LETTER_ONCE.a)) letters += "a";
    if (retrans && isLogStep(++me.retransCount)) letters += "t";
    if (win === 0 && !rst && isLogStep(++me.zeroWinCount)) letters += "w";
    if (fin && me.lastFinSeq !== seq) {
      me.lastFinSeq = seq;
      letters += "f";
    }
    if (rst && me.lastRstSeq !== seq) {
      me.lastRstSeq = seq;
      letters += "r";
    }
    if (letters) conn.history += fromClient ? letters.toUpperCase() : letters;
  }
}

const LETTER_ONCE = { a: 1, d: 2, q: 4, i: 8 } as const;

/** True the first time this letter bit is seen for the side. */
function once(side: Side, bit: number): boolean {
  if ((side.onceLetters & bit) !== 0) return false;
  side.onceLetters |= bit;
  return true;
}

/** TCP timestamp a is earlier than b (modulo 2^32). */
function tsBefore(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d > 0 && d < 0x80000000;
}

/** Ends a side's open silence (answered: the peer just sent something) and keeps the longest. */
function closeSilence(side: Side, time: number, answered: boolean): Silence | undefined {
  const sl = side.silence;
  if (!sl) return undefined;
  side.silence = undefined;
  sl.answered = answered;
  sl.end = answered ? time : Math.max(sl.lastAt, side.lastPacketAt ?? sl.lastAt);
  if (side.dataHigh > sl.seqTo || !Number.isFinite(sl.seqTo)) sl.seqTo = side.dataHigh;
  const length = (x: Silence) => (x.end ?? x.lastAt) - x.start;
  if (!side.longestSilence || length(sl) > length(side.longestSilence)) side.longestSilence = sl;
  return sl;
}

function publicSilence(side: Side, sl: Silence): PeerSilence {
  let lost = 0;
  for (const r of side.resent) {
    if (r.verdict !== "unneeded" && r.start >= sl.seqFrom && r.start < sl.seqTo) lost++;
  }
  return {
    start: sl.start,
    end: sl.end ?? sl.lastAt,
    answered: sl.answered ?? false,
    firstFrame: sl.firstFrame,
    lastFrame: sl.lastFrame,
    retransmissions: sl.retransmissions,
    headRetransmissionTimes: [...sl.headTimes],
    lostSegments: lost,
  };
}

function isLogStep(n: number): boolean {
  return n === 1 || n === 10 || n === 100 || n === 1000 || n === 10000 || n === 100000 || n === 1000000;
}

/**
 * Was a segment that filled a hole sent before the segment that opened it (reordering on the
 * path) rather than after it (a retransmission of a segment lost before the capture point)?
 * The sender's own clocks answer best: IPv4 ids when this sender numbers its packets in
 * sequence (Linux does per connection), else TCP timestamps when they differ; only without
 * either does the arrival delay decide (within half the handshake RTT = reordering).
 */
function sentBeforeOpener(
  me: Side,
  hole: Hole,
  ipId: number | undefined,
  tsVal: number | undefined,
  delay: number,
  conn: Conn,
): boolean {
  if (
    ipId !== undefined &&
    hole.ipId !== undefined &&
    ipId !== hole.ipId &&
    me.idSteps >= 8 &&
    me.idSteps >= 4 * me.idJumps
  ) {
    const ahead = (hole.ipId - ipId) & 0xffff;
    return ahead > 0 && ahead < 0x8000;
  }
  if (tsVal !== undefined && hole.tsVal !== undefined && tsVal !== hole.tsVal) {
    const ahead = (hole.tsVal - tsVal) >>> 0;
    return ahead > 0 && ahead < 0x80000000;
  }
  return delay <= reorderWindow(conn);
}

/** Holes filled within this many seconds are reordering; later fills are retransmissions. */
function reorderWindow(conn: Conn): number {
  const rtt = handshakeRtt(conn) ?? minRtt(conn);
  if (rtt === undefined || rtt <= 0) return DEFAULT_REORDER_WINDOW;
  return rtt / 2;
}

function handshakeRtt(conn: Conn): number | undefined {
  if (conn.completedAt === undefined) return undefined;
  const synAt = conn.client.lastSynAt ?? conn.client.synAt;
  return synAt === undefined ? undefined : conn.completedAt - synAt;
}

function minRtt(conn: Conn): number | undefined {
  const a = conn.client.rtt.count ? conn.client.rtt.min : Number.POSITIVE_INFINITY;
  const b = conn.server.rtt.count ? conn.server.rtt.min : Number.POSITIVE_INFINITY;
  const m = Math.max(
    Number.isFinite(a) ? a : Number.NEGATIVE_INFINITY,
    Number.isFinite(b) ? b : Number.NEGATIVE_INFINITY,
  );
  return Number.isFinite(m) ? m : undefined;
}

// ---- summary ------------------------------------------------------------------------------------

/** Initial TTL / hop-limit values of common stacks: a packet still carrying one was not routed. */
const INITIAL_TTLS = [32, 60, 64, 128, 255];

function summarise(conn: Conn): ConnectionSummary {
  const c = conn.client;
  const s = conn.server;
  const end = conn.lastAt;
  // Open zero-window episodes last until the end of what was captured.
  endZeroEpisode(conn, c, "client", end);
  endZeroEpisode(conn, s, "server", end);

  for (const d of [c, s]) {
    const f = d.facts;
    f.uniqueBytes = Number.isFinite(d.dataHigh)
      ? Math.max(0, d.dataHigh - Math.min(d.dataLow, d.isn !== undefined ? 1 : d.dataLow))
      : 0;
    f.missedSegments = missedSegments(d);
    const rtt = d.rtt.summary();
    if (rtt) f.ackRtt = rtt;
    let unneeded = d.resentAfterAck;
    for (const r of d.resent) if (r.verdict === "unneeded") unneeded++;
    f.lostAfterCapture = d.resent.length + d.resentOverflow - (unneeded - d.resentAfterAck);
    f.unneededRetransmissions = unneeded;
    const tail = closeSilence(d, end, false);
    if (d.longestSilence) f.peerSilence = publicSilence(d, d.longestSilence);
    if (tail) f.silentTail = publicSilence(d, tail);
  }

  const state = connState(conn);
  const handshake: ConnectionSummary["handshake"] = {
    synSeen: c.synCount > 0,
    synAckSeen: conn.synAckCount > 0,
    ackSeen: conn.completedAt !== undefined,
    synCount: c.synCount,
    synAckCount: conn.synAckCount,
    refused: conn.refused,
    sackPermitted: bothOrOffered(conn, (d) => d.sackPermitted),
    timestamps: bothOrOffered(conn, (d) => d.timestamps),
    windowScaling: bothOrOffered(conn, (d) => d.facts.wscale !== undefined),
    tfo: c.tfo,
  };
  if (c.synAt !== undefined) handshake.firstSynAt = c.synAt;
  if (conn.synAckAt !== undefined) handshake.synAckAt = conn.synAckAt;
  if (conn.completedAt !== undefined) handshake.completedAt = conn.completedAt;
  const answeredSyn = lastSynBefore(conn);
  if (conn.synAckAt !== undefined && answeredSyn !== undefined)
    handshake.synToSynAck = conn.synAckAt - answeredSyn;
  const hsRtt = handshakeRtt(conn);
  if (hsRtt !== undefined) handshake.rtt = hsRtt;

  const close: ConnectionSummary["close"] = {};
  if (conn.firstFin) close.firstFin = conn.firstFin;
  if (conn.firstRst) {
    close.firstRst = conn.firstRst;
    close.rstAt = conn.rstAt;
    close.rstFrame = conn.rstFrame;
    close.rstWithDataInFlight = conn.rstWithDataInFlight;
    close.idleBeforeRst = conn.idleBeforeRst;
  }
  // Half-closed: one side's FIN was ACKed by the other, which never sent FIN or RST itself.
  if (c.fin && !s.fin && !s.rst && !c.rst && c.finRel !== undefined && c.ackSeen && c.ackHigh > c.finRel)
    close.halfClosedBy = "server";
  else if (s.fin && !c.fin && !c.rst && !s.rst && s.finRel !== undefined && s.ackSeen && s.ackHigh > s.finRel)
    close.halfClosedBy = "client";

  const mainDir = mainDirection(conn);
  // The path RTT shows in the ACK delays of the data sent near the capture point; the other
  // direction's ACKs are the near host's own reaction time. The larger minimum tells them apart.
  const pathSide = c.rtt.count && (!s.rtt.count || c.rtt.min >= s.rtt.min) ? c : s;
  const rtt = pathSide.rtt.summary();

  let probes = 0;
  let answered = 0;
  let unansweredTail = 0;
  for (const d of [c, s]) {
    probes += d.facts.keepAlives;
    answered += d.probesAnswered;
    unansweredTail += d.pendingProbes;
  }

  const summary: ConnectionSummary = {
    stream: conn.stream,
    client: endpoint(conn.clientIp, conn.clientPort),
    server: endpoint(conn.serverIp, conn.serverPort),
    clientIp: conn.clientIp,
    clientPort: conn.clientPort,
    serverIp: conn.serverIp,
    serverPort: conn.serverPort,
    ipVersion: conn.ipVersion,
    start: conn.start,
    duration: end - conn.start,
    firstFrame: conn.firstFrame,
    lastFrame: conn.lastFrame,
    state,
    history: conn.history,
    verdict: "",
    handshake,
    packets: { client: c.facts.packets, server: s.facts.packets },
    bytes: { client: c.facts.bytes, server: s.facts.bytes },
    dir: { client: c.facts, server: s.facts },
    zeroWindow: { episodes: conn.zeroEpisodes, totalStall: conn.zeroStall + 0, spans: conn.zeroSpans },
    idleGaps: conn.idleGaps,
    thinkTimes: conn.thinkTimes,
    close,
    icmp: conn.icmp,
    oneSided: c.facts.packets === 0 || s.facts.packets === 0,
    keepalive: { probes, answered, unansweredTail },
  };
  if (rtt) summary.rtt = rtt;
  if (mainDir) {
    const d = mainDir.side;
    const seconds = (d.lastDataAt ?? 0) - (d.firstDataAt ?? 0);
    const bytes = d.facts.uniqueBytes;
    if (bytes > 0 && seconds > 0)
      summary.throughput = { direction: mainDir.name, bps: (bytes * 8) / seconds, bytes, seconds };
  }
  const captureSide = guessCaptureSide(conn);
  if (captureSide) summary.captureSide = captureSide;
  summary.verdict = verdict(summary);
  return summary;
}

/** Ends the zero-window episode of one side, if one is open. */
function endZeroEpisode(conn: Conn, d: Side, side: "client" | "server", end: number): void {
  const z = d.zeroSince;
  if (!z) return;
  d.zeroSince = undefined;
  conn.zeroEpisodes++;
  conn.zeroStall += end - z.start;
  if (conn.zeroSpans.length < 32) conn.zeroSpans.push({ start: z.start, end, frame: z.frame, side });
}

/** Holes below the peer's ACK that nothing ever filled: segments the capture missed (not the network). */
function missedSegments(d: Side): number {
  if (!d.ackSeen) return 0;
  const seg = d.facts.mss ?? (d.facts.maxSegment > 0 ? d.facts.maxSegment : 1460);
  let n = 0;
  for (const h of d.holes) {
    const hi = Math.min(h.end, d.ackHigh);
    if (hi > h.start) n += Math.ceil((hi - h.start) / seg);
  }
  return n;
}

function bothOrOffered(conn: Conn, has: (d: Side) => boolean): boolean {
  // Negotiated = both SYNs carried it; with only one SYN captured, what it offered.
  const cSyn = conn.client.synCount > 0;
  const sSyn = conn.synAckCount > 0;
  if (cSyn && sSyn) return has(conn.client) && has(conn.server);
  if (cSyn) return has(conn.client);
  if (sSyn) return has(conn.server);
  return false;
}

function lastSynBefore(conn: Conn): number | undefined {
  // The SYN the SYN-ACK answered: the last one before it (retries happen before it arrives).
  const c = conn.client;
  if (c.lastSynAt !== undefined && conn.synAckAt !== undefined && c.lastSynAt <= conn.synAckAt)
    return c.lastSynAt;
  return c.synAt;
}

function mainDirection(conn: Conn): { side: Side; name: "client" | "server" } | undefined {
  const cb = Number.isFinite(conn.client.dataHigh) ? conn.client.dataHigh - conn.client.dataLow : 0;
  const sb = Number.isFinite(conn.server.dataHigh) ? conn.server.dataHigh - conn.server.dataLow : 0;
  if (cb <= 0 && sb <= 0) return undefined;
  return sb > cb ? { side: conn.server, name: "server" } : { side: conn.client, name: "client" };
}

/**
 * Zeek conn_state from the endpoints' behaviour. The first RST decides the reset states; a
 * SYN-ACK establishes the connection as in Zeek (so SYN + SYN-ACK without the final ACK is S1).
 */
function connState(conn: Conn): ConnectionSummary["state"] {
  const c = conn.client;
  const s = conn.server;
  const clientSyn = c.synCount > 0;
  const synAck = conn.synAckCount > 0;
  const serverSent = s.facts.packets > 0;
  if (conn.firstRst === "server") {
    if (clientSyn && !synAck && c.facts.bytes === 0) return "REJ";
    if (synAck && !clientSyn && c.facts.packets === 0) return "RSTRH";
    return "RSTR";
  }
  if (conn.firstRst === "client") return clientSyn && !synAck ? "RSTOS0" : "RSTO";
  if (c.fin && s.fin) return "SF";
  if (c.fin) return serverSent ? "S2" : "SH";
  if (s.fin) return c.facts.packets > 0 ? "S3" : "SHR";
  if (clientSyn && !serverSent) return "S0";
  if (clientSyn && synAck) return "S1";
  return "OTH";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function fmtSec(x: number): string {
  if (x < 0.001) return `${(x * 1e6).toFixed(0)} µs`;
  if (x < 1) return `${(x * 1000).toFixed(x < 0.01 ? 2 : 1)} ms`;
  return `${x.toFixed(x < 10 ? 2 : 1)} s`;
}

/** One short sentence saying how the connection went. */
function verdict(sum: ConnectionSummary): string {
  const h = sum.handshake;
  const parts: string[] = [];
  switch (sum.state) {
    case "REJ":
      parts.push(
        h.synCount > 1 ? `refused (RST) after ${plural(h.synCount, "SYN")}` : "refused: SYN answered by RST",
      );
      break;
    case "S0":
      parts.push(`no answer to ${plural(h.synCount, "SYN")}`);
      break;
    case "RSTOS0":
      parts.push(`client gave up (RST) after ${plural(h.synCount, "unanswered SYN")}`);
      break;
    case "RSTRH":
      parts.push("server sent SYN-ACK then RST (client SYN not captured)");
      break;
    case "SH":
      parts.push("client sent SYN then FIN, no answer");
      break;
    case "SHR":
      parts.push("server sent SYN-ACK then FIN (client SYN not captured)");
      break;
    case "RSTO":
    case "RSTR": {
      const who = sum.close.firstRst === "client" ? "client" : "server";
      let text = `reset by ${who}`;
      if (sum.keepalive.unansweredTail > 0 && who === "client")
        text += ` after ${plural(sum.keepalive.unansweredTail, "unanswered keepalive")}`;
      else if (sum.close.rstWithDataInFlight) text += " with data in flight";
      else if (sum.close.idleBeforeRst !== undefined && sum.close.idleBeforeRst >= 1)
        text += ` after ${fmtSec(sum.close.idleBeforeRst)} idle`;
      if (!h.ackSeen && h.synSeen && h.synAckSeen) text += " during the handshake";
      parts.push(text);
      break;
    }
    case "SF":
      parts.push(`closed normally (${sum.close.firstFin ?? "client"} FIN first)`);
      break;
    case "S2":
      parts.push(
        sum.close.halfClosedBy === "server"
          ? "half-closed: client sent FIN, server never closed"
          : "client sent FIN, no FIN from server",
      );
      break;
    case "S3":
      parts.push(
        sum.close.halfClosedBy === "client"
          ? "half-closed: server sent FIN, client never closed"
          : "server sent FIN, no FIN from client",
      );
      break;
    case "S1":
      if (!h.ackSeen && h.synAckSeen && sum.packets.client === h.synCount)
        parts.push("handshake incomplete: SYN-ACK never acknowledged");
      else parts.push("established, still open at capture end");
      break;
    default:
      parts.push(sum.oneSided ? "mid-stream, one direction only" : "mid-stream (handshake not captured)");
  }
  if (h.synCount > 1 && h.synAckSeen) parts.push(`connected after ${plural(h.synCount, "SYN")}`);
  const retrans = sum.dir.client.repeatedSegments + sum.dir.server.repeatedSegments;
  if (retrans > 0) parts.push(`${plural(retrans, "repeated segment")}`);
  if (sum.zeroWindow.episodes > 0) parts.push(`zero window stalled ${fmtSec(sum.zeroWindow.totalStall)}`);
  const think = sum.thinkTimes[0];
  if (think && think.gap >= 0.5) parts.push(`server took ${fmtSec(think.gap)} to respond`);
  return parts.join("; ");
}

/**
 * Where the capture looks taken, from two independent clues:
 * 1. TTL: a host's own packets leave with an initial TTL (64, 128, 255...), routed packets
 *    arrive with less. One side initial and the other lower = the capture was near the first.
 * 2. Timing: near the client, SYN→SYN-ACK spans the network RTT while SYN-ACK→ACK is only the
 *    client's own reaction time; near the server it is the other way round; in the middle both
 *    are substantial. Without a handshake, the same holds for data→ACK delays (minimum per
 *    direction): the side whose data is ACKed after a network RTT is near the capture point.
 * The TTL clue wins when both speak. Below 1 ms both ways (same host, one veth) and with equal
 * TTLs the clues say nothing and the answer is undefined.
 */
function guessCaptureSide(conn: Conn): "client" | "server" | "middle" | undefined {
  const c = conn.client;
  const s = conn.server;
  const initial = (d: Side) => d.ttlMax >= 0 && d.ttlMin === d.ttlMax && INITIAL_TTLS.includes(d.ttlMax);
  const routed = (d: Side) => d.ttlMax >= 0 && !INITIAL_TTLS.includes(d.ttlMax);
  const ttlSide = initial(c) && routed(s) ? "client" : initial(s) && routed(c) ? "server" : undefined;

  let timingSide: "client" | "server" | "middle" | undefined;
  const synAt = lastSynBefore(conn);
  if (synAt !== undefined && conn.synAckAt !== undefined && conn.completedAt !== undefined) {
    const a = conn.synAckAt - synAt;
    const b = conn.completedAt - conn.synAckAt;
    timingSide = compareDelays(a, b);
  }
  if (!timingSide && c.rtt.count > 0 && s.rtt.count > 0) {
    // Client data ACKed slowly (a network RTT) while server data is ACKed at once: near the client.
    timingSide = compareDelays(c.rtt.min, s.rtt.min);
  }
  // An unrouted TTL is a hard fact; timing only decides when the TTLs say nothing.
  return ttlSide ?? timingSide;
}

/** a = delay seen after the client acted, b = after the server acted. */
function compareDelays(a: number, b: number): "client" | "server" | "middle" | undefined {
  if (Math.max(a, b) < 0.001) return undefined;
  if (a >= 4 * b) return "client";
  if (b >= 4 * a) return "server";
  return "middle";
}

// ---- compact bare-SYN connections ---------------------------------------------------------------

/** Kinds of bare SYN (SynShape) given compact records; SYNs of further kinds get full state. */
const MAX_SYN_SHAPES = 4096;

/**
 * A packet that can start a compact connection: a SYN from the client, nothing else set among
 * ACK/FIN/RST, no payload, decoded completely, with only the options the facts read.
 */
function isBareSyn(pkt: DecodedPacket, pa: PacketAnalysis): boolean {
  const tcp = pkt.tcp!;
  const ip = pkt.ip!;
  const o = tcp.options;
  return (
    pa.fromClient &&
    (tcp.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.FIN | TcpFlag.RST)) === TcpFlag.SYN &&
    tcp.payloadLen === 0 &&
    pa.win === tcp.window &&
    pkt.error === undefined &&
    !pkt.truncated &&
    pkt.icmp === undefined &&
    ip.fragment === undefined &&
    !ip.hasOptions &&
    o.sack === undefined &&
    o.unknown === undefined &&
    !o.malformed
  );
}

/**
 * Everything of a bare SYN but who sent it, when, and the values its sender varies from SYN to
 * SYN (sequence number, IPv4 id, window, acknowledgment field, timestamps).
 */
function synShapeKey(pkt: DecodedPacket, pa: PacketAnalysis): string {
  const ip = pkt.ip!;
  const tcp = pkt.tcp!;
  const o = tcp.options;
  return [
    ip.version,
    ip.ttl,
    ip.headerLen,
    ip.totalLen,
    ip.id === undefined ? "" : "id",
    ip.dontFragment ?? "",
    tcp.flags,
    tcp.headerLen,
    tcp.urgent,
    o.mss ?? "",
    o.wscale ?? "",
    o.sackPermitted ?? "",
    o.tsVal === undefined ? "" : "ts",
    o.tsEcr === undefined ? "" : "ecr",
    o.tfo ?? "",
    pa.analysis.join(","),
  ].join(" ");
}

/** The SYN is of this shape (what synShapeKey() would say, without building the key). */
function sameShape(sh: SynShape, pkt: DecodedPacket, pa: PacketAnalysis): boolean {
  const ip = pkt.ip!;
  const tcp = pkt.tcp!;
  const o = tcp.options;
  if (
    sh.version !== ip.version ||
    sh.ttl !== ip.ttl ||
    sh.ipHeaderLen !== ip.headerLen ||
    sh.totalLen !== ip.totalLen ||
    sh.hasId !== (ip.id !== undefined) ||
    sh.dontFragment !== ip.dontFragment ||
    sh.flags !== tcp.flags ||
    sh.tcpHeaderLen !== tcp.headerLen ||
    sh.urgent !== tcp.urgent ||
    sh.mss !== o.mss ||
    sh.wscale !== o.wscale ||
    sh.sackPermitted !== o.sackPermitted ||
    sh.hasTs !== (o.tsVal !== undefined) ||
    sh.hasTsEcr !== (o.tsEcr !== undefined) ||
    sh.tfo !== o.tfo ||
    sh.labels.length !== pa.analysis.length
  ) {
    return false;
  }
  for (let i = 0; i < sh.labels.length; i++) if (sh.labels[i] !== pa.analysis[i]) return false;
  return true;
}

function newSynShape(key: string, pkt: DecodedPacket, pa: PacketAnalysis): SynShape {
  const ip = pkt.ip!;
  const tcp = pkt.tcp!;
  const o = tcp.options;
  return {
    key,
    version: ip.version,
    ttl: ip.ttl,
    ipHeaderLen: ip.headerLen,
    totalLen: ip.totalLen,
    hasId: ip.id !== undefined,
    dontFragment: ip.dontFragment,
    flags: tcp.flags,
    tcpHeaderLen: tcp.headerLen,
    urgent: tcp.urgent,
    mss: o.mss,
    wscale: o.wscale,
    sackPermitted: o.sackPermitted,
    hasTs: o.tsVal !== undefined,
    hasTsEcr: o.tsEcr !== undefined,
    tfo: o.tfo,
    labels: Object.freeze([...pa.analysis]) as AnalysisFlag[],
    safe: undefined,
    template: undefined,
    handshake: undefined,
    handshakeTimes: [],
    setTemplate(t: ConnectionSummary) {
      // Copied per connection, from an unfrozen copy (spreading a frozen object is slow).
      this.handshake = { ...t.handshake };
      this.template = deepFreeze(t);
    },
  };
}

/** One kind of bare SYN: what its SYNs share, and the summary a connection of it gets. */
interface SynShape {
  key: string;
  version: 4 | 6;
  ttl: number;
  ipHeaderLen: number;
  totalLen: number;
  hasId: boolean;
  dontFragment: boolean | undefined;
  flags: number;
  tcpHeaderLen: number;
  urgent: number;
  mss: number | undefined;
  wscale: number | undefined;
  sackPermitted: boolean | undefined;
  hasTs: boolean;
  hasTsEcr: boolean;
  tfo: boolean | undefined;
  labels: AnalysisFlag[];
  /** Compact summaries reproduce the full ones (checked on the first SYN of the shape). */
  safe: boolean | undefined;
  /** The full summary of the first connection of the shape; frozen, its parts shared. */
  template: ConnectionSummary | undefined;
  /** The template's handshake (not frozen), and its fields holding the SYN's time. */
  handshake: ConnectionSummary["handshake"] | undefined;
  handshakeTimes: string[];
  setTemplate(t: ConnectionSummary): void;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Streams of compact bare SYNs indexed at most this far apart (4 bytes each); beyond, full state. */
const MAX_SYN_INDEX_SPAN = 1 << 22;

/** Rows per chunk of the bare-SYN store. */
const SYN_CHUNK = 4096;

/**
 * Rows of bare SYNs as parallel typed arrays (about 50 bytes a row). A chunk is filled once;
 * the store lets go of it when all its rows are done, and the compact summaries that read from
 * it keep it alive as long as they live.
 */
class SynChunk {
  /** The tracker's table of shapes (`shape` holds indexes into it). */
  readonly shapes: SynShape[];
  readonly shape = new Uint16Array(SYN_CHUNK);
  // Stream and frame numbers are 32-bit (as in Wireshark). Integer arrays also keep them small
  // integers when read back: a double read from a Float64Array into a rebuilt packet turned the
  // frame field of every record, packet and analysis row (objects of one family) into a boxed
  // double, one more allocation for each packet after it.
  readonly stream = new Uint32Array(SYN_CHUNK);
  readonly start = new Float64Array(SYN_CHUNK);
  readonly frame = new Uint32Array(SYN_CHUNK);
  /** IPv4 addresses as signed 32-bit numbers (IPv6 rows keep their text in `v6`). */
  readonly clientIp = new Int32Array(SYN_CHUNK);
  readonly serverIp = new Int32Array(SYN_CHUNK);
  /** Client port in the high 16 bits, server port in the low 16. */
  readonly ports = new Int32Array(SYN_CHUNK);
  readonly seq = new Int32Array(SYN_CHUNK);
  /** Window in the high 16 bits, IPv4 id in the low 16. */
  readonly windowAndId = new Int32Array(SYN_CHUNK);
  readonly tsVal = new Int32Array(SYN_CHUNK);
  /** The SYN's acknowledgment field and timestamp echo (zero from most stacks, any value from some tools). */
  readonly ack = new Int32Array(SYN_CHUNK);
  readonly tsEcr = new Int32Array(SYN_CHUNK);
  v6: Map<number, [string, string]> | undefined;
  /** Rows handed out, and those of them not done yet. */
  used = 0;
  pending = 0;

  constructor(shapes: SynShape[]) {
    this.shapes = shapes;
  }

  clientText(i: number): string {
    return this.v6?.get(i)?.[0] ?? ipv4Text(this.clientIp[i]);
  }

  serverText(i: number): string {
    return this.v6?.get(i)?.[1] ?? ipv4Text(this.serverIp[i]);
  }
}

/**
 * Connections that are one bare SYN so far: rows in chunks (row id = chunk number * SYN_CHUNK +
 * position), with an index from stream number to row. Rows are added in increasing stream order
 * (the analyzer numbers streams as they appear), so the index is a window of consecutive
 * streams, -1 where a stream has no row, and its first entries are the oldest SYNs.
 */
class SynRows {
  /** Rows not done yet. */
  count = 0;
  private readonly chunks = new Map<number, SynChunk>();
  private readonly shapes: SynShape[];
  private current: SynChunk;
  private currentNo = 0;
  /** index[head + i] is the row of stream first + i (or -1); entries past `tail` are -1. */
  private index = new Float64Array(1024).fill(-1);
  private head = 0;
  private tail = 0;
  private first = 0;

  constructor(shapes: SynShape[]) {
    this.shapes = shapes;
    this.current = new SynChunk(shapes);
    this.chunks.set(0, this.current);
  }

  /** Row of a stream, or -1. */
  rowOf(stream: number): number {
    const i = stream - this.first;
    return i >= 0 && i < this.tail - this.head ? this.index[this.head + i] : -1;
  }

  /** Row of the oldest SYN, or -1. */
  oldest(): number {
    return this.head < this.tail ? this.index[this.head] : -1;
  }

  /** The rows not done, in stream order. */
  rowsInOrder(): Float64Array {
    const out = new Float64Array(this.count);
    let n = 0;
    for (let i = this.head; i < this.tail; i++) if (this.index[i] >= 0) out[n++] = this.index[i];
    return out.subarray(0, n);
  }

  streamOf(row: number): number {
    return this.chunkOf(row).stream[row % SYN_CHUNK];
  }

  startOf(row: number): number {
    return this.chunkOf(row).start[row % SYN_CHUNK];
  }

  shapeOf(row: number): number {
    return this.chunkOf(row).shape[row % SYN_CHUNK];
  }

  /** A new row for a SYN; -1 when its stream is not after every stream indexed (or too far after). */
  add(stream: number, shapeId: number, time: number, pkt: DecodedPacket): number {
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      this.first = stream;
    }
    const at = stream - this.first;
    if (at < this.tail - this.head || at >= MAX_SYN_INDEX_SPAN) return -1;
    if (this.head + at >= this.index.length) this.makeRoom(at + 1);
    const row = this.allocate();
    this.index[this.head + at] = row;
    this.tail = this.head + at + 1;
    const c = this.current;
    const i = row % SYN_CHUNK;
    const ip = pkt.ip!;
    const tcp = pkt.tcp!;
    c.shape[i] = shapeId;
    c.stream[i] = stream;
    c.start[i] = time;
    c.frame[i] = pkt.frame;
    // Binary captures hand over the addresses as numbers; tcpdump text is parsed.
    const src = ip.srcV4 ?? ipv4Number(ip.src);
    const dst = ip.dstV4 ?? ipv4Number(ip.dst);
    if (src >= 0 && dst >= 0) {
      c.clientIp[i] = src;
      c.serverIp[i] = dst;
    } else {
      c.v6 ??= new Map();
      c.v6.set(i, [ip.src, ip.dst]);
    }
    c.ports[i] = (tcp.srcPort << 16) | tcp.dstPort;
    c.seq[i] = tcp.seq;
    c.windowAndId[i] = (tcp.window << 16) | (ip.id ?? 0);
    c.tsVal[i] = tcp.options.tsVal ?? 0;
    c.ack[i] = tcp.ack;
    c.tsEcr[i] = tcp.options.tsEcr ?? 0;
    return row;
  }

  /** A row (not indexed) like `row` with every per-SYN field changed. */
  variant(row: number): number {
    const from = this.chunkOf(row);
    const j = row % SYN_CHUNK;
    const r = this.allocate();
    const c = this.current;
    const i = r % SYN_CHUNK;
    c.shape[i] = from.shape[j];
    c.stream[i] = from.stream[j] + 1;
    c.start[i] = from.start[j] + 1.25;
    c.frame[i] = from.frame[j] + 3;
    const v6 = from.v6?.get(j);
    if (v6) {
      c.v6 ??= new Map();
      c.v6.set(i, v6[0] === "2001:db8::2" ? ["2001:db8::3", "2001:db8::4"] : ["2001:db8::2", "2001:db8::4"]);
    }
    c.clientIp[i] = from.clientIp[j] ^ 0x01020304;
    c.serverIp[i] = from.serverIp[j] ^ 0x04030201;
    c.ports[i] = from.ports[j] ^ 0x00010001;
    c.seq[i] = from.seq[j] + 0x12345;
    c.windowAndId[i] = from.windowAndId[j] ^ 0x00010001;
    c.tsVal[i] = from.tsVal[j] + 1;
    c.ack[i] = from.ack[j] ^ 0x00010001;
    c.tsEcr[i] = from.tsEcr[j] + 1;
    return r;
  }

  /** Drops a row's index entry and marks it done. */
  remove(row: number): void {
    const i = this.chunkOf(row).stream[row % SYN_CHUNK] - this.first;
    if (i >= 0 && i < this.tail - this.head && this.index[this.head + i] === row) {
      this.index[this.head + i] = -1;
      while (this.head < this.tail && this.index[this.head] < 0) {
        this.head++;
        this.first++;
      }
    }
    this.done(row);
  }

  /** The row's connection expanded or ended: its chunk is let go of once all its rows are. */
  done(row: number): void {
    const no = Math.floor(row / SYN_CHUNK);
    const c = this.chunks.get(no)!;
    c.pending--;
    this.count--;
    if (c.pending === 0 && c !== this.current) this.chunks.delete(no);
  }

  /** The SYN again, as decoded packet and analysis (what the full state is folded from). */
  packet(row: number, sh: SynShape): { pkt: DecodedPacket; pa: PacketAnalysis } {
    const c = this.chunkOf(row);
    const i = row % SYN_CHUNK;
    const ip: NonNullable<DecodedPacket["ip"]> = {
      version: sh.version,
      src: c.clientText(i),
      dst: c.serverText(i),
      ttl: sh.ttl,
      protocol: 6,
      headerLen: sh.ipHeaderLen,
      totalLen: sh.totalLen,
    };
    if (sh.hasId) ip.id = c.windowAndId[i] & 0xffff;
    if (sh.dontFragment !== undefined) ip.dontFragment = sh.dontFragment;
    const options: TcpHeaderOptions = {};
    if (sh.mss !== undefined) options.mss = sh.mss;
    if (sh.wscale !== undefined) options.wscale = sh.wscale;
    if (sh.sackPermitted !== undefined) options.sackPermitted = sh.sackPermitted;
    if (sh.hasTs) options.tsVal = c.tsVal[i] >>> 0;
    if (sh.hasTsEcr) options.tsEcr = c.tsEcr[i] >>> 0;
    if (sh.tfo !== undefined) options.tfo = sh.tfo;
    const window = c.windowAndId[i] >>> 16;
    const srcPort = c.ports[i] >>> 16;
    const dstPort = c.ports[i] & 0xffff;
    const pkt: DecodedPacket = {
      frame: c.frame[i],
      tsSec: 0,
      tsNsec: 0,
      linkType: 0,
      capLen: 0,
      origLen: 0,
      ip,
      tcp: {
        srcPort,
        dstPort,
        seq: c.seq[i] >>> 0,
        ack: c.ack[i] >>> 0,
        headerLen: sh.tcpHeaderLen,
        flags: sh.flags,
        window,
        urgent: sh.urgent,
        payloadLen: 0,
        capturedPayloadLen: 0,
        payloadOffset: 0,
        options,
      },
    };
    const pa: PacketAnalysis = {
      frame: c.frame[i],
      time: c.start[i],
      stream: c.stream[i],
      // The facts read the analysis flags, window, stream and direction only.
      src: "",
      dst: "",
      flags: "S",
      seq: 0,
      ack: 0,
      len: 0,
      win: window,
      analysis: sh.labels,
      fromClient: true,
    };
    return { pkt, pa };
  }

  /** The compact summary of a row's connection (its shape checked safe). */
  summary(row: number): SynOnlyConnection {
    return new SynOnlyConnection(this.chunkOf(row), row % SYN_CHUNK);
  }

  private chunkOf(row: number): SynChunk {
    return this.chunks.get(Math.floor(row / SYN_CHUNK))!;
  }

  private allocate(): number {
    if (this.current.used === SYN_CHUNK) {
      const full = this.current;
      if (full.pending === 0) this.chunks.delete(this.currentNo);
      this.current = new SynChunk(this.shapes);
      this.currentNo++;
      this.chunks.set(this.currentNo, this.current);
    }
    this.count++;
    this.current.pending++;
    return this.currentNo * SYN_CHUNK + this.current.used++;
  }

  /** Room in the index for `width` entries from `head`: moved to the front, or grown. */
  private makeRoom(width: number): void {
    const live = this.tail - this.head;
    if (width > this.index.length) {
      let n = this.index.length;
      while (n < width) n *= 2;
      const bigger = new Float64Array(n).fill(-1);
      bigger.set(this.index.subarray(this.head, this.tail));
      this.index = bigger;
    } else {
      this.index.copyWithin(0, this.head, this.tail);
      this.index.fill(-1, live);
    }
    this.head = 0;
    this.tail = live;
  }
}

/**
 * The summary of a connection that was one bare SYN: a view of its row (who, when, which frame)
 * and of its shape's template for everything else, shared and frozen. Reads like any
 * ConnectionSummary through its getters and serialises through toJSON; it has no own enumerable
 * fields, so spreading it gives an empty object.
 */
export class SynOnlyConnection implements ConnectionSummary {
  readonly #rows: SynChunk;
  readonly #i: number;

  constructor(rows: SynChunk, i: number) {
    this.#rows = rows;
    this.#i = i;
  }

  /** The same connection numbered `stream` (connections of several inputs are numbered on). */
  renumbered(stream: number): SynOnlyConnection {
    return new RenumberedSynOnlyConnection(this.#rows, this.#i, stream);
  }

  get #shape(): SynShape {
    return this.#rows.shapes[this.#rows.shape[this.#i]];
  }

  get #template(): ConnectionSummary {
    return this.#shape.template!;
  }

  get stream(): number {
    return this.#rows.stream[this.#i];
  }
  get clientIp(): string {
    return this.#rows.clientText(this.#i);
  }
  get clientPort(): number {
    return this.#rows.ports[this.#i] >>> 16;
  }
  get serverIp(): string {
    return this.#rows.serverText(this.#i);
  }
  get serverPort(): number {
    return this.#rows.ports[this.#i] & 0xffff;
  }
  get client(): string {
    return endpoint(this.clientIp, this.clientPort);
  }
  get server(): string {
    return endpoint(this.serverIp, this.serverPort);
  }
  get start(): number {
    return this.#rows.start[this.#i];
  }
  get firstFrame(): number {
    return this.#rows.frame[this.#i];
  }
  get lastFrame(): number {
    return this.#rows.frame[this.#i];
  }
  /**
   * The template's, with the SYN's time (firstSynAt) this SYN's. Made on access (rules read it
   * again and again: the last one made is reused for the same connection).
   */
  get handshake(): ConnectionSummary["handshake"] {
    if (lastHandshakeOf === this && lastHandshake) return lastHandshake;
    const shape = this.#shape;
    const h = { ...shape.handshake! };
    for (const k of shape.handshakeTimes) (h as Record<string, unknown>)[k] = this.start;
    lastHandshakeOf = this;
    lastHandshake = h;
    return h;
  }
  get ipVersion(): 4 | 6 {
    return this.#template.ipVersion;
  }
  get duration(): number {
    return this.#template.duration;
  }
  get state(): ConnectionSummary["state"] {
    return this.#template.state;
  }
  get history(): string {
    return this.#template.history;
  }
  get verdict(): string {
    return this.#template.verdict;
  }
  get packets(): ConnectionSummary["packets"] {
    return this.#template.packets;
  }
  get bytes(): ConnectionSummary["bytes"] {
    return this.#template.bytes;
  }
  get rtt(): ConnectionSummary["rtt"] {
    return this.#template.rtt;
  }
  get dir(): ConnectionSummary["dir"] {
    return this.#template.dir;
  }
  get zeroWindow(): ConnectionSummary["zeroWindow"] {
    return this.#template.zeroWindow;
  }
  get idleGaps(): ConnectionSummary["idleGaps"] {
    return this.#template.idleGaps;
  }
  get thinkTimes(): ConnectionSummary["thinkTimes"] {
    return this.#template.thinkTimes;
  }
  get close(): ConnectionSummary["close"] {
    return this.#template.close;
  }
  get icmp(): ConnectionSummary["icmp"] {
    return this.#template.icmp;
  }
  get throughput(): ConnectionSummary["throughput"] {
    return this.#template.throughput;
  }
  get captureSide(): ConnectionSummary["captureSide"] {
    return this.#template.captureSide;
  }
  get oneSided(): boolean {
    return this.#template.oneSided;
  }
  get keepalive(): ConnectionSummary["keepalive"] {
    return this.#template.keepalive;
  }

  /** The plain summary, keys in the order of a full one. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(this.#template)) out[k] = self[k];
    return out;
  }
}

let lastHandshakeOf: SynOnlyConnection | undefined;
let lastHandshake: ConnectionSummary["handshake"] | undefined;

/** A compact summary with another stream number than its row's. */
class RenumberedSynOnlyConnection extends SynOnlyConnection {
  readonly #stream: number;

  constructor(rows: SynChunk, i: number, stream: number) {
    super(rows, i);
    this.#stream = stream;
  }

  override get stream(): number {
    return this.#stream;
  }
}

type TcpHeaderOptions = NonNullable<DecodedPacket["tcp"]>["options"];

/** A summary of a connection that was one bare SYN, kept compact (see SynOnlyConnection). */
export function isCompactSummary(c: ConnectionSummary): boolean {
  return c instanceof SynOnlyConnection;
}

/** The same summary numbered `stream` (several inputs' connections are numbered on). */
export function withStream(c: ConnectionSummary, stream: number): ConnectionSummary {
  return c instanceof SynOnlyConnection ? c.renumbered(stream) : { ...c, stream };
}
