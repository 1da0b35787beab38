// Per-packet TCP sequence analysis, compatible with Wireshark 4.0's "Analyze TCP sequence numbers":
// stream numbering (tcp.stream), relative sequence/acknowledgment numbers, the scaled window, the
// tcp.analysis.* flags, ack_rtt and initial_rtt. Packets are analysed once, in capture order, as
// tshark does in its single pass, so every result depends only on the packets before it.
//
// Sequence state is kept in absolute 32-bit numbers compared in wrapping arithmetic; like Wireshark,
// a value of 0 in nextSeq / lastAck / maxSeqToBeAcked means "not known yet".
import type { DecodedPacket } from "../types.js";
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

/** Wireshark's default out-of-order window when the handshake RTT is unknown: 3 ms. */
const OOO_DEFAULT_NS = 3_000_000;
/** A fast retransmission follows the last (duplicate) ACK within 20 ms. */
const FAST_RETRANSMISSION_NS = 20_000_000;

/** seq a is after seq b in 32-bit wrapping arithmetic. */
function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** State of one sending direction of a connection. */
class Direction {
  /** "ip:port" of the sender, as printed. */
  readonly label: string;
  baseSeq = 0;
  baseSet = false;
  /** Highest sequence number sent so far plus one (SYN/FIN count one); 0 = none yet. */
  nextSeq = 0;
  /** When nextSeq last advanced (ns since the first packet). */
  nextSeqTime = 0;
  /** End of the contiguous data seen from this side; an ACK beyond it acknowledges unseen data. */
  maxSeqToBeAcked = 0;
  /** Acknowledgment number and raw (unscaled) window field of this side's last packet. */
  lastAck = 0;
  lastAckTime = 0;
  window = -1;
  /** The stored window came from a SYN, which is never scaled. */
  windowFromSyn = false;
  winScale = SCALE_UNKNOWN;
  dupAcks = 0;
  /** Analysis bits of this side's previous packet (keep-alive / zero-window-probe ACK detection). */
  lastFlags = 0;
  finSeen = false;
  /** An ACK beyond everything this side sent was already reported as ack_lost_segment. */
  beyondAcked = false;
  /** Segments sent by this side and not yet acknowledged, for ack_rtt. */
  segments: UnackedSegments | null = null;

  constructor(label: string) {
    this.label = label;
  }
}

/** Live state of one connection (one tcp.stream). */
class Conversation {
  /** Map key (both endpoints, canonical order). */
  readonly key: string;
  readonly stream: number;
  /** Endpoint A is the sender of the first packet seen. */
  readonly aIp: string;
  readonly aPort: number;
  readonly a: Direction;
  readonly b: Direction;
  /** A is the client: it sent the SYN, or the first packet when no SYN was seen. */
  aIsClient: boolean;
  /** Most recent SYN (no ACK), ns; -1 = none. */
  synTime = -1;
  /** Handshake RTT in ns once known; 0 = not yet (as Wireshark's ts_first_rtt). */
  iRtt = 0;
  lastSeen = 0;
  rstSeen = false;
  /** Position in TcpAnalyzer.live, for O(1) removal. */
  liveIndex = -1;

  constructor(
    key: string,
    stream: number,
    aIp: string,
    aPort: number,
    aLabel: string,
    bLabel: string,
    aIsClient: boolean,
  ) {
    this.key = key;
    this.stream = stream;
    this.aIp = aIp;
    this.aPort = aPort;
    this.a = new Direction(aLabel);
    this.b = new Direction(bLabel);
    this.aIsClient = aIsClient;
  }
}

/**
 * What remains of a connection whose state was dropped (closed or idle): enough to keep its stream
 * number and relative sequence numbers if more of it turns up, and to tell a new connection on the
 * same ports (a SYN with another ISN) from a late packet of the old one.
 */
class Retired {
  constructor(
    readonly stream: number,
    readonly aIp: string,
    readonly aPort: number,
    readonly aLabel: string,
    readonly bLabel: string,
    readonly aIsClient: boolean,
    readonly aBase: number,
    readonly bBase: number,
    /** bit 0: A's base known, bit 1: B's base known. */
    readonly baseBits: number,
    readonly aScale: number,
    readonly bScale: number,
    readonly iRtt: number,
  ) {}
}

export interface TcpAnalyzerOptions {
  /** Drop the state of a connection after this many seconds without a packet (capture time). Default 600. */
  idleTimeoutSec?: number;
  /** Keep a closed connection (RST, or FIN both ways) this many seconds after its last packet. Default 60, at most idleTimeoutSec. */
  closedLingerSec?: number;
  /** Cap on unacknowledged segments remembered per direction for ack_rtt (Wireshark: 10000). */
  maxTrackedSegments?: number;
  /** Cap on connections with live state; beyond it the least recently active are retired early. Default 262144. */
  maxLiveStreams?: number;
}

/**
 * Feed every decoded packet in capture order with push(); TCP packets (and ICMP errors quoting a
 * TCP header) come back as PacketAnalysis rows, everything else as undefined.
 */
export class TcpAnalyzer {
  private readonly idleTimeoutNs: number;
  private readonly closedLingerNs: number;
  private readonly sweepEveryNs: number;
  private readonly maxSegments: number;
  private readonly maxLive: number;

  private readonly table = new Map<string, Conversation | Retired>();
  private readonly live: Conversation[] = [];
  private nextStream = 0;
  private started = false;
  private t0Sec = 0;
  private t0Nsec = 0;
  private nextSweep = 0;

  constructor(opts?: TcpAnalyzerOptions) {
    const idle = opts?.idleTimeoutSec ?? 600;
    const linger = Math.min(opts?.closedLingerSec ?? 60, idle);
    this.idleTimeoutNs = idle * 1e9;
    this.closedLingerNs = linger * 1e9;
    // Sweeping walks every live connection, so it runs a few times per linger period, not per packet.
    this.sweepEveryNs = Math.max(1e9, this.closedLingerNs / 4);
    this.maxSegments = opts?.maxTrackedSegments ?? 10000;
    this.maxLive = Math.max(16, opts?.maxLiveStreams ?? 262144);
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
      this.nextSweep = this.sweepEveryNs;
    }
    const now = (pkt.tsSec - this.t0Sec) * 1e9 + (pkt.tsNsec - this.t0Nsec);
    if (now >= this.nextSweep) {
      this.sweep(now);
      this.nextSweep = now + this.sweepEveryNs;
    }
    const tcp = pkt.tcp;
    const ip = pkt.ip;
    if (tcp !== undefined && ip !== undefined) return this.analyze(pkt, now);
    const inner = pkt.icmp?.inner;
    if (inner !== undefined && inner.protocol === 6 && inner.srcPort !== undefined && inner.dstPort !== undefined) {
      return this.quoted(pkt, now);
    }
    return undefined;
  }

  /** End of the capture: drop all live state. Numbering continues if more packets are pushed. */
  finish(): void {
    for (let i = this.live.length - 1; i >= 0; i--) this.retire(this.live[i]);
  }

  // ---------------------------------------------------------------------------------------------

  private analyze(pkt: DecodedPacket, now: number): PacketAnalysis {
    const tcp = pkt.tcp!;
    const ip = pkt.ip!;
    const src = ip.src;
    const dst = ip.dst;
    const sport = tcp.srcPort;
    const dport = tcp.dstPort;
    const flags = tcp.flags & 0xff;
    const seq = tcp.seq;
    const ack = tcp.ack;
    const seglen = tcp.payloadLen;

    const key = conversationKey(src, sport, dst, dport);
    let conv = this.lookup(key, src, sport, dst, dport, ip.version, flags, now);
    let fromA = sport === conv.aPort && src === conv.aIp;
    // A self-connection (same address and port both ways) is always "from A".
    let fwd = fromA ? conv.a : conv.b;
    let bits = 0;

    const synOnly = (flags & (SYN | ACK)) === SYN;
    if ((flags & SYN) !== 0 && fwd.baseSet && seq !== fwd.baseSeq) {
      if (synOnly) {
        // A new SYN with another ISN on ports already used: a new connection (new tcp.stream).
        conv = this.replace(conv, src, sport, dst, dport, ip.version, now);
        fromA = true;
        fwd = conv.a;
      }
      bits |= A_REUSED_PORTS;
    }
    const rev = fromA ? conv.b : conv.a;
    conv.lastSeen = now;

    // Relative numbering: a SYN (re)defines the base; otherwise the first sequence number seen is 1,
    // and an ACK for a side not seen yet fixes that side's base at ack - 1.
    if ((flags & SYN) !== 0) {
      fwd.baseSeq = seq;
      fwd.baseSet = true;
    } else if (!fwd.baseSet) {
      fwd.baseSeq = (seq - 1) >>> 0;
      fwd.baseSet = true;
    }
    if ((flags & ACK) !== 0 && !rev.baseSet) {
      rev.baseSeq = (ack - 1) >>> 0;
      rev.baseSet = true;
    }

    // Window scaling as negotiated by the SYNs seen; a SYN's own window is never scaled. The first
    // SYN (or SYN-ACK) of a side without the option turns scaling off both ways; a SYN-ACK's option
    // counts only if the SYN did not turn it off.
    let win = tcp.window;
    if ((flags & SYN) !== 0) {
      const shift = tcp.options.wscale;
      if (shift === undefined) {
        if (fwd.winScale === SCALE_UNKNOWN) {
          fwd.winScale = SCALE_NONE;
          rev.winScale = SCALE_NONE;
        }
      } else if ((flags & ACK) === 0 || rev.winScale !== SCALE_NONE) {
        fwd.winScale = shift > 14 ? 14 : shift;
      }
    } else if (fwd.winScale > 0) {
      win = win * (1 << fwd.winScale);
    }

    if (synOnly) conv.synTime = now;
    else if ((flags & ACK) !== 0 && (flags & SYN) === 0 && conv.iRtt === 0 && conv.synTime >= 0) {
      conv.iRtt = now - conv.synTime;
    }

    bits |= this.sequenceFlags(conv, fwd, rev, seq, ack, seglen, flags, tcp.window, now);
    if ((globalThis as any).TCPDBG) {
      const r = (d: Direction, o: Direction) => `N=${(d.nextSeq - d.baseSeq) >>> 0} M=${(d.maxSeqToBeAcked - d.baseSeq) >>> 0} lastAck=${(d.lastAck - o.baseSeq) >>> 0} dup=${d.dupAcks} bey=${d.beyondAcked} win=${d.window}`;
      console.log(`DBG ${pkt.frame} ${fromA ? "A" : "B"} bits=${bits} | A: ${r(conv.a, conv.b)} | B: ${r(conv.b, conv.a)}`);
    }

    // Remember this segment until it is acknowledged, and match this ACK against the other side's.
    let ackRttNs = -1;
    if (seglen > 0 || (flags & (SYN | FIN)) !== 0) {
      let segs = fwd.segments;
      if (segs === null) {
        segs = new UnackedSegments();
        fwd.segments = segs;
      }
      if (segs.size < this.maxSegments) {
        const end = (seq + seglen + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
        segs.add(end, now);
      }
    }
    // tshark matches the acknowledgment field even when the ACK bit is clear (e.g. on a bare RST).
    if (rev.segments !== null && rev.segments.size > 0) {
      const sent = rev.segments.acknowledge(ack);
      if (sent >= 0) ackRttNs = now - sent;
    }

    if ((flags & FIN) !== 0) fwd.finSeen = true;
    if ((flags & RST) !== 0) conv.rstSeen = true;

    const out: PacketAnalysis = {
      frame: pkt.frame,
      time: now / 1e9,
      stream: conv.stream,
      src: fwd.label,
      dst: rev.label,
      flags: flagLetters(flags),
      seq: (seq - fwd.baseSeq) >>> 0,
      // Like tshark, the acknowledgment field is shown raw when the ACK bit is clear.
      ack: (flags & ACK) !== 0 ? (ack - rev.baseSeq) >>> 0 : ack,
      len: seglen,
      win,
      analysis: bits === 0 ? [] : flagList(bits),
      fromClient: fromA === conv.aIsClient,
    };
    if ((bits & A_DUPLICATE_ACK) !== 0) out.dupAckNum = fwd.dupAcks;
    if (ackRttNs >= 0) out.ackRtt = ackRttNs / 1e9;
    if (conv.iRtt > 0) out.iRtt = conv.iRtt / 1e9;
    return out;
  }

  /**
   * Wireshark's sequence analysis of one segment; updates the direction state and returns the
   * analysis bits. The order of the checks carries their precedence.
   */
  private sequenceFlags(
    conv: Conversation,
    fwd: Direction,
    rev: Direction,
    seq: number,
    ack: number,
    seglen: number,
    flags: number,
    rawWin: number,
    now: number,
  ): number {
    let bits = 0;
    const ctl = (flags & (SYN | FIN | RST)) !== 0;

    analysis: {
      // A 1-byte segment at the edge of a closed window probes it; nothing else is checked.
      if (seglen === 1 && seq === fwd.nextSeq && rev.window === 0) {
        bits |= A_ZERO_WINDOW_PROBE;
        break analysis;
      }
      if (rawWin === 0 && !ctl) bits |= A_ZERO_WINDOW;
      // Beyond the next expected sequence number: something before it was not captured.
      if (fwd.nextSeq !== 0 && after(seq, fwd.nextSeq) && (flags & RST) === 0) bits |= A_LOST_SEGMENT;
      // Zero or one byte just below the next expected sequence number: a keep-alive.
      if (seglen <= 1 && !ctl && seq === ((fwd.nextSeq - 1) >>> 0)) bits |= A_KEEP_ALIVE;
      if (
        seglen === 0 &&
        rawWin !== 0 &&
        rawWin !== fwd.window &&
        seq === fwd.nextSeq &&
        ack === fwd.lastAck &&
        !ctl
      ) {
        bits |= A_WINDOW_UPDATE;
      }
      // The segment fills the receiver's advertised window up to its right edge.
      if (
        seglen > 0 &&
        !ctl &&
        rev.winScale !== SCALE_UNKNOWN &&
        ((seq + seglen) >>> 0) ===
          ((rev.lastAck + rev.window * (rev.windowFromSyn || rev.winScale < 0 ? 1 : 1 << rev.winScale)) >>> 0)
      ) {
        bits |= A_WINDOW_FULL;
      }
      // Windows are compared raw, as sent.
      const sameAck =
        seglen === 0 && !ctl && seq === fwd.nextSeq && ack === fwd.lastAck && rawWin === fwd.window;
      if (sameAck && rawWin !== 0 && (rev.lastFlags & A_KEEP_ALIVE) !== 0) {
        bits |= A_KEEP_ALIVE_ACK;
        break analysis;
      }
      if (sameAck && rawWin === 0 && (rev.lastFlags & A_ZERO_WINDOW_PROBE) !== 0) {
        bits |= A_ZERO_WINDOW_PROBE_ACK;
        break analysis;
      }
      if (sameAck && rawWin !== 0) {
        fwd.dupAcks++;
        bits |= A_DUPLICATE_ACK;
      }
    }
    // Only a new acknowledgment number ends a run of duplicate ACKs (window updates, data and
    // FIN/RST segments repeating the same ACK do not); it also re-arms the report of ACKs beyond
    // everything this side sent (below).
    if (ack !== fwd.lastAck) {
      fwd.dupAcks = 0;
      fwd.beyondAcked = false;
    }

    // An ACK beyond the contiguous data seen from the other side acknowledges data that was not
    // captured. When it covers a gap in what was seen, it is reported every time. When nothing is
    // missing in between (the ACK is beyond everything sent), it is reported once until the other
    // side acknowledges something new, and not while that side is sending duplicate ACKs (which
    // this ACK then ends).
    if (rev.maxSeqToBeAcked !== 0 && (flags & ACK) !== 0 && after(ack, rev.maxSeqToBeAcked)) {
      if (rev.maxSeqToBeAcked !== rev.nextSeq) {
        bits |= A_ACK_LOST_SEGMENT;
        rev.maxSeqToBeAcked = rev.nextSeq;
      } else {
        if (rev.dupAcks === 0 && !rev.beyondAcked) bits |= A_ACK_LOST_SEGMENT;
        rev.beyondAcked = true;
        rev.dupAcks = 0;
      }
    }

    if ((bits & A_KEEP_ALIVE) === 0) {
      const end = (seq + seglen) >>> 0;
      if (seglen > 0 && rev.lastAck !== 0 && !after(end, rev.lastAck)) {
        // Everything in it was acknowledged already.
        bits |= A_SPURIOUS_RETRANSMISSION;
      } else if (
        (seglen > 0 || (flags & (SYN | FIN)) !== 0) &&
        fwd.nextSeq !== 0 &&
        after(fwd.nextSeq, seq) &&
        // Data starting one byte below the next expected sequence number (after a zero-window
        // or keep-alive probe byte) brings new data: not counted as sent before.
        !(seglen > 1 && seq === ((fwd.nextSeq - 1) >>> 0))
      ) {
        // Below the next expected sequence number: sent before (or overtaken on the way).
        // Resent what the other side keeps asking for, within 20 ms of its last ACK: after two
        // duplicate ACKs, or after an ACK beyond everything sent with no duplicate ACK since.
        if (
          (rev.dupAcks >= 2 || (rev.beyondAcked && rev.dupAcks === 0)) &&
          rev.lastAck === seq &&
          now - rev.lastAckTime < FAST_RETRANSMISSION_NS
        ) {
          bits |= A_FAST_RETRANSMISSION;
        } else if (
          now - fwd.nextSeqTime < (conv.iRtt > 0 ? conv.iRtt : OOO_DEFAULT_NS) &&
          fwd.nextSeq !== ((end + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0)
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
      if (fwd.nextSeq === 0 || after(next, fwd.nextSeq)) {
        fwd.nextSeq = next;
        fwd.nextSeqTime = now;
      }
      if (fwd.maxSeqToBeAcked === 0 || seq === fwd.maxSeqToBeAcked) fwd.maxSeqToBeAcked = fwd.nextSeq;
    }

    fwd.window = rawWin;
    fwd.windowFromSyn = (flags & SYN) !== 0;
    fwd.lastAck = ack;
    fwd.lastAckTime = now;
    fwd.lastFlags = bits;
    return bits;
  }

  /** ICMP error quoting a TCP header: numbered with its connection, sequence numbers as quoted. */
  private quoted(pkt: DecodedPacket, now: number): PacketAnalysis {
    const inner = pkt.icmp!.inner!;
    const src = inner.src;
    const dst = inner.dst;
    const sport = inner.srcPort!;
    const dport = inner.dstPort!;
    const key = conversationKey(src, sport, dst, dport);
    // Wireshark does not analyse the quoted header but does find (or start) its conversation.
    const conv = this.lookup(key, src, sport, dst, dport, pkt.icmp!.version, 0, now);
    const fromA = sport === conv.aPort && src === conv.aIp;
    const flags = inner.flags ?? 0;
    return {
      frame: pkt.frame,
      time: now / 1e9,
      stream: conv.stream,
      src: fromA ? conv.a.label : conv.b.label,
      dst: fromA ? conv.b.label : conv.a.label,
      flags: flagLetters(flags & 0xff),
      seq: inner.seq ?? 0,
      ack: inner.ack ?? 0,
      len: 0,
      win: inner.window ?? 0,
      analysis: [],
      fromClient: fromA === conv.aIsClient,
    };
  }

  /** The live conversation for a packet, reviving a retired one or starting a new one. */
  private lookup(
    key: string,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    version: 4 | 6,
    flags: number,
    now: number,
  ): Conversation {
    const found = this.table.get(key);
    if (found instanceof Conversation) return found;
    if (found !== undefined) return this.revive(found, key, now);
    // The client sent the SYN; a SYN-ACK seen first was sent by the server.
    const aIsClient = (flags & (SYN | ACK)) !== (SYN | ACK);
    const conv = new Conversation(
      key,
      this.nextStream++,
      src,
      sport,
      endpointLabel(src, sport, version),
      endpointLabel(dst, dport, version),
      aIsClient,
    );
    this.admit(conv, now);
    return conv;
  }

  /** A new connection on the ports of `old` (port reuse): old is retired, the new one takes the key. */
  private replace(
    old: Conversation,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    version: 4 | 6,
    now: number,
  ): Conversation {
    this.retire(old);
    const fromA = sport === old.aPort && src === old.aIp;
    const conv = new Conversation(
      old.key,
      this.nextStream++,
      src,
      sport,
      fromA ? old.a.label : endpointLabel(src, sport, version),
      fromA ? old.b.label : endpointLabel(dst, dport, version),
      true,
    );
    this.admit(conv, now);
    return conv;
  }

  private revive(r: Retired, key: string, now: number): Conversation {
    const conv = new Conversation(key, r.stream, r.aIp, r.aPort, r.aLabel, r.bLabel, r.aIsClient);
    conv.a.baseSeq = r.aBase;
    conv.a.baseSet = (r.baseBits & 1) !== 0;
    conv.b.baseSeq = r.bBase;
    conv.b.baseSet = (r.baseBits & 2) !== 0;
    conv.a.winScale = r.aScale;
    conv.b.winScale = r.bScale;
    conv.iRtt = r.iRtt;
    this.admit(conv, now);
    return conv;
  }

  private admit(conv: Conversation, now: number): void {
    if (this.live.length >= this.maxLive) this.shed(now);
    conv.lastSeen = now;
    conv.liveIndex = this.live.length;
    this.live.push(conv);
    this.table.set(conv.key, conv);
  }

  /** Replaces a live conversation by its retired summary. */
  private retire(conv: Conversation): void {
    const live = this.live;
    const last = live.pop()!;
    if (last !== conv) {
      live[conv.liveIndex] = last;
      last.liveIndex = conv.liveIndex;
    }
    conv.liveIndex = -1;
    const a = conv.a;
    const b = conv.b;
    this.table.set(
      conv.key,
      new Retired(
        conv.stream,
        conv.aIp,
        conv.aPort,
        a.label,
        b.label,
        conv.aIsClient,
        a.baseSeq,
        b.baseSeq,
        (a.baseSet ? 1 : 0) | (b.baseSet ? 2 : 0),
        a.winScale,
        b.winScale,
        conv.iRtt,
      ),
    );
  }

  /** Retires closed connections past the linger time and any connection idle past the timeout. */
  private sweep(now: number): void {
    const live = this.live;
    for (let i = live.length - 1; i >= 0; i--) {
      const c = live[i];
      const idle = now - c.lastSeen;
      if (idle >= this.idleTimeoutNs || (idle >= this.closedLingerNs && isClosed(c))) this.retire(c);
    }
  }

  /** Too many live connections: retire the least recently active quarter. */
  private shed(now: number): void {
    this.sweep(now);
    const live = this.live;
    if (live.length < this.maxLive) return;
    const seen = new Float64Array(live.length);
    for (let i = 0; i < live.length; i++) seen[i] = live[i].lastSeen;
    seen.sort();
    const cutoff = seen[Math.floor(live.length / 4)];
    for (let i = live.length - 1; i >= 0; i--) if (live[i].lastSeen <= cutoff) this.retire(live[i]);
  }
}

function isClosed(c: Conversation): boolean {
  return c.rstSeen || (c.a.finSeen && c.b.finSeen);
}

/** One key for both directions: the endpoints in a fixed order. */
function conversationKey(src: string, sport: number, dst: string, dport: number): string {
  if (src < dst || (src === dst && sport <= dport)) return `${src} ${sport} ${dst} ${dport}`;
  return `${dst} ${dport} ${src} ${sport}`;
}

/** "ip:port", IPv6 in brackets. */
export function endpointLabel(ip: string, port: number, version: 4 | 6): string {
  return version === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function flagList(bits: number): AnalysisFlag[] {
  const out: AnalysisFlag[] = [];
  for (let i = 0; i < FLAG_NAMES.length; i++) if ((bits & (1 << i)) !== 0) out.push(FLAG_NAMES[i]);
  return out;
}
