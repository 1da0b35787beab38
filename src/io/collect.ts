// `tcpdoctor collect`: writes the raw evidence of this host into a bundle directory, as the plain
// text each command prints, plus manifest.json. `analyze <dir>` elsewhere parses the same texts
// with the same parsers, so its verdict equals the live one.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VERSION } from "../version.js";
import { gatherHostEvidence, type HostEvidence, type SnapshotOptions } from "./live-host.js";

export const MANIFEST = "manifest.json";

export interface BundleManifest {
  tool: "tcpdoctor";
  version: string;
  hostname?: string;
  kernel?: string;
  /** When collection started (ISO). */
  time: string;
  /** Seconds between the *-before.txt and *-after.txt counter readings. */
  intervalSeconds?: number;
  /** File name → ISO time of its reading, for the timed readings (the counters). */
  times: Record<string, string>;
  /** Each file and the command or /proc path that produced it. */
  files: { name: string; from: string }[];
  unavailable: string[];
}

export function manifestOf(ev: HostEvidence): BundleManifest {
  const m: BundleManifest = {
    tool: "tcpdoctor",
    version: VERSION,
    time: ev.time,
    times: ev.times,
    files: ev.files.map((f) => ({ name: f.name, from: f.from })),
    unavailable: ev.unavailable,
  };
  if (ev.hostname) m.hostname = ev.hostname;
  if (ev.kernel) m.kernel = ev.kernel;
  if (ev.intervalSeconds !== undefined) m.intervalSeconds = ev.intervalSeconds;
  return m;
}

/** Writes gathered evidence into `dir` (created if needed); returns the paths written. */
export async function writeBundle(dir: string, ev: HostEvidence): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const f of ev.files) {
    const path = join(dir, f.name);
    await writeFile(path, f.text);
    written.push(path);
  }
  const manifest = join(dir, MANIFEST);
  await writeFile(manifest, `${JSON.stringify(manifestOf(ev), null, 2)}\n`);
  written.push(manifest);
  return written;
}

/**
 * Collects this host's evidence (the live snapshot's inputs) into a bundle directory for offline
 * `tcpdoctor analyze <dir>`. Returns the files written.
 */
export async function collectBundle(dir: string, opts: SnapshotOptions = {}): Promise<string[]> {
  return writeBundle(dir, await gatherHostEvidence(opts));
}
