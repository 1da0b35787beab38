// Content sniffing: what the first bytes of an input say it is.
import { pcapMagic } from "./pcap.js";
import { BLOCK_SHB, BYTE_ORDER_MAGIC } from "./pcapng.js";

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** "pcap" or "pcapng" when the head starts like one, else undefined. Needs at least 4 bytes. */
export function captureFormatOf(head: Uint8Array): "pcap" | "pcapng" | undefined {
  if (head.length < 4) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = dv.getUint32(0, false);
  if (pcapMagic(magic)) return "pcap";
  if (magic === BLOCK_SHB) {
    if (head.length < 12) return "pcapng";
    const bom = dv.getUint32(8, false);
    if (bom === BYTE_ORDER_MAGIC || bom === 0x4d3c2b1a) return "pcapng";
  }
  return undefined;
}

/** A short description of what the bytes look like instead, for the "not a capture" error. */
export function describeNonCapture(head: Uint8Array): string {
  if (head.length === 0) return "empty input";
  if (isGzip(head)) return "gzip data (decompress it first)";
  let printable = 0;
  const n = Math.min(head.length, 256);
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) printable++;
  }
  if (printable === n) return "text, not a binary capture";
  const shown = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
  return `unknown magic 0x${shown}`;
}
