// A queue of input chunks read as one byte stream. Parsers read whole frames straight out of the
// head chunk (no copy); only a frame that straddles two chunks is copied, into a fresh buffer, so
// every view handed out stays valid however many chunks are pushed later.

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

  private setHead(chunk: Uint8Array): void {
    this.head = chunk;
    this.headView = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.headBuffer = chunk.buffer;
    this.headBase = chunk.byteOffset;
    this.headPos = 0;
  }
}
