// Capture-wide facts: how complete and trustworthy the capture itself is (snaplen cuts,
// mirrored duplicates, one-sided or handshake-less connections, segments the sniffer missed,
// ICMP errors about connections we never saw). Folded packet by packet and connection by
// connection; pure.

import type { CaptureFacts } from "../../rules/types.js";
import type { DecodedPacket, IcmpError, PacketRecord } from "../types.js";
import { TcpFlag } from "../types.js";
import { nsBetween } from "../time.js";
import type { ConnectionSummary } from "./types.js";

export interface CaptureFileFacts {
  path: string;
  format: string;
  linkTypes: number[];
  snaplen?: number;
  droppedByInterface?: number;
  droppedByKernel?: number;
  truncatedAt?: number;
  packets: number;
}

export interface CaptureFactsOptions {
  fromText?: boolean;
  /**
   * Two identical IP packets this close in time count as one duplicated frame (port mirroring,
   * capturing on several interfaces). Default 100 µs: mirrored copies arrive within microseconds,
   * while a sender's own repeats are usually a timer tick apart and differ in IPv4 id or TCP
   * timestamp.
   */
  duplicateWindowSec?: number;
  /**
   * The window for SYN and RST segments, which a stack legitimately sends twice byte for byte
   * within a millisecond: a SYN-ACK retransmitted by its timer and the answer to a retransmitted
   * SYN (IPv4 id 0, same timestamp tick), or resets answering two segments. Default 10 µs.
   */
  controlDuplicateWindowSec?: number;
}

const DEFAULT_DUPLICATE_WINDOW_SEC = 100e-6;
const DEFAULT_CONTROL_DUPLICATE_WINDOW_SEC = 10e-6;

/**
 * The duplicate window holds at most this many packets, oldest dropped first: a capture whose
 * timestamps stand still (all zero, or a coarse clock) must not keep every packet alive.
 */
const MAX_RECENT_PACKETS = 8192;

/** At most this many unmatched ICMP errors are listed; the capture's first ones are the telling ones. */
const MAX_UNMATCHED_ICMP = 1000;

const FNV_PRIME = 0x01000193;

/**
 * Bucket of an IP packet for duplicate detection: a 30-bit hash (a small integer, so the table
 * lookup allocates nothing) of the header fields a sender changes between two of its own
 * packets. Packets in the same bucket are then compared field by field (samePacket) and byte
 * for byte (sameBytes), so a collision never makes a duplicate.
 */
function bucketOf(pkt: DecodedPacket): number {
  const ip = pkt.ip!;
  let h = Math.imul(ip.totalLen ^ (ip.ttl << 16), FNV_PRIME) ^ (ip.id ?? 0xfffff);
  h = Math.imul(h ^ pkt.origLen, FNV_PRIME);
  const tcp = pkt.tcp;
  if (tcp) {
    h = Math.imul(h ^ ((tcp.srcPort << 16) | tcp.dstPort), FNV_PRIME);
    h = Math.imul(h ^ tcp.seq, FNV_PRIME);
    h = Math.imul(h ^ tcp.ack, FNV_PRIME);
    h = Math.imul(h ^ ((tcp.flags << 16) ^ tcp.window), FNV_PRIME);
    h = Math.imul(h ^ tcp.payloadLen, FNV_PRIME);
    const ts = tcp.options.tsVal;
    if (ts !== undefined) h = Math.imul(h ^ ts, FNV_PRIME);
  } else if (pkt.icmp) {
    h = Math.imul(h ^ ((pkt.icmp.type << 8) | pkt.icmp.code), FNV_PRIME);
    h = Math.imul(h ^ (pkt.icmp.inner?.seq ?? 0), FNV_PRIME);
  }
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

function sameSack(a: [number, number][] | undefined, b: [number, number][] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}

/** Two IP packets carry the same headers: every field a sender changes between its own packets. */
function samePacket(p: DecodedPacket, q: DecodedPacket): boolean {
  const a = p.ip!;
  const b = q.ip!;
  if (
    a.version !== b.version ||
    a.protocol !== b.protocol ||
    a.totalLen !== b.totalLen ||
    a.id !== b.id ||
    a.ttl !== b.ttl ||
    p.origLen !== q.origLen ||
    a.src !== b.src ||
    a.dst !== b.dst
  ) {
    return false;
  }
  const s = p.tcp;
  const t = q.tcp;
  if (s !== undefined || t !== undefined) {
    return (
      s !== undefined &&
      t !== undefined &&
      s.srcPort === t.srcPort &&
      s.dstPort === t.dstPort &&
      s.seq === t.seq &&
      s.ack === t.ack &&
      s.flags === t.flags &&
      s.window === t.window &&
      s.payloadLen === t.payloadLen &&
      s.options.tsVal === t.options.tsVal &&
      s.options.tsEcr === t.options.tsEcr &&
      sameSack(s.options.sack, t.options.sack)
    );
  }
  const i = p.icmp;
  const j = q.icmp;
  if (i === undefined || j === undefined) return i === j;
  return (
    i.type === j.type &&
    i.code === j.code &&
    i.inner?.srcPort === j.inner?.srcPort &&
    i.inner?.dstPort === j.inner?.dstPort &&
    i.inner?.seq === j.inner?.seq
  );
}

/** A copy of what samePacket reads of a packet, for keeping past the caller's use of it. */
function headersOf(pkt: DecodedPacket): DecodedPacket {
  const tcp = pkt.tcp;
  const icmp = pkt.icmp;
  return {
    ...pkt,
    ip: pkt.ip && { ...pkt.ip },
    tcp: tcp && { ...tcp, options: { ...tcp.options } },
    icmp: icmp && { ...icmp, inner: icmp.inner && { ...icmp.inner } },
  };
}

/**
 * Where the captured IP bytes of a TCP packet start within its record (they end with the
 * record's captured bytes); -1 without a record.
 */
function ipBytesFrom(pkt: DecodedPacket, rec: PacketRecord | undefined): number {
  const tcp = pkt.tcp;
  if (!rec || !tcp || tcp.payloadOffset <= 0) return -1;
  const from = tcp.payloadOffset - tcp.headerLen - pkt.ip!.headerLen - rec.start;
  return from >= 0 && from < recordEnd(rec) - rec.start ? from : -1;
}

/** End of a record's captured bytes in `bytes`. */
function recordEnd(rec: PacketRecord): number {
  return Math.min(rec.bytes.length, rec.start + rec.capLen);
}

function sameBytes(
  a: Uint8Array,
  aFrom: number,
  aTo: number,
  b: Uint8Array,
  bFrom: number,
  bTo: number,
): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  // From the end: payload bytes differ sooner than the headers, which matched already.
  for (let i = aTo - aFrom - 1; i >= 0; i--) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}

/**
 * Positions are renumbered from 0 before they reach this, so that they stay small integers and
 * a position's slot is a mask (`pos & mask`), not a division: the ring is touched for every packet.
 */
const RENUMBER_AT = 2 ** 30;

/**
 * Packets of the last duplicate window in arrival order, as a growable ring of parallel arrays:
 * their time, bucket, original length, and captured IP bytes (the buffer holding the record,
 * until detachBytes() copies them, held only while in the window) with where those began in the
 * record; for a packet without bytes (ICMP, tcpdump text), a copy of its decoded headers instead
 * (the caller's packet object may be refilled for the next packet). A table from bucket to the
 * newest position in it, and a link from each position to the previous one of its table slot,
 * find the packets of a bucket; positions older than `head` have left the window, so nothing is
 * ever deleted from the table.
 */
export class RecentPackets {
  /** A power of two, as is the table's length. */
  capacity = 1024;
  mask = this.capacity - 1;
  /** Positions: entries [head, tail) are in the window. */
  head = 0;
  tail = 0;
  at = new Float64Array(this.capacity);
  key = new Int32Array(this.capacity);
  prev = new Int32Array(this.capacity);
  origLen = new Int32Array(this.capacity);
  ipAt = new Int32Array(this.capacity);
  packet: (DecodedPacket | undefined)[] = new Array(this.capacity).fill(undefined);
  data: (Uint8Array | undefined)[] = new Array(this.capacity).fill(undefined);
  from = new Int32Array(this.capacity);
  to = new Int32Array(this.capacity);
  /** 1 where `data` is a copy of our own rather than the buffer holding the caller's record. */
  owned = new Uint8Array(this.capacity);
  /** Newest position per table slot (-1: none). */
  table = new Int32Array(2 * this.capacity).fill(-1);

  /** `renumberAt`: the position at which positions start again from 0 (lower only in tests). */
  constructor(private readonly renumberAt = RENUMBER_AT) {}

  /** Newest position of a bucket's table slot, or -1 (follow `prev` for older ones). */
  newest(key: number): number {
    return this.table[key & (this.table.length - 1)];
  }

  /** Forgets the entries older than `cutoff` (times are in arrival order). */
  expire(cutoff: number): void {
    while (this.head < this.tail && this.at[this.head & this.mask] < cutoff) this.dropOldest();
  }

  /** Lets go of the oldest entry. */
  private dropOldest(): void {
    const i = this.head & this.mask;
    this.packet[i] = undefined;
    this.data[i] = undefined;
    this.head++;
  }

  /** Copies the bytes still viewed in callers' records, which may be overwritten after this. */
  detachBytes(): void {
    for (let pos = this.head; pos < this.tail; pos++) {
      const i = pos & this.mask;
      const data = this.data[i];
      if (data === undefined || this.owned[i] === 1) continue;
      this.data[i] = data.slice(this.from[i], this.to[i]);
      this.to[i] -= this.from[i];
      this.from[i] = 0;
      this.owned[i] = 1;
    }
  }

  push(
    at: number,
    key: number,
    packet: DecodedPacket,
    ipAt: number,
    data: Uint8Array | undefined,
    from: number,
    to: number,
  ): void {
    if (this.tail - this.head >= MAX_RECENT_PACKETS) this.dropOldest();
    if (this.tail - this.head === this.capacity) this.rebuild(this.capacity * 2, 0);
    else if (this.tail >= this.renumberAt) this.rebuild(this.capacity, this.head);
    const pos = this.tail++;
    const i = pos & this.mask;
    const slot = key & (this.table.length - 1);
    this.at[i] = at;
    this.key[i] = key;
    this.prev[i] = this.table[slot];
    this.table[slot] = pos;
    this.origLen[i] = packet.origLen;
    this.ipAt[i] = ipAt;
    // Bytes stand for the headers; without them, the headers are copied.
    this.packet[i] = data === undefined ? headersOf(packet) : undefined;
    this.data[i] = data;
    this.from[i] = from;
    this.to[i] = to;
    this.owned[i] = 0;
  }

  /** The live entries moved into arrays of `cap` entries, their positions lowered by `shift`. */
  private rebuild(cap: number, shift: number): void {
    const at = new Float64Array(cap);
    const key = new Int32Array(cap);
    const prev = new Int32Array(cap);
    const origLen = new Int32Array(cap);
    const ipAt = new Int32Array(cap);
    const packet: (DecodedPacket | undefined)[] = new Array(cap).fill(undefined);
    const data: (Uint8Array | undefined)[] = new Array(cap).fill(undefined);
    const from = new Int32Array(cap);
    const to = new Int32Array(cap);
    const owned = new Uint8Array(cap);
    const table = new Int32Array(2 * cap).fill(-1);
    for (let pos = this.head; pos < this.tail; pos++) {
      const i = pos & this.mask;
      const moved = pos - shift;
      const j = moved & (cap - 1);
      const slot = this.key[i] & (table.length - 1);
      at[j] = this.at[i];
      key[j] = this.key[i];
      prev[j] = table[slot];
      table[slot] = moved;
      origLen[j] = this.origLen[i];
      ipAt[j] = this.ipAt[i];
      packet[j] = this.packet[i];
      data[j] = this.data[i];
      from[j] = this.from[i];
      to[j] = this.to[i];
      owned[j] = this.owned[i];
    }
    this.capacity = cap;
    this.mask = cap - 1;
    this.head -= shift;
    this.tail -= shift;
    this.at = at;
    this.key = key;
    this.prev = prev;
    this.origLen = origLen;
    this.ipAt = ipAt;
    this.packet = packet;
    this.data = data;
    this.from = from;
    this.to = to;
    this.owned = owned;
    this.table = table;
  }
}

export class CaptureFactsBuilder {
  private readonly files: CaptureFacts["files"] = [];
  private packets = 0;
  private tcpPackets = 0;
  private snaplenTruncated = 0;
  private duplicates = 0;
  private oneSided = 0;
  private noHandshake = 0;
  private captureLoss = 0;
  private decodeErrors = 0;
  private readonly unmatchedIcmp: CaptureFacts["unmatchedIcmp"] = [];
  private readonly fromText: boolean;
  private readonly dupWindowNs: number;
  private readonly controlDupWindowNs: number;
  private firstSec?: number;
  private firstNsec = 0;
  private lastNs = 0;
  private readonly recentPackets = new RecentPackets();

  constructor(opts: CaptureFactsOptions = {}) {
    this.fromText = opts.fromText ?? false;
    this.dupWindowNs = (opts.duplicateWindowSec ?? DEFAULT_DUPLICATE_WINDOW_SEC) * 1e9;
    this.controlDupWindowNs = Math.min(
      this.dupWindowNs,
      (opts.controlDuplicateWindowSec ?? DEFAULT_CONTROL_DUPLICATE_WINDOW_SEC) * 1e9,
    );
  }

  addFile(info: CaptureFileFacts): void {
    const f: CaptureFacts["files"][number] = {
      path: info.path,
      format: info.format,
      packets: info.packets,
      linkTypes: [...info.linkTypes],
    };
    if (info.snaplen !== undefined) f.snaplen = info.snaplen;
    if (info.droppedByInterface !== undefined) f.droppedByInterface = info.droppedByInterface;
    if (info.droppedByKernel !== undefined) f.droppedByKernel = info.droppedByKernel;
    if (info.truncatedAt !== undefined) f.truncatedAt = info.truncatedAt;
    this.files.push(f);
  }

  /**
   * Counts one packet. Returns true when it is an exact duplicate of a packet seen within the
   * duplicate window (the caller keeps it out of the connection facts).
   */
  packet(pkt: DecodedPacket, rec?: PacketRecord): boolean {
    this.packets++;
    if (this.firstSec === undefined) {
      this.firstSec = pkt.tsSec;
      this.firstNsec = pkt.tsNsec;
    }
    const at = nsBetween(this.firstSec, this.firstNsec, pkt.tsSec, pkt.tsNsec);
    if (at > this.lastNs) this.lastNs = at;
    if (pkt.error) this.decodeErrors++;
    if (pkt.tcp) {
      this.tcpPackets++;
      if (pkt.tcp.capturedPayloadLen < pkt.tcp.payloadLen) this.snaplenTruncated++;
    }
    return this.isDuplicate(pkt, rec, at);
  }

  private isDuplicate(pkt: DecodedPacket, rec: PacketRecord | undefined, at: number): boolean {
    if (!pkt.ip) return false;
    const key = bucketOf(pkt);
    const ring = this.recentPackets;
    ring.expire(at - this.dupWindowNs);
    const control = pkt.tcp !== undefined && (pkt.tcp.flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0;
    const window = control ? this.controlDupWindowNs : this.dupWindowNs;
    // The IP bytes: where they start in the record, and where they lie in the record's buffer.
    const ipAt = ipBytesFrom(pkt, rec);
    const data = ipAt >= 0 ? rec!.bytes : undefined;
    const from = data ? rec!.start + ipAt : 0;
    const to = data ? recordEnd(rec!) : 0;
    // The packets of that bucket's slot still in the window, newest first: a duplicate has the
    // same captured IP bytes, original length and IP offset, which make the same decoded headers;
    // packets without bytes have the same headers (both or neither with bytes).
    for (let pos = ring.newest(key); pos >= ring.head;) {
      const i = pos & ring.mask;
      if (ring.key[i] === key && Math.abs(at - ring.at[i]) <= window) {
        const seen = ring.data[i];
        const same =
          data === undefined || seen === undefined
            ? data === seen && samePacket(pkt, ring.packet[i]!)
            : ring.origLen[i] === pkt.origLen &&
              ring.ipAt[i] === ipAt &&
              sameBytes(data, from, to, seen, ring.from[i], ring.to[i]);
        if (same) {
          this.duplicates++;
          return true;
        }
      }
      pos = ring.prev[i];
    }
    ring.push(at, key, pkt, ipAt, data, from, to);
    return false;
  }

  /**
   * The records passed to packet() so far are about to be overwritten (a reader reusing its
   * buffers): copy the bytes of the ones still in the duplicate window (a few at most).
   */
  detachRecords(): void {
    this.recentPackets.detachBytes();
  }

  /** Folds one finished connection. */
  connection(c: ConnectionSummary): void {
    if (c.oneSided) this.oneSided++;
    if (!c.handshake.synSeen && !c.handshake.synAckSeen) this.noHandshake++;
    this.captureLoss += (c.dir.client.missedSegments ?? 0) + (c.dir.server.missedSegments ?? 0);
  }

  /** An ICMP error that quotes no connection seen. */
  icmpUnmatched(pkt: DecodedPacket, icmp: IcmpError): void {
    if (this.unmatchedIcmp.length >= MAX_UNMATCHED_ICMP) return;
    const e: CaptureFacts["unmatchedIcmp"][number] = {
      frame: pkt.frame,
      type: icmp.type,
      code: icmp.code,
      kind: icmp.kind,
    };
    if (icmp.mtu !== undefined) e.mtu = icmp.mtu;
    this.unmatchedIcmp.push(e);
  }

  result(): CaptureFacts {
    return {
      files: this.files.map((f) => ({ ...f, linkTypes: [...f.linkTypes] })),
      packets: this.packets,
      tcpPackets: this.tcpPackets,
      duration: this.lastNs / 1e9,
      snaplenTruncated: this.snaplenTruncated,
      duplicates: this.duplicates,
      oneSidedConnections: this.oneSided,
      noHandshakeConnections: this.noHandshake,
      captureLossSegments: this.captureLoss,
      unmatchedIcmp: [...this.unmatchedIcmp],
      fromText: this.fromText,
      decodeErrors: this.decodeErrors,
    };
  }
}
