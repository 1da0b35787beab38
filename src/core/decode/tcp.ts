// TCP header and options.

import { type DecodedPacket, DOUBLE_ZERO, type TcpHeader, type TcpOptions } from "../types.js";
import { u16, u32 } from "./bytes.js";
import { type LayerCursor, malformed, type ReusedLayers, truncatedAt } from "./layer.js";

const MIN_HEADER = 20;

export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  FAST_OPEN: 34,
  EXPERIMENTAL: 254,
} as const;

/** RFC 6994 experiment id of TCP Fast Open before it got kind 34. */
const TFO_MAGIC = 0xf989;

/**
 * Shared by every packet whose header has no options. Frozen: consumers must treat decoded
 * packets as read-only.
 */
export const NO_OPTIONS: TcpOptions = Object.freeze({}) as TcpOptions;

/**
 * TCP header at cur.offset. payloadLen comes from the IP length (cur.end), so a capture cut by
 * the snaplen still gives exact sequence arithmetic; capturedPayloadLen is what is present.
 */
export function decodeTcp(data: Uint8Array, cur: LayerCursor, out: DecodedPacket): boolean {
  const start = cur.offset;
  const capEnd = cur.capEnd;
  const have = capEnd - start;
  if (have < MIN_HEADER) return truncatedAt(out, "TCP header", MIN_HEADER, have);
  const offsetByte = data[start + 12];
  const headerLen = (offsetByte >> 4) * 4;
  if (headerLen < MIN_HEADER) return malformed(out, `TCP header length ${headerLen} is below 20`);

  const payloadOffset = start + headerLen;
  let payloadLen = cur.end - payloadOffset;
  if (payloadLen < 0) {
    out.error = `TCP header length ${headerLen} exceeds the ${cur.end - start} bytes of the IP payload`;
    payloadLen = 0;
  }
  let capturedPayloadLen = capEnd - payloadOffset;
  if (capturedPayloadLen < 0) capturedPayloadLen = 0;
  else if (capturedPayloadLen > payloadLen) capturedPayloadLen = payloadLen;

  let options = NO_OPTIONS;
  if (headerLen > MIN_HEADER) {
    // Options end at the data offset, or earlier when the IP packet (bad header) or the capture (snaplen) ends first.
    const optLimit = Math.min(payloadOffset, cur.end);
    if (capEnd < optLimit) out.truncated = true;
    const optEnd = Math.min(optLimit, capEnd);
    // Fast path for the layout Linux puts on every segment after the handshake: NOP, NOP, timestamps.
    if (
      headerLen === 32 &&
      optEnd === payloadOffset &&
      data[start + 20] === 1 &&
      data[start + 21] === 1 &&
      data[start + 22] === TcpOptionKind.TIMESTAMPS &&
      data[start + 23] === 10
    ) {
      options = cur.reuse?.timestamps ?? newTimestampOptions(cur.reuse);
      options.tsVal = u32(data, start + 24);
      options.tsEcr = u32(data, start + 28);
    } else {
      options = decodeTcpOptions(data, start + MIN_HEADER, optEnd, optEnd < payloadOffset);
    }
  }

  const tcp = cur.reuse?.tcp ?? newTcpHeader(cur.reuse);
  tcp.srcPort = u16(data, start);
  tcp.dstPort = u16(data, start + 2);
  tcp.seq = u32(data, start + 4);
  tcp.ack = u32(data, start + 8);
  tcp.headerLen = headerLen;
  tcp.flags = data[start + 13] | ((offsetByte & 1) << 8);
  tcp.window = u16(data, start + 14);
  tcp.urgent = u16(data, start + 18);
  tcp.payloadLen = payloadLen;
  tcp.capturedPayloadLen = capturedPayloadLen;
  tcp.payloadOffset = payloadOffset;
  tcp.options = options;
  out.tcp = tcp;
  return true;
}

/** A TCP header object for the decoder to fill; kept for refilling when `reuse` is given. */
function newTcpHeader(reuse: ReusedLayers | undefined): TcpHeader {
  const tcp: TcpHeader = {
    srcPort: 0,
    dstPort: 0,
    seq: DOUBLE_ZERO,
    ack: DOUBLE_ZERO,
    headerLen: 0,
    flags: 0,
    window: 0,
    urgent: 0,
    payloadLen: 0,
    capturedPayloadLen: 0,
    payloadOffset: 0,
    options: NO_OPTIONS,
  };
  if (reuse !== undefined) reuse.tcp = tcp;
  return tcp;
}

/**
 * Options holding just the timestamps, for the fast path to fill; kept for refilling when `reuse`
 * is given. Built field by field as decodeTcpOptions() builds them, so both give objects of one
 * shape (a literal would get a map of its own, and every reader of options a polymorphic load).
 */
function newTimestampOptions(reuse: ReusedLayers | undefined): TcpOptions {
  const options: TcpOptions = {};
  options.tsVal = DOUBLE_ZERO;
  options.tsEcr = DOUBLE_ZERO;
  if (reuse !== undefined) reuse.timestamps = options;
  return options;
}

/**
 * Decodes the option list in data[off, end). `cut` says the list continues beyond `end` in the
 * packet (snaplen), which makes an option that runs past `end` a truncation, still flagged
 * `malformed`. Never throws: a bad length stops the walk with `malformed` set.
 */
export function decodeTcpOptions(data: Uint8Array, off: number, end: number, cut = false): TcpOptions {
  const opts: TcpOptions = {};
  if (cut) opts.malformed = true;
  while (off < end) {
    const kind = data[off];
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      off++;
      continue;
    }
    if (end - off < 2) {
      opts.malformed = true;
      break;
    }
    const len = data[off + 1];
    if (len < 2 || off + len > end) {
      opts.malformed = true;
      break;
    }
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len === 4) opts.mss = u16(data, off + 2);
        else opts.malformed = true;
        break;
      case TcpOptionKind.WSCALE:
        if (len === 3) opts.wscale = data[off + 2];
        else opts.malformed = true;
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (len === 2) opts.sackPermitted = true;
        else opts.malformed = true;
        break;
      case TcpOptionKind.SACK:
        if ((len - 2) % 8 === 0 && len > 2) {
          const blocks: [number, number][] = [];
          for (let p = off + 2; p < off + len; p += 8) blocks.push([u32(data, p), u32(data, p + 4)]);
          opts.sack = blocks;
        } else {
          opts.malformed = true;
        }
        break;
      case TcpOptionKind.TIMESTAMPS:
        if (len === 10) {
          opts.tsVal = u32(data, off + 2);
          opts.tsEcr = u32(data, off + 6);
        } else {
          opts.malformed = true;
        }
        break;
      case TcpOptionKind.FAST_OPEN:
        opts.tfo = true;
        break;
      case TcpOptionKind.EXPERIMENTAL:
        if (len >= 4 && u16(data, off + 2) === TFO_MAGIC) opts.tfo = true;
        else addUnknown(opts, kind);
        break;
      default:
        addUnknown(opts, kind);
    }
    off += len;
  }
  return opts;
}

function addUnknown(opts: TcpOptions, kind: number): void {
  if (opts.unknown === undefined) opts.unknown = [kind];
  else opts.unknown.push(kind);
}
