// Shapes of continuous monitoring: what one interval observed, the alert state kept across
// intervals, and the events written to the alert log. Plain data, serialisable as JSON.
import type { Severity } from "../rules/types.js";

/** Something over its threshold during one interval, about one subject (a process, a destination, the host). */
export interface Observation {
  /** Diagnosis id from the catalogue. */
  id: string;
  /** What the alert is about: "node(pid 4242)", "10.0.0.5:80", "host". */
  subject: string;
  severity: Severity;
  summary: string;
  evidence: Record<string, unknown>;
  fix: string;
  /**
   * The observation already carries its own confirmation over several intervals (a growth trend):
   * it fires at once instead of waiting for fireAfter intervals.
   */
  confirmed?: boolean;
}

export type AlertState = "pending" | "firing";

/** An alert the tracker holds: pending (over, not yet long enough) or firing. */
export interface ActiveAlert {
  key: string;
  id: string;
  subject: string;
  state: AlertState;
  severity: Severity;
  summary: string;
  evidence: Record<string, unknown>;
  fix: string;
  /** Consecutive intervals over the threshold (0 while clearing). */
  overFor: number;
  /** Consecutive intervals clear while firing. */
  clearFor: number;
  /** Wall-clock time the alert started firing (ISO), when firing. */
  firingSince?: string;
}

/** One line of the alert log (JSON lines): an alert started firing, or resolved. */
export interface AlertEvent {
  time: string;
  id: string;
  severity: Severity;
  state: "firing" | "resolved";
  subject: string;
  summary: string;
  evidence: Record<string, unknown>;
  fix: string;
}

/** Per-second rates over the last interval, from kernel counter increases. */
export interface WatchRates {
  seconds?: number;
  retransPerSec?: number;
  /** Retransmitted / sent segments over the interval. */
  retransRatio?: number;
  outSegsPerSec?: number;
  outRstsPerSec?: number;
  listenOverflowsPerSec?: number;
  syncookiesSentPerSec?: number;
  activeOpensPerSec?: number;
  passiveOpensPerSec?: number;
}

/** Settings of the watch state machine (from the config file; every field has a default). */
export interface WatchSettings {
  /** Consecutive intervals over a threshold before an alert fires. */
  fireAfter: number;
  /** Consecutive intervals clear before a firing alert resolves. */
  resolveAfter: number;
  /** Thresholds per diagnosis id (the host rules' names, plus the watch's own: see checks.ts). */
  thresholds: Record<string, Record<string, number>>;
  /** Diagnosis ids to ignore. */
  disable: string[];
  /** Label cardinality bound of the per-destination and per-process metrics. */
  topN: number;
}

export const DEFAULT_FIRE_AFTER = 2;
export const DEFAULT_RESOLVE_AFTER = 2;
export const DEFAULT_TOP_N = 10;

/** Settings with every default filled in. */
export function watchSettings(partial: Partial<WatchSettings> = {}): WatchSettings {
  return {
    fireAfter: partial.fireAfter ?? DEFAULT_FIRE_AFTER,
    resolveAfter: partial.resolveAfter ?? DEFAULT_RESOLVE_AFTER,
    thresholds: partial.thresholds ?? {},
    disable: partial.disable ?? [],
    topN: partial.topN ?? DEFAULT_TOP_N,
  };
}
