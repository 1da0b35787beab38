// The report model: everything `analyze` (and `host`, `capture`) has to say, in one plain object.
// It is the source of truth for `--json` (json.ts renders the contract of spec/cli.md) and for the
// human and HTML renderers.
import type { ConnectionSummary } from "../core/tcp/types.js";
import type { HostSnapshot, SocketState } from "../host/types.js";
import { exitCodeFor } from "../rules/engine.js";
import type { Finding } from "../rules/types.js";
import { connsJson } from "./conns.js";

export { exitCodeFor };

export interface ReportInput {
  path: string;
  /** Detected format: pcap, pcapng, pcap+gzip, tcpdump-text, ss, nstat, bundle, ... */
  format: string;
  packets?: number;
  warnings: string[];
}

/** A short digest of the host evidence (the full snapshot can hold thousands of sockets). */
export interface HostDigest {
  sources: { path: string; kind: string }[];
  hostname?: string;
  kernel?: string;
  time?: string;
  sockets?: { total: number; byState: Partial<Record<SocketState, number>>; listening: string[] };
  summary?: HostSnapshot["summary"];
  sockstat?: HostSnapshot["sockstat"];
  conntrack?: { count?: number; max?: number };
  counterDeltaSeconds?: number;
  unavailable?: string[];
}

/** Counts over the connections, for the human report's closing summary. */
export interface ConnectionStats {
  total: number;
  byState: Record<string, number>;
  packets: number;
  bytes: number;
  /** The connections worth a look first: cited by findings, else the unusual ones (at most 10). */
  notable: ConnectionSummary[];
}

export interface Report {
  inputs: ReportInput[];
  /** Ranked, most important first. */
  findings: Finding[];
  /** `conns --json` objects (all, or those the findings cite; see buildReport). */
  connections?: Record<string, unknown>[];
  host?: HostDigest;
  /** One line: what is wrong here, or that nothing is. */
  verdict: string;
  /** For renderers; not part of the JSON contract. */
  stats?: ConnectionStats;
}

export interface BuildReportOptions {
  inputs: ReportInput[];
  /** Ranked findings (diagnose()). */
  findings: Finding[];
  connections?: ConnectionSummary[];
  host?: HostSnapshot;
  /**
   * Put every connection into the report. Otherwise all of them when there are at most
   * SMALL_CAPTURE, else only those the findings cite (at most MAX_CITED).
   */
  allConnections?: boolean;
}

const SMALL_CAPTURE = 20;
const MAX_CITED = 100;
const NOTABLE = 10;
const USUAL_STATES = new Set(["SF", "S1"]);

const SEVERITY_WORD: Record<Finding["severity"], string> = {
  critical: "CRITICAL",
  warning: "WARNING",
  info: "OK",
};

/** The one-line answer: the top finding's title, or that nothing needs fixing. */
export function verdictOf(findings: Finding[], stats?: ConnectionStats): string {
  const bad = findings.filter((f) => f.severity !== "info");
  if (bad.length === 0) {
    const seen = stats ? ` in ${stats.total} connection${stats.total === 1 ? "" : "s"}` : "";
    const notes = findings.length
      ? ` (${findings.length} note${findings.length === 1 ? "" : "s"} below)`
      : "";
    return `OK: no problem found${seen}${notes}.`;
  }
  const top = bad[0];
  const more = bad.length - 1;
  return `${SEVERITY_WORD[top.severity]}: ${top.title} [${top.id}]${more > 0 ? ` (+${more} more)` : ""}`;
}

function digestHost(h: HostSnapshot): HostDigest {
  const d: HostDigest = { sources: h.sources };
  if (h.hostname) d.hostname = h.hostname;
  if (h.kernel) d.kernel = h.kernel;
  if (h.time) d.time = h.time;
  if (h.sockets) {
    const byState: Partial<Record<SocketState, number>> = {};
    const listening: string[] = [];
    for (const s of h.sockets) {
      byState[s.state] = (byState[s.state] ?? 0) + 1;
      if (s.state === "LISTEN" && listening.length < 50) {
        listening.push(
          s.localIp.includes(":") ? `[${s.localIp}]:${s.localPort}` : `${s.localIp}:${s.localPort}`,
        );
      }
    }
    d.sockets = { total: h.sockets.length, byState, listening };
  }
  if (h.summary) d.summary = h.summary;
  if (h.sockstat) d.sockstat = h.sockstat;
  if (h.conntrack && (h.conntrack.count !== undefined || h.conntrack.max !== undefined)) {
    d.conntrack = { count: h.conntrack.count, max: h.conntrack.max };
  }
  if (h.counterDeltas?.seconds !== undefined) d.counterDeltaSeconds = h.counterDeltas.seconds;
  if (h.unavailable?.length) d.unavailable = h.unavailable;
  return d;
}

function statsOf(conns: ConnectionSummary[], findings: Finding[]): ConnectionStats {
  const byState: Record<string, number> = {};
  let packets = 0;
  let bytes = 0;
  for (const c of conns) {
    byState[c.state] = (byState[c.state] ?? 0) + 1;
    packets += c.packets.client + c.packets.server;
    bytes += c.bytes.client + c.bytes.server;
  }
  // The first connections (in capture order) that a finding cites. A finding may cite a million
  // streams (a SYN flood): they are marked in a byte per stream, not gathered into a Set.
  let maxStream = -1;
  for (const c of conns) if (c.stream > maxStream) maxStream = c.stream;
  const cited = new Uint8Array(maxStream + 1);
  let anyCited = false;
  for (const f of findings) {
    if (f.severity === "info") continue;
    for (const s of f.streams ?? []) {
      if (s >= 0 && s <= maxStream) {
        cited[s] = 1;
        anyCited = true;
      }
    }
  }
  let notable = anyCited ? firstOf(conns, (c) => cited[c.stream] === 1) : [];
  // Nothing cited: the connections that did not end the usual way.
  if (notable.length === 0) notable = firstOf(conns, (c) => !USUAL_STATES.has(c.state));
  return { total: conns.length, byState, packets, bytes, notable };
}

/** The first NOTABLE connections that pass `keep`, in order. */
function firstOf(conns: ConnectionSummary[], keep: (c: ConnectionSummary) => boolean): ConnectionSummary[] {
  const out: ConnectionSummary[] = [];
  for (const c of conns) {
    if (out.length === NOTABLE) break;
    if (keep(c)) out.push(c);
  }
  return out;
}

/** Assembles the report from the evidence and the ranked findings. */
export function buildReport(opts: BuildReportOptions): Report {
  const conns = opts.connections ?? [];
  const report: Report = { inputs: opts.inputs, findings: opts.findings, verdict: "" };
  if (conns.length) {
    report.stats = statsOf(conns, opts.findings);
    let chosen = conns;
    if (!opts.allConnections && conns.length > SMALL_CAPTURE) {
      const cited = new Set<number>();
      for (const f of opts.findings)
        for (const s of f.streams ?? []) if (cited.size < MAX_CITED) cited.add(s);
      chosen = conns.filter((c) => cited.has(c.stream));
    }
    if (chosen.length) report.connections = connsJson(chosen) as Record<string, unknown>[];
  }
  if (opts.host) report.host = digestHost(opts.host);
  report.verdict = verdictOf(opts.findings, report.stats);
  return report;
}
