// `tcpdoctor capture`: live capture through tcpdump, analysed while it streams. A one-line progress
// on stderr when it is a terminal; the full report when the capture ends (--duration, --count,
// Ctrl-C or SIGTERM — tcpdump is stopped gracefully and the report still printed).
import { type LiveCaptureResult, type LiveProgress, startLiveCapture } from "../../io/live-capture.js";
import { writeHtmlReport } from "../../report/html.js";
import { renderHuman } from "../../report/human.js";
import { reportObject } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { SeriesCollector } from "../../report/series.js";
import { diagnose } from "../../rules/engine.js";
import { UserError } from "../errors.js";
import { useColor } from "../output.js";

export interface CaptureCommandOptions {
  interface?: string;
  filter?: string;
  duration?: string;
  count?: string;
  write?: string;
  html?: string;
  json?: boolean;
  color?: boolean;
}

/** Progress redraws at most this often (ms): four times a second. */
const PROGRESS_EVERY_MS = 250;

function positive(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UserError(`--${name} ${value}: expected a ${integer ? "whole " : ""}number above 0`);
  }
  return n;
}

function seconds(x: number): string {
  return x < 10 ? `${x.toFixed(1)} s` : `${Math.round(x)} s`;
}

/** The live progress line (no colour, no newline), cut to the terminal width. */
export function progressLine(p: LiveProgress, iface: string, width = 100): string {
  const top = p.top ? ` — likely ${p.top.id}: ${p.top.text}` : "";
  const what = p.stopping ? "stopping, collecting the last packets" : `capturing on ${iface}`;
  const line = `${what}: ${seconds(p.seconds)}, ${p.packets} packets, ${p.connections} connection${p.connections === 1 ? "" : "s"}${top}`;
  return line.length > width - 1 ? `${line.slice(0, Math.max(0, width - 2))}…` : line;
}

const STOPPED_BY: Record<LiveCaptureResult["stoppedBy"], string> = {
  duration: "duration reached",
  count: "packet count reached",
  signal: "interrupted",
  exit: "tcpdump ended",
};

/** The command object commander passes last: --no-color is a program-level option. */
interface GlobalOptions {
  optsWithGlobals?: () => Record<string, unknown>;
}

function globalColor(cmd: GlobalOptions | undefined): boolean | undefined {
  const color = cmd?.optsWithGlobals?.().color;
  return typeof color === "boolean" ? color : undefined;
}

export default async function capture(opts: CaptureCommandOptions, cmd?: GlobalOptions): Promise<number> {
  opts = { ...opts, color: opts.color ?? globalColor(cmd) };
  const iface = opts.interface ?? "any";
  const filter = opts.filter ?? "tcp or icmp or icmp6";
  const durationSec = positive("duration", opts.duration, false);
  const count = positive("count", opts.count, true);
  const series = opts.html ? new SeriesCollector() : undefined;
  const err = process.stderr;
  const tty = Boolean(err.isTTY);

  const session = startLiveCapture({
    iface,
    filter,
    durationSec,
    count,
    writePath: opts.write,
    onPacket: series?.onPacket,
    onListening: (line) => {
      const until =
        durationSec !== undefined
          ? ` for ${durationSec} s`
          : count !== undefined
            ? ` until ${count} packets`
            : "";
      err.write(`tcpdoctor: ${line}; capturing${until}, Ctrl-C stops and reports\n`);
    },
  });

  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) session.stop("signal");
    else session.kill();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let shown = "";
  const draw = () => {
    const line = progressLine(session.progress(), iface, err.columns || 100);
    if (line !== shown) {
      err.write(`\r\x1b[K${line}`);
      shown = line;
    }
  };
  const ticker = tty ? setInterval(draw, PROGRESS_EVERY_MS) : undefined;

  let result: LiveCaptureResult;
  try {
    result = await session.done;
  } finally {
    if (ticker) clearInterval(ticker);
    if (shown) err.write("\r\x1b[K");
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const findings = diagnose({ connections: result.connections, capture: result.capture });
  const input = {
    path: result.path,
    format: result.info.format,
    packets: result.info.packets,
    warnings: result.warnings,
  };
  const report = buildReport({ inputs: [input], findings, connections: result.connections });
  const tcpdump = result.tcpdump;
  if (opts.json) {
    const obj = {
      ...reportObject(report),
      capture: {
        interface: iface,
        filter,
        seconds: Math.round(result.seconds * 1000) / 1000,
        stoppedBy: result.stoppedBy,
        linkType: tcpdump.linkType,
        written: opts.write,
        tcpdump: {
          captured: tcpdump.captured,
          receivedByFilter: tcpdump.receivedByFilter,
          droppedByKernel: tcpdump.droppedByKernel,
          droppedByInterface: tcpdump.droppedByInterface,
        },
      },
    };
    process.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
  } else {
    const drops =
      tcpdump.droppedByKernel !== undefined ? `, ${tcpdump.droppedByKernel} dropped by the kernel` : "";
    process.stdout.write(
      `Captured ${result.info.packets} packets on ${iface} in ${seconds(result.seconds)} (${STOPPED_BY[result.stoppedBy]}${drops})${opts.write ? `; raw capture kept in ${opts.write}` : ""}\n`,
    );
    process.stdout.write(
      renderHuman(report, { color: useColor(opts.color), connections: result.connections }),
    );
  }
  if (opts.html) {
    await writeHtmlReport(opts.html, report, { connections: result.connections, series });
  }
  return exitCodeFor(findings);
}
