// IPv4 header: addresses, lengths, fragmentation, options.

import { type DecodedPacket, DOUBLE_ZERO, type IpHeader } from "../types.js";
import { ipv4Text } from "./address.js";
import { u16, u32 } from "./bytes.js";
import { type LayerCursor, malformed, NONE, type ReusedLayers, truncatedAt } from "./layer.js";

const MIN_HEADER = 20;

/**
 * IPv4 header at cur.offset. Sets out.ip; cur.end becomes the end of the datagram by its total
 * length (so Ethernet padding is not payload) and cur.next its protocol, or NONE for a non-first
 * fragment, which carries no transport header.
 */
export function decodeIpv4(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const start = cur.offset;
  const have = cur.capEnd - start;
  if (have < 1) return truncatedAt(out, "IPv4 header", MIN_HEADER, have);
  const first = data[start];
  if (first >> 4 !== 4) return malformed(out, `IPv4 header with version ${first >> 4}`);
  const headerLen = (first & 15) * 4;
  if (headerLen < MIN_HEADER) return malformed(out, `IPv4 header length ${headerLen} is below 20`);
  if (have < MIN_HEADER) return truncatedAt(out, "IPv4 header", headerLen, have);

  // What the frame held after this point by its original length: the bound for total length.
  const reported = cur.origEnd - start;
  let totalLen = u16(data, start + 2);
  // 0 = a segmentation-offload super-packet captured before the NIC split it: use the frame length.
  if (totalLen === 0) totalLen = reported;
  const flagsFrag = u16(data, start + 6);
  const fragOffset = (flagsFrag & 0x1fff) * 8;
  const more = (flagsFrag & 0x2000) !== 0;
  const protocol = data[start + 9];
  const srcV4 = u32(data, start + 12);
  const dstV4 = u32(data, start + 16);
  const fragmented = more || fragOffset > 0;
  // A fragment's header gets a field more (fragment): never the reused object, whose shape is fixed.
  const reuse = fragmented ? undefined : cur.reuse;
  const ip = reuse?.ipv4 ?? newIpv4Header(reuse);
  ip.src = ipv4Text(srcV4);
  ip.dst = ipv4Text(dstV4);
  ip.ttl = data[start + 8];
  ip.protocol = protocol;
  ip.headerLen = headerLen;
  ip.totalLen = totalLen;
  ip.id = u16(data, start + 4);
  ip.dontFragment = (flagsFrag & 0x4000) !== 0;
  ip.hasOptions = headerLen > MIN_HEADER;
  ip.srcV4 = srcV4;
  ip.dstV4 = dstV4;
  if (fragmented) ip.fragment = { offset: fragOffset, more };
  out.ip = ip;

  if (totalLen < headerLen)
    return malformed(out, `IPv4 total length ${totalLen} is below the header length ${headerLen}`);
  if (have < headerLen) return truncatedAt(out, "IPv4 options", headerLen, have);
  let end = start + totalLen;
  if (totalLen > reported) {
    // The header claims more than the frame carried: trust the frame, flag the packet.
    out.error = `IPv4 total length ${totalLen} exceeds the ${reported} bytes of the frame`;
    end = start + reported;
  }
  cur.offset = start + headerLen;
  cur.end = end;
  if (end < cur.capEnd) cur.capEnd = end;
  cur.next = fragOffset > 0 ? NONE : protocol;
  return true;
}

/**
 * An IPv4 header object with every field of the common case (all but `fragment`), for the
 * decoder to fill; kept for refilling when `reuse` is given.
 */
function newIpv4Header(reuse: ReusedLayers | undefined): IpHeader {
  const ip: IpHeader = {
    version: 4,
    src: "",
    dst: "",
    ttl: 0,
    protocol: 0,
    headerLen: 0,
    totalLen: 0,
    id: 0,
    dontFragment: false,
    hasOptions: false,
    srcV4: DOUBLE_ZERO,
    dstV4: DOUBLE_ZERO,
  };
  if (reuse !== undefined) reuse.ipv4 = ip;
  return ip;
}
