// The watch loop: a host snapshot every interval on a monotonic schedule, evaluated by the pure
// WatchEvaluator, its alert events handed to the sinks (log file, terminal), its metrics rendered
// once for the exporter. Wall-clock jumps do not disturb it: intervals are measured on
// performance.now(); a snapshot that overruns its slot skips the missed slots instead of bunching.
import { appendFile } from "node:fs/promises";
import type { HostSnapshot } from "../host/types.js";
import { hostMetricFamilies, MetricsRenderer } from "../report/prometheus.js";
import { type WatchEvaluation, WatchEvaluator, type WatchSummary } from "../watch/evaluator.js";
import { alertJson } from "../watch/render.js";
import { type AlertEvent, type WatchSettings, watchSettings } from "../watch/types.js";
import type { Config } from "./config.js";
import { snapshotHost } from "./live-host.js";

/** Watch settings from a config file (defaults for what it does not say). */
export function settingsFromConfig(config: Config): WatchSettings {
  return watchSettings({
    fireAfter: config.hysteresis?.fireAfter,
    resolveAfter: config.hysteresis?.resolveAfter,
    thresholds: config.thresholds,
    disable: config.disable,
    topN: config.topN,
  });
}

export interface WatchClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock time, ISO. */
  wallClock(): string;
  /** Resolves after ms, or early when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: WatchClock = {
  now: () => performance.now(),
  wallClock: () => new Date().toISOString(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener("abort", done, { once: true });
    }),
};

export interface MetricsSink {
  update(text: string): void;
}

export interface WatchLoopOptions {
  intervalSeconds: number;
  settings: WatchSettings;
  /** Takes one snapshot (default: this host, counters read once — the loop computes the deltas). */
  snapshot?: () => Promise<HostSnapshot>;
  clock?: WatchClock;
  /** Called after every evaluation (live view, --json). */
  onEvaluation?: (ev: WatchEvaluation) => void | Promise<void>;
  /** Called for every alert event, in order. */
  onEvent?: (e: AlertEvent) => void | Promise<void>;
  /** A snapshot or a sink failed; the loop goes on. */
  onError?: (err: unknown) => void;
  /** Where rendered /metrics text goes (the exporter). */
  metrics?: MetricsSink;
  /** Stop after this many intervals (tests, --once-like runs). */
  maxIntervals?: number;
}

export class WatchLoop {
  readonly evaluator: WatchEvaluator;
  private readonly abort = new AbortController();
  private readonly clock: WatchClock;
  private readonly renderer = new MetricsRenderer();
  private intervalMs: number;
  private settings: WatchSettings;
  /** Monotonic time of the last successful snapshot. */
  lastSnapshotAt?: number;
  failures = 0;

  constructor(private readonly opts: WatchLoopOptions) {
    this.clock = opts.clock ?? systemClock;
    this.intervalMs = intervalMs(opts.intervalSeconds);
    this.settings = opts.settings;
    this.evaluator = new WatchEvaluator(opts.settings);
  }

  get metricsContentType(): string {
    return this.renderer.contentType;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** New settings (config reload) from the next interval on; alert states are kept. */
  reconfigure(settings: WatchSettings, intervalSeconds?: number): void {
    this.settings = settings;
    this.evaluator.configure(settings);
    if (intervalSeconds !== undefined) this.intervalMs = intervalMs(intervalSeconds);
  }

  /** Whether the last snapshot is recent (for /healthz). */
  health(): { ok: boolean; message: string } {
    if (this.lastSnapshotAt === undefined) return { ok: false, message: "no snapshot yet" };
    const age = (this.clock.now() - this.lastSnapshotAt) / 1000;
    const limit = (3 * this.intervalMs) / 1000 + 10;
    return age <= limit
      ? { ok: true, message: `ok: last snapshot ${age.toFixed(1)} s ago` }
      : { ok: false, message: `stale: last snapshot ${age.toFixed(1)} s ago` };
  }

  stop(): void {
    this.abort.abort();
  }

  /** Runs until stop() (or maxIntervals) and returns the summary. */
  async run(): Promise<WatchSummary> {
    const signal = this.abort.signal;
    const take = this.opts.snapshot ?? (() => snapshotHost({ interval: 0 }));
    let slot = this.clock.now();
    let done = 0;
    while (!signal.aborted) {
      const started = this.clock.now();
      try {
        const snapshot = await take();
        const took = this.clock.now();
        this.lastSnapshotAt = took;
        if (signal.aborted) break;
        const ev = this.evaluator.evaluate({ snapshot, monotonicMs: took, time: this.clock.wallClock() });
        for (const e of ev.events) await this.guard(() => this.opts.onEvent?.(e));
        if (this.opts.metrics) {
          const sink = this.opts.metrics;
          await this.guard(async () => sink.update(await this.renderMetrics(ev, (took - started) / 1000)));
        }
        await this.guard(() => this.opts.onEvaluation?.(ev));
      } catch (err) {
        this.failures++;
        this.opts.onError?.(err);
      }
      done++;
      if (this.opts.maxIntervals !== undefined && done >= this.opts.maxIntervals) break;
      // Next slot on the fixed cadence; slots already missed are skipped, never run back to back.
      const now = this.clock.now();
      slot += this.intervalMs;
      if (slot <= now) slot += Math.ceil((now - slot) / this.intervalMs) * this.intervalMs || this.intervalMs;
      if (slot - now > this.intervalMs) slot = now + this.intervalMs; // the interval was shortened by a reload
      await this.clock.sleep(slot - now, signal);
    }
    return this.evaluator.summary();
  }

  private async renderMetrics(ev: WatchEvaluation, snapshotSeconds: number): Promise<string> {
    const s = this.evaluator.summary();
    const families = hostMetricFamilies(ev.snapshot, {
      topN: this.settings.topN,
      findings: this.evaluator.firing(),
      watch: {
        intervals: s.intervals,
        alertsFired: s.fired,
        alertsResolved: s.resolved,
        snapshotSeconds: Math.max(0, snapshotSeconds),
        lastSnapshotUnix: Date.parse(ev.time) / 1000,
      },
    });
    return this.renderer.render(families);
  }

  private async guard(fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}

function intervalMs(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}

/** Appends alert events to a JSON-lines file, one append per event, in order. */
export function alertLog(path: string): { write(e: AlertEvent): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  return {
    write(e: AlertEvent) {
      const next = chain.then(() => appendFile(path, `${alertJson(e)}\n`, "utf8"));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
