// A queue of input chunks read as one byte stream. Parsers read whole frames straight out of the
// head chunk (no copy); only a frame that straddles two chunks is copied, into a fresh buffer, so
// every view handed out stays valid however many chunks are pushed later. A caller that reuses
// its chunks calls ownRemainder() after each push instead.

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

export class ChunkQueue {
  /** Bytes buffered and not yet consumed. */
  length = 0;
  /** Absolute input offset of the first unconsumed byte. */
  offset = 0;
  /** The chunk holding the first unconsumed byte, a DataView over it, and the read position in it. */
  head: Uint8Array = EMPTY;
  headView: DataView = EMPTY_VIEW;
  headPos = 0;
  /**
   * The head chunk's ArrayBuffer and byte offset in it: `new Uint8Array(headBuffer, headBase + i, n)`
   * makes a view several times faster than subarray() on a Buffer (no species constructor lookup).
   */
  headBuffer: ArrayBufferLike = EMPTY.buffer;
  headBase = 0;
  private readonly rest: Uint8Array[] = [];
  /** Our own buffer for the bytes left over by ownRemainder(); grown by doubling. */
  private carry: Uint8Array | undefined;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.length += chunk.length;
    if (this.headPos === this.head.length) this.setHead(chunk);
    else this.rest.push(chunk);
  }

  /** Bytes available contiguously in the head chunk. */
  get headAvailable(): number {
    return this.head.length - this.headPos;
  }

  /** Marks n bytes consumed (n may run past the head chunk). */
  skip(n: number): void {
    this.length -= n;
    this.offset += n;
    let pos = this.headPos + n;
    while (pos >= this.head.length && this.rest.length > 0) {
      pos -= this.head.length;
      this.setHead(this.rest.shift()!);
    }
    this.headPos = pos;
  }

  /**
   * Returns the next n bytes and consumes them: a view into the head chunk when they lie in it,
   * otherwise a copy gathered from the following chunks. The caller checks `length >= n` first.
   */
  consume(n: number): Uint8Array {
    if (this.headAvailable >= n) {
      const view = new Uint8Array(this.headBuffer, this.headBase + this.headPos, n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    this.peekInto(out, n);
    this.skip(n);
    return out;
  }

  /** Copies the next n bytes into target without consuming them. The caller checks `length >= n`. */
  peekInto(target: Uint8Array, n: number): void {
    let filled = 0;
    let chunk = this.head;
    let pos = this.headPos;
    let next = 0;
    while (filled < n) {
      const take = Math.min(n - filled, chunk.length - pos);
      target.set(chunk.subarray(pos, pos + take), filled);
      filled += take;
      if (filled < n) {
        chunk = this.rest[next++];
        pos = 0;
      }
    }
  }

  /**
   * Copies the unconsumed bytes (the start of a frame still incomplete) out of the pushed chunks
   * into a buffer of the queue's own, so the caller may overwrite its chunks. A frame longer than
   * a chunk keeps its first part in place and only the new bytes are appended.
   */
  ownRemainder(): void {
    const n = this.length;
    if (n === 0) {
      this.rest.length = 0;
      this.setHead(EMPTY);
      return;
    }
    let carry = this.carry;
    // Bytes already at the front of the carry buffer (the head is the previous remainder, unread).
    const kept =
      carry !== undefined &&
      this.headPos === 0 &&
      this.head.buffer === carry.buffer &&
      this.head.byteOffset === carry.byteOffset
        ? this.head.length
        : 0;
    if (carry === undefined || carry.length < n) {
      const grown = new Uint8Array(Math.max(n, 2 * (carry?.length ?? 0), 64 * 1024));
      if (kept > 0) grown.set(this.head.subarray(0, kept));
      carry = grown;
      this.carry = grown;
    }
    if (kept > 0) {
      let at = kept;
      for (const chunk of this.rest) {
        carry.set(chunk, at);
        at += chunk.length;
      }
    } else {
      this.peekInto(carry, n);
    }
    this.rest.length = 0;
    this.setHead(carry.subarray(0, n));
  }

  private setHead(chunk: Uint8Array): void {
    // Records point into the head chunk: a plain Uint8Array, never a Buffer, keeps the decoders'
    // byte loads on one kind of array whatever the reader handed in.
    this.head =
      chunk.constructor === Uint8Array
        ? chunk
        : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.headView = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.headBuffer = chunk.buffer;
    this.headBase = chunk.byteOffset;
    this.headPos = 0;
  }
}
