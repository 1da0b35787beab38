// Address text for decoded packets, as tshark and tcpdump print it, with small direct-mapped
// caches: a capture repeats the same few addresses millions of times, and building the string
// is the most expensive part of decoding an IP header.

import { u16, u32 } from "./bytes.js";

const V4_SLOTS = 4096; // power of two; covers a SYN flood's spread of sources reasonably
const v4Keys = new Uint32Array(V4_SLOTS);
const v4Text: string[] = new Array<string>(V4_SLOTS).fill("");

/** Dotted-quad text of the 32-bit address `addr` (unsigned). */
export function ipv4Text(addr: number): string {
  const slot = (addr ^ (addr >>> 12) ^ (addr >>> 24)) & (V4_SLOTS - 1);
  const cached = v4Text[slot];
  if (cached !== "" && v4Keys[slot] === addr) return cached;
  const text = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
  v4Keys[slot] = addr;
  v4Text[slot] = text;
  return text;
}

/**
 * The unsigned 32-bit number of a dotted-quad IPv4 address written as this module writes them;
 * -1 for anything else. Leading zeros are refused, so the number always turns back into the
 * same text (and "010.0.0.1" stays apart from "10.0.0.1").
 */
export function ipv4Number(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Dotted-quad text of the IPv4 address stored at `off` (4 bytes, caller checked the bounds). */
export function ipv4At(b: Uint8Array, off: number): string {
  return ipv4Text(u32(b, off));
}

const V6_SLOTS = 256;
const v6Keys = new Uint32Array(V6_SLOTS * 4);
const v6Text: string[] = new Array<string>(V6_SLOTS).fill("");

/** RFC 5952 text of the IPv6 address stored at `off` (16 bytes, caller checked the bounds). */
export function ipv6At(b: Uint8Array, off: number): string {
  const w0 = u32(b, off);
  const w1 = u32(b, off + 4);
  const w2 = u32(b, off + 8);
  const w3 = u32(b, off + 12);
  const slot = (w0 ^ w1 ^ w2 ^ w3 ^ (w3 >>> 8) ^ (w3 >>> 16) ^ (w1 >>> 16)) & (V6_SLOTS - 1);
  const k = slot * 4;
  const cached = v6Text[slot];
  if (
    cached !== "" &&
    v6Keys[k] === w0 &&
    v6Keys[k + 1] === w1 &&
    v6Keys[k + 2] === w2 &&
    v6Keys[k + 3] === w3
  ) {
    return cached;
  }
  const text = formatIpv6(b, off);
  v6Keys[k] = w0;
  v6Keys[k + 1] = w1;
  v6Keys[k + 2] = w2;
  v6Keys[k + 3] = w3;
  v6Text[slot] = text;
  return text;
}

/**
 * RFC 5952 canonical form: lower-case hex without leading zeros, the longest run (first on a tie)
 * of two or more zero groups written "::". Like tshark and tcpdump, IPv4-mapped addresses
 * (::ffff:a.b.c.d) and IPv4-compatible ones (::a.b.c.d, when the seventh group is non-zero) end
 * in dotted-quad notation.
 */
export function formatIpv6(b: Uint8Array, off: number): string {
  let firstSixZero = true;
  for (let i = 0; i < 10; i++) {
    if (b[off + i] !== 0) {
      firstSixZero = false;
      break;
    }
  }
  if (firstSixZero) {
    const g5 = u16(b, off + 10);
    if (g5 === 0xffff) return `::ffff:${dotted(b, off + 12)}`;
    if (g5 === 0 && u16(b, off + 12) !== 0) return `::${dotted(b, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (u16(b, off + i * 2) === 0) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += "::";
      i += bestLen - 1;
      continue;
    }
    if (text !== "" && !text.endsWith(":")) text += ":";
    text += u16(b, off + i * 2).toString(16);
  }
  return text;
}

function dotted(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}
