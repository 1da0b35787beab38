// Public surface of the capture reader.
export { ChunkQueue } from "./chunk-queue.js";
export { captureFormatOf, describeNonCapture, isGzip } from "./detect.js";
export { type CaptureErrorCode, CaptureFormatError } from "./errors.js";
export { CaptureParser, type CaptureParserOptions } from "./parser.js";
export { recordBytes } from "./shared.js";
export { type SplitTime, splitTimestamp, type TsResolution, tsResolution } from "./timestamp.js";
