// One watch interval, end to end and pure: the new host snapshot becomes counter increases over the
// interval (against the previous snapshot), new kernel log lines (against the lines seen before),
// findings (the host rules plus the watch's own checks), observations per subject, and alert
// events from the hysteresis state machine. Time comes in with each snapshot: a monotonic reading
// for the interval length and a wall-clock one for the log.
import { counterDeltas } from "../host/merge.js";
import type { HostSnapshot, KernelLogLine } from "../host/types.js";
import { diagnose, rank } from "../rules/engine.js";
import type { Finding, Rule } from "../rules/types.js";
import {
  closeWaitByOwner,
  growthIntervalsOf,
  mergeObservations,
  observationsOf,
  socketsByState,
  watchChecks,
} from "./checks.js";
import { GrowthTracker } from "./growth.js";
import { AlertTracker, alertKey } from "./hysteresis.js";
import type { ActiveAlert, AlertEvent, Observation, WatchRates, WatchSettings } from "./types.js";

export interface WatchTick {
  /** A snapshot taken without its own counter interval (snapshotHost({ interval: 0 })). */
  snapshot: HostSnapshot;
  /** Monotonic milliseconds when the snapshot was taken (performance.now()). */
  monotonicMs: number;
  /** Wall-clock time of the snapshot (ISO), for the alert log. */
  time: string;
}

export interface WatchEvaluation {
  /** 1-based interval number. */
  seq: number;
  time: string;
  /** Seconds since the previous snapshot (monotonic); undefined on the first or after a clock fault. */
  seconds?: number;
  /** The snapshot with counter increases over the interval (absolute counters kept). */
  snapshot: HostSnapshot;
  /** Ranked findings of this interval: the host rules' and the watch's own. */
  findings: Finding[];
  observations: Observation[];
  events: AlertEvent[];
  /** Pending and firing alerts after this interval. */
  alerts: ActiveAlert[];
  sockets: Record<string, number>;
  rates: WatchRates;
  /** Things not readable that were readable (or not reported) before: to say once. */
  newlyUnavailable: string[];
}

export interface WatchSummary {
  intervals: number;
  fired: number;
  resolved: number;
  firing: number;
}

function kernelLineKey(l: KernelLogLine): string {
  return l.source?.text ?? l.text;
}

function perSecond(v: number | undefined, seconds: number | undefined): number | undefined {
  return v !== undefined && seconds !== undefined && seconds > 0 ? v / seconds : undefined;
}

/** Rates over the interval from counter increases; nothing is divided by a zero or negative time. */
function ratesOf(deltas: HostSnapshot["counterDeltas"]): WatchRates {
  if (!deltas) return {};
  const v = deltas.values;
  const s = deltas.seconds;
  const rates: WatchRates = {};
  if (s !== undefined && s > 0) rates.seconds = s;
  const set = (k: keyof WatchRates, counter: string) => {
    const r = perSecond(v[counter], s);
    if (r !== undefined) rates[k] = r;
  };
  set("retransPerSec", "TcpRetransSegs");
  set("outSegsPerSec", "TcpOutSegs");
  set("outRstsPerSec", "TcpOutRsts");
  set("listenOverflowsPerSec", "TcpExtListenOverflows");
  set("syncookiesSentPerSec", "TcpExtSyncookiesSent");
  set("activeOpensPerSec", "TcpActiveOpens");
  set("passiveOpensPerSec", "TcpPassiveOpens");
  const out = v.TcpOutSegs;
  if (v.TcpRetransSegs !== undefined && out !== undefined && out > 0)
    rates.retransRatio = v.TcpRetransSegs / out;
  return rates;
}

export class WatchEvaluator {
  private settings: WatchSettings;
  private readonly tracker: AlertTracker;
  private readonly growth: GrowthTracker;
  private prev?: { counters: Record<string, number>; monotonicMs: number };
  private seenKernelLines?: Set<string>;
  private reportedUnavailable = new Set<string>();
  private intervals = 0;

  constructor(
    settings: WatchSettings,
    private readonly rules?: Rule[],
  ) {
    this.settings = settings;
    this.tracker = new AlertTracker(settings);
    this.growth = new GrowthTracker(growthIntervalsOf(settings.thresholds));
  }

  /** New settings (config reload): alert state and trends are kept. */
  configure(settings: WatchSettings): void {
    this.settings = settings;
    this.tracker.configure(settings);
    this.growth.setIntervals(growthIntervalsOf(settings.thresholds));
  }

  get currentSettings(): WatchSettings {
    return this.settings;
  }

  summary(): WatchSummary {
    return {
      intervals: this.intervals,
      fired: this.tracker.fired,
      resolved: this.tracker.resolved,
      firing: this.tracker.firing().length,
    };
  }

  firing(): ActiveAlert[] {
    return this.tracker.firing();
  }

  evaluate(tick: WatchTick): WatchEvaluation {
    this.intervals++;
    const snap = tick.snapshot;
    const counters = snap.counters ?? {};
    let seconds: number | undefined;
    let withDeltas: HostSnapshot = snap;
    if (!snap.counterDeltas && this.prev) {
      const elapsed = (tick.monotonicMs - this.prev.monotonicMs) / 1000;
      seconds = Number.isFinite(elapsed) && elapsed > 0 ? elapsed : undefined;
      withDeltas = {
        ...snap,
        counterDeltas: { ...counterDeltas(this.prev.counters, counters, seconds), source: "watch interval" },
      };
    } else if (snap.counterDeltas) {
      seconds = snap.counterDeltas.seconds;
    }
    if (snap.counters) this.prev = { counters, monotonicMs: tick.monotonicMs };

    // The rules see only what happened during the interval: without a previous reading the absolute
    // counters (since boot) would raise the same old findings at every start; kernel log lines
    // already present at the previous snapshot are history.
    const facts: HostSnapshot = { ...withDeltas };
    if (!withDeltas.counterDeltas) {
      delete facts.counters;
      delete facts.counterSources;
    }
    const lines = snap.kernelLog ?? [];
    const seen = this.seenKernelLines;
    facts.kernelLog = seen ? lines.filter((l) => !seen.has(kernelLineKey(l))) : [];
    this.seenKernelLines = new Set(lines.map(kernelLineKey));

    const { thresholds, disable } = this.settings;
    const ruleFindings = diagnose(
      { connections: [], host: facts },
      { thresholds, disable, rules: this.rules },
    );
    const disabled = new Set(disable);
    const trends = disabled.has("close-wait-leak") ? [] : this.growth.update(closeWaitByOwner(snap));
    const own = watchChecks({
      host: snap,
      thresholds,
      reported: new Set(ruleFindings.filter((f) => f.severity !== "info").map((f) => f.id)),
      isActive: (id, subject) => this.tracker.state(alertKey(id, subject)) !== undefined,
      trends,
    }).filter((w) => !disabled.has(w.finding.id));
    const observations = mergeObservations(observationsOf(ruleFindings, thresholds), own);
    const events = this.tracker.update(observations, tick.time);

    const newlyUnavailable = (snap.unavailable ?? []).filter((u) => !this.reportedUnavailable.has(u));
    for (const u of newlyUnavailable) this.reportedUnavailable.add(u);

    const result: WatchEvaluation = {
      seq: this.intervals,
      time: tick.time,
      snapshot: withDeltas,
      findings: rank([...ruleFindings, ...own.map((w) => w.finding)]),
      observations,
      events,
      alerts: this.tracker.active(),
      sockets: socketsByState(snap),
      rates: ratesOf(withDeltas.counterDeltas),
      newlyUnavailable,
    };
    if (seconds !== undefined) result.seconds = seconds;
    return result;
  }
}
