// Connection tracking as operators paste it: `conntrack -L` (and /proc/net/nf_conntrack), `-C`
// (a count), `-S` (per-CPU statistics, summed), /proc/net/stat/nf_conntrack (hex per-CPU table),
// and the nf_conntrack_count / nf_conntrack_max values.
import type { ConntrackInfo } from "../host/types.js";
import { NO_PATH, sourceRef, splitLines, toInt, Warnings } from "./common.js";

export interface ConntrackResult {
  conntrack: ConntrackInfo;
  warnings: string[];
}

export interface ConntrackOptions {
  /** What a bare number is: "count" (conntrack -C, nf_conntrack_count) or "max" (nf_conntrack_max). */
  valueIs?: "count" | "max";
}

/** How many sources entriesBySource keeps (the rest are summed under "other"). */
const TOP_SOURCES = 50;

const ENTRY = /^(?:ipv[46]\s+\d+\s+)?(tcp|udp|udplite|icmp|icmpv6|sctp|dccp|gre|unknown)\s+\d+\s/;

/** Parses conntrack output of any of the forms above. Never throws. */
export function parseConntrack(
  text: string,
  path: string = NO_PATH,
  opts: ConntrackOptions = {},
): ConntrackResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const info: ConntrackInfo = {};
  const bySource = new Map<string, number>();
  const stats: Record<string, number> = {};
  let entries = 0;
  let statHeader: string[] | undefined;
  const content = lines.filter((l) => l.trim() !== "");

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    if (/^[$#]\s/.test(t)) continue; // pasted command line
    if (ENTRY.test(t)) {
      entries++;
      const src = /\bsrc=(\S+)/.exec(t);
      if (src) bySource.set(src[1], (bySource.get(src[1]) ?? 0) + 1);
      if (!info.source) info.source = sourceRef(path, i + 1, raw);
      continue;
    }
    const shown = /conntrack v[\d.]+ \(conntrack-tools\): (\d+) flow entries have been shown/.exec(t);
    if (shown) {
      const n = Number(shown[1]);
      if (info.count === undefined) info.count = n;
      continue;
    }
    if (/^(cpu=\d+\s+)?(\w+=\d+\s*)+$/.test(t)) {
      // -S: "cpu=0 found=0 invalid=0 insert=0 ..." (older: "entries=.. searched=..")
      for (const m of t.matchAll(/(\w+)=(\d+)/g)) {
        if (m[1] === "cpu" || m[1] in Object.prototype) continue;
        stats[m[1]] = (stats[m[1]] ?? 0) + Number(m[2]);
      }
      if (!info.source) info.source = sourceRef(path, i + 1, raw);
      continue;
    }
    if (/^entries\s+(clashres\s+)?(searched\s+)?found\s+/.test(t)) {
      statHeader = t.split(/\s+/);
      continue;
    }
    if (statHeader && /^[0-9a-fA-F]{8}(\s+[0-9a-fA-F]{8})+$/.test(t)) {
      const vals = t.split(/\s+/);
      for (let k = 0; k < Math.min(vals.length, statHeader.length); k++) {
        const name = statHeader[k];
        if (name in Object.prototype) continue;
        const v = Number.parseInt(vals[k], 16);
        // "entries" is the same global table size on every CPU row: keep it once, not summed
        if (name === "entries") info.count = v;
        else stats[name] = (stats[name] ?? 0) + v;
      }
      if (!info.source) info.source = sourceRef(path, i + 1, raw);
      continue;
    }
    const named = /^(?:net\.netfilter\.|net\.)?(nf_conntrack_count|nf_conntrack_max)\s*[=:]\s*(\d+)$/.exec(t);
    if (named) {
      if (named[1] === "nf_conntrack_count") info.count = Number(named[2]);
      else info.max = Number(named[2]);
      if (!info.source) info.source = sourceRef(path, i + 1, raw);
      continue;
    }
    const bare = toInt(t);
    if (bare !== undefined && content.length === 1) {
      if (opts.valueIs === "max") info.max = bare;
      else info.count = bare;
      info.source = sourceRef(path, i + 1, raw);
      continue;
    }
    if (/^conntrack v[\d.]+ \(conntrack-tools\)/.test(t)) continue; // other summary lines
    warnings.line(i + 1, raw, "not a conntrack line");
  }
  if (entries) {
    info.entries = entries;
    // -L lists every entry: its length is the count when no other count was given
    if (info.count === undefined) info.count = entries;
    const sorted = [...bySource.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const top: Record<string, number> = {};
    let other = 0;
    sorted.forEach(([k, v], idx) => {
      if (idx < TOP_SOURCES) top[k] = v;
      else other += v;
    });
    if (other) top.other = other;
    info.entriesBySource = top;
  }
  if (Object.keys(stats).length) info.stats = stats;
  return { conntrack: info, warnings: warnings.result() };
}
