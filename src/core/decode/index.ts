// Packet decoding: link layer → IPv4/IPv6 → TCP / ICMP errors, as pure functions over the bytes
// of one capture record. Each layer names the next protocol; the tables below pick its decoder.
// Never throws on packet bytes: problems end up in DecodedPacket.error / .truncated.

import { type DecodedPacket, LinkType, type PacketRecord } from "../types.js";
import { decodeSll, decodeSll2 } from "./cooked.js";
import { decodeEthernet } from "./ethernet.js";
import { decodeIcmp4, decodeIcmp6 } from "./icmp.js";
import { decodeIpv4 } from "./ipv4.js";
import { decodeIpv6 } from "./ipv6.js";
import {
  EtherType,
  IpProtocol,
  type LayerCursor,
  type LayerDecoder,
  NONE,
  type ReusedLayers,
} from "./layer.js";
import { decodeLoop, decodeNull } from "./loopback.js";
import { decodeRawIp, decodeRawIpv4, decodeRawIpv6 } from "./raw.js";
import { decodeTcp } from "./tcp.js";

/** Link-layer decoders by LINKTYPE_ number; each leaves an EtherType in cursor.next. */
export const linkDecoders: ReadonlyMap<number, LayerDecoder> = new Map<number, LayerDecoder>([
  [LinkType.ETHERNET, decodeEthernet],
  [LinkType.LINUX_SLL, decodeSll],
  [LinkType.LINUX_SLL2, decodeSll2],
  [LinkType.RAW, decodeRawIp],
  [LinkType.RAW_OPENBSD, decodeRawIp],
  [LinkType.RAW_ALT, decodeRawIp],
  [LinkType.IPV4, decodeRawIpv4],
  [LinkType.IPV6, decodeRawIpv6],
  [LinkType.NULL, decodeNull],
  [LinkType.LOOP, decodeLoop],
]);

/** Network-layer decoders by EtherType; each leaves an IP protocol number in cursor.next. */
export const networkDecoders: ReadonlyMap<number, LayerDecoder> = new Map<number, LayerDecoder>([
  [EtherType.IPV4, decodeIpv4],
  [EtherType.IPV6, decodeIpv6],
]);

/** Transport decoders by IP protocol number (after IPv6 extension headers). */
export const transportDecoders: ReadonlyMap<number, LayerDecoder> = new Map<number, LayerDecoder>([
  [IpProtocol.TCP, decodeTcp],
  [IpProtocol.ICMP, decodeIcmp4],
  [IpProtocol.ICMPV6, decodeIcmp6],
]);

// Dense copies of the small-keyed tables for the per-packet lookups (an indexed load beats Map.get).
const linkByType = denseTable(linkDecoders, 512);
const transportByProtocol = denseTable(transportDecoders, 256);

function denseTable(table: ReadonlyMap<number, LayerDecoder>, size: number): (LayerDecoder | undefined)[] {
  const dense = new Array<LayerDecoder | undefined>(size).fill(undefined);
  for (const [key, decoder] of table) dense[key] = decoder;
  return dense;
}

// One cursor reused by every call: decoding is synchronous and not re-entrant.
const cursor: LayerCursor = { offset: 0, capEnd: 0, end: 0, origEnd: 0, next: NONE, reuse: undefined };

/**
 * Decodes one capture record down to TCP or an ICMP error. Frames that are not IP (ARP, LLC, ...)
 * come back with neither ip nor error; unknown link types and malformed or truncated headers come
 * back with `error` (and `truncated` for the snaplen) and the layers decoded so far.
 * The result is read-only: packets without TCP options share one frozen options object.
 */
export function decodePacket(rec: PacketRecord): DecodedPacket {
  return decodeWith(rec, undefined);
}

/**
 * A decoder for callers that keep nothing of a packet past their use of it: with `reuse`, every
 * call returns the same packet object, refilled, and the same IPv4 header, TCP header and
 * timestamp options objects in the common case (a bulk transfer's packets then allocate
 * nothing). Without it, decodePacket.
 */
export function packetDecoder(opts: { reuse?: boolean } = {}): (rec: PacketRecord) => DecodedPacket {
  if (!opts.reuse) return decodePacket;
  const reuse: ReusedLayers = { packet: undefined, ipv4: undefined, tcp: undefined, timestamps: undefined };
  return (rec) => decodeWith(rec, reuse);
}

function decodeWith(rec: PacketRecord, reuse: ReusedLayers | undefined): DecodedPacket {
  const data = rec.bytes;
  const start = rec.start;
  const out = reuse?.packet ?? newPacket(reuse);
  out.frame = rec.frame;
  out.tsSec = rec.tsSec;
  out.tsNsec = rec.tsNsec;
  out.linkType = rec.linkType;
  out.capLen = rec.capLen;
  out.origLen = rec.origLen;
  out.ip = undefined;
  out.tcp = undefined;
  out.icmp = undefined;
  out.error = undefined;
  out.truncated = undefined;
  const link = rec.linkType >= 0 && rec.linkType < 512 ? linkByType[rec.linkType] : undefined;
  if (link === undefined) {
    out.error = `unsupported link type ${rec.linkType}`;
    return out;
  }
  // The layers read the record where it lies in `bytes`: offsets below are indexes into it.
  const captured = Math.min(data.length - start, rec.capLen);
  const cur = cursor;
  cur.offset = start;
  cur.capEnd = start + captured;
  cur.end = start + captured;
  cur.origEnd = start + Math.max(rec.origLen, captured);
  cur.next = NONE;
  cur.reuse = reuse;
  if (!link(data, cur, out)) return out;
  const network = networkDecoders.get(cur.next);
  if (network === undefined || !network(data, cur, out)) return out;
  const transport = transportByProtocol[cur.next];
  if (transport !== undefined) transport(data, cur, out);
  return out;
}

/**
 * A packet object for decodeWith to fill, every field declared up front (undefined until a layer
 * fills it): one shape for every packet. Kept for refilling when `reuse` is given.
 */
function newPacket(reuse: ReusedLayers | undefined): DecodedPacket {
  const out: DecodedPacket = {
    frame: 0,
    tsSec: 0,
    tsNsec: 0,
    linkType: 0,
    capLen: 0,
    origLen: 0,
    ip: undefined,
    tcp: undefined,
    icmp: undefined,
    error: undefined,
    truncated: undefined,
  };
  if (reuse !== undefined) reuse.packet = out;
  return out;
}

export { formatIpv6, ipv4Number, ipv4Text, ipv6At } from "./address.js";
export { Icmp4Type, Icmp6Type } from "./icmp.js";
export { EtherType, IpProtocol, type LayerCursor, type LayerDecoder } from "./layer.js";
export { decodeTcpOptions, NO_OPTIONS, TcpOptionKind } from "./tcp.js";
