// Kernel log lines that matter for TCP (dmesg, dmesg -T, journalctl -k, /var/log/kern.log):
// conntrack table full, SYN flooding, TCP out of memory, too many orphans, martians, link down.
// Every other line of the log is ignored (a log is mostly unrelated noise, not an error).
import type { KernelLogLine } from "../host/types.js";
import { NO_PATH, sourceRef, splitLines } from "./common.js";

export interface KernLogResult {
  lines: KernelLogLine[];
  /** Non-empty lines read. */
  total: number;
  warnings: string[];
}

/** Prefixes a log line may carry before the message: dmesg [secs] or [date], syslog/journal date + host + "kernel:". */
const PREFIXES = [
  /^(?:\w+\s*:\s*\w+\s*:\s*)?\[\s*\d+\.\d+\]\s*/, // dmesg, dmesg -x
  /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]\s*/, // dmesg -T
  /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ kernel:\s*(?:\[\s*\d+\.\d+\]\s*)?/, // syslog / journalctl short
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)? \S+ kernel:\s*(?:\[\s*\d+\.\d+\]\s*)?/, // short-iso
];

/** Strips the timestamp/host prefix, returning the kernel message. */
export function kernelMessage(line: string): string {
  for (const re of PREFIXES) {
    const m = re.exec(line);
    if (m) return line.slice(m[0].length);
  }
  return line.trim();
}

/** Whether a line carries one of the log prefixes (used by content detection). */
export function hasLogPrefix(line: string): boolean {
  return PREFIXES.some((re) => re.test(line));
}

function interfaceBefore(msg: string, phraseAt: number): string | undefined {
  const toks = msg
    .slice(0, phraseAt)
    .split(/\s+/)
    .map((t) => t.replace(/:$/, ""))
    .filter((t) => /^[a-z][\w.@-]*\d[\w.@-]*$/i.test(t) && !/^\d{4}:/.test(t) && !/^\d/.test(t));
  return toks.length ? toks[toks.length - 1] : undefined;
}

/** Classifies one kernel message; undefined when it does not concern TCP or the network path. */
export function classifyKernelMessage(msg: string): Pick<KernelLogLine, "kind" | "subject"> | undefined {
  if (/\b(?:nf_|ip_)conntrack: (?:nf_conntrack: )?table full, dropping packet/.test(msg))
    return { kind: "conntrack-full" };
  const syn = /Possible SYN flooding on port (\S+?)\.? (?:Sending cookies|Dropping request)/i.exec(msg);
  if (syn) {
    const port = /(\d+)$/.exec(syn[1]);
    return { kind: "syn-flood", subject: port ? port[1] : syn[1] };
  }
  if (/TCP: out of memory -- consider tuning tcp_mem/.test(msg) || /Out of socket memory/.test(msg)) {
    return { kind: "tcp-oom" };
  }
  if (/too many (?:of )?orphaned sockets/i.test(msg)) return { kind: "too-many-orphans" };
  if (/orphan/i.test(msg) && /TCP/.test(msg)) return { kind: "orphans" };
  const martian = /martian (source|destination) (\S+?),?(?:\s|$)/.exec(msg);
  if (martian) return { kind: "martian", subject: martian[2] };
  const bond = /link status definitely down for interface (\S+?),?(?:\s|$)/.exec(msg);
  if (bond) return { kind: "nic-down", subject: bond[1] };
  const down = /(?:NIC )?[Ll]ink (?:is )?[Dd]own\b/.exec(msg);
  if (down) {
    const subject = interfaceBefore(msg, down.index);
    return subject ? { kind: "nic-down", subject } : { kind: "nic-down" };
  }
  const up = /(?:NIC )?Link is Up\b/.exec(msg);
  if (up) {
    const subject = interfaceBefore(msg, up.index);
    return subject ? { kind: "other", subject } : { kind: "other" };
  }
  const watchdog = /NETDEV WATCHDOG: (\S+?)[: ]/.exec(msg);
  if (watchdog) return { kind: "other", subject: watchdog[1] };
  if (
    /time wait bucket table overflow|neighbou?r table overflow|expectation table full|TCP: drop open request|nf_conntrack: falling back to vmalloc|TCP: request_sock_TCP/i.test(
      msg,
    )
  ) {
    return { kind: "other" };
  }
  return undefined;
}

/** Parses a kernel log. Never throws. */
export function parseKernLog(text: string, path: string = NO_PATH): KernLogResult {
  const lines = splitLines(text);
  const out: KernelLogLine[] = [];
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === "") continue;
    total++;
    const msg = kernelMessage(raw);
    const c = classifyKernelMessage(msg);
    if (!c) continue;
    const entry: KernelLogLine = { kind: c.kind, text: msg.trim(), source: sourceRef(path, i + 1, raw) };
    if (c.subject !== undefined) entry.subject = c.subject;
    out.push(entry);
  }
  return { lines: out, total, warnings: [] };
}
