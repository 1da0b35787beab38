// `nstat` output: "#kernel" then "Name value rate" lines (`nstat -az` absolute, plain `nstat`
// deltas since the last call), with or without the rate column, `nstat -j` JSON, and pastes
// holding two snapshots (before / after), which give counter deltas.
import type { SourceRef } from "../host/types.js";
import { baseName, commandOf, NO_PATH, sourceRef, splitLines, Warnings } from "./common.js";

export interface NstatSnapshot {
  counters: Record<string, number>;
  /** Per-second rates of the third column, when printed. */
  rates?: Record<string, number>;
  /** 1-based line of the snapshot's first counter. */
  line: number;
}

export interface NstatResult {
  snapshots: NstatSnapshot[];
  /**
   * "absolute" (`nstat -a`, the counters since boot) or "delta" (plain `nstat`: increases since the
   * previous call). nstat prints both the same way, so in order: the caller's option, the pasted
   * command line (-a or not), a path naming it ("nstat-delta.txt"), zero values listed (-az is the
   * usual absolute call); otherwise absolute, with a warning.
   */
  mode: "absolute" | "delta";
  /** Where each counter of the last snapshot was read. */
  sources: Record<string, SourceRef>;
  warnings: string[];
}

export interface NstatOptions {
  /** Force the reading of the values: "absolute" (nstat -a) or "delta" (plain nstat). */
  mode?: "absolute" | "delta";
  /** A name for the input (file name) consulted for "delta" when nothing else tells; defaults to path. */
  nameHint?: string;
}

const LINE = /^([A-Za-z][A-Za-z0-9_]*)\s+(-?\d+)(?:\s+(-?\d+(?:\.\d+)?))?\s*$/;

function parseJson(text: string, path: string): NstatResult | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const kernel = (doc as Record<string, unknown>).kernel;
  if (typeof kernel !== "object" || kernel === null) return undefined;
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(kernel as Record<string, unknown>)) {
    if (typeof v === "number" && Number.isFinite(v)) counters[k] = v;
  }
  const sources: Record<string, SourceRef> = {};
  for (const k of Object.keys(counters)) sources[k] = { file: path, line: 1, text: `"${k}": ${counters[k]}` };
  return { snapshots: [{ counters, line: 1 }], mode: "absolute", sources, warnings: [] };
}

/** Parses nstat output. Never throws; unreadable lines are reported. */
export function parseNstat(text: string, path: string = NO_PATH, opts: NstatOptions = {}): NstatResult {
  const trimmedStart = text.trimStart();
  if (trimmedStart.startsWith("{")) {
    const json = parseJson(trimmedStart, path);
    if (json) {
      if (opts.mode) json.mode = opts.mode;
      return json;
    }
  }
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const snapshots: NstatSnapshot[] = [];
  let cur: NstatSnapshot | undefined;
  let sources: Record<string, SourceRef> = {};
  let sawZero = false;
  let commandMode: "absolute" | "delta" | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    if (/^#\s*kernel\b/i.test(t)) {
      cur = undefined; // the next counter starts a new snapshot
      continue;
    }
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      if (/^nstat\b/.test(cmd))
        commandMode = /\s(-[a-z]*a[a-z]*|--absolute)\b/.test(cmd) ? "absolute" : "delta";
      continue;
    }
    if (/^[$#%]/.test(t)) continue; // prompt or comment line
    const m = LINE.exec(t);
    if (!m) {
      warnings.line(i + 1, raw, "not an nstat line");
      continue;
    }
    const [, name, value, rate] = m;
    // a name seen again without a "#kernel" line in between starts the second snapshot
    if (!cur || name in cur.counters) {
      cur = { counters: {}, line: i + 1 };
      snapshots.push(cur);
      sources = {};
    }
    const v = Number(value);
    if (v === 0) sawZero = true;
    cur.counters[name] = v;
    sources[name] = sourceRef(path, i + 1, raw);
    if (rate !== undefined) {
      cur.rates = cur.rates ?? {};
      cur.rates[name] = Number(rate);
    }
  }
  let mode: "absolute" | "delta";
  if (opts.mode) mode = opts.mode;
  else if (commandMode) mode = commandMode;
  else if (opts.nameHint && /^nstat\b/.test(opts.nameHint)) {
    // the hint is the command itself (a bundle manifest's "from")
    mode = /\s(-[a-z]*a[a-z]*|--absolute)\b/.test(opts.nameHint) ? "absolute" : "delta";
  } else if (/delta|diff|increase/i.test(baseName(opts.nameHint ?? path))) mode = "delta";
  else {
    mode = "absolute";
    if (!sawZero && snapshots.length) {
      warnings.add(`${path}: nstat output without zero values (not -az): read as absolute counters`);
    }
  }
  return { snapshots, mode, sources, warnings: warnings.result() };
}
