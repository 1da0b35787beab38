import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChunkQueue } from "../../../src/core/capture/chunk-queue.js";

describe("ChunkQueue", () => {
  it("returns views inside one chunk and copies across chunks, tracking the absolute offset", () => {
    const a = Uint8Array.of(1, 2, 3, 4);
    const b = Uint8Array.of(5, 6);
    const c = Uint8Array.of(7, 8, 9);
    const q = new ChunkQueue();
    q.push(a);
    q.push(new Uint8Array(0));
    q.push(b);
    q.push(c);
    assert.equal(q.length, 9);

    const first = q.consume(2);
    assert.equal(first.buffer, a.buffer, "contiguous bytes are a view");
    assert.deepEqual([...first], [1, 2]);
    assert.equal(q.offset, 2);

    const across = q.consume(5);
    assert.deepEqual([...across], [3, 4, 5, 6, 7]);
    assert.notEqual(across.buffer, a.buffer);
    assert.notEqual(across.buffer, c.buffer);
    assert.equal(q.offset, 7);
    assert.equal(q.length, 2);
    assert.equal(q.head, c);
    assert.equal(q.headPos, 1);

    const peek = new Uint8Array(2);
    q.peekInto(peek, 2);
    assert.deepEqual([...peek], [8, 9]);
    assert.equal(q.length, 2, "peeking consumes nothing");
    q.skip(2);
    assert.equal(q.length, 0);
    assert.equal(q.headAvailable, 0);
    q.push(Uint8Array.of(10));
    assert.deepEqual([...q.consume(1)], [10]);
    assert.equal(q.offset, 10);
  });

  it("skips across several chunks at once", () => {
    const q = new ChunkQueue();
    for (let i = 0; i < 5; i++) q.push(Uint8Array.of(i * 2, i * 2 + 1));
    q.skip(7);
    assert.equal(q.offset, 7);
    assert.deepEqual([...q.consume(3)], [7, 8, 9]);
  });

  it("copies what is left unconsumed out of chunks the caller will overwrite", () => {
    const q = new ChunkQueue();
    const chunk = Uint8Array.of(1, 2, 3, 4, 5);
    q.push(chunk);
    q.skip(3);
    q.ownRemainder();
    chunk.fill(0);
    assert.equal(q.length, 2);
    assert.equal(q.offset, 3);
    assert.deepEqual([...q.consume(2)], [4, 5]);
    q.ownRemainder();
    assert.equal(q.length, 0);
  });

  it("grows its own buffer for a frame longer than a chunk, appending only the new bytes", () => {
    const q = new ChunkQueue();
    const chunk = new Uint8Array(40_000);
    const expected: number[] = [];
    for (let i = 0; i < 5; i++) {
      chunk.fill(i + 1);
      for (let j = 0; j < chunk.length; j++) expected.push(i + 1);
      q.push(chunk);
      q.ownRemainder();
    }
    chunk.fill(0);
    assert.equal(q.length, 200_000);
    const all = q.consume(200_000);
    assert.equal(all.length, 200_000);
    assert.ok(all.every((b, i) => b === expected[i]));
  });
});
