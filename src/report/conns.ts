// `tcpdoctor conns`: one row per TCP connection, as JSON objects (the machine contract of
// spec/cli.md) or as an aligned human table.
import pc from "picocolors";
import type { ConnectionSummary, DirectionFacts } from "../core/tcp/types.js";

/** Times in seconds keep nanosecond resolution; beyond that binary float noise is cut. */
function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Deep copy with non-integer numbers rounded to 9 decimals (float noise out of the JSON). */
function clean<T>(value: T): T {
  if (typeof value === "number") return (Number.isInteger(value) ? value : round9(value)) as T;
  if (Array.isArray(value)) return value.map((v) => clean(v)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clean(v);
    return out as T;
  }
  return value;
}

function both(c: ConnectionSummary, f: (d: DirectionFacts) => number): number {
  return f(c.dir.client) + f(c.dir.server);
}

/** One `conns --json` object: the spec's headline fields first, then every fact under a clear name. */
function connJson(c: ConnectionSummary): Record<string, unknown> {
  const obj: Record<string, unknown> = {
    stream: c.stream,
    client: c.client,
    server: c.server,
    start: c.start,
    duration: c.duration,
    state: c.state,
    history: c.history,
    packets: c.packets,
    bytes: c.bytes,
    handshakeRtt: c.handshake.rtt,
    // Wireshark's tcp.analysis counts (both directions), so the row matches `packets`.
    retransmissions: both(c, (d) => d.retransmissions.total),
    duplicateAcks: both(c, (d) => d.duplicateAcks),
    outOfOrder: both(c, (d) => d.outOfOrder),
    zeroWindows: both(c, (d) => d.zeroWindows),
    verdict: c.verdict,
    ipVersion: c.ipVersion,
    firstFrame: c.firstFrame,
    lastFrame: c.lastFrame,
    // Measured from the sequence numbers themselves, independent of Wireshark's labels.
    repeatedSegments: both(c, (d) => d.repeatedSegments),
    reorderedSegments: both(c, (d) => d.reorderedSegments),
    lostBeforeCapture: both(c, (d) => d.lostBeforeCapture ?? 0),
    missedByCapture: both(c, (d) => d.missedSegments ?? 0),
    handshake: c.handshake,
    rtt: c.rtt,
    zeroWindow: c.zeroWindow,
    keepalive: c.keepalive,
    close: c.close,
    idleGaps: c.idleGaps,
    thinkTimes: c.thinkTimes,
    icmp: c.icmp,
    throughput: c.throughput ? { ...c.throughput, bps: Math.round(c.throughput.bps) } : undefined,
    captureSide: c.captureSide,
    oneSided: c.oneSided,
    directions: c.dir,
  };
  return clean(obj);
}

/** The `tcpdoctor conns --json` array, ordered by stream. */
export function connsJson(conns: ConnectionSummary[]): unknown[] {
  return sortedByStream(conns).map(connJson);
}

function sortedByStream(conns: ConnectionSummary[]): ConnectionSummary[] {
  const byStream = (a: ConnectionSummary, b: ConnectionSummary) => a.stream - b.stream || a.start - b.start;
  // Already in order (as the pipeline hands them over): no copy, no sort.
  for (let i = 1; i < conns.length; i++)
    if (byStream(conns[i - 1], conns[i]) > 0) return [...conns].sort(byStream);
  return conns;
}

/**
 * The text of `JSON.stringify(connsJson(conns), null, 2)` in pieces of about `chunkChars`
 * characters, one connection at a time, so a million connections never sit in memory as one
 * array of objects or one string.
 */
export function* connsJsonChunks(conns: ConnectionSummary[], chunkChars = 1 << 16): Generator<string> {
  const rows = sortedByStream(conns);
  if (rows.length === 0) {
    yield "[]";
    return;
  }
  let out = "[\n";
  for (let i = 0; i < rows.length; i++) {
    // An element of a pretty-printed array: stringified inside one, brackets cut off, so its
    // indentation is the array's.
    const item = JSON.stringify([connJson(rows[i])], null, 2);
    out += item.slice(2, item.length - 2);
    out += i + 1 < rows.length ? ",\n" : "\n]";
    if (out.length >= chunkChars) {
      yield out;
      out = "";
    }
  }
  if (out) yield out;
}

// ---- human table ----------------------------------------------------------------------------------

function fmtDuration(s: number): string {
  if (s === 0) return "0";
  if (s < 0.001) return `${Math.round(s * 1e6)}µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)}ms`;
  if (s < 100) return `${s.toFixed(2)}s`;
  return `${s.toFixed(0)}s`;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}K`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}M`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)}G`;
}

type Align = "left" | "right";

interface Column {
  title: string;
  align: Align;
  cell: (c: ConnectionSummary) => string;
  /** Colour applied after padding, so ANSI codes never disturb the alignment. */
  paint?: (text: string, c: ConnectionSummary, color: ReturnType<typeof pc.createColors>) => string;
}

const BAD_STATES = new Set(["REJ", "S0", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"]);
const ODD_STATES = new Set(["S1", "S2", "S3", "OTH"]);

const COLUMNS: Column[] = [
  { title: "#", align: "right", cell: (c) => String(c.stream) },
  { title: "client", align: "left", cell: (c) => c.client },
  { title: "server", align: "left", cell: (c) => c.server },
  {
    title: "state",
    align: "left",
    cell: (c) => c.state,
    paint: (t, c, col) =>
      BAD_STATES.has(c.state) ? col.red(t) : ODD_STATES.has(c.state) ? col.yellow(t) : col.green(t),
  },
  { title: "start", align: "right", cell: (c) => c.start.toFixed(3) },
  { title: "duration", align: "right", cell: (c) => fmtDuration(c.duration) },
  { title: "pkts c/s", align: "right", cell: (c) => `${c.packets.client}/${c.packets.server}` },
  {
    title: "bytes c/s",
    align: "right",
    cell: (c) => `${fmtBytes(c.bytes.client)}/${fmtBytes(c.bytes.server)}`,
  },
  {
    title: "rtt",
    align: "right",
    cell: (c) => (c.handshake.rtt !== undefined ? fmtDuration(c.handshake.rtt) : "-"),
  },
  {
    // Retransmissions as the bytes show them: repeated ranges plus segments that only arrived as
    // their retransmission (Wireshark's label also counts late originals of reordering).
    title: "retx",
    align: "right",
    cell: (c) => String(both(c, (d) => d.repeatedSegments + (d.lostBeforeCapture ?? 0))),
    paint: (t, _c, col) => (t.trim() === "0" ? t : col.yellow(t)),
  },
  { title: "history", align: "left", cell: (c) => c.history },
  { title: "verdict", align: "left", cell: (c) => c.verdict },
];

/** Aligned human table, one row per connection (ordered by stream). */
export function connsTable(conns: ConnectionSummary[], opts: { color?: boolean } = {}): string {
  return [...connsTableChunks(conns, opts)].join("");
}

/**
 * The text of connsTable() in pieces of about `chunkChars` characters. Two passes over the
 * connections (widths, then rows), so nothing but one piece is held however many there are.
 */
export function* connsTableChunks(
  conns: ConnectionSummary[],
  opts: { color?: boolean; chunkChars?: number } = {},
): Generator<string> {
  const color = pc.createColors(opts.color ?? false);
  if (conns.length === 0) {
    yield "no TCP connections\n";
    return;
  }
  const rows = sortedByStream(conns);
  const widths = COLUMNS.map((col) => col.title.length);
  for (const c of rows) {
    for (let i = 0; i < COLUMNS.length; i++) {
      const n = COLUMNS[i].cell(c).length;
      if (n > widths[i]) widths[i] = n;
    }
  }
  const pad = (text: string, i: number) => {
    const last = i === COLUMNS.length - 1;
    if (COLUMNS[i].align === "right") return text.padStart(widths[i]);
    return last ? text : text.padEnd(widths[i]);
  };
  const chunkChars = opts.chunkChars ?? 1 << 16;
  let out = `${color.bold(COLUMNS.map((col, i) => pad(col.title, i)).join("  "))}\n`;
  for (const c of rows) {
    for (let i = 0; i < COLUMNS.length; i++) {
      const col = COLUMNS[i];
      const text = pad(col.cell(c), i);
      if (i > 0) out += "  ";
      out += col.paint ? col.paint(text, c, color) : text;
    }
    out += "\n";
    if (out.length >= chunkChars) {
      yield out;
      out = "";
    }
  }
  if (out) yield out;
}
