// Words of the watch: the one readable line per alert event, the compact live view a terminal
// refreshes in place, the JSON of an evaluation, and the closing summary. Pure text.

import type { WatchEvaluation, WatchSummary } from "./evaluator.js";
import type { ActiveAlert, AlertEvent, WatchRates } from "./types.js";

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const plain: Paint = { red: (s) => s, yellow: (s) => s, green: (s) => s, bold: (s) => s, dim: (s) => s };

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "2026-01-01T10:00:00.123Z FIRING critical close-wait-leak node(pid 42): 120 sockets ..." */
export function alertLine(e: AlertEvent, paint: Paint = plain): string {
  const word =
    e.state === "firing"
      ? e.severity === "critical"
        ? paint.red("FIRING")
        : paint.yellow("FIRING")
      : paint.green("RESOLVED");
  return `${e.time} ${word} ${e.severity} ${paint.bold(e.id)} ${e.subject}: ${e.summary}`;
}

/** The alert log line: the event as one JSON object. */
export function alertJson(e: AlertEvent): string {
  return JSON.stringify({
    time: e.time,
    id: e.id,
    severity: e.severity,
    state: e.state,
    subject: e.subject,
    summary: e.summary,
    evidence: e.evidence,
    fix: e.fix,
  });
}

function rateText(r: WatchRates): string {
  if (r.seconds === undefined) return "rates    (after the second interval)";
  const n = (v: number | undefined, digits = 1) => (v === undefined ? "?" : String(round(v, digits)));
  const ratio = r.retransRatio === undefined ? "" : ` (${round(r.retransRatio * 100, 2)}% of sent)`;
  return `rates    retrans ${n(r.retransPerSec)}/s${ratio}  resets out ${n(r.outRstsPerSec)}/s  listen overflows ${n(r.listenOverflowsPerSec)}/s  syncookies ${n(r.syncookiesSentPerSec)}/s  new conns ${n((r.activeOpensPerSec ?? 0) + (r.passiveOpensPerSec ?? 0))}/s`;
}

const VIEW_STATES = ["ESTAB", "TIME-WAIT", "CLOSE-WAIT", "SYN-RECV", "FIN-WAIT-2", "LISTEN"];

export interface ViewOptions {
  intervalSeconds: number;
  paint?: Paint;
  /** Terminal width: lines are cut to it so the view never wraps (wrapping breaks the redraw). */
  columns?: number;
  /** At most this many alerts listed. */
  maxAlerts?: number;
}

/** The compact live view: states, rates, conntrack, and the active alerts. */
export function liveView(ev: WatchEvaluation, opts: ViewOptions): string[] {
  const paint = opts.paint ?? plain;
  const host = ev.snapshot.hostname ? ` ${ev.snapshot.hostname}` : "";
  const lines: string[] = [];
  lines.push(
    `${paint.bold(`tcpdoctor watch${host}`)}  every ${opts.intervalSeconds} s  interval #${ev.seq}  ${ev.time.slice(11, 19)}`,
  );
  lines.push(`sockets  ${VIEW_STATES.map((s) => `${s} ${ev.sockets[s] ?? 0}`).join("  ")}`);
  lines.push(rateText(ev.rates));
  const ct = ev.snapshot.conntrack;
  if (ct?.count !== undefined && ct.max) {
    lines.push(`conntrack ${ct.count}/${ct.max} (${round((ct.count / ct.max) * 100, 1)}%)`);
  }
  const firing = ev.alerts.filter((a) => a.state === "firing");
  const pending = ev.alerts.length - firing.length;
  lines.push(
    `alerts   ${firing.length ? paint.red(`${firing.length} firing`) : paint.green("0 firing")}${pending ? `, ${pending} pending` : ""}`,
  );
  const max = opts.maxAlerts ?? 8;
  for (const a of ev.alerts.slice(0, max)) lines.push(`  ${alertRow(a, paint)}`);
  if (ev.alerts.length > max) lines.push(paint.dim(`  … ${ev.alerts.length - max} more`));
  const cols = opts.columns;
  return cols && cols > 20 ? lines.map((l) => cut(l, cols - 1)) : lines;
}

function alertRow(a: ActiveAlert, paint: Paint): string {
  const sev =
    a.severity === "critical"
      ? paint.red("CRITICAL")
      : a.severity === "warning"
        ? paint.yellow("WARNING ")
        : "INFO    ";
  const state =
    a.state === "firing" ? `since ${a.firingSince?.slice(11, 19) ?? "?"}` : paint.dim(`pending ${a.overFor}`);
  return `${sev} ${a.id} ${a.subject}  ${state}  ${paint.dim(a.summary)}`;
}

/** Cuts a line to a visible width, keeping colour escapes intact and resetting at the cut. */
function cut(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\x1b") {
      const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    if (visible >= width) return `${out}\x1b[0m`;
    out += line[i];
    visible++;
  }
  return out;
}

/** One evaluation as a JSON object (watch --json prints one per interval). */
export function evaluationJson(ev: WatchEvaluation): Record<string, unknown> {
  return {
    time: ev.time,
    interval: ev.seq,
    seconds: ev.seconds,
    sockets: ev.sockets,
    rates: ev.rates,
    conntrack: ev.snapshot.conntrack
      ? { count: ev.snapshot.conntrack.count, max: ev.snapshot.conntrack.max }
      : undefined,
    findings: ev.findings.map((f) => ({ id: f.id, severity: f.severity, summary: f.summary })),
    alerts: ev.alerts.map((a) => ({
      id: a.id,
      subject: a.subject,
      state: a.state,
      severity: a.severity,
      ...(a.firingSince ? { firingSince: a.firingSince } : {}),
    })),
    events: ev.events,
    ...(ev.newlyUnavailable.length ? { unavailable: ev.newlyUnavailable } : {}),
  };
}

/** The closing line on SIGINT/SIGTERM. */
export function summaryLine(s: WatchSummary): string {
  return `tcpdoctor watch: ${s.intervals} interval${s.intervals === 1 ? "" : "s"} run, ${s.fired} alert${s.fired === 1 ? "" : "s"} fired, ${s.resolved} resolved, ${s.firing} still firing`;
}
