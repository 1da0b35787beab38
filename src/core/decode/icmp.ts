// ICMP and ICMPv6 error messages and the start of the packet they quote.
// Only error messages (those that quote an offending packet) produce DecodedPacket.icmp; echo,
// neighbour discovery and other informational messages leave it unset (ip.protocol still says 1/58).

import type { DecodedPacket, IcmpError } from "../types.js";
import { ipv4At, ipv6At } from "./address.js";
import { u16, u32 } from "./bytes.js";
import { walkIpv6Extensions } from "./ipv6.js";
import { IpProtocol, type LayerCursor, truncatedAt } from "./layer.js";

const ICMP_HEADER = 8;

export const Icmp4Type = {
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;

export const Icmp6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
} as const;

/** ICMPv4 at cur.offset. */
export function decodeIcmp4(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < ICMP_HEADER) return truncatedAt(out, "ICMP header", ICMP_HEADER, have);
  const type = data[off];
  const code = data[off + 1];
  let kind: IcmpError["kind"];
  switch (type) {
    case Icmp4Type.DEST_UNREACHABLE:
      kind = code === 4 ? "frag-needed" : "unreachable";
      break;
    case Icmp4Type.TIME_EXCEEDED:
      kind = "time-exceeded";
      break;
    case Icmp4Type.SOURCE_QUENCH:
    case Icmp4Type.REDIRECT:
    case Icmp4Type.PARAMETER_PROBLEM:
      kind = "other";
      break;
    default:
      return false;
  }
  const icmp: IcmpError = { version: 4, type, code, kind };
  // RFC 1191: next-hop MTU in the low 16 bits of the second word (0 from pre-1191 routers).
  if (kind === "frag-needed") icmp.mtu = u16(data, off + 6);
  icmp.inner = quotedIpv4(data, off + ICMP_HEADER, cur.capEnd);
  out.icmp = icmp;
  return true;
}

/** ICMPv6 at cur.offset. */
export function decodeIcmp6(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const off = cur.offset;
  const have = cur.capEnd - off;
  if (have < ICMP_HEADER) return truncatedAt(out, "ICMPv6 header", ICMP_HEADER, have);
  const type = data[off];
  const code = data[off + 1];
  let kind: IcmpError["kind"];
  switch (type) {
    case Icmp6Type.DEST_UNREACHABLE:
      kind = "unreachable";
      break;
    case Icmp6Type.PACKET_TOO_BIG:
      kind = "packet-too-big";
      break;
    case Icmp6Type.TIME_EXCEEDED:
      kind = "time-exceeded";
      break;
    case Icmp6Type.PARAMETER_PROBLEM:
      kind = "other";
      break;
    default:
      return false;
  }
  const icmp: IcmpError = { version: 6, type, code, kind };
  if (kind === "packet-too-big") icmp.mtu = u32(data, off + 4);
  icmp.inner = quotedIpv6(data, off + ICMP_HEADER, cur.capEnd);
  out.icmp = icmp;
  return true;
}

type Quoted = NonNullable<IcmpError["inner"]>;

/** Ports (TCP/UDP), sequence number (TCP) and, with 20 quoted TCP bytes, ack/flags/window, as far as present. */
function quotedTransport(data: Uint8Array, inner: Quoted, off: number, end: number): Quoted {
  const p = inner.protocol;
  if (p !== IpProtocol.TCP && p !== IpProtocol.UDP) return inner;
  if (end - off >= 4) {
    inner.srcPort = u16(data, off);
    inner.dstPort = u16(data, off + 2);
  }
  if (p === IpProtocol.TCP && end - off >= 8) inner.seq = u32(data, off + 4);
  // Linux quotes as much as fits in 576 bytes (ICMPv4) / 1280 (ICMPv6), so the whole TCP header is usually there.
  if (p === IpProtocol.TCP && end - off >= 20) {
    inner.ack = u32(data, off + 8);
    inner.flags = data[off + 13] | ((data[off + 12] & 1) << 8);
    inner.window = u16(data, off + 14);
  }
  return inner;
}

function quotedIpv4(data: Uint8Array, off: number, end: number): Quoted | undefined {
  if (end - off < 20 || data[off] >> 4 !== 4) return undefined;
  const headerLen = (data[off] & 15) * 4;
  const inner: Quoted = { src: ipv4At(data, off + 12), dst: ipv4At(data, off + 16), protocol: data[off + 9] };
  // A quoted non-first fragment has no transport header.
  if (headerLen < 20 || (u16(data, off + 6) & 0x1fff) !== 0) return inner;
  return quotedTransport(data, inner, off + headerLen, end);
}

function quotedIpv6(data: Uint8Array, off: number, end: number): Quoted | undefined {
  if (end - off < 40 || data[off] >> 4 !== 6) return undefined;
  // The quoted packet is cut, so its own payload length means nothing: walk within the quote.
  const chain = walkIpv6Extensions(data, off + 40, data[off + 6], end, end);
  const inner: Quoted = { src: ipv6At(data, off + 8), dst: ipv6At(data, off + 24), protocol: chain.protocol };
  if (chain.truncated || chain.malformed || (chain.fragment !== undefined && chain.fragment.offset > 0))
    return inner;
  return quotedTransport(data, inner, chain.offset, end);
}
