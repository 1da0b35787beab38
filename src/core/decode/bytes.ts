// Big-endian field reads straight from the byte array: TurboFan inlines these, and they avoid
// creating a DataView per record (records are views into shared reader chunks).

/** Unsigned 16-bit big-endian value at `off`. The caller has checked the bounds. */
export function u16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

/** Unsigned 32-bit big-endian value at `off` (0 .. 2^32-1). The caller has checked the bounds. */
export function u32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** Unsigned 32-bit little-endian value at `off`. */
export function u32le(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}
