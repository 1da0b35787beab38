// What the format readers share with the parser that drives them.
import type { CaptureFileInfo, PacketRecord, ReaderWarning } from "../types.js";
import type { ChunkQueue } from "./chunk-queue.js";

export type EmitRecord = (rec: PacketRecord) => void;

/** A reader of one container format, fed through the parser's chunk queue. */
export interface FormatReader {
  /** Number of records emitted so far (the last frame number). */
  readonly frames: number;
  /** Consumes every complete header/record/block in the queue; leaves an incomplete one queued. */
  drain(queue: ChunkQueue, emit: EmitRecord): void;
  /** The file header (or first section header) has been read completely. */
  readonly started: boolean;
  /** Size and name of the header still being waited for, for the error at end of input. */
  readonly headerName: string;
}

export interface ReaderContext {
  info: CaptureFileInfo;
  warn(w: ReaderWarning): void;
  /** With the parser's reusedRecords: the one record every emit refills. */
  record: PacketRecord | undefined;
}

/**
 * The record to emit: `reused` refilled when the parser reuses its record, else a new one. One
 * literal for both, so fresh and reused records have one shape.
 */
export function makeRecord(
  reused: PacketRecord | undefined,
  frame: number,
  tsSec: number,
  tsNsec: number,
  interfaceId: number,
  linkType: number,
  capLen: number,
  origLen: number,
  bytes: Uint8Array,
  start: number,
): PacketRecord {
  if (reused === undefined)
    return { frame, tsSec, tsNsec, interfaceId, linkType, capLen, origLen, bytes, start };
  reused.frame = frame;
  reused.tsSec = tsSec;
  reused.tsNsec = tsNsec;
  reused.interfaceId = interfaceId;
  reused.linkType = linkType;
  reused.capLen = capLen;
  reused.origLen = origLen;
  reused.bytes = bytes;
  reused.start = start;
  return reused;
}

/** The captured bytes of a record, as one view (no copy). */
export function recordBytes(rec: PacketRecord): Uint8Array {
  return rec.bytes.subarray(rec.start, rec.start + rec.capLen);
}

/**
 * Largest record or block we accept. Real capture tools stay far below (262144-byte snaplen);
 * anything bigger means the length field is garbage, and waiting for that many bytes would hide
 * the corruption behind a huge allocation.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}
