// Shared test helpers: where the shared corpus is, and skipping with a printed reason.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** ../shared beside the checkout (CI has it; a fresh clone may not). */
export const sharedDir = resolve(repoRoot, "..", "shared");
export const capturesDir = join(sharedDir, "captures");
export const hasShared = existsSync(join(capturesDir, "INDEX.md"));

/** Reason to skip a test that needs ../shared, or false when it is present. Printed by node:test. */
export const needsShared: string | false = hasShared
  ? false
  : "skipped: ../shared/captures is not beside this checkout";

/** Scenario directory names of the corpus (empty without ../shared). */
export function scenarios(): string[] {
  if (!hasShared) return [];
  return readdirSync(capturesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(capturesDir, d.name, "truth.json")))
    .map((d) => d.name)
    .sort();
}

/** Every capture file of the corpus: [scenario, file name, absolute path]. */
export function corpusCaptures(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const s of scenarios()) {
    for (const f of readdirSync(join(capturesDir, s)).sort()) {
      if (/\.(pcap|pcapng)(\.gz)?$/.test(f)) out.push([s, f, join(capturesDir, s, f)]);
    }
  }
  return out;
}

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Fixtures kept inside the repo. */
export const fixturesDir = join(repoRoot, "test", "fixtures");
