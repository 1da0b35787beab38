// Turns the command line's inputs into evidence: each file, stdin or directory is recognised by its
// content (never its name) and routed to the capture pipeline, the tcpdump text parser, or the host
// text parsers. The only place where `analyze` touches the file system.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { errorLine, isInternalError, UserError } from "../cli/errors.js";
import { CaptureParser, captureFormatOf, isGzip } from "../core/capture/index.js";
import { decodePacket, linkDecoders, packetDecoder } from "../core/decode/index.js";
import { CaptureAnalysis } from "../core/pipeline.js";
import { withStream } from "../core/tcp/connections.js";
import type { ConnectionSummary, PacketAnalysis } from "../core/tcp/types.js";
import type { DecodedPacket, PacketRecord } from "../core/types.js";
import type { HostSnapshot } from "../host/types.js";
import type { CaptureFacts } from "../rules/types.js";
import { type OpenedInput, openInput } from "./capture-source.js";
import { collectGarbage } from "./gc.js";

export interface InputInfo {
  path: string;
  format: string;
  packets?: number;
  warnings: string[];
}

// The text and host parsers (twenty modules) load only when an input needs them: a capture,
// the common case, starts that much sooner.
const textParsers = () => import("../text/detect.js");
const tcpdumpParser = () => import("../text/tcpdump.js");

export interface Evidence {
  inputs: InputInfo[];
  connections: ConnectionSummary[];
  capture?: CaptureFacts;
  host?: HostSnapshot;
}

/** A path ("-" for stdin), or bytes already read (e.g. stdin that must be read twice). */
export type InputSource = string | { name: string; bytes: Uint8Array };

/** Same shape as openInput, over bytes in memory (gunzipped when they are gzip). */
export function openBytes(bytes: Uint8Array): OpenedInput {
  const gzip = isGzip(bytes);
  // A sync flush keeps what decompressed from a gzip stream cut short, like the streaming reader.
  const data = gzip ? gunzipWhole(bytes) : bytes;
  return {
    head: data.subarray(0, 65536),
    gzip,
    chunks: (async function* () {
      yield data;
    })(),
    reuseBuffers: () => {},
  };
}

// node:zlib costs every run a few ms to load, and most inputs are not gzip'd.
const requireBuiltin = createRequire(import.meta.url);

function gunzipWhole(bytes: Uint8Array): Uint8Array {
  const { gunzipSync, constants } = requireBuiltin("node:zlib") as typeof import("node:zlib");
  return new Uint8Array(gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }));
}

/** Reads a whole input (file or "-") into memory, bounded. */
export async function readInputBytes(path: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const stream = path === "-" ? process.stdin : createReadStream(path);
  try {
    for await (const c of stream as AsyncIterable<Uint8Array>) {
      size += c.length;
      if (size > MAX_TEXT_BYTES) throw new UserError(`${path}: input larger than 512 MiB`);
      parts.push(c);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path === "-" ? "stdin" : path}: ${fsErrorWords(err)}`);
  }
  return Buffer.concat(parts);
}

/** An error met while reading an input, as the input's fault; faults of the code itself pass through. */
function inputError(name: string, err: unknown): unknown {
  if (err instanceof UserError || isInternalError(err)) return err;
  return new UserError(`${name}: ${errorLine(err)}`);
}

/** A file-system error in the words of the rest of the command line; other errors by their message. */
function fsErrorWords(err: unknown): string {
  const system = err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string";
  if (!system) return errorLine(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EISDIR") return "is a directory, expected a file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return `cannot read (${code ?? errorLine(err)})`;
}

export interface LoadOptions {
  /** Called for every TCP packet as it is analysed (packets command, HTML series). */
  onPacket?: (pa: PacketAnalysis, pkt: DecodedPacket) => void;
}

/** Kinds of bundle files that are captures, analysed only when given as inputs of their own. */
const CAPTURE_KINDS = new Set(["pcap", "pcapng", "gzip", "tcpdump"]);
/** Kinds of bundle files that carry no host evidence. */
const NOT_HOST_EVIDENCE = new Set(["empty", "unknown", "manifest", ...CAPTURE_KINDS]);

/**
 * From this many connections, the per-packet analysis's records of them (about 100 bytes each) are
 * collected before the summaries are made, rather than whenever V8 gets to it: a million
 * connections' worth of garbage under the summaries is what pushes the peak RSS up.
 */
const RECLAIM_AFTER_CONNECTIONS = 100_000;

/** Text inputs larger than this are refused rather than read whole into memory. */
const MAX_TEXT_BYTES = 512 * 1024 * 1024;

function looksBinary(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) odd++;
  }
  return n > 0 && odd / n > 0.05;
}

async function readAllText(chunks: AsyncIterable<Uint8Array>, path: string): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of chunks) {
    size += c.length;
    if (size > MAX_TEXT_BYTES)
      throw new UserError(`${path}: text input larger than 512 MiB; split it or capture to pcap`);
    parts.push(c);
  }
  return Buffer.concat(parts).toString("utf8");
}

/** One warning for the tcpdump lines that should have been packets (ARP, UDP and prompts are not counted). */
function unreadableWarning(skipped: { line: number; reason: string; unreadable: boolean }[]): string[] {
  const bad = skipped.filter((s) => s.unreadable);
  if (!bad.length) return [];
  return [`${bad.length} line(s) not understood, first at line ${bad[0].line}: ${bad[0].reason}`];
}

/**
 * Streams one capture file through reader → decoder → analysis. The chunks may come from reused
 * buffers: the analysis copies what it keeps of a chunk's records before the next is read, and
 * one packet object is refilled for every record when the analysis allows it.
 */
async function feedCapture(
  path: string,
  head: Uint8Array,
  chunks: AsyncIterable<Uint8Array>,
  gzip: boolean,
  analysis: CaptureAnalysis,
): Promise<InputInfo> {
  const warnings: string[] = [];
  // The analysis keeps nothing of a record but bytes it copies before the next chunk.
  const parser = new CaptureParser({
    onWarning: (w) => warnings.push(`${w.message}`),
    reusedChunks: true,
    reusedRecords: true,
  });
  const decode = packetDecoder({ reuse: analysis.reusesPackets });
  const emit = (rec: PacketRecord) => analysis.push(decode(rec), rec);
  try {
    for await (const chunk of chunks) {
      parser.push(chunk, emit);
      analysis.detachRecords();
    }
  } catch (err) {
    throw inputError(path, err);
  }
  let info: ReturnType<CaptureParser["end"]>;
  try {
    info = parser.end();
  } catch (err) {
    throw inputError(path, err);
  }
  assertDecodable(path, info);
  const format = `${captureFormatOf(head) ?? info.format}${gzip ? "+gzip" : ""}`;
  for (const w of info.warnings) if (!warnings.includes(w)) warnings.push(w);
  analysis.addFileInfo({
    path,
    format,
    linkTypes: [...new Set(info.interfaces.map((i) => i.linkType))],
    snaplen: info.interfaces[0]?.snaplen,
    droppedByInterface: info.droppedByInterface,
    truncatedAt: info.truncatedAt,
    packets: info.packets,
  });
  return { path, format, packets: info.packets, warnings };
}

/**
 * Refuses a capture whose packets all sit on link types the decoder does not know: nothing in it
 * can be analysed, and "no problem found" from it would be invented.
 */
export function assertDecodable(
  name: string,
  info: { packets: number; interfaces: { linkType: number }[] },
): void {
  if (info.packets === 0 || info.interfaces.length === 0) return;
  const types = [...new Set(info.interfaces.map((i) => i.linkType))];
  if (types.some((t) => linkDecoders.has(t))) return;
  throw new UserError(
    `${name}: link type ${types.join(", ")} is not supported (expected Ethernet, Linux cooked v1/v2, raw IP or BSD loopback)`,
  );
}

/**
 * Loads every input and returns the combined evidence. Captures (binary or tcpdump text) feed one
 * analysis each; host texts and bundles merge into one host snapshot.
 */
export async function loadEvidence(paths: InputSource[], opts: LoadOptions = {}): Promise<Evidence> {
  const inputs: InputInfo[] = [];
  const hostParts: HostSnapshot[] = [];
  let connections: ConnectionSummary[] = [];
  let capture: CaptureFacts | undefined;

  const finishAnalysis = (analysis: CaptureAnalysis) => {
    analysis.endPackets();
    if (analysis.connectionCount >= RECLAIM_AFTER_CONNECTIONS) collectGarbage();
    const res = analysis.finish();
    const offset = connections.length ? connections[connections.length - 1].stream + 1 : 0;
    // The first capture's list is taken as it is (a million connections are not copied); later
    // captures' connections are numbered on.
    if (connections.length === 0) connections = res.connections;
    else for (const c of res.connections) connections.push(withStream(c, c.stream + offset));
    capture = capture ? mergeCaptureFacts(capture, res.capture) : res.capture;
  };

  for (const source of paths) {
    const path = typeof source === "string" ? source : source.name;
    if (typeof source === "string" && path !== "-") {
      let st: Awaited<ReturnType<typeof stat>>;
      try {
        st = await stat(path);
      } catch (err) {
        throw new UserError(`${path}: ${fsErrorWords(err)}`);
      }
      if (st.isDirectory()) {
        const { loadBundle } = await import("./bundle.js");
        const bundle = await loadBundle(path);
        // A directory with nothing to diagnose must not read as a healthy host.
        if (!bundle.files.some((f) => !NOT_HOST_EVIDENCE.has(f.kind))) {
          const captures = bundle.files.filter((f) => CAPTURE_KINDS.has(f.kind)).length;
          throw new UserError(
            `${path}: no host evidence in this directory (expected a bundle from \`tcpdoctor collect\` or saved ss, netstat, nstat, /proc/net or sysctl output)${captures ? `; it holds ${captures} capture file(s): pass each as its own input` : ""}`,
          );
        }
        hostParts.push(bundle.snapshot);
        inputs.push({ path, format: "bundle", warnings: bundle.warnings });
        continue;
      }
    }
    let opened: OpenedInput;
    // Warnings about the byte stream itself (a gzip stream cut short) arrive while it is read.
    const streamWarnings: string[] = [];
    const onWarning = (w: { message: string }) => streamWarnings.push(w.message);
    try {
      opened = typeof source === "string" ? await openInput(path, { onWarning }) : openBytes(source.bytes);
    } catch (err) {
      throw new UserError(`${path === "-" ? "stdin" : path}: ${fsErrorWords(err)}`);
    }
    const { head, chunks, gzip } = opened;
    const name = path === "-" ? "stdin" : path;
    if (head.length === 0) throw new UserError(`${name}: empty input (expected a capture or command output)`);

    if (captureFormatOf(head)) {
      const analysis = new CaptureAnalysis({ onPacket: opts.onPacket });
      opened.reuseBuffers();
      const info = await feedCapture(name, head, chunks, gzip, analysis);
      info.warnings.push(...streamWarnings);
      inputs.push(info);
      finishAnalysis(analysis);
      continue;
    }
    if (looksBinary(head)) {
      throw new UserError(
        `${name}: binary data that is neither pcap nor pcapng (byte 0: 0x${(head[0] ?? 0).toString(16).padStart(2, "0")})`,
      );
    }
    const text = await readAllText(chunks, name);
    const { parseHostText, splitTranscript } = await textParsers();
    const { looksLikeTcpdump, parseTcpdump } = await tcpdumpParser();
    // A pasted transcript: the tcpdump sections are a capture, the other outputs host evidence.
    const trace = looksLikeTcpdump(text);
    const transcript = trace ? splitTranscript(text) : undefined;
    if (trace) {
      const parsed = parseTcpdump(transcript ? transcript.tcpdump : text, { path: name });
      const analysis = new CaptureAnalysis({ onPacket: opts.onPacket, fromText: true });
      for (const p of parsed.packets) analysis.push(p);
      analysis.addFileInfo({
        path: name,
        format: "tcpdump-text",
        linkTypes: [],
        packets: parsed.packets.length,
        droppedByKernel: parsed.droppedByKernel,
      });
      const warnings = [...unreadableWarning(parsed.skipped), ...streamWarnings];
      let format = "tcpdump-text";
      if (transcript) {
        const rest = parseHostText(transcript.host, name);
        warnings.push(...rest.warnings);
        if (rest.kind !== "unknown") {
          hostParts.push(rest.snapshot);
          format = `tcpdump-text+${rest.kind}`;
        }
      }
      inputs.push({ path: name, format, packets: parsed.packets.length, warnings });
      finishAnalysis(analysis);
      continue;
    }
    const parsed = parseHostText(text, name);
    if (parsed.kind === "unknown") {
      throw new UserError(
        `${name}: not a capture and not a known command output (expected pcap, pcapng, tcpdump, ss, netstat, nstat, /proc/net, sysctl, conntrack, dmesg ...)`,
      );
    }
    hostParts.push(parsed.snapshot);
    inputs.push({ path: name, format: parsed.kind, warnings: [...parsed.warnings, ...streamWarnings] });
  }

  // mergeSnapshots does not know socket counts (stateCounts): they are carried over beside it
  let host: HostSnapshot | undefined;
  if (hostParts.length) {
    const [{ withStateCounts }, { mergeSnapshots }] = await Promise.all([
      textParsers(),
      import("../host/merge.js"),
    ]);
    host = withStateCounts(mergeSnapshots(hostParts), hostParts);
  }
  return { inputs, connections, capture, host };
}

/** Combines capture facts of several files (sums and concatenations). */
export function mergeCaptureFacts(a: CaptureFacts, b: CaptureFacts): CaptureFacts {
  return {
    files: [...a.files, ...b.files],
    packets: a.packets + b.packets,
    tcpPackets: a.tcpPackets + b.tcpPackets,
    duration: Math.max(a.duration, b.duration),
    snaplenTruncated: a.snaplenTruncated + b.snaplenTruncated,
    duplicates: a.duplicates + b.duplicates,
    oneSidedConnections: a.oneSidedConnections + b.oneSidedConnections,
    noHandshakeConnections: a.noHandshakeConnections + b.noHandshakeConnections,
    captureLossSegments: a.captureLossSegments + b.captureLossSegments,
    unmatchedIcmp: [...a.unmatchedIcmp, ...b.unmatchedIcmp],
    fromText: a.fromText && b.fromText,
    decodeErrors: a.decodeErrors + b.decodeErrors,
  };
}

/**
 * Streams the decoded packets of one capture (binary or tcpdump text) to `onPacket`, awaiting
 * `afterChunk` between input chunks so output back-pressure bounds memory. It is told the size of
 * the chunk just read: a small one means the input is read as fast as it is written (a live
 * writer), and output held back for efficiency should go out now.
 */
export async function streamPackets(
  path: string,
  onPacket: (pkt: DecodedPacket) => void,
  afterChunk?: (chunkBytes: number) => Promise<void>,
): Promise<InputInfo> {
  const name = path === "-" ? "stdin" : path;
  let opened: OpenedInput;
  const streamWarnings: string[] = [];
  try {
    if (path !== "-" && (await stat(path)).isDirectory())
      throw new UserError(`${name}: is a directory, expected a capture`);
    opened = await openInput(path, { onWarning: (w) => streamWarnings.push(w.message) });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${name}: ${fsErrorWords(err)}`);
  }
  const { head, chunks, gzip } = opened;
  if (head.length === 0) throw new UserError(`${name}: empty input (expected a capture)`);
  if (captureFormatOf(head)) {
    const warnings: string[] = [];
    // Decoded packets keep nothing of the record's bytes: the reader may reuse its buffers.
    opened.reuseBuffers();
    const parser = new CaptureParser({
      onWarning: (w) => warnings.push(w.message),
      reusedChunks: true,
      reusedRecords: true,
    });
    const emit = (rec: PacketRecord) => onPacket(decodePacket(rec));
    try {
      for await (const chunk of chunks) {
        parser.push(chunk, emit);
        if (afterChunk) await afterChunk(chunk.length);
      }
      const info = parser.end();
      for (const w of [...info.warnings, ...streamWarnings]) if (!warnings.includes(w)) warnings.push(w);
      assertDecodable(name, info);
      return { path: name, format: `${info.format}${gzip ? "+gzip" : ""}`, packets: info.packets, warnings };
    } catch (err) {
      throw inputError(name, err);
    }
  }
  if (looksBinary(head)) throw new UserError(`${name}: binary data that is neither pcap nor pcapng`);
  const text = await readAllText(chunks, name);
  const { looksLikeTcpdump, parseTcpdump } = await tcpdumpParser();
  if (!looksLikeTcpdump(text))
    throw new UserError(`${name}: not a capture (expected pcap, pcapng or tcpdump text)`);
  const parsed = parseTcpdump(text, { path: name });
  for (const p of parsed.packets) onPacket(p);
  if (afterChunk) await afterChunk(text.length);
  const warnings = [...unreadableWarning(parsed.skipped), ...streamWarnings];
  return { path: name, format: "tcpdump-text", packets: parsed.packets.length, warnings };
}
