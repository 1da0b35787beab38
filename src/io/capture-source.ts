// Byte sources for the capture reader: a file or stdin, gzip or not, always handed on as the
// decompressed bytes in large chunks. The first 64 KiB are read ahead so callers can sniff the
// format once, even on stdin, and then replayed.
import { close, fstatSync, open, read, readSync, type Stats, statSync } from "node:fs";
import { captureFormatOf, isGzip } from "../core/capture/detect.js";
import { CaptureFormatError } from "../core/capture/errors.js";
import { CaptureParser } from "../core/capture/parser.js";
import type { CaptureFileInfo, PacketRecord, ReaderWarning } from "../core/types.js";
import { DEFAULT_PIPE_BYTES, enlargePipe, wakePipeReader } from "./pipe-size.js";

/**
 * Size of the sniffing window handed out as `head`: at most this, and less only when the input
 * ends first or is a capture whose writer is slower (see openInput).
 */
export const HEAD_BYTES = 64 * 1024;
/** Bytes that tell pcap (4) and pcapng (12, with its byte-order magic) apart from anything else. */
const CAPTURE_MAGIC_BYTES = 12;
/**
 * Read size for files, and the most one read of a pipe or socket asks for. Every read gets a fresh
 * buffer, or, once the consumer allows it (OpenedInput.reuseBuffers), one of a few reused ones.
 */
const READ_CHUNK = 1024 * 1024;
/**
 * Positioned reads of a regular file kept outstanding: two keep the thread pool copying while the
 * main thread parses (one alone left the parser waiting for a third of a 1 GB read).
 */
const READS_IN_FLIGHT = 2;
/** Decompressed chunk size: large chunks keep the per-chunk overhead of the parser negligible. */
const GUNZIP_CHUNK = 256 * 1024;

export interface OpenedInput {
  /**
   * The first bytes of the (decompressed) input, up to 64 KiB; for a capture, possibly only what
   * its first reads gave (at least its 12-byte magic, unless the input is shorter).
   */
  head: Uint8Array;
  /** Every decompressed byte from the start, head included; iterate once. */
  chunks: AsyncIterable<Uint8Array>;
  /** The input was gzip-compressed (detected from content, not the file name). */
  gzip: boolean;
  /**
   * From the next read on, reads into a few page-aligned buffers used in turn instead of fresh
   * memory: each chunk, and every view into it, is then valid only until the next chunk is asked
   * for. `head` stays valid. No effect on gzip input and terminals.
   */
  reuseBuffers(): void;
}

export interface OpenInputOptions {
  /** Warnings about the byte stream itself (a gzip stream that ends early). */
  onWarning?: (w: ReaderWarning) => void;
}

/** A problem with the input bytes outside the capture format (corrupt gzip data). */
export class InputError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "InputError";
    this.code = code;
  }
}

/**
 * Opens a path ("-" = stdin) for reading and reads ahead its first 64 KiB, or less for a capture
 * (known by its magic) from a writer that has not sent that much yet. Errors opening the file are
 * Node's own (err.code ENOENT, EACCES, EISDIR ...), thrown here rather than later.
 */
export async function openInput(path: string, opts?: OpenInputOptions): Promise<OpenedInput> {
  // Reads issued before reuseBuffers() (the sniffing window among them) get fresh memory.
  const buffers: ReadBuffers = { reuse: false, pool: undefined };
  const raw = rawChunks(path, buffers);
  // Gzip is told by its first two bytes; a first chunk of one byte is possible on a pipe.
  const rawHead: Uint8Array[] = [];
  let rawHeadLen = 0;
  let rawDone = false;
  try {
    while (rawHeadLen < 2) {
      const r = await raw.next();
      if (r.done) {
        rawDone = true;
        break;
      }
      rawHead.push(r.value);
      rawHeadLen += r.value.length;
    }
  } catch (err) {
    await raw.return(undefined);
    throw err;
  }
  const gzip = isGzip(leading(rawHead, 2));
  const replayRaw = replay(rawHead, rawDone ? undefined : raw);
  const decoded = gzip ? gunzip(replayRaw, opts?.onWarning) : replayRaw;

  // Read ahead the sniffing window from the decompressed bytes. A capture is known by its first
  // bytes: then whatever came in the first reads will do, so a live writer (`tcpdump -U -w - |`)
  // is not waited for until it has filled the window.
  const ahead: Uint8Array[] = [];
  let aheadLen = 0;
  let done = false;
  try {
    while (aheadLen < HEAD_BYTES) {
      const r = await decoded.next();
      if (r.done) {
        done = true;
        break;
      }
      if (r.value.length === 0) continue;
      ahead.push(r.value);
      const before = aheadLen;
      aheadLen += r.value.length;
      // Asked once, by the chunk that completes the magic.
      if (before < CAPTURE_MAGIC_BYTES && aheadLen >= CAPTURE_MAGIC_BYTES) {
        if (captureFormatOf(leading(ahead, CAPTURE_MAGIC_BYTES))) break;
      }
    }
  } catch (err) {
    await decoded.return(undefined);
    throw err;
  }
  return {
    head: leading(ahead, HEAD_BYTES),
    chunks: replay(ahead, done ? undefined : decoded),
    gzip,
    reuseBuffers: () => {
      if (!gzip) buffers.reuse = true;
    },
  };
}

/**
 * Reads a whole capture file (or "-" for stdin), calling onRecord for every packet in order.
 * Throws an Error with a one-line message `<path>: <what> at byte <offset>` on input that is not
 * a readable capture; the original error is its `cause`.
 */
export async function readCaptureFile(
  path: string,
  onRecord: (r: PacketRecord) => void,
  opts?: {
    onWarning?: (w: ReaderWarning) => void;
    /**
     * Records (their `data`) are valid only during the onRecord call: the file is then read
     * into reused buffers, which costs the kernel less than fresh memory, and one record object
     * is refilled for every record.
     */
    transientRecords?: boolean;
  },
): Promise<CaptureFileInfo> {
  const name = path === "-" ? "stdin" : path;
  // Warnings about the byte stream (gzip) also end up in the file info, after the reader's own.
  const streamWarnings: string[] = [];
  const onStreamWarning = (w: ReaderWarning) => {
    streamWarnings.push(w.message);
    opts?.onWarning?.(w);
  };
  let input: OpenedInput;
  try {
    input = await openInput(path, { onWarning: onStreamWarning });
  } catch (err) {
    throw describeOpenError(name, err);
  }
  const transient = opts?.transientRecords ?? false;
  if (transient) input.reuseBuffers();
  const parser = new CaptureParser({
    onWarning: opts?.onWarning,
    reusedChunks: transient,
    reusedRecords: transient,
  });
  try {
    for await (const chunk of input.chunks) parser.push(chunk, onRecord);
    const info = parser.end();
    info.gzip = input.gzip;
    info.warnings.push(...streamWarnings);
    return info;
  } catch (err) {
    if (err instanceof CaptureFormatError || err instanceof InputError) {
      throw new Error(`${name}: ${err.message}`, { cause: err });
    }
    if (isSystemError(err)) throw describeOpenError(name, err);
    throw err;
  }
}

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string";
}

function describeOpenError(name: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const what =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "is a directory, expected a capture file"
          : err instanceof Error
            ? err.message
            : String(err);
  return new Error(`${name}: ${what}`, { cause: err });
}

/** The raw bytes of a path, or of stdin for "-". */
function rawChunks(path: string, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  if (path !== "-") return fileChunks(path, buffers);
  // Stdin redirected from a file reads like a file (from wherever its offset stands, so one read
  // at a time); a pipe (`tcpdump -w - |`) by reads on the thread pool; a socket (a parent
  // process's stdio) by blocking reads on this thread; a terminal through process.stdin.
  const kind = descriptorKind(0);
  if (kind === "file") return fdChunks(0, buffers);
  if (kind === "pipe") return pipeChunks(0, buffers, stdinChunks());
  if (kind === "socket") return socketChunks(0, buffers, stdinChunks());
  return stdinChunks();
}

type InputKind = "file" | "pipe" | "socket" | "other";

function descriptorKind(fd: number): InputKind {
  try {
    return kindOf(fstatSync(fd));
  } catch {
    return "other";
  }
}

function kindOf(st: Stats): InputKind {
  return st.isFile() ? "file" : st.isFIFO() ? "pipe" : st.isSocket() ? "socket" : "other";
}

/** The input ("-" = stdin) is a pipe: stdin from `tcpdump -w - |`, or a named pipe. */
export function isPipeInput(path: string): boolean {
  try {
    return (path === "-" ? descriptorKind(0) : kindOf(statSync(path))) === "pipe";
  } catch {
    return false;
  }
}

async function* fileChunks(path: string, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  const fd = await new Promise<number>((resolve, reject) =>
    open(path, "r", (err, fd) => (err ? reject(err) : resolve(fd))),
  );
  try {
    // A named pipe (opened blocking, by us) reads like stdin's; a character device has no
    // positions: one sequential read at a time.
    const kind = descriptorKind(fd);
    yield* kind === "file"
      ? fileChunksAt(fd, buffers)
      : kind === "pipe"
        ? pipeChunks(fd, buffers)
        : kind === "socket"
          ? socketChunks(fd, buffers)
          : fdChunks(fd, buffers);
  } finally {
    close(fd, () => {});
  }
}

/**
 * Reads a regular file from its start with READS_IN_FLIGHT positioned reads outstanding, each into
 * a buffer from `buffers` (fresh, or the pool once the consumer allows it): the copies out of the
 * page cache run on the thread pool, side by side and alongside the parsing of the previous chunk
 * on the main thread.
 * A short read means the end of the file as it stood then; a file still being written (tcpdump -w)
 * goes on from exactly there, so no byte is skipped or read twice.
 */
async function* fileChunksAt(fd: number, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  const pending: { at: number; read: Promise<Uint8Array | undefined> }[] = [];
  let nextAt = 0;
  const fill = () => {
    while (pending.length < READS_IN_FLIGHT) {
      pending.push({ at: nextAt, read: readChunk(fd, nextAt, buffers) });
      nextAt += READ_CHUNK;
    }
  };
  try {
    fill();
    for (;;) {
      const { at, read: next } = pending.shift()!;
      const chunk = await next;
      if (chunk === undefined) return;
      if (chunk.length < READ_CHUNK) {
        // Reads issued past this one raced the end of the file: drop them, go on from here.
        for (const p of pending) await p.read.catch(() => undefined);
        pending.length = 0;
        nextAt = at + chunk.length;
      }
      fill();
      yield chunk;
    }
  } finally {
    // Never let the descriptor be closed under a read still in flight.
    for (const p of pending) await p.read.catch(() => undefined);
  }
}

/**
 * Reads a file descriptor from its current offset in READ_CHUNK pieces, each into a buffer from
 * `buffers`, with one read always in flight so the thread-pool read overlaps the parsing of the
 * previous chunk.
 */
async function* fdChunks(fd: number, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  let next = readChunk(fd, null, buffers);
  try {
    for (;;) {
      const chunk = await next;
      if (chunk === undefined) return;
      next = readChunk(fd, null, buffers);
      yield chunk;
    }
  } finally {
    await next.catch(() => undefined);
  }
}

/**
 * Where reads go: fresh memory each (records may keep views into old chunks), or, once the
 * consumer allows it, the pool, made at the first read that needs it (a small file never does).
 */
interface ReadBuffers {
  reuse: boolean;
  pool: ReadBufferPool | undefined;
}

/** The next buffer of the pool once the consumer allows reuse; undefined while reads get fresh memory. */
function pooledBuffer(buffers: ReadBuffers): Uint8Array | undefined {
  return buffers.reuse ? (buffers.pool ??= new ReadBufferPool(READS_IN_FLIGHT + 2)).take() : undefined;
}

/**
 * A few READ_CHUNK buffers, handed out in turn: with READS_IN_FLIGHT reads outstanding and one
 * chunk being parsed, a buffer comes round again only after its chunk was let go of.
 *
 * Why: the kernel's copy out of the page cache is cheapest into memory that is already mapped
 * and page-aligned. Reading 1.1 GB here took 0.21 s of system time into reused page-aligned
 * buffers, 0.45 s into fresh ones (a page fault every 4 KiB), and 0.73 s into a reused Buffer:
 * Node's large Buffers start 16 bytes past a page boundary, the slowest alignment for that copy.
 * A WebAssembly memory is the page-aligned ArrayBuffer JavaScript can allocate.
 */
class ReadBufferPool {
  private readonly memory: ArrayBuffer;
  private readonly base: number;
  private turn = 0;

  constructor(private readonly size: number) {
    const bytes = size * READ_CHUNK;
    try {
      const pages = Math.ceil(bytes / WASM_PAGE);
      this.memory = new wasm!.Memory({ initial: pages, maximum: pages }).buffer;
      this.base = 0;
    } catch {
      // No room for a WebAssembly memory (address-space limits): ordinary memory, still reused.
      this.memory = new ArrayBuffer(bytes + 64);
      this.base = 64;
    }
  }

  take(): Uint8Array {
    const i = this.turn++ % this.size;
    return new Uint8Array(this.memory, this.base + i * READ_CHUNK, READ_CHUNK);
  }
}

const WASM_PAGE = 64 * 1024;
/** WebAssembly as far as used here (the TypeScript libraries for Node do not declare it). */
const wasm = (
  globalThis as {
    WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/** One read of up to READ_CHUNK bytes at `position` (null: the descriptor's offset); undefined at the end. */
function readChunk(
  fd: number,
  position: number | null,
  buffers: ReadBuffers,
): Promise<Uint8Array | undefined> {
  const buf = pooledBuffer(buffers) ?? Buffer.allocUnsafeSlow(READ_CHUNK);
  return readInto(fd, buf, position).then((n) =>
    n === 0 ? undefined : n === READ_CHUNK ? buf : buf.subarray(0, n),
  );
}

/** One read of up to READ_CHUNK bytes into `buf`, on the thread pool; resolves to the count. */
function readInto(fd: number, buf: Uint8Array, position: number | null): Promise<number> {
  const p = new Promise<number>((resolve, reject) =>
    read(fd, buf, 0, READ_CHUNK, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
  // The read-ahead may fail before anyone awaits it: that is not an unhandled rejection.
  p.catch(() => undefined);
  return p;
}

/**
 * Where the reads of a pipe or socket go: the pool once the consumer allows it, else one scratch
 * buffer whose bytes are copied out at the size read (a slow writer such as a live tcpdump gives
 * reads of a few hundred bytes, which must not each keep a 1 MiB buffer alive).
 */
class StreamBuffers {
  private scratch: Uint8Array | undefined;

  constructor(private readonly buffers: ReadBuffers) {}

  /** The buffer for the next read. */
  next(): Uint8Array {
    return pooledBuffer(this.buffers) ?? (this.scratch ??= new Uint8Array(READ_CHUNK));
  }

  /** The chunk a read of `n` bytes into `buf` (from next()) gives. */
  chunk(buf: Uint8Array, n: number): Uint8Array {
    return buf === this.scratch ? buf.slice(0, n) : buf.subarray(0, n);
  }
}

/**
 * Reads a pipe with one read always in flight on the thread pool, as a file is read: the copy out
 * of the kernel runs beside the parsing of the previous chunk instead of on the thread that
 * parses. Each read takes whatever the pipe holds (see StreamBuffers for where it goes).
 *
 * A pipe that a read finds full (a bulk writer such as `cat` or `tcpdump -w -`) is enlarged, once,
 * to cut the number of reads and wake-ups (see pipe-size.ts).
 *
 * Measured on a 1-million-packet capture fed by `cat` (182 MB), against the file: blocking reads on
 * the main thread took 1.2-1.3 times as long from a default pipe and 1.08 from the enlarged one;
 * these reads of the enlarged pipe, 1.02.
 *
 * Leaving early with a read still waiting matters: libuv joins its threads at exit, so a read
 * waiting on a pipe whose writer stays open and silent (an idle tcpdump) would hold the exit for
 * ever. The pipe is then given one byte of our own (see wakePipeReader), which ends that read.
 *
 * A descriptor someone else made non-blocking (stdin: EAGAIN) goes on through `whenNonBlocking`,
 * from exactly where these reads stopped; without it, EAGAIN is an error like any other.
 */
async function* pipeChunks(
  fd: number,
  buffers: ReadBuffers,
  whenNonBlocking?: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const reading: PipeReading = { fd, interrupted: false };
  pipesBeingRead.add(reading);
  const into = new StreamBuffers(buffers);
  const readPipe = (): Promise<Uint8Array | undefined> => {
    const buf = into.next();
    return readInto(fd, buf, null).then((n) => (n === 0 ? undefined : into.chunk(buf, n)));
  };
  let enlarge = true;
  let pending: Promise<Uint8Array | undefined> | undefined = readPipe();
  try {
    for (;;) {
      let chunk: Uint8Array | undefined;
      try {
        chunk = await pending;
      } catch (err) {
        pending = undefined;
        if ((err as NodeJS.ErrnoException).code === "EAGAIN" && whenNonBlocking) {
          yield* whenNonBlocking;
          return;
        }
        throw err;
      }
      if (chunk === undefined || reading.interrupted) {
        // The end of the input, or an interrupt: what came with it is cut off anyway.
        pending = undefined;
        return;
      }
      if (enlarge && chunk.length >= DEFAULT_PIPE_BYTES) {
        enlarge = false;
        enlargePipe(fd);
      }
      pending = readPipe();
      yield chunk;
    }
  } finally {
    pipesBeingRead.delete(reading);
    if (pending) wakePipeReader(fd);
  }
}

interface PipeReading {
  fd: number;
  interrupted: boolean;
}

/** The pipes pipeChunks is reading right now. */
const pipesBeingRead = new Set<PipeReading>();

/**
 * Ends every pipe being read as if its writer had closed it (a Ctrl-C on `tcpdump -w - |
 * tcpdoctor conns -`: report what came so far). Returns how many there were; 0 means nothing is
 * being read from a pipe now. Takes effect at the read in flight, which is woken for it.
 */
export function interruptPipeInputs(): number {
  const n = pipesBeingRead.size;
  for (const reading of pipesBeingRead) {
    if (reading.interrupted) continue;
    reading.interrupted = true;
    wakePipeReader(reading.fd);
  }
  return n;
}

/**
 * Reads a socket by blocking reads on the main thread, each of whatever the socket holds (see
 * StreamBuffers for where it goes). (A socket cannot be handed a byte of our own to end a read
 * left waiting at exit, see pipeChunks; its larger buffer already makes its reads few.)
 *
 * Why not the event loop: the per-read cost of the stream machinery, paid on the same thread that
 * parses, made stdin 1.6 times slower than the file for a 1-million-packet capture; these reads
 * come within about 1.1. Nothing else of the process waits meanwhile (Ctrl-C still ends it: the
 * command line handles SIGINT itself only for pipe inputs, which are read off this thread), and
 * the event loop is let run every few reads so that timers and errors reported on the next tick
 * (EPIPE on stdout) are not held up behind a fast producer.
 *
 * A descriptor someone else made non-blocking (stdin: EAGAIN) goes on through `whenNonBlocking`,
 * from exactly where these reads stopped; without it, EAGAIN is an error like any other.
 */
async function* socketChunks(
  fd: number,
  buffers: ReadBuffers,
  whenNonBlocking?: AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const into = new StreamBuffers(buffers);
  let reads = 0;
  for (;;) {
    const buf = into.next();
    let n: number;
    try {
      n = readSync(fd, buf, 0, READ_CHUNK, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EINTR") continue;
      if (code === "EAGAIN" && whenNonBlocking) {
        yield* whenNonBlocking;
        return;
      }
      throw err;
    }
    if (n === 0) return;
    yield into.chunk(buf, n);
    if (++reads % YIELD_EVERY_READS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Blocking socket reads between two turns of the event loop. */
const YIELD_EVERY_READS = 16;

async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  // Leaving early must not destroy process.stdin: it belongs to the whole process.
  for await (const chunk of process.stdin.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array;
}

/** Yields the already-read chunks, then the rest of the source; closes the source when left early. */
async function* replay(
  first: Uint8Array[],
  rest: AsyncGenerator<Uint8Array> | undefined,
): AsyncGenerator<Uint8Array> {
  try {
    for (const c of first) yield c;
    first.length = 0;
    if (!rest) return;
    for (;;) {
      const r = await rest.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await rest?.return(undefined);
  }
}

async function* gunzip(
  compressed: AsyncGenerator<Uint8Array>,
  onWarning: ((w: ReaderWarning) => void) | undefined,
): AsyncGenerator<Uint8Array> {
  // Loaded here: node:zlib costs every run a few ms, and most captures are not gzip'd.
  const { createGunzip } = await import("node:zlib");
  const z = createGunzip({ chunkSize: GUNZIP_CHUNK });
  let inputError: unknown;
  const drainedOrClosed = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        z.off("drain", done);
        z.off("close", done);
        resolve();
      };
      z.on("drain", done);
      z.on("close", done);
    });
  // Feed the decompressor by hand, honouring back-pressure, so an error reading the file stays
  // that error instead of becoming a zlib one. Left running on its own when the consumer stops.
  const feed = (async () => {
    try {
      for await (const c of compressed) {
        if (z.destroyed) return;
        if (!z.write(c)) await drainedOrClosed();
      }
      if (!z.destroyed) z.end();
    } catch (err) {
      inputError = err;
      z.destroy();
    }
  })();
  try {
    for await (const out of z) yield out as Uint8Array;
  } catch (err) {
    if (inputError) throw inputError;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (code === "Z_BUF_ERROR") {
      // The compressed stream stops early: keep what decompressed, like a capture cut short.
      onWarning?.({
        code: "GZIP_TRUNCATED",
        offset: z.bytesWritten,
        message: `gzip stream ends early at compressed byte ${z.bytesWritten}; the data before it is kept`,
      });
      return;
    }
    throw new InputError(
      "GZIP_CORRUPT",
      `corrupt gzip data (${(err as Error).message}) in the compressed input at byte ${z.bytesWritten}`,
    );
  } finally {
    z.destroy();
  }
  await feed;
  if (inputError) throw inputError;
}

/** The first `n` bytes of `parts` (all of them when fewer), copied only when they span parts. */
function leading(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length > 0 && parts[0].length >= n) return parts[0].subarray(0, n);
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(Math.min(n, total));
  let at = 0;
  for (const p of parts) {
    if (at >= out.length) break;
    const take = p.subarray(0, out.length - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}
