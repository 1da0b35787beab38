// A bundle directory (what `tcpdoctor collect` writes, or a folder of pasted outputs): every file
// is recognised by its content and parsed; "-before"/"-after" readings of the same counters become
// counter deltas; an optional manifest.json names the host. Unreadable files are warnings.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { counterDeltas, mergeSnapshots } from "../host/merge.js";
import type { HostSnapshot } from "../host/types.js";
import { baseName, looksBinaryText } from "../text/common.js";
import { parseHostText } from "../text/detect.js";

export interface BundleFile {
  path: string;
  kind: string;
}

export interface Bundle {
  snapshot: HostSnapshot;
  warnings: string[];
  files: BundleFile[];
}

/** Host text files larger than this are skipped (a socket table of a busy host is a few MB). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Manifest fields we read (all optional; `tcpdoctor collect` writes them): `times` maps file names
 * to ISO times of their reading, `intervalSeconds` is the time between the -before and -after
 * readings, `files[].from` names the command or /proc path each file came from.
 */
interface Manifest {
  hostname?: string;
  kernel?: string;
  time?: string;
  version?: string;
  times?: Record<string, string>;
  intervalSeconds?: number;
  from?: Record<string, string>;
  unavailable?: string[];
}

/** Where a reading sits in time: before/after, or its number in a numbered series. */
interface Moment {
  /** Readings of the same counters share a group. */
  group: string;
  /** -Infinity for "before", +Infinity for "after", N for "-N"/"-tN", undefined for a single reading. */
  order?: number;
}

/**
 * "nstat-az-before.txt" → group "nstat-az", before; "before/nstat-az.txt" the same;
 * "nstat-az-2.txt" / "nstat-az-t2.txt" → group "nstat-az", reading 2; "ss-tan.txt" → a single reading.
 */
function momentOf(rel: string): Moment {
  const name = baseName(rel);
  let dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/") + 1) : "";
  const dirMoment = /(?:^|\/)(before|after)\/$/i.exec(dir);
  if (dirMoment) {
    dir = dir.slice(0, dir.length - dirMoment[0].length + (dirMoment[0].startsWith("/") ? 1 : 0));
    return { group: dir + name, order: dirMoment[1].toLowerCase() === "before" ? -Infinity : Infinity };
  }
  const m = /^(.*?)[-_.](before|after)(?:[-_.](.*))?$/i.exec(name) ?? /^(before|after)[-_.](.*)$/i.exec(name);
  if (m) {
    if (m[1].toLowerCase() === "before" || m[1].toLowerCase() === "after") {
      return { group: dir + m[2], order: m[1].toLowerCase() === "before" ? -Infinity : Infinity };
    }
    return {
      group: dir + m[1] + (m[3] ? `-${m[3]}` : ""),
      order: m[2].toLowerCase() === "before" ? -Infinity : Infinity,
    };
  }
  const n = /^(.*?)[-_.]t?(\d{1,3})$/.exec(name);
  if (n) return { group: dir + n[1], order: Number(n[2]) };
  return { group: dir + name };
}

function captureKind(head: Uint8Array): string | undefined {
  if (head.length < 4) return undefined;
  const le = head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24);
  const u = le >>> 0;
  if (u === 0xa1b2c3d4 || u === 0xd4c3b2a1 || u === 0xa1b23c4d || u === 0x4d3cb2a1) return "pcap";
  if (u === 0x0a0d0d0a) return "pcapng";
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  return undefined;
}

function parseManifest(text: string): Manifest | undefined {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (typeof doc !== "object" || doc === null) return undefined;
    const m: Manifest = {};
    if (typeof doc.hostname === "string") m.hostname = doc.hostname;
    if (typeof doc.kernel === "string") m.kernel = doc.kernel;
    if (typeof doc.time === "string") m.time = doc.time;
    const version = doc.version ?? doc.tcpdoctorVersion ?? doc.tcpdoctor;
    if (typeof version === "string") m.version = version;
    if (typeof doc.times === "object" && doc.times !== null) {
      m.times = {};
      for (const [k, v] of Object.entries(doc.times as Record<string, unknown>))
        if (typeof v === "string") m.times[k] = v;
    }
    if (typeof doc.intervalSeconds === "number" && doc.intervalSeconds > 0)
      m.intervalSeconds = doc.intervalSeconds;
    if (Array.isArray(doc.files)) {
      m.from = {};
      for (const f of doc.files as unknown[]) {
        const e = f as { name?: unknown; from?: unknown } | null;
        if (typeof e?.name === "string" && typeof e.from === "string") m.from[e.name] = e.from;
      }
    }
    if (Array.isArray(doc.unavailable)) {
      m.unavailable = (doc.unavailable as unknown[]).filter((u): u is string => typeof u === "string");
    }
    return m;
  } catch {
    return undefined;
  }
}

/** Files of the directory and of its direct subdirectories, relative paths, sorted. */
async function listFiles(dir: string, warnings: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string, depth: number) => {
    let entries: string[];
    try {
      entries = (await readdir(join(dir, sub))).sort();
    } catch (err) {
      warnings.push(`${join(dir, sub)}: cannot list (${errText(err)})`);
      return;
    }
    for (const name of entries) {
      if (name.startsWith(".")) continue;
      const rel = sub ? `${sub}/${name}` : name;
      let st: Awaited<ReturnType<typeof stat>>;
      try {
        st = await stat(join(dir, rel));
      } catch (err) {
        warnings.push(`${join(dir, rel)}: cannot read (${errText(err)})`);
        continue;
      }
      if (st.isDirectory()) {
        if (depth === 0) await walk(rel, 1);
        else warnings.push(`${join(dir, rel)}: directory nested too deep, not read`);
      } else if (st.isFile()) {
        if (st.size > MAX_FILE_BYTES) warnings.push(`${join(dir, rel)}: larger than 256 MiB, not read`);
        else out.push(rel);
      }
    }
  };
  await walk("", 0);
  return out;
}

function errText(err: unknown): string {
  if (
    err &&
    typeof err === "object" &&
    "code" in err &&
    typeof (err as { code: unknown }).code === "string"
  ) {
    return (err as { code: string }).code;
  }
  return err instanceof Error ? err.message : String(err);
}

function timeOf(manifest: Manifest | undefined, rel: string): string | undefined {
  const t = manifest?.times;
  if (!t) return undefined;
  const name = rel.slice(rel.lastIndexOf("/") + 1);
  return t[rel] ?? t[name] ?? t[baseName(rel)];
}

function secondsBetween(manifest: Manifest | undefined, before: string, after: string): number | undefined {
  const tb = timeOf(manifest, before);
  const ta = timeOf(manifest, after);
  if (tb && ta) {
    const s = (Date.parse(ta) - Date.parse(tb)) / 1000;
    if (Number.isFinite(s) && s > 0) return s;
  }
  return manifest?.intervalSeconds;
}

/**
 * Reads a bundle directory into one host snapshot. Every file is detected by content; files
 * named *-before* / *-after* give counter deltas (after − before, reset-safe) and only the
 * "after" reading counts as the current value; a manifest.json sets hostname, kernel and time.
 * Never rejects for a bad file: unreadable, binary or unrecognised files become warnings.
 */
export async function loadBundle(dir: string): Promise<Bundle> {
  const warnings: string[] = [];
  const files: BundleFile[] = [];
  const rels = await listFiles(dir, warnings);
  let manifest: Manifest | undefined;
  if (rels.includes("manifest.json")) {
    try {
      manifest = parseManifest(await readFile(join(dir, "manifest.json"), "utf8"));
    } catch {
      manifest = undefined; // said below, when the file is read with the others
    }
  }
  const plain: HostSnapshot[] = [];
  const latest: HostSnapshot[] = [];
  const series = new Map<string, { order: number; rel: string; snap: HostSnapshot }[]>();

  for (const rel of rels) {
    const full = join(dir, rel);
    let bytes: Buffer;
    try {
      bytes = await readFile(full);
    } catch (err) {
      warnings.push(`${full}: cannot read (${errText(err)})`);
      continue;
    }
    if (rel === "manifest.json") {
      files.push({ path: full, kind: "manifest" });
      if (!manifest) warnings.push(`${full}: manifest is not a JSON object, ignored`);
      continue;
    }
    const cap = captureKind(bytes.subarray(0, 4));
    if (cap) {
      files.push({ path: full, kind: cap });
      warnings.push(
        `${full}: a capture file in the bundle; pass it to analyze as its own input to analyse it`,
      );
      continue;
    }
    const text = bytes.toString("utf8");
    if (bytes.length === 0 || text.trim() === "") {
      files.push({ path: full, kind: "empty" });
      continue;
    }
    if (looksBinaryText(text)) {
      files.push({ path: full, kind: "unknown" });
      warnings.push(`${full}: binary data, not command output (ignored)`);
      continue;
    }
    // the command a file came from names it better than its file name (a bare value, a pid, a state filter)
    const parsed = parseHostText(text, full, { nameHint: manifest?.from?.[rel] ?? baseName(rel) });
    files.push({ path: full, kind: parsed.kind });
    warnings.push(...parsed.warnings);
    if (parsed.kind === "unknown" || parsed.kind === "tcpdump") continue;
    const { group, order } = momentOf(relative(dir, full));
    const hasCounters = !!parsed.snapshot.counters && Object.keys(parsed.snapshot.counters).length > 0;
    if (order === undefined || !hasCounters) {
      // an earlier reading of anything but counters is older evidence: merged first, so later readings win
      if (order === -Infinity) plain.unshift(parsed.snapshot);
      else if (order === Infinity) latest.push(parsed.snapshot);
      else plain.push(parsed.snapshot);
      continue;
    }
    const list = series.get(group) ?? [];
    list.push({ order, rel, snap: parsed.snapshot });
    series.set(group, list);
  }

  // counters read more than once: the first and last readings give the deltas, the last is current
  const deltaParts: HostSnapshot[] = [];
  for (const [group, list] of series) {
    list.sort((a, b) => a.order - b.order);
    const first = list[0];
    const last = list[list.length - 1];
    if (list.length >= 2) {
      latest.push(last.snap);
      const d = counterDeltas(
        first.snap.counters ?? {},
        last.snap.counters ?? {},
        secondsBetween(manifest, first.rel, last.rel),
      );
      d.source = `${join(dir, first.rel)} → ${join(dir, last.rel)}`;
      deltaParts.push({ sources: [], counterDeltas: d });
    } else if (first.order === -Infinity) {
      warnings.push(
        `${join(dir, first.rel)}: a "before" reading without its "after" (${group}): no deltas from it`,
      );
      plain.unshift({ ...first.snap, counters: undefined, counterSources: undefined });
    } else {
      latest.push(first.snap);
    }
  }
  // deltas from readings in the bundle are merged last: they override an nstat delta file for the same counters
  const snapshot = mergeSnapshots([...plain, ...latest, ...deltaParts]);
  snapshot.sources = files
    .filter((f) => f.kind !== "empty" && f.kind !== "unknown")
    .map((f) => ({ path: f.path, kind: f.kind }));
  if (manifest?.hostname) snapshot.hostname = manifest.hostname;
  if (manifest?.kernel) snapshot.kernel = manifest.kernel;
  if (manifest?.time) snapshot.time = manifest.time;
  if (manifest?.unavailable?.length) {
    snapshot.unavailable = [...new Set([...(snapshot.unavailable ?? []), ...manifest.unavailable])];
  }
  if (!files.some((f) => !["empty", "unknown", "manifest"].includes(f.kind))) {
    warnings.push(`${dir}: no host evidence found in this directory`);
  }
  return { snapshot, warnings, files };
}
