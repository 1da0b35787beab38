// tcpdoctor as a library: the pure analysis core, the parsers, the rules and the report model.
// The CLI (src/cli) is one user of these; none of them needs it.

export {
  CaptureFormatError,
  CaptureParser,
  captureFormatOf,
  isGzip,
  recordBytes,
} from "./core/capture/index.js";
export { decodePacket, packetDecoder } from "./core/decode/index.js";
export { CaptureAnalysis } from "./core/pipeline.js";
export { TcpAnalyzer } from "./core/tcp/analyzer.js";
export { ConnectionTracker } from "./core/tcp/connections.js";
export * from "./core/tcp/types.js";
export * from "./core/types.js";
export { explainText } from "./explain/index.js";
export { counterDeltas, mergeSnapshots } from "./host/merge.js";
export type * from "./host/types.js";
export { openInput, readCaptureFile } from "./io/capture-source.js";
export { loadEvidence } from "./io/evidence.js";
export { renderHuman } from "./report/human.js";
export { reportJson } from "./report/json.js";
export { buildReport, type Report } from "./report/model.js";
export { catalogue, makeFinding } from "./rules/catalogue.js";
export { allRules, diagnose, listRules } from "./rules/engine.js";
export type * from "./rules/types.js";
export { detectText, parseHostText } from "./text/detect.js";
export { parseSs } from "./text/ss.js";
export { looksLikeTcpdump, parseTcpdump } from "./text/tcpdump.js";
export { VERSION } from "./version.js";
