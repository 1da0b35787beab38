// Configuration files (YAML or JSON): thresholds per diagnosis id, and watch settings.
// Validation errors name the bad key and its line, in one line.
import { readFile } from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { UserError } from "../cli/errors.js";
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
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  let keyPath = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && issue.keys.length) keyPath = [...keyPath, issue.keys[0]];
  // the line of the deepest key of the path that exists in the document
  let line = 0;
  let node: unknown = doc.contents;
  for (const k of keyPath) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === k);
    if (!pair) break;
    const range = (pair.key as { range?: [number, number, number] }).range;
    if (range) line = lineCounter.linePos(range[0]).line;
    node = pair.value;
  }
  const where = line ? `${path}:${line}` : path;
  const key = keyPath.join(".") || "(top level)";
  throw new UserError(`${where}: bad key ${key}: ${issue.message}`);
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
