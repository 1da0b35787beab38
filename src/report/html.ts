// `--html FILE`: one self-contained HTML report — the verdict and ranked findings of the text
// report (same Report model), each finding with its evidence, fix, fallbacks and confirm commands
// and a chart of what it cites; time-sequence, RTT, throughput and in-flight charts per connection
// (uPlot, inlined); host evidence as SVG bar charts. Scripts, styles and data are inlined: the
// file makes no network request and opens from disk.
import { writeFile } from "node:fs/promises";
import { flagLetters } from "../core/tcp/flags.js";
import type { ConnectionSummary } from "../core/tcp/types.js";
import type { HostSnapshot } from "../host/types.js";
import type { Finding } from "../rules/types.js";
import { VERSION } from "../version.js";
import { type HtmlAssets, loadHtmlAssets } from "./html/assets.js";
import { CLIENT_SCRIPT } from "./html/client.js";
import {
  type ConnectionMeta,
  connectionMeta,
  type EncodedSeries,
  encodeActivity,
  encodeSeries,
} from "./html/data.js";
import {
  count,
  esc,
  evidenceRows,
  isStreamKey,
  linkify,
  scriptJson,
  seconds,
  streamLink,
} from "./html/format.js";
import { type HostChartKind, hostChartFor, hostCharts } from "./html/host.js";
import { REPORT_CSS } from "./html/styles.js";
import { connectionTimeline, type LadderRow, packetLadder, type TimelineRow } from "./html/svg.js";
import type { Report } from "./model.js";
import { type ActivitySeries, type ConnectionSeries, MARK_NAMES, Mark, SeriesCollector } from "./series.js";

export interface HtmlReportData {
  /** Every connection of the analysis (the report itself keeps only a digest of them). */
  connections?: ConnectionSummary[];
  /** The packet series: the collector fed while the packets streamed, or series already exported. */
  series?: SeriesCollector | Map<number, ConnectionSeries> | ConnectionSeries[];
  /** Capture-wide activity (taken from the collector when it is given). */
  activity?: ActivitySeries;
  /** The full host snapshot (for the socket and counter charts). */
  host?: HostSnapshot;
  /** Shown in the footer, e.g. new Date().toISOString() (the renderer reads no clock). */
  generatedAt?: string;
  /** Connections offered in the chooser at most (default 300). */
  maxChooser?: number;
  /** Full connection blocks drawn at once, for the connections the findings cite first (default 4). */
  maxBlocks?: number;
}

/** Embedded points over the chooser's extra connections at most (the cited ones always go in). */
const CHOOSER_POINTS = 300_000;
const TIMELINE_ROWS = 40;
const ACTIVITY_FIGURE =
  '<figcaption>Capture activity over time: packets, connection attempts (SYNs), resets and retransmissions per second.</figcaption><div class="chart-box activity-chart"></div>';
const STREAM_LINKS = 12;
const BAD_STATES = new Set(["REJ", "S0", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"]);
const ODD_STATES = new Set(["S1", "S2", "S3", "OTH"]);

function stateClass(state: string): string {
  return BAD_STATES.has(state) ? "bad" : ODD_STATES.has(state) ? "odd" : "ok";
}

/** The stream a finding is mostly about: the one its evidence names, else its first cited. */
function primaryStream(f: Finding): number | undefined {
  const ev = f.evidence;
  for (const k of ["stream", "worstStream"]) {
    const v = ev[k];
    if (typeof v === "number" && Number.isInteger(v)) return v;
  }
  return f.streams?.[0];
}

/** Streams a finding cites: its list, then stream numbers in its evidence. */
function citedStreams(f: Finding): number[] {
  const out = new Set<number>(f.streams ?? []);
  for (const [k, v] of Object.entries(f.evidence)) {
    if (!isStreamKey(k)) continue;
    if (typeof v === "number" && Number.isInteger(v)) out.add(v);
    if (Array.isArray(v)) for (const x of v) if (typeof x === "number" && Number.isInteger(x)) out.add(x);
  }
  return [...out];
}

/**
 * Counters a finding's evidence names (highlighted in the counter chart): by their nstat name, or
 * by an evidence key that ends their name ("listenOverflows" → TcpExtListenOverflows).
 */
function citedCounters(findings: Finding[], host: HostSnapshot): Set<string> {
  const out = new Set<string>();
  const names = Object.keys(host.counterDeltas?.values ?? {});
  for (const f of findings) {
    const text = JSON.stringify(f.evidence);
    for (const m of text.matchAll(/\b(?:Tcp|TcpExt|Ip|IpExt|Udp)[A-Z][A-Za-z0-9]+/g)) out.add(m[0]);
    const keys = [...text.matchAll(/"([A-Za-z][A-Za-z0-9]{5,})":/g)].map((m) => m[1].toLowerCase());
    for (const n of names) if (keys.some((k) => n.toLowerCase().endsWith(k))) out.add(n);
  }
  return out;
}

interface Page {
  report: Report;
  conns: Map<number, ConnectionSummary>;
  series: Map<number, ConnectionSeries>;
  activity?: ActivitySeries;
  host?: HostSnapshot;
  hostCharts: Map<HostChartKind, string>;
  blocks: number[];
  chooser: number[];
  cited: Set<number>;
}

// ---- findings -----------------------------------------------------------------------------------

function timelineRow(page: Page, c: ConnectionSummary, cited: boolean): TimelineRow {
  const s = c.stream;
  const series = page.series.get(s);
  const syns: number[] = [];
  if (series) {
    const p = series.points;
    for (let i = 0; i < series.kept; i++) if ((p.flags[i] & 0x12) === 0x02) syns.push(p.time[i]);
  } else if (c.handshake.firstSynAt !== undefined) syns.push(c.handshake.firstSynAt);
  const fins = [c.dir.client.finAt, c.dir.server.finAt].filter((x): x is number => x !== undefined);
  return {
    stream: s,
    label: `#${s} ${c.client}`,
    start: c.start,
    end: c.start + c.duration,
    cls: stateClass(c.state) + (cited ? "" : " ctx"),
    syns,
    fins,
    rst: c.close.rstAt,
    title: `stream ${s}: ${c.client} → ${c.server}, ${c.state}, ${seconds(c.duration)}: ${c.verdict}${cited ? "" : " (not cited)"}`,
  };
}

/**
 * The cited connections as rows over time; while there is room, the other connections to the same
 * servers join them, faded, so that failures show against what worked.
 */
function timelineFor(page: Page, streams: number[], id: string): string {
  const rows: TimelineRow[] = [];
  const servers = new Set<string>();
  let more = 0;
  for (const s of streams) {
    const c = page.conns.get(s);
    if (!c) continue;
    servers.add(c.server);
    if (rows.length >= TIMELINE_ROWS) more++;
    else rows.push(timelineRow(page, c, true));
  }
  if (!rows.length) return "";
  const cited = rows.length;
  const citedSet = new Set(streams);
  for (const c of page.conns.values()) {
    if (rows.length >= TIMELINE_ROWS || more > 0) break;
    if (!citedSet.has(c.stream) && servers.has(c.server)) rows.push(timelineRow(page, c, false));
  }
  rows.sort((a, b) => a.start - b.start || a.stream - b.stream);
  const others = rows.length - cited;
  const title =
    `The ${cited + more} connection${cited + more === 1 ? "" : "s"} this finding cites` +
    (others ? `, and ${others} other${others === 1 ? "" : "s"} to the same server (faded)` : "") +
    ", over time (a row opens its charts)";
  return connectionTimeline(title, rows, more, id);
}

const LADDER_ROWS = 40;
const RETRANSMITTED =
  Mark.RETRANSMISSION | Mark.FAST_RETRANSMISSION | Mark.SPURIOUS_RETRANSMISSION | Mark.REPEATED;

/** A connection without payload, or of a screenful of packets, reads best as a packet ladder. */
function isSmall(cs: ConnectionSeries): boolean {
  let payload = 0;
  for (const l of cs.points.len) payload += l;
  return cs.packets <= 30 || payload === 0;
}

function ladderFor(cs: ConnectionSeries, id: string): string {
  const p = cs.points;
  const rows: LadderRow[] = [];
  const n = Math.min(cs.kept, LADDER_ROWS);
  for (let i = 0; i < n; i++) {
    const marks = MARK_NAMES.filter(
      (_, b) => (p.marks[i] & (1 << b)) !== 0 && 1 << b !== Mark.SACK && 1 << b !== Mark.ICMP,
    );
    const icmp = cs.icmp.find((x) => x.point === i);
    let text: string;
    if (icmp) {
      text = `ICMP ${icmp.kind} (type ${icmp.type} code ${icmp.code}${icmp.mtu ? `, mtu ${icmp.mtu}` : ""}) about seq ${p.seq[i]}`;
    } else {
      const parts = [
        `[${flagLetters(p.flags[i]) || "."}]`,
        `seq ${p.seq[i]}${p.len[i] ? `:${p.seq[i] + p.len[i]}` : ""}`,
      ];
      if (!Number.isNaN(p.ack[i])) parts.push(`ack ${p.ack[i]}`);
      if (!Number.isNaN(p.win[i])) parts.push(`win ${p.win[i]}`);
      if (p.len[i]) parts.push(`len ${p.len[i]}`);
      text = parts.join(" ");
    }
    rows.push({
      frame: p.frame[i],
      time: p.time[i],
      fromClient: p.dir[i] === 0,
      text,
      marks: marks.join(", "),
      icmp: icmp !== undefined,
      cls: (p.flags[i] & 0x04) !== 0 || (p.marks[i] & RETRANSMITTED) !== 0 ? "bad" : undefined,
    });
  }
  return packetLadder(
    `Every packet of stream ${cs.stream} in order (time since its first packet, gap to the previous one); an arrow shows the packet`,
    cs.client,
    cs.server,
    rows,
    cs.packets - n,
    id,
  );
}

/** Charts beside the time-sequence graph that picture a finding of this id. */
function extraCharts(id: string): string[] {
  if (/bottleneck|latency|rtt|bloat|queue|slow/.test(id)) return ["rtt", "throughput"];
  if (/window|receiver|buffer/.test(id)) return ["inflight"];
  if (/cwnd|throughput/.test(id)) return ["throughput", "inflight"];
  return [];
}

/** The picture of the packets a finding cites (none when it cites no capture evidence). */
function captureFigure(page: Page, f: Finding, n: number): { kind: string; html: string } | undefined {
  const streams = citedStreams(f);
  const primary = primaryStream(f);
  if (streams.length > 1) {
    const tl = timelineFor(page, streams, `finding-${n}-timeline`);
    // Past a screenful of connections the rate over time says more; the rows stay one click away.
    if (tl && streams.length > TIMELINE_ROWS && page.activity) {
      return {
        kind: "activity",
        html: `${ACTIVITY_FIGURE}<details class="more"><summary>The first ${TIMELINE_ROWS} of the ${count(streams.length)} connections, over time</summary>${tl}</details>`,
      };
    }
    if (tl) return { kind: "timeline", html: tl };
  }
  const primarySeries = primary !== undefined ? page.series.get(primary) : undefined;
  if (primary !== undefined && primarySeries && isSmall(primarySeries)) {
    return { kind: "ladder", html: ladderFor(primarySeries, `finding-${n}-ladder`) };
  }
  if (primary !== undefined && primarySeries) {
    const c = page.conns.get(primary);
    const who = c ? ` (${c.client} → ${c.server})` : "";
    return {
      kind: "tseq",
      html:
        `<figcaption>Time-sequence graph of stream ${streamLink(primary)}${esc(who)}: segments as vertical bars, ` +
        `retransmissions in red, the ACK line and receive window beneath; all its charts under Connections.</figcaption>` +
        `<div class="finding-tseq" data-stream="${primary}" data-extra="${extraCharts(f.id).join(",")}"></div>`,
    };
  }
  const hostEvidence = Boolean(f.sockets?.length || f.sources?.length);
  if (page.activity && page.activity.packets.length > 0 && (streams.length || !hostEvidence || !page.host)) {
    return { kind: "activity", html: ACTIVITY_FIGURE };
  }
  return undefined;
}

/** The figure under a finding: the host chart it rests on, and the packets it cites. */
function findingFigure(page: Page, f: Finding, n: number): { kind: string; html: string } {
  const parts: { kind: string; html: string }[] = [];
  const cap = captureFigure(page, f, n);
  if (page.host && page.hostCharts.size) {
    const kind = hostChartFor(f.id, new Set(page.hostCharts.keys()));
    // Only a chart specific to the finding earns its place; the socket states only beside sockets.
    const specific = kind !== undefined && kind !== "states";
    const fromHost = Boolean(f.sockets?.length || f.sources?.length) || !cap;
    if (kind && fromHost && (specific ? true : !cap && Boolean(f.sockets?.length))) {
      const svg = (page.hostCharts.get(kind) ?? "").replace(/ id="host-/, ` id="finding-${n}-host-`);
      parts.push({ kind: `host-${kind}`, html: svg });
    }
  }
  if (cap) parts.push(cap);
  if (!parts.length) return { kind: "none", html: "" };
  return { kind: parts.map((p) => p.kind).join(" "), html: parts.map((p) => p.html).join("\n") };
}

function renderFinding(page: Page, f: Finding, n: number): string {
  const out: string[] = [];
  const streams = citedStreams(f);
  out.push(
    `<article class="finding sev-${esc(f.severity)}" id="finding-${n}" data-finding="${esc(f.id)}" data-streams="${streams.join(",")}">`,
  );
  const sev = f.severity === "critical" ? "CRITICAL" : f.severity === "warning" ? "WARNING" : "INFO";
  out.push(
    `<h3><span class="num">${n}.</span> <span class="badge">${sev}</span> ${esc(f.title)} <span class="fid">[${esc(f.id)}, confidence ${esc(f.confidence)}]</span></h3>`,
  );
  out.push(`<p class="summary">${linkify(f.summary)}</p>`);
  const rows = evidenceRows(f.evidence);
  if (rows.length) {
    out.push(
      `<h4>Evidence</h4><table class="evidence">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join("")}</table>`,
    );
  }
  const lowered = f.evidence.confidenceLoweredBecause;
  if (Array.isArray(lowered) && lowered.length) {
    out.push(`<p class="lowered">Confidence lowered: ${esc(lowered.join("; "))}.</p>`);
  }
  if (f.streams?.length) {
    const links = f.streams.slice(0, STREAM_LINKS).map((s) => {
      const c = page.conns.get(s);
      return streamLink(s, c ? `stream ${s} (${c.client} → ${c.server})` : `stream ${s}`);
    });
    const rest = f.streams.length > STREAM_LINKS ? ` … (${f.streams.length} in all)` : "";
    out.push(`<p class="streams"><b>Connections:</b> ${links.join(", ")}${rest}</p>`);
  }
  if (f.sockets?.length) {
    const shown = f.sockets.slice(0, 8).map(esc).join("\n");
    const rest = f.sockets.length > 8 ? `\n… ${f.sockets.length - 8} more` : "";
    out.push(`<h4>Sockets</h4><pre class="lines">${shown}${rest}</pre>`);
  }
  if (f.sources?.length) {
    const shown = f.sources
      .slice(0, 8)
      .map((s) => `${esc(s.file)}${s.line ? `:${s.line}` : ""}${s.text ? `  ${esc(s.text)}` : ""}`)
      .join("\n");
    out.push(`<h4>From</h4><pre class="lines">${shown}</pre>`);
  }
  const fig = findingFigure(page, f, n);
  if (fig.html) out.push(`<figure class="finding-chart" data-chart="${esc(fig.kind)}">${fig.html}</figure>`);
  const advice: string[] = [];
  advice.push(`<h4>Cause</h4><p>${linkify(f.cause)}</p>`);
  advice.push(`<div class="fix"><h4>Fix</h4><p>${linkify(f.fix)}</p></div>`);
  if (f.alternatives.length) {
    advice.push(
      `<h4>Otherwise</h4><ol class="alternatives">${f.alternatives.map((a) => `<li>${linkify(a)}</li>`).join("")}</ol>`,
    );
  }
  if (f.confirm.length) {
    advice.push(`<h4>Confirm</h4>${f.confirm.map((c) => `<pre class="cmd">${esc(c)}</pre>`).join("")}`);
  }
  // As in the text report, a note (info) keeps its advice out of the way.
  if (f.severity === "info") {
    out.push(
      `<details class="more"><summary>Cause, fix and how to confirm</summary>${advice.join("")}</details>`,
    );
  } else out.push(advice.join(""));
  out.push("</article>");
  return out.join("\n");
}

// ---- connections --------------------------------------------------------------------------------

function connectionOption(page: Page, s: number): string {
  const c = page.conns.get(s);
  const star = page.cited.has(s) ? "★ " : "";
  const text = c
    ? `${star}#${s}  ${c.client} → ${c.server}  ${c.state}  ${seconds(c.duration)}  ${c.verdict}`
    : `${star}#${s}`;
  return `<option value="${s}">${esc(text.length > 160 ? `${text.slice(0, 159)}…` : text)}</option>`;
}

function renderConnections(page: Page): string {
  const st = page.report.stats;
  if (!page.series.size && !st) return "";
  const out: string[] = ['<section id="connections">', "<h2>Connections</h2>"];
  if (st) {
    const states = Object.entries(st.byState)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${esc(k)} ${count(v)}`)
      .join(", ");
    out.push(
      `<p>${count(st.total)} connection${st.total === 1 ? "" : "s"} (${states}), ${count(st.packets)} packets.</p>`,
    );
  }
  if (page.activity && page.activity.packets.length > 1 && (st?.total ?? 0) > 1) {
    out.push(
      `<figure><figcaption>Capture activity over time</figcaption><div class="chart-box activity-chart"></div></figure>`,
    );
  }
  if (st?.notable.length) {
    out.push(
      '<table class="conns"><thead><tr><th>stream</th><th>client → server</th><th>state</th><th>duration</th><th>verdict</th></tr></thead><tbody>',
    );
    for (const c of st.notable) {
      out.push(
        `<tr><td class="num">${streamLink(c.stream)}</td><td class="mono">${esc(c.client)} → ${esc(c.server)}</td>` +
          `<td><span class="state ${stateClass(c.state)}">${esc(c.state)}</span></td><td class="num">${esc(seconds(c.duration))}</td><td>${esc(c.verdict)}</td></tr>`,
      );
    }
    out.push("</tbody></table>");
    if (st.total > st.notable.length) {
      out.push(
        `<p class="hint">${count(st.total - st.notable.length)} more: pick them below, or run <code>tcpdoctor conns</code>.</p>`,
      );
    }
  }
  for (const s of page.blocks) {
    out.push(
      `<section class="conn" id="conn-${s}"><div class="conn-charts-root" data-stream="${s}"></div></section>`,
    );
  }
  if (page.chooser.some((s) => !page.blocks.includes(s))) {
    const total = st?.total ?? page.chooser.length;
    const note =
      total > page.chooser.length
        ? `<span class="hint">${count(page.chooser.length)} of ${count(total)} connections charted (★ cited by a finding); <code>tcpdoctor conns</code> lists them all.</span>`
        : `<span class="hint">★ cited by a finding</span>`;
    const first = page.chooser.find((s) => !page.blocks.includes(s)) ?? page.chooser[0];
    out.push(
      `<section class="conn" id="conn-chooser"><div class="chooser"><label for="conn-select"><b>${page.blocks.length ? "Another connection" : "Connection"}</b></label> <select id="conn-select">` +
        page.chooser
          .map((s) =>
            connectionOption(page, s).replace(
              `value="${s}"`,
              `value="${s}"${s === first ? " selected" : ""}`,
            ),
          )
          .join("") +
        `</select> ${note}</div><div id="conn-view"></div></section>`,
    );
  }
  out.push("</section>");
  return out.join("\n");
}

// ---- host ---------------------------------------------------------------------------------------

function renderHost(page: Page): string {
  const h = page.report.host;
  if (!h && !page.host) return "";
  const out: string[] = ['<section id="host">', "<h2>Host</h2>"];
  if (h) {
    const what = [
      h.hostname ? `<b>${esc(h.hostname)}</b>` : "unnamed host",
      h.kernel ? `kernel ${esc(h.kernel)}` : "",
      h.time ? `at ${esc(h.time)}` : "",
      h.sockets ? `${count(h.sockets.total)} sockets` : "",
      h.conntrack?.count !== undefined
        ? `conntrack ${count(h.conntrack.count)}${h.conntrack.max ? ` of ${count(h.conntrack.max)}` : ""}`
        : "",
      h.counterDeltaSeconds !== undefined ? `counters sampled over ${h.counterDeltaSeconds} s` : "",
    ].filter(Boolean);
    out.push(`<p>${what.join(", ")}.</p>`);
    if (h.unavailable?.length)
      out.push(`<p class="hint">Not available: ${esc(h.unavailable.join("; "))}</p>`);
    if (h.sources.length) {
      out.push(
        `<details class="more"><summary>${h.sources.length} input${h.sources.length === 1 ? "" : "s"}</summary><pre class="lines">${h.sources.map((s) => `${esc(s.kind.padEnd(18))} ${esc(s.path)}`).join("\n")}</pre></details>`,
      );
    }
  }
  if (page.hostCharts.size)
    out.push(`<div class="host-grid">${[...page.hostCharts.values()].join("\n")}</div>`);
  else out.push('<p class="hint">No socket table or counter deltas among the inputs: nothing to chart.</p>');
  out.push("</section>");
  return out.join("\n");
}

// ---- page ---------------------------------------------------------------------------------------

function collectSeries(
  data: HtmlReportData,
  wanted: number[],
  conns: ConnectionSummary[],
): { series: Map<number, ConnectionSeries>; activity?: ActivitySeries } {
  const src = data.series;
  if (src instanceof SeriesCollector) {
    return {
      series: src.series({ streams: wanted, connections: conns.length ? conns : undefined }),
      activity: data.activity ?? src.activitySeries(),
    };
  }
  const all = src instanceof Map ? src : new Map((src ?? []).map((s) => [s.stream, s]));
  const wantedSet = new Set(wanted);
  const series = new Map([...all].filter(([s]) => wantedSet.has(s)));
  return { series, activity: data.activity };
}

function verdictClass(report: Report): string {
  const bad = report.findings.filter((f) => f.severity !== "info");
  if (!bad.length) return "sev-ok";
  return bad.some((f) => f.severity === "critical") ? "sev-critical" : "sev-warning";
}

/** Renders the report as one self-contained HTML document. */
export function renderHtml(
  report: Report,
  data: HtmlReportData = {},
  assets: HtmlAssets = loadHtmlAssets(),
): string {
  const connList = data.connections ?? report.stats?.notable ?? [];
  const conns = new Map(connList.map((c) => [c.stream, c]));
  const cited = new Set<number>();
  const blocks: number[] = [];
  const maxBlocks = data.maxBlocks ?? 4;
  for (const f of report.findings) {
    for (const s of citedStreams(f)) cited.add(s);
    const p = primaryStream(f);
    if (p !== undefined && !blocks.includes(p) && blocks.length < maxBlocks) blocks.push(p);
  }
  // Chooser: cited first (in finding order), then the rest by stream number.
  const maxChooser = data.maxChooser ?? 300;
  const order = [...cited];
  for (const c of [...connList].sort((a, b) => a.stream - b.stream))
    if (!cited.has(c.stream)) order.push(c.stream);
  if (!connList.length && data.series && !(data.series instanceof SeriesCollector)) {
    const have = data.series instanceof Map ? [...data.series.keys()] : data.series.map((s) => s.stream);
    for (const s of have.sort((a, b) => a - b)) if (!cited.has(s)) order.push(s);
  }
  const { series: fetched, activity } = collectSeries(data, order.slice(0, maxChooser), connList);
  // The connections of the blocks always go in; the others while the points budget lasts.
  const chooser: number[] = [];
  let points = 0;
  for (const s of order) {
    const cs = fetched.get(s);
    if (!cs) continue;
    if (!blocks.includes(s)) {
      if (chooser.length >= maxChooser || points + cs.kept > CHOOSER_POINTS) continue;
      points += cs.kept;
    }
    chooser.push(s);
  }
  const series = new Map(chooser.map((s) => [s, fetched.get(s) as ConnectionSeries]));
  const page: Page = {
    report,
    conns,
    series,
    activity,
    host: data.host,
    hostCharts: data.host ? hostCharts(data.host, citedCounters(report.findings, data.host)) : new Map(),
    blocks: blocks.filter((s) => series.has(s)),
    chooser,
    cited,
  };

  const meta: Record<number, ConnectionMeta> = {};
  for (const s of series.keys()) {
    const c = conns.get(s);
    if (c) meta[s] = connectionMeta(c);
  }
  const encoded: Record<number, EncodedSeries> = {};
  for (const [s, cs] of series) encoded[s] = encodeSeries(cs);
  const payload = {
    version: VERSION,
    mark: Mark,
    markNames: MARK_NAMES,
    series: encoded,
    meta,
    activity: activity ? encodeActivity(activity) : undefined,
  };

  const inputs = report.inputs
    .map((i) => {
      const what = [i.format, i.packets !== undefined ? `${count(i.packets)} packets` : ""]
        .filter(Boolean)
        .join(", ");
      const warnings = i.warnings.map((w) => `<li class="warning">warning: ${esc(w)}</li>`).join("");
      return `<li>input: <span class="mono">${esc(i.path)}</span> (${esc(what)})</li>${warnings}`;
    })
    .join("");
  const findings = report.findings.map((f, i) => renderFinding(page, f, i + 1)).join("\n");
  const connsHtml = renderConnections(page);
  const hostHtml = renderHost(page);
  const toc = [
    `<a href="#findings">Findings (${report.findings.length})</a>`,
    connsHtml
      ? `<a href="#connections">Connections${report.stats ? ` (${count(report.stats.total)})` : ""}</a>`
      : "",
    hostHtml ? '<a href="#host">Host</a>' : "",
  ].join("");
  const generated = data.generatedAt ? ` on ${esc(data.generatedAt)}` : "";
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be fetched: inline scripts and styles only, images from data: URLs.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    `<title>tcpdoctor: ${esc(report.verdict)}</title>`,
    `<style>${assets.uplotCss}</style>`,
    `<style>${REPORT_CSS}.u-legend .hidden-legend { display: none; }</style>`,
    "</head><body>",
    `<header class="top ${verdictClass(report)}"><div class="brand">tcpdoctor report</div><h1 class="verdict">${esc(report.verdict)}</h1><ul class="inputs">${inputs}</ul></header>`,
    `<nav class="toc">${toc}</nav>`,
    "<main>",
    '<noscript><p class="noscript">The charts need JavaScript; the findings below read without it.</p></noscript>',
    `<section id="findings"><h2>Findings</h2>${findings || '<p class="hint">No finding: nothing in this evidence needs fixing.</p>'}</section>`,
    connsHtml,
    hostHtml,
    "</main>",
    `<footer>tcpdoctor ${esc(VERSION)}${generated}. Charts drawn with uPlot (MIT licence, inlined).${connsHtml ? " Times are seconds since the first packet of each capture." : ""}</footer>`,
    `<script type="application/json" id="tcpdoctor-data">${scriptJson(payload)}</script>`,
    `<script>${assets.uplotJs}</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}

/**
 * Writes the report to `path`. `data` carries what the report model leaves out: all connections,
 * the packet series (a SeriesCollector fed through onPacket), the full host snapshot.
 */
export async function writeHtmlReport(
  path: string,
  report: Report,
  data: HtmlReportData = {},
): Promise<void> {
  const html = renderHtml(report, { generatedAt: new Date().toISOString(), ...data });
  try {
    await writeFile(path, html);
  } catch (err) {
    const code =
      err instanceof Error && "code" in err ? String((err as NodeJS.ErrnoException).code) : String(err);
    throw new Error(`--html ${path}: cannot write the report (${code})`);
  }
}
