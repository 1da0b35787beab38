// The streaming capture reader: push bytes in any chunking, get one PacketRecord per packet,
// synchronously. The container format (pcap or pcapng) is detected from the first bytes.
import type { CaptureFileInfo, PacketRecord, ReaderWarning } from "../types.js";
import { ChunkQueue } from "./chunk-queue.js";
import { describeNonCapture } from "./detect.js";
import { CaptureFormatError } from "./errors.js";
import { PcapReader, pcapMagic } from "./pcap.js";
import { BLOCK_SHB, PcapngReader } from "./pcapng.js";
import { type FormatReader, makeRecord, type ReaderContext } from "./shared.js";

export { captureFormatOf, isGzip } from "./detect.js";
export type { CaptureErrorCode } from "./errors.js";
export { CaptureFormatError } from "./errors.js";
export { recordBytes } from "./shared.js";

export interface CaptureParserOptions {
  /** Called for every warning as it happens (they are also collected in info.warnings). */
  onWarning?: (w: ReaderWarning) => void;
  /**
   * The caller overwrites each chunk once push() has returned (a reader reusing its buffers):
   * the parser then copies the incomplete frame at a chunk's end, and records (their `bytes`)
   * are valid only until push() returns.
   */
  reusedChunks?: boolean;
  /**
   * The caller keeps nothing of a record past its callback (it may keep `bytes`, on the terms of
   * reusedChunks): one record object is then refilled for every record, instead of one each.
   */
  reusedRecords?: boolean;
}

/** info.warnings keeps this many messages; the rest are counted in one closing line. */
const MAX_KEPT_WARNINGS = 100;

/**
 * Reads pcap and pcapng from bytes pushed in any chunking. Records point into the pushed chunks:
 * a consumer that keeps `bytes` long after the callback keeps the whole chunk alive and should
 * copy (`recordBytes(rec).slice()`). After a CaptureFormatError the parser is not usable further.
 */
export class CaptureParser {
  private readonly queue = new ChunkQueue();
  private reader: FormatReader | undefined;
  private readonly ctx: ReaderContext;
  private readonly onWarning: ((w: ReaderWarning) => void) | undefined;
  private readonly reusedChunks: boolean;
  private readonly fileInfo: CaptureFileInfo = {
    format: "pcap",
    gzip: false,
    tsPrecision: 6,
    interfaces: [],
    packets: 0,
    warnings: [],
  };
  private droppedWarnings = 0;
  private ended = false;

  constructor(opts?: CaptureParserOptions) {
    this.onWarning = opts?.onWarning;
    this.reusedChunks = opts?.reusedChunks ?? false;
    this.ctx = {
      info: this.fileInfo,
      warn: (w) => this.warn(w),
      record: opts?.reusedRecords
        ? makeRecord(undefined, 0, 0, 0, 0, 0, 0, 0, new Uint8Array(0), 0)
        : undefined,
    };
  }

  /**
   * Facts about the file so far (final after end()). `format` is only meaningful once the file
   * header has been read; `gzip` is the caller's to set (the parser only sees decompressed bytes).
   */
  get info(): CaptureFileInfo {
    if (this.reader) this.fileInfo.packets = this.reader.frames;
    return this.fileInfo;
  }

  /**
   * Feeds the next bytes of the file; calls emit for every packet completed by them, in order.
   * The records' bytes are the pushed chunks (or a fresh copy for a packet split across chunks)
   * and stay valid after later pushes, as long as the caller does not reuse chunks.
   * Throws CaptureFormatError when the file header or a record/block frame is broken.
   */
  push(chunk: Uint8Array, emit: (rec: PacketRecord) => void): void {
    if (this.ended) throw new Error("CaptureParser.push() after end()");
    const q = this.queue;
    q.push(chunk);
    if (!this.reader && q.length >= 4) this.reader = this.readerFor(q);
    this.reader?.drain(q, emit);
    if (this.reusedChunks) q.ownRemainder();
  }

  /** Declares the end of input: notes a record cut short, and returns the final file info. */
  end(): CaptureFileInfo {
    if (this.ended) return this.info;
    this.ended = true;
    const q = this.queue;
    const reader = this.reader;
    if (!reader) {
      const head = new Uint8Array(q.length);
      q.peekInto(head, q.length);
      if (q.length === 0) {
        throw new CaptureFormatError("EMPTY_INPUT", 0, "empty input: expected a pcap or pcapng file header");
      }
      throw new CaptureFormatError(
        "SHORT_HEADER",
        0,
        `input of ${q.length} bytes is too short for a capture file header (${describeNonCapture(head)})`,
      );
    }
    if (!reader.started) {
      throw new CaptureFormatError(
        "SHORT_HEADER",
        q.offset,
        `input ends after ${q.length} bytes, inside ${reader.headerName}`,
      );
    }
    const info = this.info;
    if (q.length > 0) {
      info.truncatedAt = q.offset;
      this.warn({
        code: "TRUNCATED",
        offset: q.offset,
        message: `capture ends inside a ${info.format === "pcap" ? "record" : "block"} at byte ${q.offset} (${q.length} bytes of it present); the packets before it are kept`,
      });
    }
    if (this.droppedWarnings > 0) info.warnings.push(`... and ${this.droppedWarnings} more warnings`);
    return info;
  }

  private readerFor(q: ChunkQueue): FormatReader {
    const head = new Uint8Array(Math.min(q.length, 256));
    q.peekInto(head, head.length);
    const magic = new DataView(head.buffer).getUint32(0, false);
    if (pcapMagic(magic)) return new PcapReader(this.ctx);
    if (magic === BLOCK_SHB) return new PcapngReader(this.ctx);
    throw new CaptureFormatError(
      "BAD_MAGIC",
      0,
      `not a capture file (${describeNonCapture(head)}): expected a pcap magic (a1b2c3d4 or a1b23c4d, either byte order) or a pcapng section header block (0a0d0d0a)`,
    );
  }

  private warn(w: ReaderWarning): void {
    if (this.fileInfo.warnings.length < MAX_KEPT_WARNINGS) this.fileInfo.warnings.push(w.message);
    else this.droppedWarnings++;
    this.onWarning?.(w);
  }
}
