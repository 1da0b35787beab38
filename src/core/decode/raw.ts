// Link types without a link header: the record starts with the IP header.

import type { DecodedPacket } from "../types.js";
import { EtherType, type LayerCursor, malformed, truncatedAt } from "./layer.js";

/** LINKTYPE_RAW and the DLT_RAW aliases 12/14: IPv4 or IPv6, told apart by the version nibble. */
export function decodeRawIp(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  if (cur.capEnd - off < 1) return truncatedAt(out, "raw IP packet", 1, 0);
  const version = data[off] >> 4;
  if (version === 4) cur.next = EtherType.IPV4;
  else if (version === 6) cur.next = EtherType.IPV6;
  else return malformed(out, `raw IP packet with IP version ${version}`);
  return true;
}

/** LINKTYPE_IPV4. */
export function decodeRawIpv4(_data: Uint8Array, cur: LayerCursor, _out: DecodedPacket): boolean {
  cur.next = EtherType.IPV4;
  return true;
}

/** LINKTYPE_IPV6. */
export function decodeRawIpv6(_data: Uint8Array, cur: LayerCursor, _out: DecodedPacket): boolean {
  cur.next = EtherType.IPV6;
  return true;
}
