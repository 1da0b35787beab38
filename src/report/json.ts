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
  if (Array.isArray(value)) {
    // Lists of whole numbers (stream numbers: a million of them for a flood) need no cleaning and
    // are not copied.
    for (const v of value) if (typeof v !== "number" || !Number.isInteger(v)) return value.map(clean);
    return value;
  }
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

/**
 * The same text as reportJson, in pieces of about `chunkChars` characters: a finding that cites
 * a million streams is written out without ever holding its whole text.
 */
export function* reportJsonChunks(report: Report, chunkChars = 64 * 1024): Generator<string> {
  const out = new ChunkedText(chunkChars);
  for (const piece of prettyJson(reportObject(report), "", out)) yield piece;
  out.add("\n");
  yield* out.flush();
}

class ChunkedText {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly chunkChars: number) {}
  add(s: string): void {
    this.parts.push(s);
    this.size += s.length;
  }
  get full(): boolean {
    return this.size >= this.chunkChars;
  }
  *flush(): Generator<string> {
    if (this.size === 0) return;
    const text = this.parts.join("");
    this.parts = [];
    this.size = 0;
    yield text;
  }
}

/**
 * JSON.stringify(value, null, 2) written into `out` (the text at `indent` depth), yielding full
 * chunks as it goes: arrays and objects are walked here, everything else (and anything with a
 * toJSON method) goes through JSON.stringify itself.
 */
function* prettyJson(value: unknown, indent: string, out: ChunkedText): Generator<string> {
  if (value !== null && typeof value === "object" && !hasToJson(value)) {
    const inner = `${indent}  `;
    if (Array.isArray(value)) {
      if (value.length === 0) {
        out.add("[]");
        return;
      }
      out.add("[");
      for (let i = 0; i < value.length; i++) {
        out.add(i === 0 ? `\n${inner}` : `,\n${inner}`);
        const v: unknown = value[i];
        // Inside arrays, undefined and functions are written as null, as JSON.stringify does.
        if (v === undefined || typeof v === "function" || typeof v === "symbol") out.add("null");
        else if (typeof v === "number") out.add(Number.isFinite(v) ? String(v) : "null");
        else if (v === null || typeof v !== "object") out.add(JSON.stringify(v));
        else yield* prettyJson(v, inner, out);
        if (out.full) yield* out.flush();
      }
      out.add(`\n${indent}]`);
      return;
    }
    const entries = Object.entries(value).filter(
      ([, v]) => v !== undefined && typeof v !== "function" && typeof v !== "symbol",
    );
    if (entries.length === 0) {
      out.add("{}");
      return;
    }
    out.add("{");
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i];
      out.add(`${i === 0 ? "\n" : ",\n"}${inner}${JSON.stringify(k)}: `);
      yield* prettyJson(v, inner, out);
      if (out.full) yield* out.flush();
    }
    out.add(`\n${indent}}`);
    return;
  }
  const text = JSON.stringify(value, null, 2) ?? "null";
  out.add(indent === "" || !text.includes("\n") ? text : text.replaceAll("\n", `\n${indent}`));
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}
