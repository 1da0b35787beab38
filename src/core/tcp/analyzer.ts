// Per-packet TCP sequence analysis, compatible with Wireshark 4.0's "Analyze TCP sequence numbers":
// stream numbering (tcp.stream), relative sequence/acknowledgment numbers, the scaled window, the
// tcp.analysis.* flags, ack_rtt and initial_rtt. Packets are analysed once, in capture order, as
// tshark does in its single pass, so every result depends only on the packets before it.
//
// Sequence state is kept in absolute 32-bit numbers compared in wrapping arithmetic; like Wireshark,
// a value of 0 in nextSeq / lastAck / maxSeqToBeAcked means "not known yet".
//
// Memory stays bounded by the connections in progress. The numbers of live connections sit in
// typed arrays (no per-field boxing, little for the garbage collector to trace). Closed
// connections (RST, or FIN both ways) and idle ones are retired to a compact record that keeps
// only what numbering needs (stream number, sequence bases, window scales), and the number of live
// connections is capped.
import { ipv4Number } from "../decode/address.js";
import { endpoint as endpointLabel } from "../endpoint.js";
import type { DecodedPacket } from "../types.js";
import { nsBetween, SweepSchedule } from "../time.js";
import { FLAG_NAMES, flagLetters } from "./flags.js";
import type { AnalysisFlag, PacketAnalysis } from "./types.js";
import { UnackedSegments } from "./unacked.js";

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

// Analysis results as bits while a packet is analysed (names in FLAG_NAMES, same order).
const A_RETRANSMISSION = 1 << 0;
const A_FAST_RETRANSMISSION = 1 << 1;
const A_SPURIOUS_RETRANSMISSION = 1 << 2;
const A_OUT_OF_ORDER = 1 << 3;
const A_LOST_SEGMENT = 1 << 4;
const A_ACK_LOST_SEGMENT = 1 << 5;
const A_DUPLICATE_ACK = 1 << 6;
const A_ZERO_WINDOW = 1 << 7;
const A_ZERO_WINDOW_PROBE = 1 << 8;
const A_ZERO_WINDOW_PROBE_ACK = 1 << 9;
const A_WINDOW_FULL = 1 << 10;
const A_WINDOW_UPDATE = 1 << 11;
const A_KEEP_ALIVE = 1 << 12;
const A_KEEP_ALIVE_ACK = 1 << 13;
const A_REUSED_PORTS = 1 << 14;

/** Window scale: no SYN seen in this direction yet (window shown raw). */
const SCALE_UNKNOWN = -1;
/** Window scale: a SYN without the option was seen, so neither side scales. */
const SCALE_NONE = -2;

// Per-direction booleans, packed in LiveState.bits.
const BASE_SET = 1;
/** The stored window came from a SYN, which is never scaled. */
const WINDOW_FROM_SYN = 2;
const FIN_SEEN = 4;
/** An ACK beyond everything this side sent was already seen (reported once). */
const BEYOND_ACKED = 8;
/** One unacknowledged segment is held inline (LiveState.segEnd/segTime) rather than in a queue. */
const ONE_SEGMENT = 16;

/** Wireshark's default out-of-order window when the handshake RTT is unknown: 3 ms. */
const OOO_DEFAULT_NS = 3_000_000;
/** A fast retransmission follows the last (duplicate) ACK within 20 ms. */
const FAST_RETRANSMISSION_NS = 20_000_000;

/** Size of the direct-mapped cache in front of the connection table (a power of two). */
const CACHE_SIZE = 4096;

/** Shared by every packet without analysis flags; frozen because rows are read-only. */
const NO_FLAGS: AnalysisFlag[] = Object.freeze([]) as unknown as AnalysisFlag[];

/** seq a is after seq b in 32-bit wrapping arithmetic. */
function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** An elapsed time is under a limit; like tshark (unsigned arithmetic), never when time ran backwards. */
function within(elapsed: number, limit: number): boolean {
  return elapsed >= 0 && elapsed < limit;
}

/**
 * Numeric state of the live connections as parallel typed arrays. Connection slot `s` owns the
 * per-connection entries at `s` and the per-direction entries at 2s (endpoint A sending) and 2s+1
 * (endpoint B sending).
 */
class LiveState {
  // Per direction.
  baseSeq: Uint32Array;
  /** Highest sequence number sent so far plus one (SYN/FIN count one); 0 = none yet. */
  nextSeq: Uint32Array;
  /** When nextSeq last advanced (ns since the first packet). */
  nextSeqTime: Float64Array;
  /** End of the contiguous data seen from this side; an ACK beyond it acknowledges unseen data. */
  maxSeqToBeAcked: Uint32Array;
  /** Acknowledgment number, its time, and raw (unscaled) window field of this side's last packet. */
  lastAck: Uint32Array;
  lastAckTime: Float64Array;
  window: Int32Array;
  winScale: Int8Array;
  dupAcks: Uint32Array;
  /** Analysis bits of this side's previous packet (keep-alive / zero-window-probe ACK detection). */
  lastFlags: Uint16Array;
  bits: Uint8Array;
  /** The only unacknowledged segment of a direction that has sent just one (most connections of a SYN flood). */
  segEnd: Uint32Array;
  segTime: Float64Array;
  // Per connection.
  /** Most recent SYN (no ACK), ns; -1 = none. */
  synTime: Float64Array;
  /** Handshake RTT in ns once known; 0 = not yet (as Wireshark's ts_first_rtt). */
  iRtt: Float64Array;
  lastSeen: Float64Array;

  private readonly free: number[] = [];
  private used = 0;

  constructor(private capacity: number) {
    const d = capacity * 2;
    this.baseSeq = new Uint32Array(d);
    this.nextSeq = new Uint32Array(d);
    this.nextSeqTime = new Float64Array(d);
    this.maxSeqToBeAcked = new Uint32Array(d);
    this.lastAck = new Uint32Array(d);
    this.lastAckTime = new Float64Array(d);
    this.window = new Int32Array(d);
    this.winScale = new Int8Array(d);
    this.dupAcks = new Uint32Array(d);
    this.lastFlags = new Uint16Array(d);
    this.bits = new Uint8Array(d);
    this.segEnd = new Uint32Array(d);
    this.segTime = new Float64Array(d);
    this.synTime = new Float64Array(capacity);
    this.iRtt = new Float64Array(capacity);
    this.lastSeen = new Float64Array(capacity);
  }

  /** A free connection slot with every field at its initial value. */
  allocate(): number {
    let s = this.free.pop();
    if (s === undefined) {
      if (this.used === this.capacity) this.grow();
      s = this.used++;
    }
    for (let d = 2 * s; d <= 2 * s + 1; d++) {
      this.baseSeq[d] = 0;
      this.nextSeq[d] = 0;
      this.nextSeqTime[d] = 0;
      this.maxSeqToBeAcked[d] = 0;
      this.lastAck[d] = 0;
      this.lastAckTime[d] = 0;
      this.window[d] = -1;
      this.winScale[d] = SCALE_UNKNOWN;
      this.dupAcks[d] = 0;
      this.lastFlags[d] = 0;
      this.bits[d] = 0;
    }
    this.synTime[s] = -1;
    this.iRtt[s] = 0;
    this.lastSeen[s] = 0;
    return s;
  }

  release(s: number): void {
    this.free.push(s);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const d = cap * 2;
    this.baseSeq = grown(this.baseSeq, new Uint32Array(d));
    this.nextSeq = grown(this.nextSeq, new Uint32Array(d));
    this.nextSeqTime = grown(this.nextSeqTime, new Float64Array(d));
    this.maxSeqToBeAcked = grown(this.maxSeqToBeAcked, new Uint32Array(d));
    this.lastAck = grown(this.lastAck, new Uint32Array(d));
    this.lastAckTime = grown(this.lastAckTime, new Float64Array(d));
    this.window = grown(this.window, new Int32Array(d));
    this.winScale = grown(this.winScale, new Int8Array(d));
    this.dupAcks = grown(this.dupAcks, new Uint32Array(d));
    this.lastFlags = grown(this.lastFlags, new Uint16Array(d));
    this.bits = grown(this.bits, new Uint8Array(d));
    this.segEnd = grown(this.segEnd, new Uint32Array(d));
    this.segTime = grown(this.segTime, new Float64Array(d));
    this.synTime = grown(this.synTime, new Float64Array(cap));
    this.iRtt = grown(this.iRtt, new Float64Array(cap));
    this.lastSeen = grown(this.lastSeen, new Float64Array(cap));
    this.capacity = cap;
  }
}

/** `into` with the contents of `from` copied to its start. */
function grown<T extends { set(a: T): void }>(from: T, into: T): T {
  into.set(from);
  return into;
}

/** A live connection (one tcp.stream): its identity and the parts that are not plain numbers. */
class Conversation {
  /** Text table key (both endpoints, canonical order); "" for IPv4, which V4Table indexes. */
  readonly key: string;
  /** IPv4 addresses of A and B as unsigned numbers (-1 unless the connection is IPv4). */
  aV4 = -1;
  bV4 = -1;
  readonly stream: number;
  /** Endpoint A sent the first packet seen (or, for a revived connection, as it was then). */
  readonly aIp: string;
  readonly aPort: number;
  readonly bIp: string;
  readonly bPort: number;
  /** A is the client: it sent the SYN, or the first packet when no SYN was seen. */
  readonly aIsClient: boolean;
  /** Endpoint A comes first in the key (so a retired record can be turned back into one). */
  readonly aFirstInKey: boolean;
  /** Slot in LiveState; -1 once retired. */
  slot = -1;
  /** Position in TcpAnalyzer.live. */
  liveIndex = -1;
  /** Packets seen since it became live (labels are kept from the second one on). */
  packets = 0;
  rstSeen = false;
  /**
   * The handshake RTT in seconds once known, made once: every later row shares this number
   * instead of boxing a new one per packet.
   */
  iRttSec: number | undefined = undefined;
  /** "ip:port" of A and B as printed, once kept. */
  labelOfA: string | undefined = undefined;
  labelOfB: string | undefined = undefined;
  /** Segments sent by A (B) and not yet acknowledged, for ack_rtt. */
  segmentsOfA: UnackedSegments | null = null;
  segmentsOfB: UnackedSegments | null = null;

  constructor(
    key: string,
    stream: number,
    aIp: string,
    aPort: number,
    bIp: string,
    bPort: number,
    aIsClient: boolean,
    aFirstInKey: boolean,
  ) {
    this.key = key;
    this.stream = stream;
    this.aIp = aIp;
    this.aPort = aPort;
    this.bIp = bIp;
    this.bPort = bPort;
    this.aIsClient = aIsClient;
    this.aFirstInKey = aFirstInKey;
  }

  /** The packet src:sport -> dst:dport belongs to this connection. */
  matches(src: string, sport: number, dst: string, dport: number): boolean {
    return (
      (sport === this.aPort && dport === this.bPort && src === this.aIp && dst === this.bIp) ||
      (sport === this.bPort && dport === this.aPort && src === this.bIp && dst === this.aIp)
    );
  }

  /** "ip:port" of endpoint A (or B); built per packet until the connection has a second packet. */
  labelA(): string {
    if (this.labelOfA !== undefined) return this.labelOfA;
    const label = endpointLabel(this.aIp, this.aPort);
    if (this.packets > 1) this.labelOfA = label;
    return label;
  }

  labelB(): string {
    if (this.labelOfB !== undefined) return this.labelOfB;
    const label = endpointLabel(this.bIp, this.bPort);
    if (this.packets > 1) this.labelOfB = label;
    return label;
  }
}

/**
 * Retired connections as parallel typed arrays (about 24 bytes each): what is needed to keep the
 * stream number and relative numbering if the connection shows up again, and to tell a new
 * connection on the same ports (a SYN with another ISN) from a late packet of the old one.
 */
class RetiredStore {
  private count = 0;
  private stream = new Int32Array(1024);
  private aBase = new Uint32Array(1024);
  private bBase = new Uint32Array(1024);
  private iRtt = new Float64Array(1024);
  /** Bit 0/1: A's/B's base known; bit 2: A is the client; bit 3: A is the key's first endpoint. */
  private flags = new Uint8Array(1024);
  private aScale = new Int8Array(1024);
  private bScale = new Int8Array(1024);

  add(c: Conversation, st: LiveState): number {
    if (this.count === this.stream.length) this.grow();
    const i = this.count++;
    const a = 2 * c.slot;
    const b = a + 1;
    this.stream[i] = c.stream;
    this.aBase[i] = st.baseSeq[a];
    this.bBase[i] = st.baseSeq[b];
    this.iRtt[i] = st.iRtt[c.slot];
    this.flags[i] =
      (st.bits[a] & BASE_SET ? 1 : 0) |
      (st.bits[b] & BASE_SET ? 2 : 0) |
      (c.aIsClient ? 4 : 0) |
      (c.aFirstInKey ? 8 : 0);
    this.aScale[i] = st.winScale[a];
    this.bScale[i] = st.winScale[b];
    return i;
  }

  /** A connection rebuilt from record `i` (not yet live), given its endpoints in key order. */
  conversation(i: number, key: string, ip1: string, port1: number, ip2: string, port2: number): Conversation {
    const aFirst = (this.flags[i] & 8) !== 0;
    return new Conversation(
      key,
      this.stream[i],
      aFirst ? ip1 : ip2,
      aFirst ? port1 : port2,
      aFirst ? ip2 : ip1,
      aFirst ? port2 : port1,
      (this.flags[i] & 4) !== 0,
      aFirst,
    );
  }

  /** Puts the numbering state of record `i` into the live slot of `c`. */
  restore(i: number, c: Conversation, st: LiveState): void {
    const a = 2 * c.slot;
    const b = a + 1;
    st.baseSeq[a] = this.aBase[i];
    st.baseSeq[b] = this.bBase[i];
    if (this.flags[i] & 1) st.bits[a] |= BASE_SET;
    if (this.flags[i] & 2) st.bits[b] |= BASE_SET;
    st.winScale[a] = this.aScale[i];
    st.winScale[b] = this.bScale[i];
    st.iRtt[c.slot] = this.iRtt[i];
  }

  private grow(): void {
    const n = this.stream.length * 2;
    this.stream = grown(this.stream, new Int32Array(n));
    this.aBase = grown(this.aBase, new Uint32Array(n));
    this.bBase = grown(this.bBase, new Uint32Array(n));
    this.iRtt = grown(this.iRtt, new Float64Array(n));
    this.flags = grown(this.flags, new Uint8Array(n));
    this.aScale = grown(this.aScale, new Int8Array(n));
    this.bScale = grown(this.bScale, new Int8Array(n));
  }
}

/**
 * The IPv4 connections ever seen, by both addresses and ports in canonical order: open addressing
 * over typed arrays, 16 bytes a slot. A million connections (a SYN flood) cost a few tens of
 * megabytes outside the JS heap instead of a string key and a Map entry each.
 */
class V4Table {
  private mask = 4095;
  private used = 0;
  private x = new Uint32Array(4096);
  private y = new Uint32Array(4096);
  private ports = new Uint32Array(4096);
  /** 0: empty; > 0: retired record + 1; < 0: live, -(LiveState slot + 1). */
  private value = new Int32Array(4096);

  /** The value for endpoints (x, xPort) and (y, yPort) in canonical order; 0 when absent. */
  get(x: number, xPort: number, y: number, yPort: number): number {
    return this.value[this.find(x, y, portPair(xPort, yPort))];
  }

  set(x: number, xPort: number, y: number, yPort: number, value: number): void {
    const ports = portPair(xPort, yPort);
    const i = this.find(x, y, ports);
    if (this.value[i] === 0) {
      this.x[i] = x;
      this.y[i] = y;
      this.ports[i] = ports;
      this.value[i] = value;
      if (++this.used * 2 > this.mask) this.grow();
      return;
    }
    this.value[i] = value;
  }

  /** The slot holding the key, or the empty slot where it belongs. */
  private find(x: number, y: number, ports: number): number {
    let h = Math.imul(x ^ Math.imul(y, 0x9e3779b1) ^ Math.imul(ports, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 15;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      if (this.value[i] === 0 || (this.x[i] === x && this.y[i] === y && this.ports[i] === ports)) return i;
    }
  }

  private grow(): void {
    const { x, y, ports, value } = this;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.x = new Uint32Array(size);
    this.y = new Uint32Array(size);
    this.ports = new Uint32Array(size);
    this.value = new Int32Array(size);
    for (let i = 0; i < value.length; i++) {
      if (value[i] === 0) continue;
      const j = this.find(x[i], y[i], ports[i]);
      this.x[j] = x[i];
      this.y[j] = y[i];
      this.ports[j] = ports[i];
      this.value[j] = value[i];
    }
  }
}

/** Two ports as one unsigned 32-bit number. */
function portPair(first: number, second: number): number {
  return ((first << 16) | second) >>> 0;
}

export interface TcpAnalyzerOptions {
  /** Retire a connection after this many seconds without a packet (capture time). Default 600. */
  idleTimeoutSec?: number;
  /** Retire a closed connection (RST, or FIN both ways) this many seconds after its last packet. Default 60, at most idleTimeoutSec. */
  closedLingerSec?: number;
  /** Cap on unacknowledged segments remembered per direction for ack_rtt (Wireshark: 10000). */
  maxTrackedSegments?: number;
  /** Cap on live connections; beyond it the least recently active quarter is retired early. Default 65536. */
  maxLiveStreams?: number;
  /**
   * Return one row object for every TCP packet, overwritten by the next push(), instead of a new
   * row each time. For consumers that read a row before the next packet and keep nothing of it
   * (the connection tracker): a row per packet is an allocation of ~200 bytes, ~3 % of the time
   * `conns` takes on a bulk capture. Default false.
   */
  reuseRows?: boolean;
}

/**
 * Feed every decoded packet in capture order with push(); TCP packets (and ICMP errors quoting a
 * TCP header, numbered with their connection as tshark does) come back as PacketAnalysis rows,
 * everything else as undefined. Rows are read-only (`analysis` may be a shared frozen array), and
 * with reuseRows valid only until the next push().
 */
export class TcpAnalyzer {
  private readonly idleTimeoutNs: number;
  private readonly closedLingerNs: number;
  private readonly sweepEveryNs: number;
  private readonly maxSegments: number;
  private readonly maxLive: number;
  /** The row every push() fills and returns, with reuseRows. */
  private readonly reusedRow: PacketAnalysis | undefined;

  /** Every non-IPv4 connection seen, live (object) or retired (index into `retired`), by key. */
  private readonly table = new Map<string, Conversation | number>();
  /** Every IPv4 connection seen (see V4Table for its values). */
  private readonly v4 = new V4Table();
  /** Live connections by LiveState slot (what a live V4Table value points to). */
  private readonly bySlot: (Conversation | undefined)[] = [];
  private readonly retired = new RetiredStore();
  private readonly state = new LiveState(1024);
  private readonly live: Conversation[] = [];
  /** Recently used connections by a hash of their ports, checked before building a key. */
  private readonly cache: (Conversation | undefined)[] = new Array(CACHE_SIZE).fill(undefined);
  private nextStream = 0;
  private started = false;
  private t0Sec = 0;
  private t0Nsec = 0;
  private readonly sweeps: SweepSchedule;

  constructor(opts?: TcpAnalyzerOptions) {
    const idle = opts?.idleTimeoutSec ?? 600;
    const linger = Math.min(opts?.closedLingerSec ?? 60, idle);
    this.idleTimeoutNs = idle * 1e9;
    this.closedLingerNs = linger * 1e9;
    // Sweeping walks every live connection, so it runs a few times per linger period, not per packet.
    this.sweepEveryNs = Math.max(1e9, this.closedLingerNs / 4);
    this.sweeps = new SweepSchedule(this.sweepEveryNs, this.sweepEveryNs);
    this.maxSegments = opts?.maxTrackedSegments ?? 10000;
    this.maxLive = Math.max(16, opts?.maxLiveStreams ?? 65536);
    this.reusedRow = opts?.reuseRows ? emptyRow() : undefined;
  }

  /** Connections whose full state is held right now. */
  get activeStreams(): number {
    return this.live.length;
  }

  /** Connections numbered so far (the next tcp.stream number). */
  get streams(): number {
    return this.nextStream;
  }

  push(pkt: DecodedPacket): PacketAnalysis | undefined {
    if (!this.started) {
      this.started = true;
      this.t0Sec = pkt.tsSec;
      this.t0Nsec = pkt.tsNsec;
    }
    const now = nsBetween(this.t0Sec, this.t0Nsec, pkt.tsSec, pkt.tsNsec);
    const sweepAt = this.sweeps.sweepAt(now);
    if (sweepAt !== undefined) this.sweep(sweepAt);
    const tcp = pkt.tcp;
    const ip = pkt.ip;
    if (tcp !== undefined && ip !== undefined) return this.analyze(pkt, now);
    const inner = pkt.icmp?.inner;
    if (
      inner !== undefined &&
      inner.protocol === 6 &&
      inner.srcPort !== undefined &&
      inner.dstPort !== undefined
    ) {
      return this.quoted(pkt, now);
    }
    return undefined;
  }

  /** End of the capture: retire every live connection. Numbering continues if more packets come. */
  finish(): void {
    for (let i = this.live.length - 1; i >= 0; i--) this.retire(this.live[i]);
  }

  // ---------------------------------------------------------------------------------------------

  private analyze(pkt: DecodedPacket, now: number): PacketAnalysis {
    const tcp = pkt.tcp!;
    const src = pkt.ip!.src;
    const dst = pkt.ip!.dst;
    const sport = tcp.srcPort;
    const dport = tcp.dstPort;
    const flags = tcp.flags & 0xff;
    const seq = tcp.seq;
    const ack = tcp.ack;
    const seglen = tcp.payloadLen;
    const st = this.state;

    const ip = pkt.ip!;
    let conv = this.lookup(
      src,
      sport,
      dst,
      dport,
      flags,
      now,
      ip.srcV4 ?? (ip.version === 4 ? ipv4Number(src) : -1),
      ip.dstV4 ?? (ip.version === 4 ? ipv4Number(dst) : -1),
    );
    // A self-connection (same address and port both ways) is always "from A".
    let fromA = sport === conv.aPort && src === conv.aIp;
    let fwd = 2 * conv.slot + (fromA ? 0 : 1);
    let bits = 0;

    const synOnly = (flags & (SYN | ACK)) === SYN;
    if ((flags & SYN) !== 0 && (st.bits[fwd] & BASE_SET) !== 0 && seq !== st.baseSeq[fwd]) {
      if (synOnly) {
        // A new SYN with another ISN on ports already used: a new connection (new tcp.stream).
        conv = this.replace(conv, src, sport, dst, dport, now);
        fromA = true;
        fwd = 2 * conv.slot;
      }
      bits |= A_REUSED_PORTS;
    }
    const rev = fwd ^ 1;
    const slot = conv.slot;
    st.lastSeen[slot] = now;
    conv.packets++;
    // A SYN repeated on a known connection rewinds the next expected sequence number to the end of
    // the data seen without gaps (tshark does the same).
    if (synOnly && st.maxSeqToBeAcked[fwd] !== 0) st.nextSeq[fwd] = st.maxSeqToBeAcked[fwd];

    // Relative numbering: a SYN (re)defines the base; otherwise the first sequence number seen is 1,
    // and an ACK for a side not seen yet fixes that side's base at ack - 1.
    if ((flags & SYN) !== 0) {
      st.baseSeq[fwd] = seq;
      st.bits[fwd] |= BASE_SET;
    } else if ((st.bits[fwd] & BASE_SET) === 0) {
      st.baseSeq[fwd] = seq - 1;
      st.bits[fwd] |= BASE_SET;
    }
    if ((flags & ACK) !== 0 && (st.bits[rev] & BASE_SET) === 0) {
      st.baseSeq[rev] = ack - 1;
      st.bits[rev] |= BASE_SET;
    }

    // Window scaling as negotiated by the SYNs seen; a SYN's own window is never scaled. The first
    // SYN (or SYN-ACK) of a side without the option turns scaling off both ways; a SYN-ACK's option
    // counts only if the SYN did not turn it off.
    let win = tcp.window;
    if ((flags & SYN) !== 0) {
      const shift = tcp.options.wscale;
      if (shift === undefined) {
        if (st.winScale[fwd] === SCALE_UNKNOWN) {
          st.winScale[fwd] = SCALE_NONE;
          st.winScale[rev] = SCALE_NONE;
        }
      } else if ((flags & ACK) === 0 || st.winScale[rev] !== SCALE_NONE) {
        st.winScale[fwd] = Math.min(shift, 14);
      }
    } else if (st.winScale[fwd] > 0) {
      win = win * (1 << st.winScale[fwd]);
    }

    // Handshake RTT: from the latest SYN to the first ACK (of either side) that is not a SYN-ACK.
    if (synOnly) st.synTime[slot] = now;
    else if ((flags & ACK) !== 0 && (flags & SYN) === 0 && st.iRtt[slot] === 0 && st.synTime[slot] >= 0) {
      st.iRtt[slot] = now - st.synTime[slot];
    }

    bits |= sequenceFlags(st, slot, fwd, rev, seq, ack, seglen, flags, tcp.window, now);

    // Remember this segment until it is acknowledged, and match this ACK against the other side's.
    if (seglen > 0 || (flags & (SYN | FIN)) !== 0) {
      this.sent(conv, fromA, fwd, (seq + seglen + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0, now);
    }
    // tshark matches the acknowledgment field even when the ACK bit is clear (e.g. on a bare RST).
    const sentAt = this.acknowledged(conv, !fromA, rev, ack);

    if ((flags & FIN) !== 0) st.bits[fwd] |= FIN_SEEN;
    if ((flags & RST) !== 0) conv.rstSeen = true;

    const out = this.reusedRow ?? emptyRow();
    out.frame = pkt.frame;
    out.time = now / 1e9;
    out.stream = conv.stream;
    out.src = fromA ? conv.labelA() : conv.labelB();
    out.dst = fromA ? conv.labelB() : conv.labelA();
    out.flags = flagLetters(flags);
    out.seq = (seq - st.baseSeq[fwd]) >>> 0;
    // Like tshark, the acknowledgment field is shown raw when the ACK bit is clear.
    out.ack = (flags & ACK) !== 0 ? (ack - st.baseSeq[rev]) >>> 0 : ack;
    out.len = seglen;
    out.win = win;
    out.analysis = bits === 0 ? NO_FLAGS : flagList(bits);
    out.dupAckNum = (bits & A_DUPLICATE_ACK) !== 0 ? st.dupAcks[fwd] : undefined;
    // Negative when the capture's clock ran backwards, as tshark prints it.
    out.ackRtt = Number.isNaN(sentAt) ? undefined : (now - sentAt) / 1e9;
    if (conv.iRttSec === undefined && st.iRtt[slot] > 0) conv.iRttSec = st.iRtt[slot] / 1e9;
    out.iRtt = conv.iRttSec;
    out.fromClient = fromA === conv.aIsClient;
    return out;
  }

  /** Direction `d` (endpoint A when `byA`) sent a segment ending just before `end`. */
  private sent(conv: Conversation, byA: boolean, d: number, end: number, now: number): void {
    const st = this.state;
    const queue = byA ? conv.segmentsOfA : conv.segmentsOfB;
    if (queue !== null) {
      if (queue.size < this.maxSegments) queue.add(end, now);
    } else if ((st.bits[d] & ONE_SEGMENT) === 0) {
      st.segEnd[d] = end;
      st.segTime[d] = now;
      st.bits[d] |= ONE_SEGMENT;
    } else {
      // A second segment in flight: move to a queue.
      const q = new UnackedSegments(st.segEnd[d], st.segTime[d]);
      q.add(end, now);
      if (byA) conv.segmentsOfA = q;
      else conv.segmentsOfB = q;
      st.bits[d] &= ~ONE_SEGMENT;
    }
  }

  /** `ack` from the other side covers segments of direction `d`: send time of the matching one, or NaN. */
  private acknowledged(conv: Conversation, byA: boolean, d: number, ack: number): number {
    const queue = byA ? conv.segmentsOfA : conv.segmentsOfB;
    if (queue !== null) return queue.size > 0 ? queue.acknowledge(ack) : Number.NaN;
    const st = this.state;
    if ((st.bits[d] & ONE_SEGMENT) === 0 || after(st.segEnd[d], ack)) return Number.NaN;
    st.bits[d] &= ~ONE_SEGMENT;
    return st.segEnd[d] === ack ? st.segTime[d] : Number.NaN;
  }

  /** ICMP error quoting a TCP header: numbered with its connection, sequence numbers as quoted. */
  private quoted(pkt: DecodedPacket, now: number): PacketAnalysis {
    const inner = pkt.icmp!.inner!;
    const src = inner.src;
    const sport = inner.srcPort!;
    // tshark does not analyse the quoted header but does find (or start) its connection.
    const conv = this.lookup(
      src,
      sport,
      inner.dst,
      inner.dstPort!,
      0,
      now,
      ipv4Number(src),
      ipv4Number(inner.dst),
    );
    const fromA = sport === conv.aPort && src === conv.aIp;
    return {
      frame: pkt.frame,
      time: now / 1e9,
      stream: conv.stream,
      src: fromA ? conv.labelA() : conv.labelB(),
      dst: fromA ? conv.labelB() : conv.labelA(),
      flags: flagLetters(inner.flags ?? 0),
      seq: inner.seq ?? 0,
      ack: inner.ack ?? 0,
      len: 0,
      win: inner.window ?? 0,
      analysis: NO_FLAGS,
      fromClient: fromA === conv.aIsClient,
    };
  }

  /** The live connection of a packet: from the cache, the table, a retired record, or a new one. */
  private lookup(
    src: string,
    sport: number,
    dst: string,
    dport: number,
    flags: number,
    now: number,
    srcV4: number,
    dstV4: number,
  ): Conversation {
    const cacheSlot = (sport ^ dport) & (CACHE_SIZE - 1);
    const cached = this.cache[cacheSlot];
    if (cached !== undefined && cached.slot >= 0 && cached.matches(src, sport, dst, dport)) return cached;
    const conv =
      srcV4 >= 0 && dstV4 >= 0
        ? this.lookupV4(src, sport, dst, dport, flags, now, srcV4, dstV4)
        : this.lookupText(src, sport, dst, dport, flags, now);
    this.cache[cacheSlot] = conv;
    return conv;
  }

  private lookupV4(
    src: string,
    sport: number,
    dst: string,
    dport: number,
    flags: number,
    now: number,
    srcV4: number,
    dstV4: number,
  ): Conversation {
    const srcFirst = srcV4 < dstV4 || (srcV4 === dstV4 && sport <= dport);
    const found = srcFirst
      ? this.v4.get(srcV4, sport, dstV4, dport)
      : this.v4.get(dstV4, dport, srcV4, sport);
    if (found < 0) return this.bySlot[-found - 1]!;
    let conv: Conversation;
    if (found === 0) {
      // The client sent the SYN; a SYN-ACK seen first was sent by the server.
      const aIsClient = (flags & (SYN | ACK)) !== (SYN | ACK);
      conv = new Conversation("", this.nextStream++, src, sport, dst, dport, aIsClient, srcFirst);
    } else {
      conv = srcFirst
        ? this.retired.conversation(found - 1, "", src, sport, dst, dport)
        : this.retired.conversation(found - 1, "", dst, dport, src, sport);
    }
    const aIsSrc = conv.aPort === sport && conv.aIp === src;
    conv.aV4 = aIsSrc ? srcV4 : dstV4;
    conv.bV4 = aIsSrc ? dstV4 : srcV4;
    this.admit(conv, now);
    if (found > 0) this.retired.restore(found - 1, conv, this.state);
    return conv;
  }

  private lookupText(
    src: string,
    sport: number,
    dst: string,
    dport: number,
    flags: number,
    now: number,
  ): Conversation {
    const key = connectionKey(src, sport, dst, dport);
    const found = this.table.get(key);
    if (found !== undefined && typeof found !== "number") return found;
    let conv: Conversation;
    if (found === undefined) {
      const aIsClient = (flags & (SYN | ACK)) !== (SYN | ACK);
      conv = new Conversation(key, this.nextStream++, src, sport, dst, dport, aIsClient, keySrcFirst);
      this.admit(conv, now);
    } else {
      const [ip1, port1, ip2, port2] = keyEndpoints(key);
      conv = this.retired.conversation(found, key, ip1, port1, ip2, port2);
      this.admit(conv, now);
      this.retired.restore(found, conv, this.state);
    }
    return conv;
  }

  /** Points the table entry of `conv` at `value` (a live slot or a retired record). */
  private index(conv: Conversation, value: Conversation | number): void {
    if (conv.aV4 < 0) {
      this.table.set(conv.key, value);
      return;
    }
    const v = typeof value === "number" ? value + 1 : -(value.slot + 1);
    if (conv.aFirstInKey) this.v4.set(conv.aV4, conv.aPort, conv.bV4, conv.bPort, v);
    else this.v4.set(conv.bV4, conv.bPort, conv.aV4, conv.aPort, v);
  }

  /** A new connection on the ports of `old` (port reuse): it takes over the key; `old` is dropped. */
  private replace(
    old: Conversation,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    now: number,
  ): Conversation {
    this.unlink(old);
    // The sender of the new SYN becomes endpoint A.
    const sameA = sport === old.aPort && src === old.aIp;
    const aFirst = sameA ? old.aFirstInKey : !old.aFirstInKey;
    const conv = new Conversation(old.key, this.nextStream++, src, sport, dst, dport, true, aFirst);
    if (old.aV4 >= 0) {
      conv.aV4 = sameA ? old.aV4 : old.bV4;
      conv.bV4 = sameA ? old.bV4 : old.aV4;
    }
    this.admit(conv, now);
    this.cache[(sport ^ dport) & (CACHE_SIZE - 1)] = conv;
    return conv;
  }

  private admit(conv: Conversation, now: number): void {
    if (this.live.length >= this.maxLive) this.shed(now);
    conv.slot = this.state.allocate();
    this.state.lastSeen[conv.slot] = now;
    conv.liveIndex = this.live.length;
    this.live.push(conv);
    this.bySlot[conv.slot] = conv;
    this.index(conv, conv);
  }

  /** Removes a connection from the live list and frees its slot (the table entry is the caller's). */
  private unlink(conv: Conversation): void {
    const live = this.live;
    const last = live.pop()!;
    if (last !== conv) {
      live[conv.liveIndex] = last;
      last.liveIndex = conv.liveIndex;
    }
    conv.liveIndex = -1;
    this.bySlot[conv.slot] = undefined;
    this.state.release(conv.slot);
    conv.slot = -1;
    conv.segmentsOfA = null;
    conv.segmentsOfB = null;
  }

  /** Replaces a live connection by its compact record. */
  private retire(conv: Conversation): void {
    const id = this.retired.add(conv, this.state);
    this.unlink(conv);
    this.index(conv, id);
  }

  /** Retires closed connections past the linger time and any connection idle past the timeout. */
  private sweep(now: number): void {
    const live = this.live;
    const st = this.state;
    for (let i = live.length - 1; i >= 0; i--) {
      const c = live[i];
      const idle = now - st.lastSeen[c.slot];
      if (idle >= this.idleTimeoutNs) this.retire(c);
      else if (idle >= this.closedLingerNs) {
        const a = 2 * c.slot;
        if (c.rstSeen || (st.bits[a] & st.bits[a + 1] & FIN_SEEN) !== 0) this.retire(c);
      }
    }
  }

  /** Too many live connections: retire the least recently active quarter. */
  private shed(now: number): void {
    this.sweep(now);
    const live = this.live;
    if (live.length < this.maxLive) return;
    const st = this.state;
    // The cut-off time comes from an evenly spaced sample of the live list, not a full sort.
    const step = Math.max(1, Math.floor(live.length / 1024));
    const sample = new Float64Array(Math.ceil(live.length / step));
    for (let i = 0, j = 0; i < live.length; i += step) sample[j++] = st.lastSeen[live[i].slot];
    sample.sort();
    const cutoff = sample[Math.floor(sample.length / 4)];
    for (let i = live.length - 1; i >= 0; i--) if (st.lastSeen[live[i].slot] <= cutoff) this.retire(live[i]);
  }
}

/**
 * The checks on the segment itself (probe, zero window, gap, keep-alive, window update / full,
 * keep-alive / probe ACK, duplicate ACK), in Wireshark's order: a zero-window probe, a keep-alive
 * ACK or a zero-window-probe ACK ends them.
 */
function segmentFlags(
  st: LiveState,
  fwd: number,
  rev: number,
  seq: number,
  ack: number,
  seglen: number,
  flags: number,
  rawWin: number,
): number {
  const ctl = (flags & (SYN | FIN | RST)) !== 0;
  const nextSeq = st.nextSeq[fwd];
  const lastAck = st.lastAck[fwd];
  // A 1-byte segment at the edge of a closed window probes it; nothing else is checked.
  if (seglen === 1 && seq === nextSeq && st.window[rev] === 0) return A_ZERO_WINDOW_PROBE;
  let bits = 0;
  if (rawWin === 0 && !ctl) bits |= A_ZERO_WINDOW;
  // Beyond the next expected sequence number: something before it was not captured.
  if (nextSeq !== 0 && after(seq, nextSeq) && (flags & RST) === 0) bits |= A_LOST_SEGMENT;
  // Zero or one byte just below the next expected sequence number: a keep-alive.
  if (seglen <= 1 && !ctl && seq === (nextSeq - 1) >>> 0) bits |= A_KEEP_ALIVE;
  if (
    seglen === 0 &&
    rawWin !== 0 &&
    rawWin !== st.window[fwd] &&
    seq === nextSeq &&
    ack === lastAck &&
    !ctl
  ) {
    bits |= A_WINDOW_UPDATE;
  }
  // The segment fills the receiver's advertised window up to its right edge.
  const revScale = st.winScale[rev];
  if (seglen > 0 && !ctl && revScale !== SCALE_UNKNOWN) {
    const shift = revScale < 0 || (st.bits[rev] & WINDOW_FROM_SYN) !== 0 ? 0 : revScale;
    if ((seq + seglen) >>> 0 === (st.lastAck[rev] + st.window[rev] * (1 << shift)) >>> 0)
      bits |= A_WINDOW_FULL;
  }
  // The same ACK again, windows compared raw as sent.
  if (seglen !== 0 || ctl || seq !== nextSeq || ack !== lastAck || rawWin !== st.window[fwd]) return bits;
  if (rawWin !== 0 && (st.lastFlags[rev] & A_KEEP_ALIVE) !== 0) return bits | A_KEEP_ALIVE_ACK;
  if (rawWin === 0 && (st.lastFlags[rev] & A_ZERO_WINDOW_PROBE) !== 0) return bits | A_ZERO_WINDOW_PROBE_ACK;
  if (rawWin !== 0) {
    st.dupAcks[fwd]++;
    bits |= A_DUPLICATE_ACK;
  }
  return bits;
}

/**
 * Wireshark's sequence analysis of one segment from direction `fwd` (`rev` is the other one);
 * updates the direction state and returns the analysis bits. The order of the checks carries
 * their precedence.
 */
function sequenceFlags(
  st: LiveState,
  slot: number,
  fwd: number,
  rev: number,
  seq: number,
  ack: number,
  seglen: number,
  flags: number,
  rawWin: number,
  now: number,
): number {
  const nextSeq = st.nextSeq[fwd];
  const lastAck = st.lastAck[fwd];
  let bits = segmentFlags(st, fwd, rev, seq, ack, seglen, flags, rawWin);

  // Only a new acknowledgment number ends a run of duplicate ACKs (window updates, data and
  // FIN/RST segments repeating the same ACK do not); it also re-arms the report of ACKs beyond
  // everything this side sent (below).
  if (ack !== lastAck) {
    st.dupAcks[fwd] = 0;
    st.bits[fwd] &= ~BEYOND_ACKED;
  }

  // An ACK beyond the contiguous data seen from the other side acknowledges data that was not
  // captured. When it covers a gap in what was seen, it is reported every time. When nothing is
  // missing in between (the ACK is beyond everything sent), it is reported once until the other
  // side acknowledges something new, and not while that side is sending duplicate ACKs (which
  // this ACK then ends).
  const revMax = st.maxSeqToBeAcked[rev];
  if (revMax !== 0 && (flags & ACK) !== 0 && after(ack, revMax)) {
    if (revMax !== st.nextSeq[rev]) {
      bits |= A_ACK_LOST_SEGMENT;
      st.maxSeqToBeAcked[rev] = st.nextSeq[rev];
    } else {
      if (st.dupAcks[rev] === 0 && (st.bits[rev] & BEYOND_ACKED) === 0) bits |= A_ACK_LOST_SEGMENT;
      st.bits[rev] |= BEYOND_ACKED;
      st.dupAcks[rev] = 0;
    }
  }

  if ((bits & A_KEEP_ALIVE) === 0) {
    const end = (seq + seglen) >>> 0;
    const revLastAck = st.lastAck[rev];
    if (seglen > 0 && revLastAck !== 0 && !after(end, revLastAck)) {
      // Everything in it was acknowledged already.
      bits |= A_SPURIOUS_RETRANSMISSION;
    } else if (
      (seglen > 0 || (flags & (SYN | FIN)) !== 0) &&
      nextSeq !== 0 &&
      after(nextSeq, seq) &&
      // Data starting one byte below the next expected sequence number (after a zero-window or
      // keep-alive probe byte) brings new data: not counted as sent before.
      !(seglen > 1 && seq === (nextSeq - 1) >>> 0)
    ) {
      // Below the next expected sequence number: sent before (or overtaken on the way).
      // Resent what the other side keeps asking for, within 20 ms of its last ACK: after two
      // duplicate ACKs, or after an ACK beyond everything sent with no duplicate ACK since.
      const revDup = st.dupAcks[rev];
      const iRtt = st.iRtt[slot];
      if (
        (revDup >= 2 || ((st.bits[rev] & BEYOND_ACKED) !== 0 && revDup === 0)) &&
        revLastAck === seq &&
        within(now - st.lastAckTime[rev], FAST_RETRANSMISSION_NS)
      ) {
        bits |= A_FAST_RETRANSMISSION;
      } else if (
        within(now - st.nextSeqTime[fwd], iRtt > 0 ? iRtt : OOO_DEFAULT_NS) &&
        nextSeq !== (end + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0
      ) {
        // Soon after the highest segment and not a repeat of it: overtaken rather than resent.
        bits |= A_OUT_OF_ORDER;
      } else {
        bits |= A_RETRANSMISSION;
      }
    }
  }

  // Advance the highest sequence number seen (a zero-window probe does not).
  if ((bits & A_ZERO_WINDOW_PROBE) === 0) {
    const next = (seq + seglen + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
    if (nextSeq === 0 || after(next, nextSeq)) {
      st.nextSeq[fwd] = next;
      st.nextSeqTime[fwd] = now;
    }
    const max = st.maxSeqToBeAcked[fwd];
    if (max === 0 || seq === max) st.maxSeqToBeAcked[fwd] = st.nextSeq[fwd];
  }

  st.window[fwd] = rawWin;
  if ((flags & SYN) !== 0) st.bits[fwd] |= WINDOW_FROM_SYN;
  else st.bits[fwd] &= ~WINDOW_FROM_SYN;
  st.lastAck[fwd] = ack;
  st.lastAckTime[fwd] = now;
  st.lastFlags[fwd] = bits;
  return bits;
}

/** Set by connectionKey: the packet's source endpoint comes first in the key it returned. */
let keySrcFirst = true;

/**
 * One key for both directions of a non-IPv4 connection, the endpoints in a fixed order, as text
 * ("ip port ip port", built with join so no rope of pieces stays alive behind it).
 */
function connectionKey(src: string, sport: number, dst: string, dport: number): string {
  keySrcFirst = src < dst || (src === dst && sport <= dport);
  return keySrcFirst ? [src, sport, dst, dport].join(" ") : [dst, dport, src, sport].join(" ");
}

/** The endpoints of a key: [ip, port, ip, port] in key order. */
function keyEndpoints(key: string): [string, number, string, number] {
  const [ip1, port1, ip2, port2] = key.split(" ");
  return [ip1, Number(port1), ip2, Number(port2)];
}

/**
 * A row with every field present (undefined when not applicable), in one order: fresh and reused
 * rows share one object shape, which keeps the consumers' property loads monomorphic.
 */
function emptyRow(): PacketAnalysis {
  return {
    frame: 0,
    // NaN, a double: a time stored later then keeps the row's shape (0 would start it as an integer).
    time: Number.NaN,
    stream: 0,
    src: "",
    dst: "",
    flags: "",
    seq: 0,
    ack: 0,
    len: 0,
    win: 0,
    analysis: NO_FLAGS,
    dupAckNum: undefined,
    ackRtt: undefined,
    iRtt: undefined,
    fromClient: false,
  };
}

/** The names of the analysis bits set in `bits`, in FLAG_NAMES order. */
function flagList(bits: number): AnalysisFlag[] {
  const out: AnalysisFlag[] = [];
  for (let i = 0; i < FLAG_NAMES.length; i++) if ((bits & (1 << i)) !== 0) out.push(FLAG_NAMES[i]);
  // Frozen like the shared empty list: every row's list then has one shape, and the consumers'
  // code optimised on unlabelled packets is not thrown away at the first label.
  return Object.freeze(out) as AnalysisFlag[];
}
