// The human report: the verdict in one line, then each finding by rank — what was seen (with frame
// and stream numbers, durations, counts, rates), why, the one fix, the fallbacks, how to confirm —
// then a short summary of the connections. Colour only when asked (the CLI decides TTY/NO_COLOR).
import pc from "picocolors";
import type { ConnectionSummary } from "../core/tcp/types.js";
import type { Finding } from "../rules/types.js";
import type { Report } from "./model.js";

type Colors = ReturnType<typeof pc.createColors>;

export interface HumanOptions {
  color: boolean;
  /** Width to wrap prose at (default 100). */
  width?: number;
  /** List every connection instead of the notable ones. */
  allConnections?: boolean;
  /** Connections to list (the report keeps only a digest of them). */
  connections?: ConnectionSummary[];
}

const INDENT = "   ";

function wrap(text: string, width: number, indent: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width - indent.length) {
      lines.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function seconds(x: number): string {
  const a = Math.abs(x);
  if (a < 0.001) return `${Math.round(x * 1e6)} µs`;
  if (a < 1) return `${(x * 1000).toFixed(a < 0.01 ? 2 : 1)} ms`;
  return `${x.toFixed(a < 10 ? 2 : 1)} s`;
}

function bps(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} Gbit/s`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} Mbit/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} kbit/s`;
  return `${Math.round(x)} bit/s`;
}

function kib(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  return `${(n / 1024).toFixed(1)} KiB`;
}

/** camelCase key → "camel case", with units read from the key's suffix. */
function label(key: string): string {
  return key
    .replace(/(Seconds|Bps)$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

function value(key: string, v: unknown, depth = 0): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") {
    if (key.endsWith("Seconds") || key === "seconds") return seconds(v);
    if (key.endsWith("Bps")) return bps(v);
    if (key.endsWith("Rate") || key === "fraction") return `${(v * 100).toFixed(v < 0.01 ? 2 : 1)}%`;
    if (/bytes|Bytes|Window|InFlight/.test(key) && v >= 10240) return `${v} (${kib(v)})`;
    return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  }
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) {
    if (v.length === 0) return "none";
    const shown = v.slice(0, 8).map((x) => value(key, x, depth + 1));
    return `${shown.join(", ")}${v.length > 8 ? `, … (${v.length})` : ""}`;
  }
  if (typeof v === "object") {
    if (depth > 1) return JSON.stringify(v);
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${label(k)} ${value(k, x, depth + 1)}`);
    return `{${parts.join(", ")}}`;
  }
  return String(v);
}

/** Evidence as "key value · key value" lines, the noisy bookkeeping keys left out. */
function evidenceLines(evidence: Record<string, unknown>, width: number): string[] {
  const skip = new Set(["more", "corroboratedBy", "explainedBy", "confidenceLoweredBecause"]);
  const items = Object.entries(evidence)
    .filter(([k, v]) => !skip.has(k) && v !== undefined)
    .map(([k, v]) => `${label(k)}: ${value(k, v)}`);
  return wrap(items.join(" · "), width, `${INDENT}  `);
}

function severityTag(f: Finding, c: Colors): string {
  if (f.severity === "critical") return c.bold(c.red("CRITICAL"));
  if (f.severity === "warning") return c.bold(c.yellow("WARNING"));
  return c.cyan("INFO");
}

function renderFinding(f: Finding, n: number, c: Colors, width: number): string[] {
  const out: string[] = [];
  out.push(
    `${c.bold(`${n}.`)} ${severityTag(f, c)} ${c.bold(f.title)} ${c.dim(`[${f.id}, confidence ${f.confidence}]`)}`,
  );
  out.push(...wrap(f.summary, width, INDENT));
  const ev = evidenceLines(f.evidence, width);
  if (ev.length) {
    out.push(`${INDENT}${c.dim("Evidence")}`);
    out.push(...ev);
  }
  if (f.streams?.length) {
    const s = f.streams.slice(0, 12).join(", ");
    out.push(`${INDENT}${c.dim("Streams")} ${s}${f.streams.length > 12 ? ` … (${f.streams.length})` : ""}`);
  }
  // Cited input lines carry the socket lines too (with file:line), so show them instead of repeating.
  if (f.sources?.length) {
    out.push(`${INDENT}${c.dim("From")}`);
    for (const s of f.sources.slice(0, 5))
      out.push(
        clip(`${INDENT}  ${s.file}${s.line ? `:${s.line}` : ""}${s.text ? `  ${s.text}` : ""}`, width + 40),
      );
    if (f.sources.length > 5) out.push(`${INDENT}  … ${f.sources.length - 5} more`);
  } else if (f.sockets?.length) {
    out.push(`${INDENT}${c.dim("Sockets")}`);
    for (const s of f.sockets.slice(0, 5)) out.push(clip(`${INDENT}  ${s}`, width + 40));
    if (f.sockets.length > 5) out.push(`${INDENT}  … ${f.sockets.length - 5} more`);
  }
  const lowered = f.evidence.confidenceLoweredBecause;
  if (Array.isArray(lowered) && lowered.length) {
    out.push(...wrap(`Confidence lowered: ${lowered.join("; ")}.`, width, INDENT).map((l) => c.dim(l)));
  }
  if (f.severity === "info") return out;
  out.push(`${INDENT}${c.dim("Cause")}`);
  out.push(...wrap(f.cause, width, `${INDENT}  `));
  out.push(`${INDENT}${c.bold(c.green("Fix"))}`);
  out.push(...wrap(f.fix, width, `${INDENT}  `).map((l) => c.green(l)));
  if (f.alternatives.length) {
    out.push(`${INDENT}${c.dim("Otherwise")}`);
    f.alternatives.forEach((a, i) => {
      const lines = wrap(a, width, `${INDENT}     `);
      if (lines.length) lines[0] = `${INDENT}  ${i + 1}. ${lines[0].trimStart()}`;
      out.push(...lines);
    });
  }
  if (f.confirm.length) {
    out.push(`${INDENT}${c.dim("Confirm")}`);
    for (const cmd of f.confirm) out.push(`${INDENT}  ${c.cyan("$")} ${cmd}`);
  }
  return out;
}

function connectionLine(x: ConnectionSummary): string {
  const dur = seconds(x.duration);
  return `${String(x.stream).padStart(5)}  ${x.client} → ${x.server}  ${x.state.padEnd(6)} ${dur.padStart(9)}  ${x.verdict}`;
}

/** Renders the report for a terminal (or a file when color is false). */
export function renderHuman(report: Report, opts: HumanOptions): string {
  const c = pc.createColors(opts.color);
  const width = opts.width ?? 100;
  const out: string[] = [];
  const bad = report.findings.some((f) => f.severity !== "info");
  const worst = report.findings[0]?.severity;
  const paint = !bad ? c.green : worst === "critical" ? c.red : c.yellow;
  out.push(c.bold(paint(report.verdict)));
  for (const i of report.inputs) {
    const what = [i.format, i.packets !== undefined ? `${i.packets} packets` : undefined]
      .filter(Boolean)
      .join(", ");
    out.push(c.dim(`input: ${i.path} (${what})`));
    for (const w of i.warnings) out.push(c.yellow(`  warning: ${w}`));
  }
  if (report.findings.length) out.push("");
  report.findings.forEach((f, i) => {
    out.push(...renderFinding(f, i + 1, c, width));
    out.push("");
  });
  const st = report.stats;
  if (st) {
    if (!report.findings.length) out.push("");
    const states = Object.entries(st.byState)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    out.push(c.bold(`Connections: ${st.total} (${states}), ${st.packets} packets`));
    const list = opts.allConnections && opts.connections ? opts.connections : st.notable;
    for (const x of list) out.push(connectionLine(x));
    if (!opts.allConnections && st.total > list.length && list.length > 0) {
      out.push(c.dim(`  … ${st.total - list.length} more (tcpdoctor conns, or --connections)`));
    }
  }
  if (report.host) {
    const h = report.host;
    const socks = h.sockets
      ? `, ${h.sockets.total} sockets (${Object.entries(h.sockets.byState)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")})`
      : "";
    out.push(c.bold(`Host: ${h.hostname ?? "unnamed"}${h.kernel ? `, kernel ${h.kernel}` : ""}${socks}`));
    if (h.unavailable?.length) out.push(c.dim(`  not available: ${h.unavailable.join("; ")}`));
  }
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}

/** Long evidence lines (whole `ss -tie` rows) are cut with an ellipsis rather than wrapped. */
function clip(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
