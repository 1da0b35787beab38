// What one interval observes: the host rules' findings cut into one observation per subject, plus
// the watch's own checks — state totals (the classic monitoring-script alerts) and the CLOSE-WAIT
// growth trend per process, which catches a leak while it is still below every count threshold.
//
// Watch thresholds, configured per diagnosis id beside the host rules' own names:
//   close-wait-leak.total            CLOSE-WAIT sockets on the host (default: the rule's `critical`, 100)
//   close-wait-leak.growthIntervals  increases without a decrease that make a leak (default 5)
//   connection-churn.timeWaitTotal   TIME-WAIT sockets on the host (default 5000)
//   syn-flood.synRecvTotal           SYN-RECV sockets on the host (default: the rule's `minSynRecv`, 500)
// A total fires when it reaches its threshold and, once pending or firing, stays over until it falls
// below CLEAR_RATIO of it, so a count hovering at the threshold does not flap.
import type { HostSnapshot, SocketEntry } from "../host/types.js";
import { makeFinding } from "../rules/catalogue.js";
import { closeWaitDefaults } from "../rules/host/close-wait.js";
import { synFloodDefaults } from "../rules/host/syn.js";
import { localOf, ownerOf, sockets } from "../rules/host/util.js";
import type { Finding, Severity } from "../rules/types.js";
import type { GrowthTrend } from "./growth.js";
import type { Observation } from "./types.js";

export const WATCH_DEFAULTS = {
  "close-wait-leak": { total: closeWaitDefaults.critical, growthIntervals: 5 },
  "connection-churn": { timeWaitTotal: 5000 },
  "syn-flood": { synRecvTotal: synFloodDefaults.minSynRecv },
};

/** A total that reached its threshold stays over until it falls below this fraction of it. */
const CLEAR_RATIO = 0.9;

export type ThresholdLookup = Record<string, Record<string, number>>;

/** A watch threshold: the configured value, else the rule's own name for it, else the default. */
function watchThreshold(thresholds: ThresholdLookup, id: string, name: string, fallback: number): number {
  const v = thresholds[id]?.[name];
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

export function growthIntervalsOf(thresholds: ThresholdLookup): number {
  return Math.max(
    1,
    Math.floor(
      watchThreshold(
        thresholds,
        "close-wait-leak",
        "growthIntervals",
        WATCH_DEFAULTS["close-wait-leak"].growthIntervals,
      ),
    ),
  );
}

/** The subject of a process: "nginx(pid 812)". */
function processSubject(name: string | undefined, pid: number): string {
  return `${name ?? "process"}(pid ${pid})`;
}

/** Who holds a socket: its process, else the local service ("service 10.0.0.1:8080"). */
function ownerSubject(s: SocketEntry): string {
  const o = ownerOf(s);
  return o ? processSubject(o.name, o.pid) : `service ${localOf(s)}`;
}

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The subject a finding is about, where the id has a stable one; otherwise the host. */
function subjectOf(f: Finding): string {
  const e = f.evidence;
  switch (f.id) {
    case "time-wait-port-exhaustion":
      return text(e.destination) ?? "host";
    case "connection-churn":
      return text(e.service) ?? "host";
    case "listen-overflow":
    case "syn-flood":
    case "syn-backlog-full":
      return text(e.listener) ?? "host";
    case "fd-limit-near":
      return typeof e.pid === "number" ? processSubject(text(e.process), e.pid) : "host";
    default:
      return "host";
  }
}

/**
 * Observations from the rules' findings: one per finding, except close-wait-leak, whose evidence
 * lists each offending owner — each gets its own alert, so two leaking processes are two alerts.
 */
export function observationsOf(findings: Finding[], thresholds: ThresholdLookup = {}): Observation[] {
  const out: Observation[] = [];
  const critical = watchThreshold(thresholds, "close-wait-leak", "critical", closeWaitDefaults.critical);
  const fdRatio = watchThreshold(thresholds, "close-wait-leak", "fdRatio", closeWaitDefaults.fdRatio);
  const ownerSeverity = (o: Record<string, unknown>): Severity => {
    const count = typeof o.count === "number" ? o.count : 0;
    const fds = typeof o.openFds === "number" && typeof o.fdLimit === "number" && o.fdLimit > 0;
    const fdUse = fds ? (o.openFds as number) / (o.fdLimit as number) : 0;
    return count >= critical || fdUse >= fdRatio ? "critical" : "warning";
  };
  for (const f of findings) {
    if (f.severity === "info") continue;
    const owners = f.id === "close-wait-leak" ? closeWaitOwners(f) : [];
    if (owners.length === 0) {
      out.push({
        id: f.id,
        subject: subjectOf(f),
        severity: f.severity,
        summary: f.summary,
        evidence: f.evidence,
        fix: f.fix,
      });
      continue;
    }
    owners.forEach((o, i) => {
      out.push({
        id: f.id,
        subject: o.subject,
        severity: ownerSeverity(o.entry),
        // The rule's sentence is about the worst owner; the others get their own.
        summary:
          i === 0
            ? f.summary
            : `${o.count} sockets sit in CLOSE-WAIT owned by ${o.subject}: the peers closed, the application never calls close().`,
        evidence: { ...o.entry, closeWaitTotal: f.evidence.closeWaitTotal },
        fix: f.fix,
      });
    });
  }
  return out;
}

function closeWaitOwners(f: Finding): { subject: string; count: number; entry: Record<string, unknown> }[] {
  const owners = f.evidence.owners;
  if (!Array.isArray(owners)) return [];
  const out: { subject: string; count: number; entry: Record<string, unknown> }[] = [];
  for (const o of owners as Record<string, unknown>[]) {
    const count = typeof o.count === "number" ? o.count : 0;
    if (typeof o.pid === "number")
      out.push({ subject: processSubject(text(o.process), o.pid), count, entry: o });
    else if (text(o.localService)) out.push({ subject: `service ${o.localService}`, count, entry: o });
  }
  return out;
}

/** CLOSE-WAIT sockets per owner (process, else local service): the series the growth trend reads. */
export function closeWaitByOwner(host: HostSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of sockets(host)) {
    if (s.state !== "CLOSE-WAIT") continue;
    const k = ownerSubject(s);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** Socket counts by state (SYN-RECV includes NEW-SYN-RECV). */
export function socketsByState(host: HostSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sockets(host)) {
    const state = s.state === "NEW-SYN-RECV" ? "SYN-RECV" : s.state;
    out[state] = (out[state] ?? 0) + 1;
  }
  return out;
}

/** A finding of the watch's own checks, with the subject its alert is kept under. */
export interface WatchFinding {
  finding: Finding;
  subject: string;
  /** Already confirmed over several intervals (growth): fires without waiting. */
  confirmed?: boolean;
}

export interface CheckInput {
  host: HostSnapshot;
  thresholds: ThresholdLookup;
  /** Ids the rules already reported this interval: a total adds nothing beside them. */
  reported: Set<string>;
  /** Whether an alert (id, subject) is pending or firing: totals then clear only below CLEAR_RATIO. */
  isActive(id: string, subject: string): boolean;
  trends: GrowthTrend[];
}

interface TotalCheck {
  id: string;
  state: string;
  name: string;
  fallback: number;
  severity: Severity;
  summary(count: number, threshold: number): string;
}

const TOTALS: TotalCheck[] = [
  {
    id: "close-wait-leak",
    state: "CLOSE-WAIT",
    name: "total",
    fallback: WATCH_DEFAULTS["close-wait-leak"].total,
    severity: "critical",
    summary: (n, t) =>
      `${n} sockets sit in CLOSE-WAIT on this host (alert at ${t}): applications do not close() sockets their peers closed.`,
  },
  {
    id: "connection-churn",
    state: "TIME-WAIT",
    name: "timeWaitTotal",
    fallback: WATCH_DEFAULTS["connection-churn"].timeWaitTotal,
    severity: "warning",
    summary: (n, t) =>
      `${n} sockets sit in TIME-WAIT on this host (alert at ${t}): connections are opened and closed at a high rate instead of being reused.`,
  },
  {
    id: "syn-flood",
    state: "SYN-RECV",
    name: "synRecvTotal",
    fallback: WATCH_DEFAULTS["syn-flood"].synRecvTotal,
    severity: "critical",
    summary: (n, t) =>
      `${n} half-open connections (SYN-RECV) on this host (alert at ${t}): handshakes are not being completed — a SYN flood or clients that vanish.`,
  },
];

/** The watch's own checks: state totals and CLOSE-WAIT growth. */
export function watchChecks(input: CheckInput): WatchFinding[] {
  const out: WatchFinding[] = [];
  const byState = socketsByState(input.host);
  for (const c of TOTALS) {
    if (input.reported.has(c.id)) continue;
    const threshold = watchThreshold(input.thresholds, c.id, c.name, c.fallback);
    const count = byState[c.state] ?? 0;
    const subject = "host";
    const active = input.isActive(c.id, subject);
    const over = count >= threshold || (active && count >= threshold * CLEAR_RATIO);
    if (!over || threshold <= 0) continue;
    out.push({
      subject,
      finding: makeFinding(c.id, {
        severity: c.severity,
        confidence: "medium",
        summary: c.summary(count, threshold),
        evidence: { state: c.state, count, threshold, byState },
      }),
    });
  }
  const n = growthIntervalsOf(input.thresholds);
  for (const t of input.trends) {
    const pid = /\(pid (\d+)\)$/.exec(t.subject)?.[1];
    const process = pid ? t.subject.slice(0, t.subject.lastIndexOf("(")) : undefined;
    const service = t.subject.startsWith("service ") ? t.subject.slice("service ".length) : undefined;
    out.push({
      subject: t.subject,
      confirmed: true,
      finding: makeFinding("close-wait-leak", {
        severity: "warning",
        confidence: "medium",
        summary: `CLOSE-WAIT sockets of ${t.subject} rose ${t.increases} times without ever falling (${t.startCount} → ${t.count}): the application does not close() sockets the peer closed, and the count will only grow.`,
        evidence: {
          closeWait: t.count,
          increases: t.increases,
          since: t.startCount,
          recent: t.recent,
          growthIntervals: n,
        },
        vars: {
          ...(pid ? { pid, process } : {}),
          ...(service ? { server: service } : {}),
        },
      }),
    });
  }
  return out;
}

/**
 * All observations of an interval: the rules' and the watch's, one per (id, subject). Where the
 * growth trend and a rule speak of the same subject, the rule's words stay and the trend joins the
 * evidence and confirms it.
 */
export function mergeObservations(fromRules: Observation[], fromWatch: WatchFinding[]): Observation[] {
  const out = [...fromRules];
  const index = new Map(out.map((o, i) => [`${o.id}|${o.subject}`, i]));
  for (const w of fromWatch) {
    const key = `${w.finding.id}|${w.subject}`;
    const i = index.get(key);
    if (i !== undefined) {
      const o = out[i] as Observation;
      out[i] = {
        ...o,
        evidence: { ...o.evidence, growth: w.finding.evidence },
        confirmed: o.confirmed || w.confirmed,
      };
      continue;
    }
    index.set(key, out.length);
    out.push({
      id: w.finding.id,
      subject: w.subject,
      severity: w.finding.severity,
      summary: w.finding.summary,
      evidence: w.finding.evidence,
      fix: w.finding.fix,
      ...(w.confirmed ? { confirmed: true } : {}),
    });
  }
  return out;
}
