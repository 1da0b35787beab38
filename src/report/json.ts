// `analyze --json`: one JSON object, exactly the shape of spec/cli.md —
// { inputs, findings, connections?, host? } with findings ranked, most important first.
import type { Finding } from "../rules/types.js";
import type { Report } from "./model.js";

/** Finite numbers rounded to 9 decimals (float noise out), undefined dropped, NaN/Infinity as null. */
function clean(value: unknown): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    return Number.isInteger(value) ? value : Math.round(value * 1e9) / 1e9;
  }
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clean(v);
    return out;
  }
  return value;
}

/** One finding in the contract's key order; `score` is internal ranking and stays out. */
export function findingJson(f: Finding): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: f.id,
    severity: f.severity,
    confidence: f.confidence,
    title: f.title,
    summary: f.summary,
    evidence: f.evidence,
    cause: f.cause,
    fix: f.fix,
    alternatives: f.alternatives,
    confirm: f.confirm,
  };
  if (f.streams?.length) o.streams = f.streams;
  if (f.sockets?.length) o.sockets = f.sockets;
  if (f.sources?.length) o.sources = f.sources;
  return clean(o) as Record<string, unknown>;
}

/** The report as the object `analyze --json` prints. */
export function reportObject(report: Report): Record<string, unknown> {
  const o: Record<string, unknown> = {
    inputs: report.inputs.map((i) =>
      clean({ path: i.path, format: i.format, packets: i.packets, warnings: i.warnings }),
    ),
    findings: report.findings.map(findingJson),
  };
  if (report.connections) o.connections = report.connections;
  if (report.host) o.host = clean(report.host);
  return o;
}

/** Pretty-printed JSON text with a trailing newline. */
export function reportJson(report: Report): string {
  return `${JSON.stringify(reportObject(report), null, 2)}\n`;
}
