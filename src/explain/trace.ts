// A packet trace in plain words: what each packet does to its connection, with the sequence
// arithmetic spelled out (the SYN and FIN each consume one number, an ACK names the next byte
// expected), retransmissions with their timing, duplicate ACKs, windows, probes and how the
// connection ends. Works from decoded packets (tcpdump text or a binary capture); the analyzer's
// Wireshark-style flags are used when given, otherwise the explainer's own bookkeeping decides.
import type { PacketAnalysis } from "../core/tcp/types.js";
import { type DecodedPacket, TcpFlag, type TcpHeader } from "../core/types.js";
import { tcpdumpRecordSpans } from "../text/tcpdump.js";
import { bytes, duration, ordinal, plural } from "./format.js";
import type { ExplainedLine } from "./types.js";

export interface ExplainTraceOptions {
  /**
   * Speak in the numbers the trace shows: absolute (tcpdump -S, hand-written traces) or relative
   * to each side's ISN (tcpdump's default, Wireshark). Default relative.
   */
  absoluteSeq?: boolean;
  /** The timestamps are real (false for tcpdump -t text): timing notes only then. Default true. */
  timed?: boolean;
}

const U32 = 0x1_0000_0000;
const u32 = (n: number): number => ((n % U32) + U32) % U32;
function seqDiff(a: number, b: number): number {
  const d = u32(a - b);
  return d >= 0x8000_0000 ? d - U32 : d;
}

interface SentSegment {
  end: number;
  times: number[];
  frames: number[];
}

interface Side {
  label: string;
  role: "client" | "server";
  isn?: number;
  /** Base of the relative numbers: the ISN, else one before the first sequence number seen. */
  base?: number;
  synTimes: number[];
  synFrames: number[];
  /** Highest sequence number sent plus one (SYN and FIN count one). */
  nxt?: number;
  sent: Map<number, SentSegment>;
  /** Sequence gaps seen (data arrived beyond the next expected byte), until filled. */
  holes: { start: number; end: number; frame: number; time: number }[];
  sentOrder: number[];
  lastAck?: number;
  lastWin?: number;
  dupAcks: number;
  mss?: number;
  wscale?: number;
  sackOk: boolean;
  timestamps: boolean;
  zeroWindow: boolean;
  finSeq?: number;
  finFrame?: number;
  finAcked: boolean;
  dataSeen: boolean;
  lastDataTime?: number;
  lastDataFrame?: number;
  /** Bytes this side sent once (highest sequence reached) and resent. */
  bytesSent: number;
  bytesResent: number;
  retransmissions: number;
  /** Ordinary data segments / ACKs explained so far: after a few, the notes get terse. */
  plainData: number;
  plainAcks: number;
  windowFull: number;
  zeroWindowProbes: number[];
  keepaliveProbes: number;
  unansweredProbes: number;
  lastTime?: number;
  windowShown: boolean;
}

interface Conn {
  id: number;
  client: Side;
  server: Side;
  firstFrame: number;
  firstTime: number;
  lastTime: number;
  synAckTime?: number;
  handshakeRtt?: number;
  established: boolean;
  /** Window scaling in force (both SYNs carried wscale). */
  scaling?: boolean;
  awaitingResponse?: { time: number; frame: number; ackedAt?: number };
  reset?: { by: "client" | "server"; frame: number; kind: string };
  refused: boolean;
  icmp: number;
}

function newSide(label: string, role: "client" | "server"): Side {
  return {
    label,
    role,
    synTimes: [],
    synFrames: [],
    sent: new Map(),
    holes: [],
    sentOrder: [],
    dupAcks: 0,
    sackOk: false,
    timestamps: false,
    zeroWindow: false,
    finAcked: false,
    dataSeen: false,
    bytesSent: 0,
    bytesResent: 0,
    retransmissions: 0,
    plainData: 0,
    plainAcks: 0,
    windowFull: 0,
    zeroWindowProbes: [],
    keepaliveProbes: 0,
    unansweredProbes: 0,
    windowShown: false,
  };
}

function endpoint(ip: string, port: number, version: 4 | 6): string {
  return version === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Connections explained in full; later ones (a scan, a flood, churn) get short notes. */
const FULL_CONNECTIONS = 10;

/** Ordinary data segments and ACKs explained in full per side; later ones get a short note. */
const TERSE_AFTER = 3;

/** Remembered data segments per side, for retransmission timing (oldest forgotten first). */
const MAX_SENT = 4096;

/** What explainTrace learns about the connections, for a closing summary. */
export interface TraceSummary {
  connections: ConnOutcome[];
}

export interface ConnOutcome {
  client: string;
  server: string;
  firstFrame: number;
  synCount: number;
  synAckSeen: boolean;
  established: boolean;
  refused: boolean;
  handshakeRtt?: number;
  reset?: { by: "client" | "server"; kind: string };
  /** Sides that sent FIN, the first closer first. */
  finBy: ("client" | "server")[];
  /** The FINs that the other side acknowledged. */
  finAcked: ("client" | "server")[];
  /** Seconds from the first to the last packet. */
  duration: number;
  retransmissions: number;
  dataBytes: { client: number; server: number };
  keepaliveProbes: number;
  unansweredProbes: number;
  icmp: number;
}

function peerOf(c: Conn, side: Side): Side {
  return side === c.client ? c.server : c.client;
}

/** A one-line, tcpdump-like rendering of a packet (for captures explained without their text). */
export function formatPacketLine(p: DecodedPacket): string {
  const ip = p.ip;
  if (!ip) return `frame ${p.frame}: not IP`;
  const t = p.tcp;
  if (!t) {
    if (p.icmp)
      return `${ip.src} > ${ip.dst}: ICMP${ip.version === 6 ? "6" : ""} type ${p.icmp.type} code ${p.icmp.code}`;
    return `${ip.src} > ${ip.dst}: protocol ${ip.protocol}`;
  }
  const f = t.flags;
  let letters = "";
  if (f & TcpFlag.FIN) letters += "F";
  if (f & TcpFlag.SYN) letters += "S";
  if (f & TcpFlag.RST) letters += "R";
  if (f & TcpFlag.PSH) letters += "P";
  if (f & TcpFlag.ACK) letters += ".";
  const parts = [`Flags [${letters || "none"}]`];
  if (t.payloadLen > 0 || f & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
    parts.push(t.payloadLen > 0 ? `seq ${t.seq}:${u32(t.seq + t.payloadLen)}` : `seq ${t.seq}`);
  }
  if (f & TcpFlag.ACK) parts.push(`ack ${t.ack}`);
  parts.push(`win ${t.window}`, `length ${t.payloadLen}`);
  // tcpdump's notation: address.port for both IP versions
  return `${ip.version === 6 ? "IP6" : "IP"} ${ip.src}.${t.srcPort} > ${ip.dst}.${t.dstPort}: ${parts.join(", ")}`;
}

class TraceExplainer {
  private readonly conns = new Map<string, Conn>();
  private readonly order: Conn[] = [];

  constructor(private readonly opts: Required<ExplainTraceOptions>) {}

  summary(): TraceSummary {
    return {
      connections: this.order.map((c) => ({
        client: c.client.label,
        server: c.server.label,
        firstFrame: c.firstFrame,
        synCount: c.client.synTimes.length,
        synAckSeen: c.server.synTimes.length > 0,
        established: c.established,
        refused: c.refused,
        handshakeRtt: c.handshakeRtt,
        reset: c.reset ? { by: c.reset.by, kind: c.reset.kind } : undefined,
        finBy: [c.client, c.server]
          .filter((s) => s.finFrame !== undefined)
          .sort((a, b) => (a.finFrame as number) - (b.finFrame as number))
          .map((s) => s.role),
        finAcked: [c.client, c.server].filter((s) => s.finAcked).map((s) => s.role),
        duration: c.lastTime - c.firstTime,
        retransmissions: c.client.retransmissions + c.server.retransmissions,
        dataBytes: { client: c.client.bytesSent, server: c.server.bytesSent },
        keepaliveProbes: c.client.keepaliveProbes + c.server.keepaliveProbes,
        unansweredProbes: c.client.unansweredProbes + c.server.unansweredProbes,
        icmp: c.icmp,
      })),
    };
  }

  // --- numbers as the reader sees them ---------------------------------------------------------

  private rel(side: Side, v: number): number {
    return side.base === undefined ? v : u32(v - side.base);
  }

  /** A sequence number of `side`'s byte stream, in the trace's own numbering. */
  private num(side: Side, v: number): string {
    if (this.opts.absoluteSeq || side.base === undefined) return `${v}`;
    return `${this.rel(side, v)}`;
  }

  /** Both numberings, for the places where the arithmetic matters. */
  private both(side: Side, v: number): string {
    if (side.base === undefined) return `${v}`;
    return this.opts.absoluteSeq
      ? `${v} (relative ${this.rel(side, v)})`
      : `${this.rel(side, v)} (absolute ${v})`;
  }

  private timed(): boolean {
    return this.opts.timed;
  }

  // --- per packet --------------------------------------------------------------------------------

  explain(p: DecodedPacket, a: PacketAnalysis | undefined): string[] {
    const time = p.tsSec + p.tsNsec / 1e9;
    if (p.icmp) return this.explainIcmp(p);
    const t = p.tcp;
    const ip = p.ip;
    if (!t || !ip) return [];
    const notes: string[] = [];
    const src = endpoint(ip.src, t.srcPort, ip.version);
    const dst = endpoint(ip.dst, t.dstPort, ip.version);
    const key = src < dst ? `${src} ${dst}` : `${dst} ${src}`;
    const f = t.flags;
    const syn = (f & TcpFlag.SYN) !== 0;
    const ackFlag = (f & TcpFlag.ACK) !== 0;
    const fin = (f & TcpFlag.FIN) !== 0;
    const rst = (f & TcpFlag.RST) !== 0;

    let c = this.conns.get(key);
    const newAttempt = c !== undefined && syn && !ackFlag && this.isNewAttempt(c, src, t);
    if (!c || newAttempt) {
      const clientIsSrc = !(syn && ackFlag);
      c = {
        id: this.order.length,
        client: newSide(clientIsSrc ? src : dst, "client"),
        server: newSide(clientIsSrc ? dst : src, "server"),
        firstFrame: p.frame,
        firstTime: time,
        lastTime: time,
        established: false,
        refused: false,
        icmp: 0,
      };
      this.conns.set(key, c);
      this.order.push(c);
      if (newAttempt)
        notes.push("A new SYN with a different initial sequence number: a new connection on the same ports.");
    }
    const me = c.client.label === src ? c.client : c.server;
    const peer = me === c.client ? c.server : c.client;
    const flags = new Set(a?.analysis ?? []);
    const gapConn = time - c.lastTime;

    if (this.timed() && gapConn >= 1 && !syn) {
      notes.push(`${duration(gapConn)} after the previous packet of this connection.`);
    }

    if (syn) this.explainSyn(c, me, peer, t, time, p.frame, notes);
    if (me.base === undefined && !syn) {
      me.base = u32(t.seq - 1);
    }
    if (peer.base === undefined && ackFlag && !syn && peer.isn === undefined) peer.base = u32(t.ack - 1);

    if (rst) {
      this.explainRst(c, me, peer, t, time, p.frame, notes);
    } else {
      if (!syn) this.explainAck(c, me, peer, t, time, flags, a, notes);
      if (t.payloadLen > 0 && !syn) this.explainData(c, me, peer, t, time, p.frame, flags, notes);
      else if (!syn && !fin) this.explainEmpty(me, peer, t, time, flags, notes);
      if (fin) this.explainFin(me, peer, t, p.frame, notes);
      this.explainWindow(c, me, t, flags, notes);
    }

    // bookkeeping after the words (they describe the packet against what came before it)
    const consumed = t.payloadLen + (syn ? 1 : 0) + (fin ? 1 : 0);
    const end = u32(t.seq + consumed);
    if (consumed > 0 && (me.nxt === undefined || seqDiff(end, me.nxt) > 0)) {
      if (me.nxt !== undefined && t.payloadLen > 0)
        me.bytesSent += Math.max(0, seqDiff(end, me.nxt) - (fin ? 1 : 0));
      else if (t.payloadLen > 0) me.bytesSent += t.payloadLen;
      me.nxt = end;
    }
    if (ackFlag) {
      me.lastAck = t.ack;
    }
    me.lastWin = t.window;
    me.lastTime = time;
    c.lastTime = time;
    return notes;
  }

  private isNewAttempt(c: Conn, src: string, t: TcpHeader): boolean {
    if (c.client.label !== src) return true;
    return c.client.isn !== undefined && c.client.isn !== t.seq;
  }

  private optionWords(side: Side, t: TcpHeader): string[] {
    const o = t.options;
    const words: string[] = [];
    if (o.mss !== undefined) {
      side.mss = o.mss;
      const mtu4 = o.mss + 40;
      const hint =
        o.mss === 1460
          ? " (a 1500-byte Ethernet MTU minus 40 bytes of IPv4 and TCP headers)"
          : o.mss === 1440
            ? " (a 1500-byte MTU minus 60 bytes of IPv6 and TCP headers)"
            : o.mss < 1400
              ? ` (a small MTU on its side, about ${mtu4} bytes, or MSS clamping)`
              : "";
      words.push(`MSS ${o.mss}: the largest segment it will accept${hint}`);
    }
    if (o.wscale !== undefined) {
      side.wscale = o.wscale;
      words.push(
        `window scale ${o.wscale}: its later window values count in units of ${2 ** o.wscale} bytes`,
      );
    }
    if (o.sackPermitted) {
      side.sackOk = true;
      words.push("SACK permitted: receivers may report out-of-order blocks so only the gaps are resent");
    }
    if (o.tsVal !== undefined) {
      side.timestamps = true;
      words.push("timestamps (RTT measurement on every ACK, protection against wrapped sequence numbers)");
    }
    if (o.tfo) words.push("TCP Fast Open cookie");
    return words;
  }

  private explainSyn(
    c: Conn,
    me: Side,
    peer: Side,
    t: TcpHeader,
    time: number,
    frame: number,
    notes: string[],
  ): void {
    const ackFlag = (t.flags & TcpFlag.ACK) !== 0;
    const opts = this.optionWords(me, t);
    const repeat = me.synTimes.length > 0 && me.isn === t.seq;
    me.synTimes.push(time);
    me.synFrames.push(frame);
    if (!ackFlag) {
      if (repeat) {
        const n = me.synTimes.length;
        const gap = time - me.synTimes[n - 2];
        const gaps = me.synTimes.slice(1).map((x, i) => x - me.synTimes[i]);
        let words = `SYN sent again (${ordinal(n)} attempt, same ISN ${t.seq})`;
        if (this.timed()) words += ` ${duration(gap)} after the previous one`;
        words += ": nothing came back, no SYN-ACK and no RST.";
        notes.push(words);
        if (this.timed() && gaps.length >= 2) {
          const doubling = gaps.every((g, i) => i === 0 || (g / gaps[i - 1] > 1.6 && g / gaps[i - 1] < 2.5));
          const linear = gaps.every((g) => Math.abs(g - gaps[0]) < 0.25 * gaps[0]);
          notes.push(
            `Intervals so far: ${gaps.map((g) => duration(g)).join(", ")}${
              doubling
                ? " — doubling each time: the kernel's exponential backoff of SYN retransmissions"
                : linear
                  ? " — evenly spaced: Linux retries the first SYNs at a fixed interval (tcp_syn_linear_timeouts) before backing off"
                  : ""
            }. Unanswered SYNs mean the packets are dropped silently on the way or at the server (firewall DROP, routing, host down); a closed port would answer with RST at once.`,
          );
        }
        return;
      }
      me.isn = t.seq;
      me.base = t.seq;
      if (c.id >= FULL_CONNECTIONS) {
        notes.push(`SYN from ${me.label} to ${peer.label}, ISN ${t.seq}.`);
        return;
      }
      notes.push(
        `The ${me.role} ${me.label} opens a connection to ${peer.label} (SYN). Its initial sequence number (ISN) is ${t.seq}; the SYN itself consumes one sequence number, so its first data byte will be ${u32(t.seq + 1)}.`,
      );
      if (opts.length) notes.push(`Options: ${opts.join("; ")}.`);
      notes.push(`Window ${t.window} bytes (never scaled in a SYN).`);
      return;
    }
    // SYN-ACK
    const clientIsn = peer.isn;
    if (repeat) {
      let words = `SYN-ACK sent again (${ordinal(me.synTimes.length)} time)`;
      if (this.timed())
        words += `, ${duration(time - me.synTimes[me.synTimes.length - 2])} after the previous one`;
      words += `: the ${me.role} never received the final ACK of the handshake (lost, or the client is gone or was never there, as with spoofed sources).`;
      notes.push(words);
      return;
    }
    me.isn = t.seq;
    me.base = t.seq;
    c.synAckTime = time;
    if (c.id >= FULL_CONNECTIONS && clientIsn !== undefined && t.ack === u32(clientIsn + 1)) {
      notes.push(`SYN-ACK from ${me.label}, ISN ${t.seq}, ack ${t.ack} = client ISN + 1.`);
      if (peer.wscale !== undefined && me.wscale !== undefined) c.scaling = true;
      return;
    }
    let words = `The ${me.role} ${me.label} accepts (SYN-ACK). Its own ISN is ${t.seq}`;
    if (clientIsn !== undefined && t.ack === u32(clientIsn + 1)) {
      words += `; ack ${t.ack} = the client's ISN ${clientIsn} + 1 confirms the client's SYN, which consumed one sequence number (no data has been exchanged yet).`;
    } else if (clientIsn !== undefined) {
      words += `; but ack ${t.ack} is not the client's ISN + 1 (${u32(clientIsn + 1)}): it answers a different SYN (a stale connection, or a middlebox rewriting numbers).`;
    } else {
      words += `; ack ${t.ack} says the client's SYN carried ISN ${u32(t.ack - 1)} (the SYN consumed one number).`;
      peer.isn = u32(t.ack - 1);
      peer.base = peer.isn;
    }
    notes.push(words);
    if (opts.length) notes.push(`Options: ${opts.join("; ")}.`);
    if (this.timed() && c.client.synTimes.length && time > c.client.synTimes[c.client.synTimes.length - 1]) {
      const lastSyn = c.client.synTimes[c.client.synTimes.length - 1];
      notes.push(
        `${duration(time - lastSyn)} after the SYN: one round trip when the capture was taken at the client, the server's own delay when taken at the server.`,
      );
    }
    const negotiated: string[] = [];
    if (peer.mss !== undefined && me.mss !== undefined) {
      negotiated.push(
        `segments of at most ${Math.min(peer.mss, me.mss)} bytes each way (each side sends at most the other's MSS)`,
      );
    }
    if (peer.wscale !== undefined && me.wscale !== undefined) {
      c.scaling = true;
      negotiated.push(
        `window scaling on (client windows ×${2 ** (c.client.wscale ?? 0)}, server windows ×${2 ** (c.server.wscale ?? 0)})`,
      );
    } else if (c.client.synTimes.length && (c.client.mss !== undefined || me.mss !== undefined)) {
      // only when the SYNs show their options: hand-written traces often leave them out
      c.scaling = false;
      negotiated.push(
        "no window scaling (both SYNs must carry the option): windows stay below 64 KiB, which caps throughput on long paths",
      );
    }
    if (peer.sackOk && me.sackOk) negotiated.push("SACK on");
    else if (peer.sackOk || me.sackOk) negotiated.push("no SACK (only one side offered it)");
    if (peer.timestamps && me.timestamps) negotiated.push("timestamps on");
    if (negotiated.length) notes.push(`Negotiated: ${negotiated.join("; ")}.`);
  }

  private explainAck(
    c: Conn,
    me: Side,
    peer: Side,
    t: TcpHeader,
    time: number,
    flags: Set<string>,
    a: PacketAnalysis | undefined,
    notes: string[],
  ): void {
    if (!(t.flags & TcpFlag.ACK)) return;
    const ack = t.ack;
    // completing the handshake
    if (!c.established && me === c.client && peer.isn !== undefined && ack === u32(peer.isn + 1)) {
      c.established = true;
      if (this.timed() && c.client.synTimes.length)
        c.handshakeRtt = time - c.client.synTimes[c.client.synTimes.length - 1];
      if (c.id >= FULL_CONNECTIONS) {
        notes.push(
          `Handshake complete${c.handshakeRtt !== undefined ? ` (round trip ${duration(c.handshakeRtt)})` : ""}.`,
        );
        return;
      }
      let words = `The client acknowledges the server's SYN: ack ${this.both(peer, ack)} = the server's ISN ${peer.isn} + 1 (its SYN consumed one sequence number). The three-way handshake is complete`;
      words += t.payloadLen > 0 ? "." : "; no data has flowed yet.";
      notes.push(words);
      if (this.timed() && c.client.synTimes.length) {
        const rtt = c.handshakeRtt ?? 0;
        let r = `Handshake round trip (SYN to this ACK): ${duration(rtt)}`;
        if (c.synAckTime !== undefined)
          r += `, of which ${duration(time - c.synAckTime)} between the SYN-ACK and this ACK`;
        notes.push(`${r}.`);
      }
      return;
    }
    if (peer.isn === undefined && peer.base === undefined) return;
    const prevAck = me.lastAck;
    const advanced = prevAck === undefined ? 0 : seqDiff(ack, prevAck);
    const isDup =
      flags.has("duplicate_ack") ||
      (a === undefined &&
        t.payloadLen === 0 &&
        !(t.flags & (TcpFlag.FIN | TcpFlag.SYN)) &&
        prevAck === ack &&
        me.lastWin === t.window &&
        peer.nxt !== undefined &&
        seqDiff(peer.nxt, ack) > 0);
    if (isDup) {
      me.dupAcks = a?.dupAckNum ?? me.dupAcks + 1;
      const n = me.dupAcks;
      const sack = t.options.sack;
      if (n > 3) {
        const edge = sack?.length ? Math.max(...sack.map(([, r]) => this.rel(peer, r))) : undefined;
        const upTo = sack?.length
          ? sack.map(([, r]) => r).find((r) => this.rel(peer, r) === edge)
          : undefined;
        notes.push(
          `Duplicate ACK #${n} for ${this.num(peer, ack)}${upTo !== undefined ? ` (SACK up to ${this.num(peer, u32(upTo - 1))})` : ""}.`,
        );
        return;
      }
      let words = `Duplicate ACK #${n} for ${this.num(peer, ack)}: the ${me.role} still misses the byte at ${this.num(peer, ack)} while later segments keep arriving`;
      if (sack?.length) {
        words += ` (SACK: it already holds ${sack.map(([l, r]) => `${this.num(peer, l)}–${this.num(peer, u32(r - 1))}`).join(", ")})`;
      }
      words +=
        n < 3
          ? `. At 3 duplicates the sender retransmits without waiting for its timer (fast retransmit).`
          : n === 3
            ? ". This is the third: the fast-retransmit threshold is reached, the sender should resend that segment now."
            : ". The sender should already have resent it (fast retransmit at 3).";
      notes.push(words);
      return;
    }
    me.dupAcks = 0;
    if (flags.has("keep_alive_ack") || flags.has("zero_window_probe_ack")) return; // said in explainEmpty
    if (prevAck !== undefined && advanced <= 0 && t.payloadLen > 0) {
      // data with an unchanged ack: worth saying once, while the peer has sent nothing but its SYN
      if (!me.dataSeen && peer.isn !== undefined && ack === u32(peer.isn + 1)) {
        notes.push(
          `ack ${this.num(peer, ack)} is still the ${peer.role}'s ISN + 1: it confirms the ${peer.role}'s SYN, and the ${peer.role} has sent no data yet.`,
        );
      }
      return;
    }
    if (prevAck !== undefined && advanced <= 0) return;
    const rel = this.num(peer, ack);
    const finCovered = peer.finSeq !== undefined && ack === u32(peer.finSeq + 1);
    if (!finCovered && me.plainAcks++ >= TERSE_AFTER && prevAck !== undefined) {
      notes.push(`ack ${rel} (+${advanced}).`);
      return;
    }
    let words = `ack ${rel}: everything the ${peer.role} sent before ${rel} has arrived; the next byte expected is ${rel}`;
    if (finCovered) {
      words += ` — this also acknowledges the ${peer.role}'s FIN (which consumed sequence number ${this.num(peer, peer.finSeq as number)})`;
      peer.finAcked = true;
    } else if (advanced > 0 && prevAck !== undefined) {
      words += ` (${bytes(advanced)} newly acknowledged)`;
    }
    if (a?.ackRtt !== undefined && this.timed() && !finCovered)
      words += `, ${duration(a.ackRtt)} after they were sent`;
    notes.push(`${words}.`);
    if (finCovered && peer.finAcked && me.finAcked) {
      const first =
        c.client.finFrame !== undefined && c.server.finFrame !== undefined
          ? c.client.finFrame < c.server.finFrame
            ? c.client
            : c.server
          : undefined;
      notes.push(
        `Both FINs are acknowledged: the connection is closed in an orderly way.${
          first
            ? ` The ${first.role}, which closed first, keeps the connection in TIME-WAIT for 60 s (Linux) to absorb late packets.`
            : ""
        }`,
      );
    }
    if (
      c.awaitingResponse &&
      me === c.server &&
      t.payloadLen === 0 &&
      c.awaitingResponse.ackedAt === undefined
    ) {
      c.awaitingResponse.ackedAt = time;
    }
  }

  private explainData(
    c: Conn,
    me: Side,
    peer: Side,
    t: TcpHeader,
    time: number,
    frame: number,
    flags: Set<string>,
    notes: string[],
  ): void {
    const len = t.payloadLen;
    const first = t.seq;
    const last = u32(t.seq + len - 1);
    const next = u32(t.seq + len);
    const prior = me.sent.get(first);
    const behind = me.nxt !== undefined && seqDiff(me.nxt, first) > 0;
    const ahead = me.nxt !== undefined && seqDiff(first, me.nxt) > 0;
    const peerZero = peer.zeroWindow;

    // keepalive with one garbage byte / zero-window probe with one byte
    if (len === 1 && me.nxt !== undefined && first === u32(me.nxt - 1) && !flags.has("retransmission")) {
      if (peerZero || flags.has("zero_window_probe")) {
        notes.push(
          `Zero-window probe: one byte at ${this.num(me, first)} to see whether the ${peer.role}'s window has opened; the ${peer.role} answers with its current window.`,
        );
      } else {
        me.keepaliveProbes++;
        notes.push(
          `Keepalive probe: sequence ${this.num(me, first)} = next − 1 with one byte the peer already has, sent after a quiet period; the ${peer.role} must answer with an ACK if it is alive.`,
        );
      }
      this.remember(me, first, next, time, frame);
      return;
    }

    const range = `${this.num(me, first)}–${this.num(me, last)}`;
    const hole = !prior && behind ? this.takeHole(me, first, next) : undefined;
    const labelledRetrans =
      flags.has("retransmission") || flags.has("fast_retransmission") || flags.has("spurious_retransmission");
    if (hole) {
      // Bytes never seen before fill a gap: they were delayed (reordering), or their first copy
      // was lost before the capture point and this is the resend. A resend needs the receiver's
      // duplicate ACKs to reach the sender and the copy to come back: at least one round trip
      // after the gap showed up. Anything sooner was only late.
      const late = time - hole.time;
      const rtt = c.handshakeRtt;
      const judged = this.timed() && rtt !== undefined;
      const reordered = judged ? late < 0.9 * rtt : !labelledRetrans;
      let words = `Out of order: bytes ${range} fill the gap first noticed at frame ${hole.frame}${this.timed() ? `, ${duration(late)} later` : ""}. `;
      if (reordered) {
        words += judged
          ? `That is less than one round trip (${duration(rtt)}), too soon for a retransmission: the path delivered them late (reordering), nothing was lost.`
          : "Never seen here before: most likely delivered late by the path (reordering).";
        if (labelledRetrans) words += " (Sequence analysis alone labels it a retransmission.)";
      } else {
        me.retransmissions++;
        me.bytesResent += len;
        words += judged
          ? `More than a round trip later: most likely the first copy was lost before this capture point and this is its retransmission.`
          : "Labelled a retransmission: the first copy was most likely lost before this capture point.";
      }
      notes.push(words);
      me.dataSeen = true;
      this.remember(me, first, next, time, frame);
      return;
    }
    if (behind || prior || labelledRetrans) {
      me.retransmissions++;
      me.bytesResent += len;
      const kind = flags.has("spurious_retransmission")
        ? "Spurious retransmission"
        : flags.has("fast_retransmission")
          ? "Fast retransmission"
          : "Retransmission";
      let words = `${kind} of bytes ${range} (${bytes(len)})`;
      if (prior) {
        const sends = prior.times.length;
        words += `, ${sends === 1 ? "first sent" : `sent ${plural(sends, "time")} before, first`} in frame ${prior.frames[0]}`;
        if (this.timed()) words += `, ${duration(time - prior.times[sends - 1])} after the last send`;
      } else if (behind) {
        words += ", sequence space the sender had already gone past";
      }
      words += ".";
      if (kind === "Spurious retransmission") {
        words +=
          " The receiver had already acknowledged these bytes: the original was not lost (delayed ACK or reordering made the sender give up too early).";
      } else if (kind === "Fast retransmission" || (peer.dupAcks >= 3 && peer.lastAck === first)) {
        words += ` Triggered by ${peer.dupAcks >= 3 ? plural(peer.dupAcks, "duplicate ACK") : "duplicate ACKs"} from the ${peer.role} (threshold 3), not by a timeout: the segment was lost and the rest of the flight arrived.`;
      } else if (prior && this.timed()) {
        const gaps = prior.times.slice(1).map((x, i) => x - prior.times[i]);
        gaps.push(time - prior.times[prior.times.length - 1]);
        if (gaps.length >= 2) {
          const doubling = gaps.every((g, i) => i === 0 || g / gaps[i - 1] > 1.6);
          words += ` Intervals between sends: ${gaps.map((g) => duration(g)).join(", ")}${
            doubling
              ? " — doubling each time: the retransmission timer (RTO) backing off exponentially; nothing from this flight is getting through"
              : ""
          }.`;
        } else if (gaps[0] >= 0.2) {
          words += ` No acknowledgment for ${duration(gaps[0])}: the retransmission timer (RTO, at least 200 ms on Linux) expired.`;
        } else {
          words += " Resent quickly after the original: loss recovery (SACK/RACK or a tail-loss probe).";
        }
      }
      if (
        prior &&
        t.payloadLen >= 1000 &&
        me.mss !== undefined &&
        len >= Math.min(me.mss, peer.mss ?? me.mss) - 100
      ) {
        const resends = prior.times.length;
        if (resends >= 2 && !c.icmp)
          words +=
            " The same full-size segment keeps being resent while smaller ones get through: typical of a path-MTU black hole (a smaller MTU on the path and its ICMP 'fragmentation needed' filtered).";
      }
      notes.push(words);
    } else if (ahead) {
      const gap = seqDiff(first, me.nxt as number);
      me.holes.push({ start: me.nxt as number, end: first, frame, time });
      if (me.holes.length > 64) me.holes.shift();
      notes.push(
        `${bytes(len)} of data, bytes ${range}; but the ${me.role}'s previous data ended at ${this.num(me, u32((me.nxt as number) - 1))}: ${bytes(gap)} in between were not seen here (lost before this capture point, or reordered).`,
      );
    } else if (me.plainData++ >= TERSE_AFTER && me.dataSeen) {
      notes.push(`${bytes(len)}, ${range}.`);
      if (this.timed()) this.thinkTime(c, me, time, frame, notes);
    } else {
      let words = `${this.cap(me.role)} sends ${bytes(len)} of data, bytes ${range}; the next byte will be ${this.num(me, next)}.`;
      if (!me.dataSeen && me.isn !== undefined && first === u32(me.isn + 1)) {
        words += ` This is the ${me.role}'s first data (a new write, not a retransmission): it starts at ISN + 1 = ${this.both(me, first)} because the SYN consumed sequence number ${me.isn}; there is no reserved data byte.`;
      }
      if (t.flags & TcpFlag.PSH)
        words += " PSH: the end of one application write, to be handed to the reading application now.";
      notes.push(words);
      // request / response timing
      if (this.timed()) this.thinkTime(c, me, time, frame, notes);
    }
    me.dataSeen = true;
    me.lastDataTime = time;
    me.lastDataFrame = frame;
    this.remember(me, first, next, time, frame);
  }

  /** The recorded gap that [first, next) falls into, removed (or trimmed) from the list. */
  private takeHole(me: Side, first: number, next: number): { frame: number; time: number } | undefined {
    for (let i = 0; i < me.holes.length; i++) {
      const h = me.holes[i];
      if (seqDiff(first, h.start) >= 0 && seqDiff(h.end, next) >= 0) {
        if (first === h.start && next === h.end) me.holes.splice(i, 1);
        else if (first === h.start) h.start = next;
        else if (next === h.end) h.end = first;
        return { frame: h.frame, time: h.time };
      }
    }
    return undefined;
  }

  private cap(s: string): string {
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  private thinkTime(c: Conn, me: Side, time: number, frame: number, notes: string[]): void {
    if (me === c.client) {
      c.awaitingResponse = { time, frame };
      return;
    }
    const w = c.awaitingResponse;
    if (!w) return;
    c.awaitingResponse = undefined;
    const gap = time - w.time;
    const rtt = c.handshakeRtt;
    if (gap < 0.05 && (rtt === undefined || gap < 3 * rtt + 0.005)) return;
    let words = `First response byte ${duration(gap)} after the request's last byte (frame ${w.frame})`;
    if (w.ackedAt !== undefined) {
      words += `; the server had acknowledged the request after ${duration(w.ackedAt - w.time)}`;
    }
    if (rtt !== undefined) {
      const think = gap - rtt;
      words += `. The network round trip is about ${duration(rtt)}, so about ${duration(Math.max(0, think))} was spent inside the server application (think time), not on the network.`;
    } else {
      words += ": time spent by the server before answering.";
    }
    notes.push(words);
  }

  private remember(me: Side, first: number, next: number, time: number, frame: number): void {
    const prior = me.sent.get(first);
    if (prior) {
      prior.times.push(time);
      prior.frames.push(frame);
      return;
    }
    me.sent.set(first, { end: next, times: [time], frames: [frame] });
    me.sentOrder.push(first);
    if (me.sentOrder.length > MAX_SENT) {
      const old = me.sentOrder.shift() as number;
      me.sent.delete(old);
    }
  }

  /** Zero-length segments without SYN/FIN/RST: pure ACKs, keepalives, zero-window probes. */
  private explainEmpty(
    me: Side,
    peer: Side,
    t: TcpHeader,
    time: number,
    flags: Set<string>,
    notes: string[],
  ): void {
    const probeSeq = me.nxt !== undefined && t.seq === u32(me.nxt - 1);
    const quiet = me.lastTime === undefined || time - me.lastTime >= 0.2 || !this.timed();
    if (flags.has("keep_alive") || flags.has("zero_window_probe") || (probeSeq && quiet && !flags.size)) {
      if (peer.zeroWindow || flags.has("zero_window_probe")) {
        me.zeroWindowProbes.push(time);
        const n = me.zeroWindowProbes.length;
        if (n === 1) {
          notes.push(
            `Zero-window probe: sequence ${this.num(me, t.seq)} = next − 1 with no data, asking whether the ${peer.role}'s window has opened (Linux probes this way, backing off like a retransmission timer).`,
          );
        } else {
          const gaps = me.zeroWindowProbes.slice(1).map((x, i) => x - me.zeroWindowProbes[i]);
          notes.push(
            `Zero-window probe #${n}${this.timed() ? `; intervals ${gaps.map((g) => duration(g)).join(", ")}` : ""}: the ${peer.role} still advertises no room.`,
          );
        }
      } else {
        me.keepaliveProbes++;
        me.unansweredProbes++;
        let words = `Keepalive probe: sequence ${this.num(me, t.seq)} = next − 1 with no data`;
        if (this.timed() && me.lastTime !== undefined)
          words += `, sent after ${duration(time - me.lastTime)} of silence from this side`;
        words += `; the ${peer.role} must answer with an ACK if it is still there.`;
        if (me.unansweredProbes >= 2)
          words += ` ${plural(me.unansweredProbes, "probe")} in a row without an answer so far.`;
        notes.push(words);
      }
      return;
    }
    if (flags.has("keep_alive_ack") || (peer.unansweredProbes > 0 && t.flags & TcpFlag.ACK)) {
      if (peer.unansweredProbes > 0) {
        peer.unansweredProbes = 0;
        notes.push(`Answers the keepalive probe: the ${me.role} is alive and the path works.`);
        return;
      }
    }
    if (flags.has("zero_window_probe_ack"))
      notes.push("Answers the zero-window probe with the current window.");
  }

  private explainWindow(c: Conn, me: Side, t: TcpHeader, flags: Set<string>, notes: string[]): void {
    if (t.flags & (TcpFlag.SYN | TcpFlag.RST)) return;
    const scale = c.scaling ? 2 ** (me.wscale ?? 0) : 1;
    const win = t.window * scale;
    if (t.window === 0) {
      if (!me.zeroWindow) {
        notes.push(
          `Zero window: the ${me.role}'s receive buffer is full because its application is not reading fast enough. The ${me.role === "client" ? "server" : "client"} must stop sending and probe until the window opens.`,
        );
      }
      me.zeroWindow = true;
      return;
    }
    if (me.zeroWindow) {
      me.zeroWindow = false;
      peerOf(c, me).zeroWindowProbes = [];
      notes.push(
        `Window update: the window opens again (${bytes(win)}); the application read data and the sender may resume.`,
      );
      return;
    }
    if (!me.windowShown && c.established && t.flags & TcpFlag.ACK) {
      me.windowShown = true;
      if (c.scaling && scale > 1) {
        notes.push(
          `Window ${t.window} × ${scale} (its window scale) = ${bytes(win)} the ${me.role} can receive.`,
        );
      }
    }
    if (flags.has("window_full")) {
      notes.push(
        me.windowFull++ === 0
          ? "This segment fills the receiver's advertised window: the sender has to wait for ACKs before sending more."
          : "Fills the receiver's window again.",
      );
    }
  }

  private explainFin(me: Side, peer: Side, t: TcpHeader, frame: number, notes: string[]): void {
    const finSeq = u32(t.seq + t.payloadLen);
    const again = me.finSeq === finSeq;
    me.finSeq = finSeq;
    if (me.finFrame === undefined) me.finFrame = frame;
    if (again) {
      notes.push(`FIN sent again: the ${peer.role} has not acknowledged it yet.`);
      return;
    }
    if (peer.finSeq !== undefined) {
      notes.push(
        `The ${me.role} closes its side too (FIN at ${this.num(me, finSeq)}, consuming one sequence number): both directions are now closing — an orderly shutdown.`,
      );
    } else {
      notes.push(
        `The ${me.role} ${me.label} has no more data to send and closes its sending direction (FIN at ${this.num(me, finSeq)}, which consumes one sequence number). It can still receive until the ${peer.role} closes too.`,
      );
    }
  }

  private explainRst(
    c: Conn,
    me: Side,
    peer: Side,
    t: TcpHeader,
    time: number,
    frame: number,
    notes: string[],
  ): void {
    const synOnly =
      peer.synTimes.length > 0 && !c.established && me.synTimes.length === 0 && peer === c.client;
    if (synOnly) {
      c.refused = true;
      c.reset = { by: me.role, frame, kind: "refused" };
      notes.push(
        `RST in answer to the SYN: ${me.label} refuses the connection. The host is reachable, but nothing listens on port ${t.srcPort} there (or a firewall rule rejects with a reset). The client's connect() fails at once with ECONNREFUSED; this is not a timeout or a network fault.`,
      );
      return;
    }
    if (!c.established && me === c.client && me.synTimes.length > 0 && peer.synTimes.length > 0) {
      c.reset = { by: me.role, frame, kind: "handshake" };
      notes.push(
        "RST from the client during the handshake: it did not expect this SYN-ACK (it gave up on the attempt already, or the SYN was not its own).",
      );
      return;
    }
    const unansweredProbes = me.unansweredProbes;
    if (unansweredProbes >= 2) {
      c.reset = { by: me.role, frame, kind: "keepalive" };
      notes.push(
        `RST after ${plural(unansweredProbes, "unanswered keepalive probe")}: the ${me.role}'s kernel concluded the ${peer.role} is gone (dead host, or the path dropped everything) and aborted the connection; its application gets ETIMEDOUT.`,
      );
      return;
    }
    const closed = me.finSeq !== undefined && peer.finSeq !== undefined;
    if (closed) {
      c.reset = { by: me.role, frame, kind: "after-close" };
      notes.push(
        `RST after both FINs: a late segment reached a socket that is already fully closed; harmless at this point.`,
      );
      return;
    }
    const inFlightMine =
      me.nxt !== undefined && peer.lastAck !== undefined ? seqDiff(me.nxt, peer.lastAck) : 0;
    const ackNow = t.flags & TcpFlag.ACK ? t.ack : me.lastAck;
    const inFlightPeer = peer.nxt !== undefined && ackNow !== undefined ? seqDiff(peer.nxt, ackNow) : 0;
    c.reset = { by: me.role, frame, kind: "abort" };
    let words = `The ${me.role} ${me.label} aborts the connection (RST): no orderly close, data still in flight or unread is thrown away, and the ${peer.role}'s application gets ECONNRESET ("connection reset by peer")`;
    if (me.finSeq !== undefined)
      words += `; it had sent FIN before, so the reset means data arrived after it closed`;
    words += ".";
    if (inFlightPeer > 0)
      words += ` The ${peer.role} still had ${bytes(inFlightPeer)} unacknowledged when the reset came.`;
    else if (inFlightMine > 0) words += ` ${bytes(inFlightMine)} this side sent were still unacknowledged.`;
    words +=
      me === c.client
        ? " A client reset mid-transfer usually means the client application gave up (cancelled request, its own timeout) or closed with unread data (or SO_LINGER 0)."
        : " A server reset mid-connection usually means the server application closed with unread data or SO_LINGER 0, crashed, or a middlebox timed the connection out.";
    if (this.timed() && me.lastTime !== undefined && time - me.lastTime > 30) {
      words += ` It comes after ${duration(time - me.lastTime)} of idle time: typical of an idle timeout (load balancer, NAT, firewall).`;
    }
    notes.push(words);
  }

  private explainIcmp(p: DecodedPacket): string[] {
    const i = p.icmp;
    const ip = p.ip;
    if (!i || !ip) return [];
    const inner = i.inner;
    let conn: Conn | undefined;
    if (inner?.srcPort !== undefined && inner.dstPort !== undefined) {
      const s = endpoint(inner.src, inner.srcPort, i.version);
      const d = endpoint(inner.dst, inner.dstPort, i.version);
      conn = this.conns.get(s < d ? `${s} ${d}` : `${d} ${s}`);
      if (conn) conn.icmp++;
    }
    const about = inner
      ? ` about a packet from ${inner.srcPort !== undefined ? endpoint(inner.src, inner.srcPort, i.version) : inner.src} to ${
          inner.dstPort !== undefined ? endpoint(inner.dst, inner.dstPort, i.version) : inner.dst
        }`
      : "";
    const seq = inner?.seq !== undefined ? ` (sequence ${inner.seq})` : "";
    if (i.kind === "frag-needed" || i.kind === "packet-too-big") {
      const mtu = i.mtu;
      const mss = mtu !== undefined ? mtu - (i.version === 6 ? 60 : 40) : undefined;
      return [
        `${i.kind === "frag-needed" ? "ICMP 'fragmentation needed'" : "ICMPv6 'packet too big'"} from ${ip.src}${about}${seq}: the packet was larger than the next hop's MTU${
          mtu !== undefined ? ` of ${mtu} bytes` : ""
        }${i.version === 4 ? " and had Don't Fragment set" : ""}, so the router dropped it. This is path-MTU discovery working: the sender should now send segments of at most ${
          mss !== undefined ? `${mss} bytes` : "the new MTU minus headers"
        } and resend the lost ones. If such messages are filtered, large segments vanish silently (a PMTU black hole).`,
      ];
    }
    if (i.kind === "unreachable") {
      const what =
        i.version === 4
          ? (
              {
                0: "network unreachable",
                1: "host unreachable",
                2: "protocol unreachable",
                3: "port unreachable",
                9: "network administratively prohibited",
                10: "host administratively prohibited",
                13: "communication administratively prohibited (a firewall rule rejects it)",
              } as Record<number, string>
            )[i.code]
          : (
              {
                0: "no route to the destination",
                1: "administratively prohibited (a firewall rule rejects it)",
                3: "address unreachable (no neighbour answers)",
                4: "port unreachable",
              } as Record<number, string>
            )[i.code];
      return [
        `ICMP destination unreachable (${what ?? `code ${i.code}`}) from ${ip.src}${about}: the packet could not be delivered; the sender's connect() or send fails with an error such as EHOSTUNREACH or ECONNREFUSED instead of waiting for a timeout.`,
      ];
    }
    if (i.kind === "time-exceeded") {
      return [
        `ICMP time exceeded from ${ip.src}${about}: the packet's TTL ran out on the way — a routing loop, or a traceroute probe.`,
      ];
    }
    return [`ICMP error type ${i.type} code ${i.code} from ${ip.src}${about}.`];
  }
}

/** The line of a tcpdump record that carries the packet (the TCP/ICMP line of a -v record). */
function packetLineIndex(lines: string[], first: number, last: number): number {
  for (let i = first; i <= last && i < lines.length; i++) {
    if (/\s>\s\S+:\s/.test(lines[i])) return i;
  }
  return first;
}

/**
 * Explains every packet of a trace in plain words. `lines` are the original text lines the
 * packets were parsed from (tcpdump text, frames numbered as parseTcpdump numbers them); with no
 * lines, each packet gets a rendered line of its own. `analyses` are the TcpAnalyzer rows of the
 * same packets, when available.
 */
export function explainTrace(
  packets: DecodedPacket[],
  lines: string[],
  analyses?: PacketAnalysis[],
  opts?: ExplainTraceOptions,
): ExplainedLine[] {
  return explainTraceWithSummary(packets, lines, analyses, opts).lines;
}

/** explainTrace plus what was learnt about each connection. */
export function explainTraceWithSummary(
  packets: DecodedPacket[],
  lines: string[],
  analyses?: PacketAnalysis[],
  opts?: ExplainTraceOptions,
): { lines: ExplainedLine[]; summary: TraceSummary } {
  const explainer = new TraceExplainer({
    absoluteSeq: opts?.absoluteSeq ?? false,
    timed: opts?.timed ?? true,
  });
  const byFrame = new Map<number, PacketAnalysis>();
  for (const a of analyses ?? []) byFrame.set(a.frame, a);

  if (lines.length === 0) {
    const out = packets.map((p) => ({
      line: p.frame,
      text: formatPacketLine(p),
      notes: explainer.explain(p, byFrame.get(p.frame)),
    }));
    return { lines: out, summary: explainer.summary() };
  }

  const out: ExplainedLine[] = lines.map((text, i) => ({ line: i + 1, text, notes: [] }));
  const spans = tcpdumpRecordSpans(lines.join("\n"));
  const lineOfFrame = new Map<number, number>();
  for (const s of spans) lineOfFrame.set(s.frame, packetLineIndex(lines, s.firstLine - 1, s.lastLine - 1));
  for (const p of packets) {
    const notes = explainer.explain(p, byFrame.get(p.frame));
    const idx = lineOfFrame.get(p.frame);
    if (idx !== undefined && out[idx]) out[idx].notes.push(...notes);
    else out.push({ line: out.length + 1, text: formatPacketLine(p), notes });
  }
  return { lines: out, summary: explainer.summary() };
}
