// Ethernet II / IEEE 802.3 framing with 802.1Q, 802.1ad and pre-standard QinQ tags.

import type { DecodedPacket } from "../types.js";
import { u16 } from "./bytes.js";
import { EtherType, type LayerCursor, malformed, NONE, truncatedAt } from "./layer.js";

const ETHERNET_HEADER = 14;
const MAX_TAGS = 8;

/** True for the EtherTypes that announce a 4-byte VLAN tag. */
function isVlanTag(type: number): boolean {
  return (
    type === EtherType.VLAN ||
    type === EtherType.QINQ ||
    type === EtherType.QINQ_OLD ||
    type === EtherType.QINQ_OLD2
  );
}

/**
 * Skips VLAN tags starting at `off` where `type` was just read, then leaves the cursor on the
 * payload with cur.next = the inner EtherType. Shared by Ethernet and the Linux cooked headers
 * (libpcap re-inserts the tag after the cooked header).
 */
export function finishEtherType(
  data: Uint8Array,
  cur: LayerCursor,
  out: DecodedPacket,
  type: number,
  off: number,
): boolean {
  const end = cur.capEnd;
  for (let tags = 0; isVlanTag(type); tags++) {
    if (tags === MAX_TAGS) return malformed(out, `more than ${MAX_TAGS} VLAN tags`);
    if (end - off < 4) return truncatedAt(out, "VLAN tag", 4, end - off);
    type = u16(data, off + 2);
    off += 4;
  }
  cur.offset = off;
  cur.next = type;
  return true;
}

/** Ethernet header at cur.offset (LINKTYPE_ETHERNET). Non-IP frames end with cur.next = their EtherType. */
export function decodeEthernet(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < ETHERNET_HEADER) return truncatedAt(out, "Ethernet header", ETHERNET_HEADER, have);
  const type = u16(data, off + 12);
  if (type <= 1500) return decodeIeee8023(data, cur, type, off + ETHERNET_HEADER);
  return finishEtherType(data, cur, out, type, off + ETHERNET_HEADER);
}

/** 802.3 frame: the type field is a length and LLC follows; IP only travels inside LLC/SNAP. */
function decodeIeee8023(data: Uint8Array, cur: LayerCursor, length: number, off: number): boolean {
  if (off + length < cur.capEnd) cur.capEnd = off + length;
  if (off + length < cur.origEnd) cur.origEnd = off + length;
  const end = cur.capEnd;
  // SNAP: DSAP 0xAA, SSAP 0xAA, control 0x03, 3-byte OUI, EtherType.
  if (end - off >= 8 && data[off] === 0xaa && data[off + 1] === 0xaa && data[off + 2] === 0x03) {
    cur.offset = off + 8;
    cur.next = u16(data, off + 6);
    return true;
  }
  cur.offset = off;
  cur.next = NONE;
  return false;
}
