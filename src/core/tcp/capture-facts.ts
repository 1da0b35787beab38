// Capture-wide facts: how complete and trustworthy the capture itself is (snaplen cuts,
// mirrored duplicates, one-sided or handshake-less connections, segments the sniffer missed,
// ICMP errors about connections we never saw). Folded packet by packet and connection by
// connection; pure.

import type { CaptureFacts } from "../../rules/types.js";
import type { DecodedPacket, IcmpError, PacketRecord } from "../types.js";
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
   * capturing on several interfaces). Default 2 ms: mirrored copies arrive within microseconds,
   * while a sender's own repeats (retransmissions, probes) are at least a timer tick apart and
   * differ in IPv4 id or TCP timestamp anyway.
   */
  duplicateWindowSec?: number;
}

/** At most this many unmatched ICMP errors are listed; the capture's first ones are the telling ones. */
const MAX_UNMATCHED_ICMP = 1000;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mixNumber(h: number, x: number): number {
  // Numbers above 32 bits (none expected) fold their high part in too.
  let v = h ^ (x >>> 0);
  v = Math.imul(v, FNV_PRIME) >>> 0;
  const hi = Math.floor(x / 4294967296);
  if (hi !== 0) v = Math.imul(v ^ (hi >>> 0), FNV_PRIME) >>> 0;
  return v;
}

function mixString(h: number, s: string): number {
  let v = h;
  for (let i = 0; i < s.length; i++) v = Math.imul(v ^ s.charCodeAt(i), FNV_PRIME) >>> 0;
  return v;
}

function mixBytes(h: number, data: Uint8Array, from: number, to: number): number {
  let v = h;
  for (let i = from; i < to; i++) v = Math.imul(v ^ data[i], FNV_PRIME) >>> 0;
  return v;
}

/**
 * Identity of an IP packet for duplicate detection: every header field a sender changes between
 * two of its own packets (plus, with the raw record, the captured IP bytes), hashed twice with
 * different seeds into one 52-bit number so the lookup allocates nothing.
 */
function fingerprint(pkt: DecodedPacket, rec?: PacketRecord): number | undefined {
  const ip = pkt.ip;
  if (!ip) return undefined;
  const fields: number[] = [ip.version, ip.protocol, ip.totalLen, ip.id ?? -1, ip.ttl, pkt.origLen];
  const tcp = pkt.tcp;
  let bytesFrom = -1;
  let bytesTo = -1;
  if (tcp) {
    const o = tcp.options;
    fields.push(
      tcp.srcPort,
      tcp.dstPort,
      tcp.seq,
      tcp.ack,
      tcp.flags,
      tcp.window,
      tcp.payloadLen,
      o.tsVal ?? -1,
      o.tsEcr ?? -1,
    );
    if (o.sack) for (const [l, r] of o.sack) fields.push(l, r);
    if (rec && tcp.payloadOffset > 0) {
      bytesFrom = tcp.payloadOffset - tcp.headerLen - ip.headerLen;
      bytesTo = Math.min(rec.data.length, rec.capLen);
    }
  } else if (pkt.icmp) {
    const i = pkt.icmp;
    fields.push(i.type, i.code, i.inner?.srcPort ?? -1, i.inner?.dstPort ?? -1, i.inner?.seq ?? -1);
  }
  let a = mixString(mixString(FNV_OFFSET, ip.src), ip.dst);
  let b = mixString(mixString(0x9747b28c, ip.dst), ip.src);
  for (const x of fields) {
    a = mixNumber(a, x);
    b = mixNumber(b, x ^ 0x5bd1e995);
  }
  if (rec && bytesFrom >= 0 && bytesFrom < bytesTo) {
    a = mixBytes(a, rec.data, bytesFrom, bytesTo);
    b = mixBytes(b ^ 0x27d4eb2d, rec.data, bytesFrom, bytesTo);
  }
  return a * 1048576 + (b & 0xfffff);
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
  private firstSec?: number;
  private firstNsec = 0;
  private lastNs = 0;
  /** Recent packet fingerprints → time seen (ns since the first packet), pruned by age. */
  private readonly recent = new Map<number, number>();
  private readonly recentOrder: { key: number; at: number }[] = [];
  private recentHead = 0;

  constructor(opts: CaptureFactsOptions = {}) {
    this.fromText = opts.fromText ?? false;
    this.dupWindowNs = (opts.duplicateWindowSec ?? 0.002) * 1e9;
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
    const at = (pkt.tsSec - this.firstSec) * 1e9 + (pkt.tsNsec - this.firstNsec);
    if (at > this.lastNs) this.lastNs = at;
    if (pkt.error) this.decodeErrors++;
    if (pkt.tcp) {
      this.tcpPackets++;
      if (pkt.tcp.capturedPayloadLen < pkt.tcp.payloadLen) this.snaplenTruncated++;
    }
    return this.isDuplicate(pkt, rec, at);
  }

  private isDuplicate(pkt: DecodedPacket, rec: PacketRecord | undefined, at: number): boolean {
    const key = fingerprint(pkt, rec);
    if (key === undefined) return false;
    // Forget fingerprints older than the window (queue in arrival order).
    while (
      this.recentHead < this.recentOrder.length &&
      at - this.recentOrder[this.recentHead].at > this.dupWindowNs
    ) {
      const old = this.recentOrder[this.recentHead++];
      if (this.recent.get(old.key) === old.at) this.recent.delete(old.key);
    }
    if (this.recentHead > 4096 && this.recentHead * 2 > this.recentOrder.length) {
      this.recentOrder.splice(0, this.recentHead);
      this.recentHead = 0;
    }
    const seen = this.recent.get(key);
    if (seen !== undefined && Math.abs(at - seen) <= this.dupWindowNs) {
      this.duplicates++;
      return true;
    }
    this.recent.set(key, at);
    this.recentOrder.push({ key, at });
    return false;
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
