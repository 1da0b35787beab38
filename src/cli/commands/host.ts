// `tcpdoctor host` (and `tcpdoctor` with no command): diagnose this Linux host now.
import { platform } from "node:os";
import { loadConfig, thresholdsOf } from "../../io/config.js";
import { snapshotHost } from "../../io/live-host.js";
import { renderHuman } from "../../report/human.js";
import { reportJson } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { diagnose } from "../../rules/engine.js";
import { UserError } from "../errors.js";
import { checkOutputFile, useColor, warn } from "../output.js";

export interface HostOptions {
  json?: boolean;
  interval?: string;
  config?: string;
  color?: boolean;
  html?: string;
}

export function parseSeconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 3600)
    throw new UserError(`--${name}: expected seconds between 0 and 3600, got "${value}"`);
  return n;
}

export default async function host(opts: HostOptions = {}): Promise<number> {
  if (platform() !== "linux") {
    throw new UserError(
      `the live host diagnosis reads Linux's /proc and ss, and this is ${platform()}; run \`tcpdoctor analyze <file>\` on captures or collected text instead (see --help)`,
    );
  }
  const config = await loadConfig(opts.config);
  if (opts.html) await checkOutputFile("--html", opts.html);
  const interval = parseSeconds(opts.interval, "interval", config.interval ?? 1);
  if (!opts.json && process.stderr.isTTY)
    process.stderr.write(`tcpdoctor: sampling this host for ${interval} s…\r`);
  const snapshot = await snapshotHost({ interval });
  if (!opts.json && process.stderr.isTTY) process.stderr.write("\x1b[2K");
  for (const u of snapshot.unavailable ?? []) warn(`not read: ${u}`);
  const findings = diagnose(
    { connections: [], host: snapshot },
    { thresholds: thresholdsOf(config), disable: config.disable },
  );
  const report = buildReport({
    inputs: [{ path: "live", format: "host", warnings: [] }],
    findings,
    host: snapshot,
  });
  if (opts.json) process.stdout.write(reportJson(report));
  else process.stdout.write(renderHuman(report, { color: useColor(opts.color) }));
  if (opts.html) {
    const { writeHtmlReport } = await import("../../report/html.js");
    await writeHtmlReport(opts.html, report, { host: snapshot });
  }
  return exitCodeFor(findings);
}
