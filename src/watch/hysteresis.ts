// The alert state machine: one alert per (diagnosis id, subject), debounced by counting intervals.
//
//   clear ──over──► pending ──over × fireAfter──► firing ──clear × resolveAfter──► (resolved, gone)
//     ▲                │                              │
//     └────clear───────┘                              └──over──► firing (clear count starts again)
//
// A value that hovers at its threshold (over, clear, over, clear...) therefore never fires when
// fireAfter ≥ 2, and once firing never resolves when resolveAfter ≥ 2: no flapping either way.
import type { Severity } from "../rules/types.js";
import type { ActiveAlert, AlertEvent, Observation } from "./types.js";

const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

export function alertKey(id: string, subject: string): string {
  return `${id}|${subject}`;
}

export interface TrackerOptions {
  fireAfter: number;
  resolveAfter: number;
}

export class AlertTracker {
  private readonly alerts = new Map<string, ActiveAlert>();
  private fireAfter: number;
  private resolveAfter: number;
  fired = 0;
  resolved = 0;

  constructor(opts: TrackerOptions) {
    this.fireAfter = Math.max(1, Math.floor(opts.fireAfter));
    this.resolveAfter = Math.max(1, Math.floor(opts.resolveAfter));
  }

  /** New counts apply from the next interval; alerts keep their state (a reload never re-fires). */
  configure(opts: TrackerOptions): void {
    this.fireAfter = Math.max(1, Math.floor(opts.fireAfter));
    this.resolveAfter = Math.max(1, Math.floor(opts.resolveAfter));
  }

  /** Whether an alert for this key is pending or firing. */
  state(key: string): ActiveAlert["state"] | undefined {
    return this.alerts.get(key)?.state;
  }

  /** Pending and firing alerts, firing first, then by severity. */
  active(): ActiveAlert[] {
    return [...this.alerts.values()].sort(
      (a, b) =>
        (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1) ||
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
        a.key.localeCompare(b.key),
    );
  }

  firing(): ActiveAlert[] {
    return this.active().filter((a) => a.state === "firing");
  }

  /**
   * Folds one interval's observations into the state and returns the events it caused: "firing" when
   * an alert starts firing (or a firing alert becomes more severe), "resolved" when one clears.
   */
  update(observations: Observation[], time: string): AlertEvent[] {
    const events: AlertEvent[] = [];
    const seen = new Set<string>();
    for (const o of observations) {
      const key = alertKey(o.id, o.subject);
      if (seen.has(key)) continue; // the first observation of a key in an interval wins
      seen.add(key);
      let a = this.alerts.get(key);
      if (!a) {
        a = {
          key,
          id: o.id,
          subject: o.subject,
          state: "pending",
          severity: o.severity,
          summary: o.summary,
          evidence: o.evidence,
          fix: o.fix,
          overFor: 0,
          clearFor: 0,
        };
        this.alerts.set(key, a);
      }
      const escalated = a.state === "firing" && SEVERITY_RANK[o.severity] > SEVERITY_RANK[a.severity];
      a.overFor++;
      a.clearFor = 0;
      a.severity = o.severity;
      a.summary = o.summary;
      a.evidence = o.evidence;
      a.fix = o.fix;
      if (a.state === "pending" && (a.overFor >= this.fireAfter || o.confirmed)) {
        a.state = "firing";
        a.firingSince = time;
        this.fired++;
        events.push(eventOf(a, "firing", time));
      } else if (escalated) {
        events.push(eventOf(a, "firing", time));
      }
    }
    for (const [key, a] of this.alerts) {
      if (seen.has(key)) continue;
      a.overFor = 0;
      if (a.state === "pending") {
        this.alerts.delete(key);
        continue;
      }
      a.clearFor++;
      if (a.clearFor >= this.resolveAfter) {
        this.alerts.delete(key);
        this.resolved++;
        events.push(eventOf(a, "resolved", time));
      }
    }
    return events;
  }
}

function eventOf(a: ActiveAlert, state: AlertEvent["state"], time: string): AlertEvent {
  const evidence =
    state === "resolved"
      ? { ...a.evidence, firingSince: a.firingSince, clearForIntervals: a.clearFor }
      : a.evidence;
  return {
    time,
    id: a.id,
    severity: a.severity,
    state,
    subject: a.subject,
    summary: a.summary,
    evidence,
    fix: a.fix,
  };
}
