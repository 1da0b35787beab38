// Errors of the capture reader: a stable code, the byte offset, and a message saying what was expected there.

/** Stable codes of CaptureFormatError (callers may branch on them; messages may change). */
export type CaptureErrorCode =
  | "EMPTY_INPUT"
  | "SHORT_HEADER"
  | "BAD_MAGIC"
  | "BAD_VERSION"
  | "BAD_RECORD_LENGTH"
  | "BAD_BLOCK_LENGTH"
  | "BAD_BLOCK_TRAILER"
  | "BAD_BLOCK"
  | "NO_SECTION";

/** The input is not a well-formed capture file: the header or a block/record frame is broken. */
export class CaptureFormatError extends Error {
  readonly code: CaptureErrorCode;
  /** Byte offset (in the decompressed input) of the header, record or block that is broken. */
  readonly offset: number;

  constructor(code: CaptureErrorCode, offset: number, what: string) {
    super(`${what} at byte ${offset}`);
    this.name = "CaptureFormatError";
    this.code = code;
    this.offset = offset;
  }
}
