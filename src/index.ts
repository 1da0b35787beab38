// tcpdoctor as a library: the pure analysis core, the parsers, the rules and the report model.
// The CLI (src/cli) is one user of these; none of them needs it.
export * from "./core/types.js";
export * from "./core/tcp/types.js";
export { CaptureFormatError, CaptureParser, captureFormatOf, isGzip } from "./core/capture/index.js";
export { decodePacket } from "./core/decode/index.js";
export { TcpAnalyzer } from "./core/tcp/analyzer.js";
export { ConnectionTracker } from "./core/tcp/connections.js";
export { CaptureAnalysis } from "./core/pipeline.js";
export type * from "./host/types.js";
export { mergeSnapshots, counterDeltas } from "./host/merge.js";
export { detectText, parseHostText } from "./text/detect.js";
export { parseTcpdump, looksLikeTcpdump } from "./text/tcpdump.js";
export { parseSs } from "./text/ss.js";
export type * from "./rules/types.js";
export { diagnose, listRules, allRules } from "./rules/engine.js";
export { catalogue, makeFinding } from "./rules/catalogue.js";
export { buildReport, type Report } from "./report/model.js";
export { reportJson } from "./report/json.js";
export { renderHuman } from "./report/human.js";
export { explainText } from "./explain/index.js";
export { loadEvidence } from "./io/evidence.js";
export { readCaptureFile, openInput } from "./io/capture-source.js";
export { VERSION } from "./version.js";
