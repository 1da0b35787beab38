// Per-connection time series for the HTML report, collected while the packets stream past
// (CaptureAnalysis onPacket): one point per packet with what the charts draw — sequence range, ACK,
// scaled window, SACK blocks, RTT sample, bytes in flight against the peer's advertised window —
// plus marks (retransmission, duplicate ACK, zero window, RST, ...), and throughput/goodput bins.
//
// Memory is bounded: beyond a number of points per connection (and over all connections) the
// unmarked points are decimated, every other one of each kind at a time, while marked events are
// all kept (up to their own cap). Bins and the in-flight/window values are exact whatever is
// dropped, because they are computed from the full stream before the point is kept or not.
// Pure: no I/O, no clock.
import type { AnalysisFlag, ConnectionSummary, PacketAnalysis } from "../core/tcp/types.js";
import type { DecodedPacket } from "../core/types.js";

/** Bits of a point's `marks`: Wireshark's labels, then facts measured from the bytes. */
export const Mark = {
  RETRANSMISSION: 1 << 0,
  FAST_RETRANSMISSION: 1 << 1,
  SPURIOUS_RETRANSMISSION: 1 << 2,
  OUT_OF_ORDER: 1 << 3,
  LOST_SEGMENT: 1 << 4,
  ACK_LOST_SEGMENT: 1 << 5,
  DUPLICATE_ACK: 1 << 6,
  ZERO_WINDOW: 1 << 7,
  ZERO_WINDOW_PROBE: 1 << 8,
  ZERO_WINDOW_PROBE_ACK: 1 << 9,
  WINDOW_FULL: 1 << 10,
  WINDOW_UPDATE: 1 << 11,
  KEEP_ALIVE: 1 << 12,
  KEEP_ALIVE_ACK: 1 << 13,
  REUSED_PORTS: 1 << 14,
  /** Payload bytes that were already seen in this direction (a retransmission, whatever the label). */
  REPEATED: 1 << 15,
  /** Payload below the highest sequence seen that was never seen before: arrived out of order. */
  REORDERED: 1 << 16,
  /** The packet carries SACK blocks. */
  SACK: 1 << 17,
  /** An ICMP error quoting a segment of this connection. */
  ICMP: 1 << 18,
} as const;

const ANALYSIS_MARK: Record<AnalysisFlag, number> = {
  retransmission: Mark.RETRANSMISSION,
  fast_retransmission: Mark.FAST_RETRANSMISSION,
  spurious_retransmission: Mark.SPURIOUS_RETRANSMISSION,
  out_of_order: Mark.OUT_OF_ORDER,
  lost_segment: Mark.LOST_SEGMENT,
  ack_lost_segment: Mark.ACK_LOST_SEGMENT,
  duplicate_ack: Mark.DUPLICATE_ACK,
  zero_window: Mark.ZERO_WINDOW,
  zero_window_probe: Mark.ZERO_WINDOW_PROBE,
  zero_window_probe_ack: Mark.ZERO_WINDOW_PROBE_ACK,
  window_full: Mark.WINDOW_FULL,
  window_update: Mark.WINDOW_UPDATE,
  keep_alive: Mark.KEEP_ALIVE,
  keep_alive_ack: Mark.KEEP_ALIVE_ACK,
  reused_ports: Mark.REUSED_PORTS,
};

/** Names of the mark bits, in bit order (for legends and hover text). */
export const MARK_NAMES: readonly string[] = [
  "retransmission",
  "fast retransmission",
  "spurious retransmission",
  "out of order",
  "previous segment not captured",
  "ACKed unseen segment",
  "duplicate ACK",
  "zero window",
  "zero-window probe",
  "zero-window probe ACK",
  "window full",
  "window update",
  "keep-alive",
  "keep-alive ACK",
  "reused ports",
  "bytes sent before",
  "filled a hole (reordered)",
  "SACK",
  "ICMP error",
];

/** Window updates are too common to be worth keeping through decimation; every other mark is kept. */
const KEEP_MARKS = ~Mark.WINDOW_UPDATE;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
/** SYN, FIN and RST packets are kept like marked events. */
const KEEP_FLAGS = FIN | SYN | RST;

const TWO32 = 2 ** 32;

/** The value congruent to `rel` modulo 2^32 that is nearest to `ref` (sequence numbers past 4 GiB). */
export function unwrapSeq(rel: number, ref: number): number {
  return rel + Math.round((ref - rel) / TWO32) * TWO32;
}

export interface SeriesOptions {
  /** Unmarked points kept per connection before decimation halves them (default 16384). */
  maxPointsPerConnection?: number;
  /** Marked events kept per connection; later ones are decimated like unmarked points (default 65536). */
  maxMarksPerConnection?: number;
  /** Points kept over all connections; the connection with the most decimable points is halved first (default 1,000,000). */
  maxPointsTotal?: number;
  /** Connections given a series; packets of later connections are only counted (default 20000). */
  maxConnections?: number;
  /** Throughput bins per direction before pairs are merged (default 1024). */
  maxBins?: number;
  /** Width of a throughput bin at the start, seconds (default 0.001). */
  initialBinSeconds?: number;
}

/** One connection's points, as parallel arrays (index i = one kept packet, in capture order). */
export interface SeriesPoints {
  /** Seconds since the first packet of the capture (of its input). */
  time: number[];
  frame: number[];
  /** 0: sent by the client, 1: sent by the server. */
  dir: number[];
  /** TCP flag bits (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, ...). */
  flags: number[];
  /** Mark bits. */
  marks: number[];
  /** Relative sequence number in the sender's space, unwrapped past 2^32. */
  seq: number[];
  /** Payload length. */
  len: number[];
  /** Relative acknowledgment number in the peer's space (NaN when the ACK bit is clear). */
  ack: number[];
  /** Advertised window, scaled when the handshake was seen (NaN when the ACK bit is clear). */
  win: number[];
  /** ACK RTT sample this packet gives for the peer's data, seconds (NaN: none). */
  rtt: number[];
  /**
   * Bytes in flight of the data direction this packet affects: for a data segment, its sender's
   * unacknowledged bytes after sending it; for a pure ACK, the peer's after this ACK (NaN: unknown).
   */
  inFlight: number[];
  /** The receiver's advertised window at that moment, same direction as inFlight (NaN: unknown). */
  peerWindow: number[];
}

export interface DirectionBins {
  /** Payload bytes per bin (retransmissions included). */
  bytes: number[];
  /** Payload bytes per bin never seen before in this direction. */
  goodput: number[];
}

export interface ConnectionSeries {
  stream: number;
  client: string;
  server: string;
  /** Packets of the connection seen, and how many were kept as points. */
  packets: number;
  kept: number;
  /** Every stride-th unmarked packet of each kind is kept (1: none dropped). */
  stride: number;
  /** More marked events than the cap: some of them were decimated too. */
  marksDecimated: boolean;
  points: SeriesPoints;
  /** SACK blocks [left, right) in the data sender's relative space, by the index of the point carrying them. */
  sacks: { point: number[]; left: number[]; right: number[] };
  /** ICMP errors quoting this connection, by point index. */
  icmp: { point: number; type: number; code: number; kind: string; mtu?: number }[];
  /** Throughput bins from `origin` (seconds since capture start), each `binSeconds` wide; [client, server]. */
  throughput: { origin: number; binSeconds: number; dirs: [DirectionBins, DirectionBins] };
}

/** Capture-wide activity per time bin (all connections). */
export interface ActivitySeries {
  origin: number;
  binSeconds: number;
  packets: number[];
  bytes: number[];
  /** SYNs without ACK (connection attempts, retries included). */
  syns: number[];
  rsts: number[];
  /** Retransmitted segments (labelled, or bytes sent before). */
  retransmissions: number[];
  zeroWindows: number[];
}

// ---- bins ---------------------------------------------------------------------------------------

/**
 * Time bins that grow (up to `max`) as time runs on, then double their width by merging pairs.
 * They start small: a capture can hold many thousands of short connections.
 */
class Bins {
  width: number;
  origin = Number.NaN;
  used = 0;
  /** Float32: a bin's count stays exact to 16 M and charts need no more; halves the memory. */
  channels: Float32Array[];

  constructor(
    private readonly max: number,
    initialWidth: number,
    channels: number,
  ) {
    this.width = initialWidth;
    this.channels = Array.from({ length: channels }, () => new Float32Array(Math.min(8, max)));
  }

  add(t: number, channel: number, value: number): void {
    if (Number.isNaN(this.origin)) this.origin = t;
    let i = Math.floor((t - this.origin) / this.width);
    if (i < 0) i = 0; // timestamps may step back a little
    while (i >= this.channels[0].length) {
      if (this.channels[0].length < this.max) this.grow(i);
      else this.merge();
      i = Math.max(0, Math.floor((t - this.origin) / this.width));
    }
    this.channels[channel][i] += value;
    if (i + 1 > this.used) this.used = i + 1;
  }

  /** Touches the bin of time t (so the time span is known even with nothing to count). */
  touch(t: number): void {
    this.add(t, 0, 0);
  }

  private grow(needed: number): void {
    let size = this.channels[0].length;
    while (size <= needed && size < this.max) size *= 2;
    size = Math.min(size, this.max);
    this.channels = this.channels.map((c) => {
      const bigger = new Float32Array(size);
      bigger.set(c);
      return bigger;
    });
  }

  private merge(): void {
    const half = this.max >> 1;
    for (const c of this.channels) {
      for (let i = 0; i < half; i++) c[i] = c[2 * i] + c[2 * i + 1];
      c.fill(0, half);
    }
    this.used = Math.ceil(this.used / 2);
    this.width *= 2;
  }

  /** Channel values merged down to at most `limit` bins. */
  export(limit: number): { origin: number; binSeconds: number; channels: number[][] } {
    let factor = 1;
    while (Math.ceil(this.used / factor) > limit) factor *= 2;
    const n = Math.ceil(this.used / factor);
    const channels = this.channels.map((c) => {
      const out: number[] = new Array(n).fill(0);
      for (let i = 0; i < this.used; i++) out[Math.floor(i / factor)] += c[i];
      return out;
    });
    return { origin: Number.isNaN(this.origin) ? 0 : this.origin, binSeconds: this.width * factor, channels };
  }
}

// ---- byte ranges --------------------------------------------------------------------------------

const RANGE_NEW = 0;
const RANGE_REPEAT = 1;
const RANGE_FILL = 2;

/**
 * Disjoint sorted [start, end) ranges of sequence space seen in one direction. Almost always one
 * range growing at its end; holes (loss before the capture point, reordering) are few, and past
 * MAX_RANGES the oldest hole is treated as filled.
 */
class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];
  /** New bytes added by the last add(). */
  added = 0;
  private static readonly MAX_RANGES = 256;

  add(s: number, e: number): number {
    const starts = this.starts;
    const ends = this.ends;
    const n = starts.length;
    if (n === 0 || s >= ends[n - 1]) {
      this.added = e - s;
      if (n > 0 && s === ends[n - 1]) ends[n - 1] = e;
      else {
        starts.push(s);
        ends.push(e);
        if (starts.length > RangeSet.MAX_RANGES) {
          ends[0] = ends[1];
          starts.splice(1, 1);
          ends.splice(1, 1);
        }
      }
      return RANGE_NEW;
    }
    // First range that ends at or after s (touching ranges merge).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    let overlap = false;
    let covered = 0;
    let j = lo;
    for (; j < n && starts[j] <= e; j++) {
      const a = Math.max(s, starts[j]);
      const b = Math.min(e, ends[j]);
      if (b > a) {
        overlap = true;
        covered += b - a;
      }
    }
    this.added = e - s - covered;
    // Ranges lo..j-1 touch [s, e): merge them all with it.
    const mergedStart = lo < j ? Math.min(s, starts[lo]) : s;
    const mergedEnd = lo < j ? Math.max(e, ends[j - 1]) : e;
    starts.splice(lo, j - lo, mergedStart);
    ends.splice(lo, j - lo, mergedEnd);
    return overlap ? RANGE_REPEAT : RANGE_FILL;
  }
}

// ---- one connection ---------------------------------------------------------------------------

// Columns of a point row.
const C_TIME = 0;
const C_FRAME = 1;
/** dir | tcpFlags << 1 | protected << 12 */
const C_BITS = 2;
const C_MARKS = 3;
const C_SEQ = 4;
const C_LEN = 5;
const C_ACK = 6;
const C_WIN = 7;
const C_RTT = 8;
const C_FLIGHT = 9;
const C_PEERWIN = 10;
const COLS = 11;
const PROTECTED = 1 << 12;

class DirectionState {
  /** Absolute ISN-ish base: absolute seq minus relative seq, once a packet was seen. */
  base = 0;
  baseKnown = false;
  /** Highest sequence number sent plus one (unwrapped relative; SYN/FIN count one). */
  hi = 0;
  sent = false;
  /** Last acknowledgment this side sent (in the peer's space) and its window. */
  lastAck = Number.NaN;
  lastWin = Number.NaN;
  readonly ranges = new RangeSet();
}

interface IcmpNote {
  point: number;
  type: number;
  code: number;
  kind: string;
  mtu?: number;
}

class ConnectionRecorder {
  readonly client: string;
  readonly server: string;
  readonly localStream: number;
  readonly generation: number;
  packets = 0;
  n = 0;
  data: Float64Array;
  /** Points that decimation may drop. */
  unprotected = 0;
  marked = 0;
  marksDecimated = false;
  stride = 1;
  /** Arrival counters of unmarked packets per kind (direction × data/no data). */
  private readonly arrivals = [0, 0, 0, 0];
  readonly dirs: [DirectionState, DirectionState] = [new DirectionState(), new DirectionState()];
  sackPoint: number[] = [];
  sackLeft: number[] = [];
  sackRight: number[] = [];
  icmp: IcmpNote[] = [];
  readonly bins: Bins;

  constructor(
    pa: PacketAnalysis,
    generation: number,
    private readonly opts: Required<SeriesOptions>,
  ) {
    this.client = pa.fromClient ? pa.src : pa.dst;
    this.server = pa.fromClient ? pa.dst : pa.src;
    this.localStream = pa.stream;
    this.generation = generation;
    this.data = new Float64Array(8 * COLS);
    // channels: client bytes, client goodput, server bytes, server goodput
    this.bins = new Bins(opts.maxBins, opts.initialBinSeconds, 4);
  }

  /** Records one packet; returns the change in stored points. */
  add(pa: PacketAnalysis, pkt: DecodedPacket): number {
    this.packets++;
    const dir = pa.fromClient ? 0 : 1;
    const own = this.dirs[dir];
    const peer = this.dirs[1 - dir];
    const t = pa.time;
    let marks = 0;
    for (const a of pa.analysis) marks |= ANALYSIS_MARK[a] ?? 0;
    const tcp = pkt.tcp;
    let flags = 0;
    let seq: number;
    let len = 0;
    let ack = Number.NaN;
    let win = Number.NaN;
    let rtt = Number.NaN;
    let inFlight = Number.NaN;
    let peerWindow = Number.NaN;
    let icmp: Omit<IcmpNote, "point"> | undefined;
    let sacks: [number, number][] | undefined;

    if (tcp) {
      flags = tcp.flags & 0x1ff;
      if (!own.baseKnown) {
        own.base = (tcp.seq - pa.seq) >>> 0;
        own.baseKnown = true;
      }
      seq = unwrapSeq(pa.seq, own.hi);
      len = pa.len;
      const end = seq + len + ((flags & (SYN | FIN)) !== 0 ? 1 : 0);
      if (len > 0) {
        const kind = own.ranges.add(seq, seq + len);
        if (kind === RANGE_REPEAT) marks |= Mark.REPEATED;
        else if (kind === RANGE_FILL) marks |= Mark.REORDERED;
        const ch = dir * 2;
        this.bins.add(t, ch, len);
        if (own.ranges.added > 0) this.bins.add(t, ch + 1, own.ranges.added);
      } else this.bins.touch(t);
      if (!own.sent || end > own.hi) own.hi = end;
      own.sent = true;

      if ((flags & ACK) !== 0) {
        const ref = Number.isNaN(own.lastAck) ? peer.hi : own.lastAck;
        ack = unwrapSeq(pa.ack, ref);
        win = pa.win;
        own.lastAck = ack;
        own.lastWin = win;
        const sackOpt = tcp.options.sack;
        if (sackOpt?.length) {
          const peerBase = (tcp.ack - pa.ack) >>> 0;
          sacks = [];
          for (const [l, r] of sackOpt) {
            const left = unwrapSeq((l - peerBase) >>> 0, ack);
            sacks.push([left, left + ((r - l) >>> 0)]);
          }
          marks |= Mark.SACK;
        }
        if (len === 0 && peer.sent) {
          inFlight = Math.max(0, peer.hi - ack);
          peerWindow = win;
        }
      }
      if (pa.ackRtt !== undefined) rtt = pa.ackRtt;
      if (len > 0 && !Number.isNaN(peer.lastAck)) {
        inFlight = Math.max(0, own.hi - peer.lastAck);
        peerWindow = peer.lastWin;
      }
    } else {
      // An ICMP error quoting one of this connection's segments: placed at the quoted sequence.
      marks |= Mark.ICMP;
      const quoted = pkt.icmp?.inner?.seq;
      seq = quoted !== undefined && own.baseKnown ? unwrapSeq((quoted - own.base) >>> 0, own.hi) : own.hi;
      if (pkt.icmp)
        icmp = { type: pkt.icmp.type, code: pkt.icmp.code, kind: pkt.icmp.kind, mtu: pkt.icmp.mtu };
    }

    const special = (marks & KEEP_MARKS) !== 0 || (flags & KEEP_FLAGS) !== 0;
    let protect = false;
    if (special) {
      if (this.marked < this.opts.maxMarksPerConnection) {
        protect = true;
        this.marked++;
      } else this.marksDecimated = true;
    }
    if (!protect) {
      const kind = dir * 2 + (len > 0 ? 1 : 0);
      const count = this.arrivals[kind]++;
      if (count % this.stride !== 0) return 0;
    }
    const i = this.push(t, pa.frame, dir | (flags << 1) | (protect ? PROTECTED : 0), marks, seq, len);
    const row = i * COLS;
    const d = this.data;
    d[row + C_ACK] = ack;
    d[row + C_WIN] = win;
    d[row + C_RTT] = rtt;
    d[row + C_FLIGHT] = inFlight;
    d[row + C_PEERWIN] = peerWindow;
    if (sacks) {
      for (const [l, r] of sacks) {
        this.sackPoint.push(i);
        this.sackLeft.push(l);
        this.sackRight.push(r);
      }
    }
    if (icmp) this.icmp.push({ point: i, ...icmp });
    let delta = 1;
    if (!protect) {
      this.unprotected++;
      if (this.unprotected > this.opts.maxPointsPerConnection) delta -= this.decimate();
    }
    return delta;
  }

  private push(t: number, frame: number, bits: number, marks: number, seq: number, len: number): number {
    if ((this.n + 1) * COLS > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const i = this.n++;
    const row = i * COLS;
    const d = this.data;
    d[row + C_TIME] = t;
    d[row + C_FRAME] = frame;
    d[row + C_BITS] = bits;
    d[row + C_MARKS] = marks;
    d[row + C_SEQ] = seq;
    d[row + C_LEN] = len;
    return i;
  }

  /**
   * Drops every other unmarked point of each kind (direction × data/no data, so ACKs and data
   * thin out alike) and doubles the stride for what comes next. Returns the points removed.
   */
  decimate(): number {
    const d = this.data;
    const parity = [0, 0, 0, 0];
    const remap = new Int32Array(this.n);
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      const row = i * COLS;
      const bits = d[row + C_BITS];
      let keep = true;
      if ((bits & PROTECTED) === 0) {
        const kind = (bits & 1) * 2 + (d[row + C_LEN] > 0 ? 1 : 0);
        keep = parity[kind]++ % 2 === 0;
      }
      if (!keep) {
        remap[i] = -1;
        continue;
      }
      remap[i] = w;
      if (w !== i) d.copyWithin(w * COLS, row, row + COLS);
      w++;
    }
    const removed = this.n - w;
    this.n = w;
    this.unprotected -= removed;
    this.stride *= 2;
    if (this.sackPoint.length) {
      const p: number[] = [];
      const l: number[] = [];
      const r: number[] = [];
      for (let k = 0; k < this.sackPoint.length; k++) {
        const to = remap[this.sackPoint[k]];
        if (to < 0) continue;
        p.push(to);
        l.push(this.sackLeft[k]);
        r.push(this.sackRight[k]);
      }
      this.sackPoint = p;
      this.sackLeft = l;
      this.sackRight = r;
    }
    if (this.icmp.length) {
      this.icmp = this.icmp.filter((x) => remap[x.point] >= 0).map((x) => ({ ...x, point: remap[x.point] }));
    }
    return removed;
  }

  export(stream: number, maxBins: number): ConnectionSeries {
    const n = this.n;
    const d = this.data;
    const col = (c: number) => {
      const out: number[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d[i * COLS + c];
      return out;
    };
    const bits = col(C_BITS);
    const bins = this.bins.export(maxBins);
    return {
      stream,
      client: this.client,
      server: this.server,
      packets: this.packets,
      kept: n,
      stride: this.stride,
      marksDecimated: this.marksDecimated,
      points: {
        time: col(C_TIME),
        frame: col(C_FRAME),
        dir: bits.map((b) => b & 1),
        flags: bits.map((b) => (b >> 1) & 0x1ff),
        marks: col(C_MARKS),
        seq: col(C_SEQ),
        len: col(C_LEN),
        ack: col(C_ACK),
        win: col(C_WIN),
        rtt: col(C_RTT),
        inFlight: col(C_FLIGHT),
        peerWindow: col(C_PEERWIN),
      },
      sacks: { point: [...this.sackPoint], left: [...this.sackLeft], right: [...this.sackRight] },
      icmp: this.icmp.map((x) => ({ ...x })),
      throughput: {
        origin: bins.origin,
        binSeconds: bins.binSeconds,
        dirs: [
          { bytes: bins.channels[0], goodput: bins.channels[1] },
          { bytes: bins.channels[2], goodput: bins.channels[3] },
        ],
      },
    };
  }
}

// ---- the collector ------------------------------------------------------------------------------

const DEFAULTS: Required<SeriesOptions> = {
  maxPointsPerConnection: 16384,
  maxMarksPerConnection: 65536,
  maxPointsTotal: 1_000_000,
  maxConnections: 20000,
  maxBins: 1024,
  initialBinSeconds: 0.001,
};

/** Bins shown per throughput series at most (finer bins are merged). */
const EXPORT_BINS = 200;

export interface SeriesStats {
  connections: number;
  packets: number;
  points: number;
  /** Packets of connections beyond maxConnections (counted, not recorded). */
  untrackedPackets: number;
}

/**
 * Collects the series while a capture streams: pass `collector.onPacket` as the analysis's
 * onPacket. Several inputs (loadEvidence analyses each file separately, streams numbered from 0
 * each time) are told apart by the frame numbers starting again, or by calling nextInput().
 */
export class SeriesCollector {
  private readonly opts: Required<SeriesOptions>;
  private readonly conns = new Map<number, ConnectionRecorder>();
  private generation = 0;
  private lastFrame = -1;
  private total = 0;
  private packets = 0;
  private untracked = 0;
  /** Total at which the budget is next checked after finding nothing left to decimate. */
  private budgetRetryAt = 0;
  private readonly activity: Bins;

  constructor(opts: SeriesOptions = {}) {
    this.opts = { ...DEFAULTS, ...opts };
    // channels: packets, bytes, syns, rsts, retransmissions, zero windows
    this.activity = new Bins(this.opts.maxBins, this.opts.initialBinSeconds * 10, 6);
  }

  /** The analysis callback (bound, so it can be passed as is). */
  readonly onPacket = (pa: PacketAnalysis, pkt: DecodedPacket): void => {
    if (pa.frame <= this.lastFrame) this.generation++;
    this.lastFrame = pa.frame;
    this.packets++;
    const flags = pkt.tcp?.flags ?? 0;
    const act = this.activity;
    act.add(pa.time, 0, 1);
    if (pa.len > 0) act.add(pa.time, 1, pa.len);
    if ((flags & (SYN | ACK)) === SYN) act.add(pa.time, 2, 1);
    if ((flags & RST) !== 0) act.add(pa.time, 3, 1);
    for (const a of pa.analysis) {
      if (a === "retransmission" || a === "fast_retransmission" || a === "spurious_retransmission") {
        act.add(pa.time, 4, 1);
        break;
      }
    }
    if (pa.analysis.includes("zero_window")) act.add(pa.time, 5, 1);

    const key = this.generation * TWO32 + pa.stream;
    let rec = this.conns.get(key);
    if (!rec) {
      if (this.conns.size >= this.opts.maxConnections) {
        this.untracked++;
        return;
      }
      rec = new ConnectionRecorder(pa, this.generation, this.opts);
      this.conns.set(key, rec);
    }
    this.total += rec.add(pa, pkt);
    if (this.total > this.opts.maxPointsTotal && this.total >= this.budgetRetryAt) this.enforceBudget();
  };

  /** The next packets come from another input (their stream numbers follow this input's). */
  nextInput(): void {
    this.generation++;
    this.lastFrame = -1;
  }

  get stats(): SeriesStats {
    return {
      connections: this.conns.size,
      packets: this.packets,
      points: this.total,
      untrackedPackets: this.untracked,
    };
  }

  /** Halves the connection with the most decimable points until the total fits. */
  private enforceBudget(): void {
    while (this.total > this.opts.maxPointsTotal) {
      let worst: ConnectionRecorder | undefined;
      for (const c of this.conns.values()) if (!worst || c.unprotected > worst.unprotected) worst = c;
      if (!worst || worst.unprotected < 16) {
        // Only marked events left: accept them, look again after a while.
        this.budgetRetryAt = this.total + (this.opts.maxPointsTotal >> 4) + 1;
        return;
      }
      this.total -= worst.decimate();
    }
  }

  /**
   * Series by stream number, numbered as loadEvidence numbers connections across inputs (each
   * input's streams follow the previous input's highest). With `connections`, only series whose
   * endpoints match the connection of that number are returned (a safeguard against numbering
   * drift); with `streams`, only those.
   */
  series(
    opts: { streams?: Iterable<number>; connections?: ConnectionSummary[] } = {},
  ): Map<number, ConnectionSeries> {
    // Highest local stream number per input, to offset the next input's numbers.
    const maxLocal = new Map<number, number>();
    for (const rec of this.conns.values()) {
      const m = maxLocal.get(rec.generation);
      if (m === undefined || rec.localStream > m) maxLocal.set(rec.generation, rec.localStream);
    }
    const offsets = new Map<number, number>();
    let offset = 0;
    for (const g of [...maxLocal.keys()].sort((a, b) => a - b)) {
      offsets.set(g, offset);
      offset += (maxLocal.get(g) ?? 0) + 1;
    }
    const wanted = opts.streams ? new Set(opts.streams) : undefined;
    const byStream = opts.connections ? new Map(opts.connections.map((c) => [c.stream, c])) : undefined;
    const out = new Map<number, ConnectionSeries>();
    for (const rec of this.conns.values()) {
      const stream = rec.localStream + (offsets.get(rec.generation) ?? 0);
      if (wanted && !wanted.has(stream)) continue;
      if (byStream) {
        const c = byStream.get(stream);
        if (!c) continue;
        const same =
          (c.client === rec.client && c.server === rec.server) ||
          (c.client === rec.server && c.server === rec.client);
        if (!same) continue;
      }
      out.set(stream, rec.export(stream, EXPORT_BINS));
    }
    return out;
  }

  /** Capture-wide activity per time bin. */
  activitySeries(): ActivitySeries {
    const b = this.activity.export(EXPORT_BINS);
    const [packets, bytes, syns, rsts, retransmissions, zeroWindows] = b.channels;
    return {
      origin: b.origin,
      binSeconds: b.binSeconds,
      packets,
      bytes,
      syns,
      rsts,
      retransmissions,
      zeroWindows,
    };
  }
}
