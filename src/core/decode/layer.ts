// The hand-off between layer decoders: each decoder reads its header at `offset`, records what it
// found on the DecodedPacket, and leaves the cursor at the next header with the next protocol.

import type { DecodedPacket, IpHeader, TcpHeader, TcpOptions } from "../types.js";

export interface LayerCursor {
  /** Index of the next header in the bytes holding the record (PacketRecord.bytes). */
  offset: number;
  /** End of the captured bytes that belong to the packet (link padding and trailers excluded once an IP header gave the length). */
  capEnd: number;
  /** End of the packet according to its headers; beyond capEnd when the snaplen cut it. */
  end: number;
  /** Where the frame ended on the wire (original length), less any trailer the link layer bounded off. */
  origEnd: number;
  /** Next protocol: an EtherType after the link layer, an IP protocol number after the IP layer; NONE when there is no next header to decode. */
  next: number;
  /** Objects to refill instead of making new ones, for a reusing decoder (see packetDecoder). */
  reuse: ReusedLayers | undefined;
}

/**
 * The objects a reusing decoder hands out for every packet: its packet, and the IPv4 header, TCP
 * header and timestamp-only options of the common case. Each is made on first use by the same
 * code that makes fresh ones, so fresh and reused objects share one shape. Packets of other kinds
 * (IPv6, fragments, other TCP options, ICMP) still get fresh objects for those layers.
 */
export interface ReusedLayers {
  packet: DecodedPacket | undefined;
  ipv4: IpHeader | undefined;
  tcp: TcpHeader | undefined;
  timestamps: TcpOptions | undefined;
}

/** `next` value meaning "nothing more to decode". */
export const NONE = -1;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // 802.1Q
  IPV6: 0x86dd,
  QINQ: 0x88a8, // 802.1ad service tag
  QINQ_OLD: 0x9100, // pre-standard QinQ
  QINQ_OLD2: 0x9200,
} as const;

export const IpProtocol = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  MOBILITY: 135,
  HIP: 139,
  SHIM6: 140,
} as const;

/**
 * A layer decoder: reads the header at `cur.offset` of `data`, fills its part of `out`, and moves
 * the cursor on. Returns false when decoding must stop (out.error / out.truncated say why, or
 * there is simply nothing further, e.g. a non-first fragment).
 */
export type LayerDecoder = (data: Uint8Array, cur: LayerCursor, out: DecodedPacket) => boolean;

/** Marks the packet as cut short by the snaplen while decoding `what`; always returns false. */
export function truncatedAt(out: DecodedPacket, what: string, need: number, have: number): false {
  out.truncated = true;
  out.error = `${what} truncated: ${Math.max(have, 0)} of ${need} bytes captured`;
  return false;
}

/** Marks the packet as malformed; always returns false. */
export function malformed(out: DecodedPacket, message: string): false {
  out.error = message;
  return false;
}
