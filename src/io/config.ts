// Configuration files (YAML or JSON): thresholds per diagnosis id, and watch settings.
// Validation errors name the bad key and its line, in one line.
import { readFile } from "node:fs/promises";
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { UserError } from "../cli/errors.js";
import { diagnosisIds } from "../rules/catalogue.js";
import type { Thresholds } from "../rules/types.js";

const thresholdsSchema = z.record(z.string(), z.record(z.string(), z.number()));

export const configSchema = z
  .object({
    thresholds: thresholdsSchema.optional(),
    /** watch: seconds between snapshots. */
    interval: z.number().positive().optional(),
    /** watch: consecutive intervals a value must be over (or under) its threshold to fire (resolve). */
    hysteresis: z
      .object({
        fireAfter: z.number().int().min(1).optional(),
        resolveAfter: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    /** watch / prometheus: label cardinality bound for per-destination and per-process series. */
    topN: z.number().int().min(1).max(1000).optional(),
    /** ids to ignore entirely. */
    disable: z.array(z.string()).optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Parses config text (YAML is a superset of JSON) and validates it. */
export function parseConfig(text: string, path: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    throw new UserError(`${path}:${pos.line}: ${e.message.split("\n")[0]}`);
  }
  const data = doc.toJS() ?? {};
  const res = configSchema.safeParse(data);
  if (res.success) {
    // A mistyped id would otherwise be ignored without a word, and its threshold never apply.
    const known = new Set(diagnosisIds);
    for (const id of Object.keys(res.data.thresholds ?? {}))
      if (!known.has(id))
        throw new UserError(
          `${where(path, lineOf(doc, lineCounter, ["thresholds", id]))}: bad key thresholds.${id}: not a diagnosis id (see tcpdoctor rules)`,
        );
    const disable = res.data.disable ?? [];
    for (let i = 0; i < disable.length; i++)
      if (!known.has(disable[i]))
        throw new UserError(
          `${where(path, lineOf(doc, lineCounter, ["disable", i]))}: bad key disable: "${disable[i]}" is not a diagnosis id (see tcpdoctor rules)`,
        );
    return res.data;
  }
  const issue = res.error.issues[0];
  // numbers stay numbers: they index sequences when the line is looked up
  let keyPath = issue.path.map((k) => (typeof k === "number" ? k : String(k)));
  if (issue.code === "unrecognized_keys" && issue.keys.length) keyPath = [...keyPath, issue.keys[0]];
  const key = keyPath.join(".") || "(top level)";
  throw new UserError(`${where(path, lineOf(doc, lineCounter, keyPath))}: bad key ${key}: ${issue.message}`);
}

function where(path: string, line: number): string {
  return line ? `${path}:${line}` : path;
}

/** The line of the deepest key (or sequence item) of the path that exists in the document; 0 if none. */
function lineOf(doc: Document, lineCounter: LineCounter, keyPath: (string | number)[]): number {
  let line = 0;
  let node: unknown = doc.contents;
  for (const k of keyPath) {
    let at: { range?: [number, number, number] | null } | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(k));
      if (!pair) break;
      at = pair.key as typeof at;
      node = pair.value;
    } else if (isSeq(node) && typeof k === "number") {
      node = node.items[k];
      at = node as typeof at;
    } else break;
    if (at?.range) line = lineCounter.linePos(at.range[0]).line;
  }
  return line;
}

export async function loadConfig(path: string | undefined): Promise<Config> {
  if (!path) return {};
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UserError(`${path}: cannot read the config file`);
  }
  return parseConfig(text, path);
}

export function thresholdsOf(cfg: Config): Thresholds {
  return cfg.thresholds ?? {};
}
