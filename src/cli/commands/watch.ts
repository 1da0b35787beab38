// `tcpdoctor watch`: continuous monitoring of this host. Every interval a snapshot is evaluated by
// the host rules and the watch's own checks; alerts fire after N intervals over and resolve after M
// clear; events go to stderr and, as JSON lines, to --log; --prometheus serves /metrics.
// SIGINT/SIGTERM end with a summary, SIGHUP reloads the config.
import { appendFile } from "node:fs/promises";
import { platform } from "node:os";
import { prometheusContentType } from "prom-client";
import { type Config, loadConfig } from "../../io/config.js";
import { snapshotHost } from "../../io/live-host.js";
import { type MetricsServer, parseListenAddress, startMetricsServer } from "../../io/metrics-server.js";
import { exitNow } from "../../io/gc.js";
import { alertLog, settingsFromConfig, WatchLoop } from "../../io/watch-loop.js";
import { renderHuman } from "../../report/human.js";
import { reportJson } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { diagnose, rank } from "../../rules/engine.js";
import { watchChecks } from "../../watch/checks.js";
import type { WatchEvaluation } from "../../watch/evaluator.js";
import { alertLine, evaluationJson, liveView, summaryLine } from "../../watch/render.js";
import type { AlertEvent } from "../../watch/types.js";
import { errorLine, UserError } from "../errors.js";
import { colors, useColor, warn } from "../output.js";

export interface WatchOptions {
  interval?: string;
  config?: string;
  log?: string;
  prometheus?: string;
  once?: boolean;
  json?: boolean;
  color?: boolean;
}

function parseInterval(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400)
    throw new UserError(`--interval: expected seconds above 0 and at most 86400, got "${value}"`);
  return n;
}

export default async function watch(opts: WatchOptions = {}): Promise<number> {
  if (platform() !== "linux") {
    throw new UserError(
      `watch reads Linux's /proc and ss, and this is ${platform()}; run \`tcpdoctor analyze <file>\` on collected text instead`,
    );
  }
  const config = await loadConfig(opts.config);
  const interval = parseInterval(opts.interval, config.interval ?? 10);
  if (opts.once) return once(opts, config, interval);

  const paint = colors(useColor(opts.color, process.stderr));
  const tty = Boolean(process.stderr.isTTY) && !opts.json;
  const log = opts.log ? alertLog(opts.log) : undefined;
  if (opts.log) {
    try {
      await appendFile(opts.log, "");
    } catch (e) {
      throw new UserError(
        `--log ${opts.log}: cannot append (${(e as NodeJS.ErrnoException).code ?? errorLine(e)})`,
      );
    }
  }
  const listen = opts.prometheus ? parseListenAddress(opts.prometheus) : undefined;

  let drawn = 0;
  const clearView = () => {
    if (tty && drawn > 0) process.stderr.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  /** A line on stderr that stays (above the live view on a terminal). */
  const say = (line: string) => {
    clearView();
    process.stderr.write(`${line}\n`);
  };

  // The exporter starts first so a bad address fails before any snapshot; its health reads the loop.
  // eslint-disable-next-line prefer-const -- read by the health check closure before it is assigned
  let loop: WatchLoop | undefined;
  let server: MetricsServer | undefined;
  if (listen) {
    server = await startMetricsServer({
      ...listen,
      contentType: prometheusContentType,
      health: () => loop?.health() ?? { ok: false, message: "starting" },
    });
  }
  loop = new WatchLoop({
    intervalSeconds: interval,
    settings: settingsFromConfig(config),
    snapshot: () => snapshotHost({ interval: 0 }),
    metrics: server,
    onEvent: async (e: AlertEvent) => {
      say(alertLine(e, paint));
      await log?.write(e);
    },
    onError: (err) => say(`tcpdoctor: watch: ${errorLine(err)}`),
    onEvaluation: (ev: WatchEvaluation) => {
      for (const u of ev.newlyUnavailable) say(`tcpdoctor: warning: not read: ${u}`);
      if (opts.json) process.stdout.write(`${JSON.stringify(evaluationJson(ev))}\n`);
      if (tty) {
        clearView();
        const lines = liveView(ev, { intervalSeconds: interval, paint, columns: process.stderr.columns });
        process.stderr.write(`${lines.join("\n")}\n`);
        drawn = lines.length;
      }
    },
  });
  const running = loop;
  const where = [
    `every ${interval} s`,
    server ? `metrics on ${server.url}/metrics` : undefined,
    opts.log ? `alerts appended to ${opts.log}` : undefined,
  ].filter(Boolean);
  say(`tcpdoctor watch: ${where.join(", ")} (Ctrl-C to stop)`);

  let signals = 0;
  const stop = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      say(`tcpdoctor watch: ${sig} again, exiting now`);
      exitNow(130);
    }
    running.stop();
  };
  const reload = async () => {
    if (!opts.config) {
      say("tcpdoctor watch: SIGHUP: no --config to reload");
      return;
    }
    try {
      const next = await loadConfig(opts.config);
      running.reconfigure(settingsFromConfig(next), opts.interval === undefined ? next.interval : undefined);
      say(`tcpdoctor watch: reloaded ${opts.config}`);
    } catch (e) {
      say(`tcpdoctor watch: config reload failed, keeping the previous one: ${errorLine(e)}`);
    }
  };
  const onHup = () => void reload();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", onHup);
  try {
    const summary = await running.run();
    clearView();
    const failed = running.failures
      ? ` (${running.failures} snapshot${running.failures === 1 ? "" : "s"} failed)`
      : "";
    process.stderr.write(`${summaryLine(summary)}${failed}\n`);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    process.off("SIGHUP", onHup);
    await server?.close();
  }
  return 0;
}

/** --once: one snapshot, the findings printed as `host` prints them, the host exit code. */
async function once(opts: WatchOptions, config: Config, interval: number): Promise<number> {
  const snapshot = await snapshotHost({ interval: Math.min(interval, 1) });
  for (const u of snapshot.unavailable ?? []) warn(`not read: ${u}`);
  const settings = settingsFromConfig(config);
  const ruleFindings = diagnose(
    { connections: [], host: snapshot },
    { thresholds: settings.thresholds, disable: settings.disable },
  );
  const disabled = new Set(settings.disable);
  const own = watchChecks({
    host: snapshot,
    thresholds: settings.thresholds,
    reported: new Set(ruleFindings.filter((f) => f.severity !== "info").map((f) => f.id)),
    isActive: () => false,
    trends: [],
  })
    .map((w) => w.finding)
    .filter((f) => !disabled.has(f.id));
  const findings = rank([...ruleFindings, ...own]);
  const report = buildReport({
    inputs: [{ path: "live", format: "host", warnings: [] }],
    findings,
    host: snapshot,
  });
  if (opts.json) process.stdout.write(reportJson(report));
  else process.stdout.write(renderHuman(report, { color: useColor(opts.color) }));
  return exitCodeFor(findings);
}
