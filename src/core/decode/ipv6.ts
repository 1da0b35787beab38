// IPv6 header and its extension-header chain, walked down to the upper-layer protocol.

import type { DecodedPacket, IpHeader } from "../types.js";
import { ipv6At } from "./address.js";
import { u16, u32 } from "./bytes.js";
import { IpProtocol, type LayerCursor, malformed, NONE, truncatedAt } from "./layer.js";

const FIXED_HEADER = 40;
const MAX_EXTENSIONS = 16;

/** Extension headers in the generic (next header, length in 8-octet units beyond the first) format. */
function isGenericExtension(next: number): boolean {
  return (
    next === IpProtocol.HOPOPTS ||
    next === IpProtocol.ROUTING ||
    next === IpProtocol.DSTOPTS ||
    next === IpProtocol.MOBILITY ||
    next === IpProtocol.HIP ||
    next === IpProtocol.SHIM6
  );
}

/** Result of walking an extension-header chain (shared with the ICMPv6 quoted-packet decoder). */
export interface Ipv6Chain {
  /** Upper-layer protocol (59 = no next header). */
  protocol: number;
  /** Offset of the upper-layer header. */
  offset: number;
  fragment?: { offset: number; more: boolean; id: number };
  /** The chain ran past the captured bytes (offset is where it stopped). */
  truncated: boolean;
  /** The chain ran past the end of the packet or was absurdly long. */
  malformed: boolean;
}

/**
 * Walks the extension headers that start at `off` with first next-header value `next`, within
 * captured bytes up to `capEnd` and packet bytes up to `end`. A non-first fragment stops the walk:
 * the fragment header's next header names the protocol, but its header is in fragment 0.
 */
export function walkIpv6Extensions(
  data: Uint8Array,
  off: number,
  next: number,
  capEnd: number,
  end: number,
): Ipv6Chain {
  const chain: Ipv6Chain = {
    protocol: next,
    offset: off,
    fragment: undefined,
    truncated: false,
    malformed: false,
  };
  for (let count = 0; ; count++) {
    let len: number;
    let lastHeader = false;
    if (isGenericExtension(next)) {
      if (capEnd - off < 2) break;
      len = (data[off + 1] + 1) * 8;
    } else if (next === IpProtocol.FRAGMENT) {
      if (capEnd - off < 8) break;
      const offsetFlags = u16(data, off + 2);
      const fragOffset = offsetFlags & 0xfff8;
      chain.fragment = { offset: fragOffset, more: (offsetFlags & 1) !== 0, id: u32(data, off + 4) };
      len = 8;
      lastHeader = fragOffset > 0;
    } else if (next === IpProtocol.AH) {
      if (capEnd - off < 2) break;
      len = (data[off + 1] + 2) * 4;
    } else {
      chain.protocol = next;
      chain.offset = off;
      return chain;
    }
    if (count === MAX_EXTENSIONS || off + len > end) {
      chain.malformed = true;
      chain.protocol = next;
      chain.offset = off;
      return chain;
    }
    next = data[off];
    off += len;
    if (lastHeader) {
      chain.protocol = next;
      chain.offset = off;
      return chain;
    }
  }
  chain.truncated = true;
  chain.protocol = next;
  chain.offset = off;
  return chain;
}

/**
 * IPv6 header at cur.offset. Sets out.ip with protocol = the upper layer after the extension
 * headers and headerLen including them; cur.end becomes the end by the payload length.
 */
export function decodeIpv6(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const start = cur.offset;
  const have = cur.capEnd - start;
  if (have < 1) return truncatedAt(out, "IPv6 header", FIXED_HEADER, have);
  if (data[start] >> 4 !== 6) return malformed(out, `IPv6 header with version ${data[start] >> 4}`);
  if (have < FIXED_HEADER) return truncatedAt(out, "IPv6 header", FIXED_HEADER, have);

  const reported = cur.origEnd - start;
  const payloadLen = u16(data, start + 4);
  const firstNext = data[start + 6];
  let totalLen = FIXED_HEADER + payloadLen;
  // Payload length 0 with something after the header: a jumbogram or an offload super-packet.
  if (payloadLen === 0 && firstNext !== IpProtocol.NONE && reported > FIXED_HEADER) totalLen = reported;
  let end = start + totalLen;
  if (totalLen > reported) {
    out.error = `IPv6 payload length ${payloadLen} exceeds the ${reported - FIXED_HEADER} bytes of the frame`;
    end = start + reported;
  }
  const capEnd = Math.min(end, cur.capEnd);

  let protocol = firstNext;
  let off = start + FIXED_HEADER;
  let fragment: Ipv6Chain["fragment"];
  let stop = false;
  if (!isUpperLayer(firstNext)) {
    const chain = walkIpv6Extensions(data, off, firstNext, capEnd, end);
    protocol = chain.protocol;
    off = chain.offset;
    fragment = chain.fragment;
    if (chain.truncated) {
      out.truncated = true;
      out.error = "IPv6 extension headers truncated";
      stop = true;
    } else if (chain.malformed) {
      out.error = "IPv6 extension headers run past the end of the packet";
      stop = true;
    }
  }
  const ip: IpHeader = {
    version: 6,
    src: ipv6At(data, start + 8),
    dst: ipv6At(data, start + 24),
    ttl: data[start + 7],
    protocol,
    headerLen: off - start,
    totalLen,
  };
  if (fragment !== undefined) {
    ip.id = fragment.id;
    ip.fragment = { offset: fragment.offset, more: fragment.more };
  }
  out.ip = ip;
  if (stop) return false;
  cur.offset = off;
  cur.end = end;
  cur.capEnd = capEnd;
  cur.next = fragment !== undefined && fragment.offset > 0 ? NONE : protocol;
  return true;
}

/** Fast path: the common upper layers need no extension walk. */
function isUpperLayer(next: number): boolean {
  return (
    next === IpProtocol.TCP ||
    next === IpProtocol.UDP ||
    next === IpProtocol.ICMPV6 ||
    next === IpProtocol.NONE
  );
}
