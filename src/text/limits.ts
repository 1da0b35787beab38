// Descriptor limits and counts: /proc/PID/limits, `ulimit -n` / `ulimit -a`, `ls /proc/PID/fd | wc -l`
// (a bare number, as in the corpus's fd-count-server-process.txt), and `ls -l /proc/PID/fd` listings.
import type { ProcessInfo } from "../host/types.js";
import { commandOf, NO_PATH, sourceRef, splitLines, toInt, Warnings } from "./common.js";

export interface LimitsResult {
  processes: ProcessInfo[];
  ulimitNofile?: number;
  warnings: string[];
}

export interface LimitsOptions {
  /** Which process the text is about, when the text itself does not say (pid 0 = unknown). */
  pid?: number;
  /** What a bare number is: "fds" (an open descriptor count) or "ulimit" (`ulimit -n`). */
  valueIs?: "fds" | "ulimit";
}

/** A number → that number; "unlimited" → undefined (no limit to be near; Infinity would not survive JSON). */
function limitValue(s: string): number | undefined {
  return toInt(s);
}

/** A pid named in a path or hint ("proc-1234-limits", "/proc/1234/fd"). */
export function pidFromName(name: string): number | undefined {
  const m = /proc[-_/](\d+)(?:[-_/]|$)/.exec(name) ?? /\bpid[-_=]?(\d+)\b/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Parses the texts above. Never throws; unreadable lines are reported. */
export function parseLimits(text: string, path: string = NO_PATH, opts: LimitsOptions = {}): LimitsResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const procs = new Map<number, ProcessInfo>();
  let ulimitNofile: number | undefined;
  let pid = opts.pid ?? pidFromName(path) ?? 0;
  let pendingBare: "fds" | "ulimit" | undefined = opts.valueIs;
  let fdEntries = 0;
  let fdSource: ProcessInfo["source"];
  const proc = (): ProcessInfo => {
    let p = procs.get(pid);
    if (!p) {
      p = { pid };
      procs.set(pid, p);
    }
    return p;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      const p = /\/proc\/(\d+)\//.exec(cmd);
      if (p) pid = Number(p[1]);
      if (/^ulimit\b.*-n\b/.test(cmd) || /^ulimit\s*$/.test(cmd)) pendingBare = "ulimit";
      else if (/\/fd\b.*\|\s*wc\b/.test(cmd)) pendingBare = "fds";
      continue;
    }
    if (/^Limit\s+Soft Limit\s+Hard Limit/.test(t)) continue;
    const lim = /^Max open files\s+(\S+)\s+(\S+)/.exec(t);
    if (lim) {
      const p = proc();
      const soft = limitValue(lim[1]);
      const hard = limitValue(lim[2]);
      if (soft !== undefined) p.fdLimit = soft;
      if (hard !== undefined) p.fdHardLimit = hard;
      p.source = sourceRef(path, i + 1, raw);
      continue;
    }
    if (/^Max [a-z ]+\s+(\S+)\s+(\S+)/.test(t)) continue; // other rows of /proc/PID/limits
    const ua = /^open files\s+\((?:[a-z]+, )?-n\)\s+(\S+)$/.exec(t);
    if (ua) {
      ulimitNofile = limitValue(ua[1]);
      continue;
    }
    if (/^[a-z][a-z ]+\s+\((?:[a-z]+, )?-[a-zA-Z]\)\s+\S+$/.test(t)) continue; // other ulimit -a rows
    // ls -l /proc/PID/fd: "lrwx------ 1 root root 64 Mar  8 14:00 3 -> socket:[12345]"
    if (/^[l-][rwx-]{9}\S*\s+\d+\s+.*\s\d+ -> \S/.test(t)) {
      fdEntries++;
      fdSource = fdSource ?? sourceRef(path, i + 1, raw);
      continue;
    }
    if (/^total \d+$/.test(t)) continue;
    if (t === "unlimited" && pendingBare === "ulimit") {
      pendingBare = opts.valueIs;
      continue;
    }
    const n = toInt(t);
    if (n !== undefined) {
      if (pendingBare === "ulimit") ulimitNofile = n;
      else if (pendingBare === "fds") {
        const p = proc();
        p.openFds = n;
        p.source = p.source ?? sourceRef(path, i + 1, raw);
      } else {
        warnings.line(i + 1, raw, "a bare number with no name (fd count or ulimit?)");
      }
      pendingBare = opts.valueIs;
      continue;
    }
    warnings.line(i + 1, raw, "not a limits line");
  }
  if (fdEntries) {
    const p = proc();
    p.openFds = fdEntries;
    p.source = p.source ?? fdSource;
  }
  const out: LimitsResult = { processes: [...procs.values()], warnings: warnings.result() };
  if (ulimitNofile !== undefined) out.ulimitNofile = ulimitNofile;
  return out;
}
