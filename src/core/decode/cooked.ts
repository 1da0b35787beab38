// Linux "cooked" capture headers, what `tcpdump -i any` writes: SLL (v1, 16 bytes) and SLL2 (20 bytes).

import type { DecodedPacket } from "../types.js";
import { u16 } from "./bytes.js";
import { finishEtherType } from "./ethernet.js";
import type { LayerCursor } from "./layer.js";
import { truncatedAt } from "./layer.js";

const SLL_HEADER = 16;
const SLL2_HEADER = 20;

/** LINKTYPE_LINUX_SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol (EtherType). */
export function decodeSll(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < SLL_HEADER) return truncatedAt(out, "Linux cooked (SLL) header", SLL_HEADER, have);
  return finishEtherType(data, cur, out, u16(data, off + 14), off + SLL_HEADER);
}

/** LINKTYPE_LINUX_SLL2: protocol (EtherType), reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes. */
export function decodeSll2(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < SLL2_HEADER) return truncatedAt(out, "Linux cooked (SLL2) header", SLL2_HEADER, have);
  return finishEtherType(data, cur, out, u16(data, off), off + SLL2_HEADER);
}
