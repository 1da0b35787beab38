// `tcpdoctor probe <host:port>...`: active connect probes. One line per attempt as it ends, a
// summary per address for a series, then the diagnosis (the same report as `analyze`).
import { endpoint as endpointOf } from "../../core/endpoint.js";
import { exitNow } from "../../io/gc.js";
import { parseTarget, runProbes, unescapeProbeText } from "../../io/probe.js";
import { renderHuman } from "../../report/human.js";
import { reportObject } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { diagnose } from "../../rules/engine.js";
import { type ProbeSeries, probeSeries } from "../../rules/probe/index.js";
import type { ProbeAttempt } from "../../rules/types.js";
import { UserError } from "../errors.js";
import { type Colors, colors, useColor } from "../output.js";

export interface ProbeCommandOptions {
  count?: string;
  interval?: string;
  timeout?: string;
  send?: string;
  expect?: string;
  json?: boolean;
  color?: boolean;
}

function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UserError(`--${name} ${value}: expected a number from ${min} to ${max}`);
  }
  return n;
}

function seconds(x: number): string {
  const a = Math.abs(x);
  if (a < 0.001) return `${Math.round(x * 1e6)} µs`;
  if (a < 1) return `${(x * 1000).toFixed(a < 0.01 ? 2 : 1)} ms`;
  return `${x.toFixed(a < 10 ? 2 : 1)} s`;
}

function endpoint(p: ProbeAttempt): string {
  return p.outcome === "dns-failure" ? p.target : endpointOf(p.address, p.port);
}

const OUTCOME_WORD: Record<ProbeAttempt["outcome"], string> = {
  connected: "connected",
  refused: "refused",
  timeout: "timed out",
  unreachable: "unreachable",
  reset: "reset",
  "dns-failure": "dns failure",
  error: "error",
};

/** One line per attempt: address, attempt number, outcome, time, errno, what followed the connect. */
export function attemptLine(p: ProbeAttempt, c: Colors, width = 24): string {
  const paint =
    p.outcome === "connected" ? c.green : p.outcome === "reset" || p.outcome === "error" ? c.yellow : c.red;
  const time = p.connectTime !== undefined ? seconds(p.connectTime) : "";
  const parts = [
    `  ${endpoint(p).padEnd(width)}`,
    p.seq !== undefined ? `#${String(p.seq).padEnd(3)}` : "    ",
    paint(OUTCOME_WORD[p.outcome].padEnd(11)),
    time.padStart(9),
  ];
  const notes: string[] = [];
  if (p.errno) notes.push(p.errno);
  const x = p.exchange;
  if (x) {
    if (x.sent) notes.push(`sent ${x.sent} B`);
    if (x.received) notes.push(`received ${x.received} B`);
    if (x.expectMatched === true) notes.push("expected reply seen");
    if (x.closedBy === "fin") notes.push(`peer closed after ${seconds(x.closedAfter ?? 0)}`);
    if (x.closedBy === "reset") notes.push(`peer reset after ${seconds(x.closedAfter ?? 0)}`);
  }
  if (p.outcome === "error" && p.message) notes.push(p.message);
  if (p.outcome === "dns-failure" && p.message) notes.push(p.message);
  return `${parts.join("  ")}${notes.length ? `  ${notes.join(", ")}` : ""}`;
}

/** The summary line of a series: success rate and connect-time percentiles. */
export function seriesLine(s: ProbeSeries, c: Colors, width = 24): string {
  const n = s.attempts.length;
  const kinds = Object.entries(s.byOutcome)
    .filter(([k]) => k !== "connected")
    .map(([k, v]) => `${v} ${OUTCOME_WORD[k as ProbeAttempt["outcome"]]}`);
  const connected = s.byOutcome.connected ?? 0;
  const rate = s.successRate !== undefined ? ` (${Math.round(s.successRate * 1000) / 10}% connect)` : "";
  const ct = s.connectTime;
  const times = ct ? `; connect p50 ${seconds(ct.p50)}, p90 ${seconds(ct.p90)}, max ${seconds(ct.max)}` : "";
  const text = `${n} attempt${n === 1 ? "" : "s"}: ${[`${connected} connected`, ...kinds].join(", ")}${rate}${times}`;
  return `  ${s.endpoint.padEnd(width)}  ${s.connectFailures.length ? c.yellow(text) : text}`;
}

/** Local context of an address: route, source, MTU, own address and listeners. */
export function contextLine(p: ProbeAttempt, width = 24): string | undefined {
  const bits: string[] = [];
  const r = p.route;
  if (r?.error) bits.push(`ip route get: ${r.error}`);
  else if (r) {
    if (r.via) bits.push(`via ${r.via}`);
    if (r.dev) bits.push(`dev ${r.dev}`);
    if (r.src) bits.push(`src ${r.src}`);
    if (r.mtu !== undefined) bits.push(`mtu ${r.mtu}`);
  }
  if (p.localAddress) {
    const l = p.localListeners;
    bits.push(
      `local address${l === undefined ? "" : l.length ? `; listening on port ${p.port}: ${l.join(", ")}` : `; nothing listens on port ${p.port}`}`,
    );
  }
  if (bits.length === 0) return undefined;
  return `  ${endpoint(p).padEnd(width)}  ${bits.join(", ")}`;
}

/** The command object commander passes last: --no-color is a program-level option. */
interface GlobalOptions {
  optsWithGlobals?: () => Record<string, unknown>;
}

function globalColor(cmd: GlobalOptions | undefined): boolean | undefined {
  const color = cmd?.optsWithGlobals?.().color;
  return typeof color === "boolean" ? color : undefined;
}

export default async function probe(
  targetArgs: string[],
  opts: ProbeCommandOptions,
  cmd?: GlobalOptions,
): Promise<number> {
  opts = { ...opts, color: opts.color ?? globalColor(cmd) };
  const targets = targetArgs.map(parseTarget);
  if (targets.length === 0) throw new UserError("probe: give at least one host:port");
  const count = Math.round(numberOption("count", opts.count, 1, 1, 100000));
  const intervalSec = numberOption("interval", opts.interval, 1, 0, 86400);
  const timeoutSec = numberOption("timeout", opts.timeout, 10, 0.001, 3600);
  const send = opts.send !== undefined ? unescapeProbeText(opts.send) : undefined;
  const expect = opts.expect !== undefined ? unescapeProbeText(opts.expect) : undefined;
  if (expect === "") throw new UserError("--expect: give the text expected in the reply");
  const c = colors(!opts.json && useColor(opts.color));
  const out = process.stdout;

  // Ctrl-C stops starting new attempts and still reports; a second one leaves at once.
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) exitNow(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let run: Awaited<ReturnType<typeof runProbes>>;
  try {
    if (!opts.json) {
      const what = targets.map((t) => t.input).join(", ");
      out.write(
        c.bold(
          `probe ${what}: ${count} attempt${count === 1 ? "" : "s"} per address, timeout ${timeoutSec} s${count > 1 ? `, interval ${intervalSec} s` : ""}\n`,
        ),
      );
    }
    run = await runProbes(targets, {
      count,
      intervalSec,
      timeoutSec,
      send,
      expect,
      signal: stop.signal,
      onAttempt: opts.json ? undefined : (a) => out.write(`${attemptLine(a, c)}\n`),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const probes = run.attempts;
  const series = probeSeries(probes);
  const findings = diagnose({ connections: [], probes });
  const report = buildReport({
    inputs: targets.map((t) => ({ path: t.input, format: "probe", warnings: [] })),
    findings,
  });
  if (opts.json) {
    const obj = {
      ...reportObject(report),
      probes: probes.map(roundAttempt),
      probeSummary: series.map((s) => ({
        target: s.target,
        address: s.endpoint,
        attempts: s.attempts.length,
        outcomes: s.byOutcome,
        successRate: s.successRate !== undefined ? round(s.successRate, 4) : undefined,
        connectTime: s.connectTime
          ? {
              min: round(s.connectTime.min),
              p50: round(s.connectTime.p50),
              p90: round(s.connectTime.p90),
              max: round(s.connectTime.max),
              samples: s.connectTime.samples,
            }
          : undefined,
      })),
    };
    out.write(`${JSON.stringify(obj, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    if (count > 1) {
      lines.push("", c.bold("Per address:"));
      for (const s of series) lines.push(seriesLine(s, c));
    }
    const ctx = series.map((s) => contextLine(s.attempts[0])).filter((l): l is string => l !== undefined);
    if (ctx.length) lines.push("", c.bold("Local context:"), ...ctx);
    lines.push("");
    out.write(`${lines.join("\n")}\n`);
    // The targets were named in the header line; the report need not list them again.
    out.write(renderHuman({ ...report, inputs: [] }, { color: useColor(opts.color) }));
  }
  return exitCodeFor(findings);
}

function round(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Connect and exchange times to the microsecond in the JSON. */
function roundAttempt(p: ProbeAttempt): ProbeAttempt {
  const q: ProbeAttempt = { ...p, at: round(p.at) };
  if (p.connectTime !== undefined) q.connectTime = round(p.connectTime);
  if (p.exchange?.closedAfter !== undefined)
    q.exchange = { ...p.exchange, closedAfter: round(p.exchange.closedAfter) };
  return q;
}
