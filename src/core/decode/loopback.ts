// BSD loopback encapsulations: a 4-byte address family before the IP header. LINKTYPE_NULL stores
// it in the byte order of the capturing host, LINKTYPE_LOOP in network order.

import type { DecodedPacket } from "../types.js";
import { u32, u32le } from "./bytes.js";
import { EtherType, type LayerCursor, malformed, truncatedAt } from "./layer.js";

const HEADER = 4;

/** AF_ value → EtherType. AF_INET6 differs between the BSDs: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (Darwin). */
function familyToEtherType(family: number): number {
  switch (family) {
    case 2:
      return EtherType.IPV4;
    case 24:
    case 28:
    case 30:
      return EtherType.IPV6;
    default:
      return -1;
  }
}

function finish(cur: LayerCursor, out: DecodedPacket, family: number): boolean {
  const type = familyToEtherType(family);
  if (type < 0) return malformed(out, `loopback header with unsupported address family ${family}`);
  cur.offset += HEADER;
  cur.next = type;
  return true;
}

/** LINKTYPE_NULL: the writer's byte order is unknown, but a family fits in the low byte, so whichever end holds it wins. */
export function decodeNull(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < HEADER) return truncatedAt(out, "loopback header", HEADER, have);
  const family = data[off] === 0 && data[off + 1] === 0 ? u32(data, off) : u32le(data, off);
  return finish(cur, out, family);
}

/** LINKTYPE_LOOP (OpenBSD): the family in network byte order. */
export function decodeLoop(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < HEADER) return truncatedAt(out, "loopback header", HEADER, have);
  return finish(cur, out, u32(data, off));
}
