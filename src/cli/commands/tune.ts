// `tcpdoctor tune`: a tuning plan for a stated or measured path. It never applies anything: it prints
// the reasons, a diff against this host's values and a ready /etc/sysctl.d/ file (--write).
import { writeFile } from "node:fs/promises";
import { platform } from "node:os";
import type { HostSnapshot } from "../../host/types.js";
import { snapshotHost } from "../../io/live-host.js";
import { diagnose } from "../../rules/engine.js";
import type { Finding } from "../../rules/types.js";
import { parseBandwidth, parseDurationMs, planTuning, renderTuning, tuneProfile } from "../../tune/index.js";
import { EXIT_OK, UserError } from "../errors.js";
import { colors, useColor, warn } from "../output.js";

export interface TuneOptions {
  rtt?: string;
  bandwidth?: string;
  profile?: string;
  rate?: string;
  write?: string;
  json?: boolean;
  color?: boolean;
}

/** Host findings whose fix is in the application, not in a sysctl: they come before any tuning. */
const APPLICATION_FIRST = new Set([
  "close-wait-leak",
  "connection-churn",
  "time-wait-port-exhaustion",
  "listen-overflow",
  "recv-queue-backlog",
  "fd-limit-near",
  "keepalive-too-long",
]);

export default async function tune(opts: TuneOptions): Promise<number> {
  const rttMs = opts.rtt === undefined ? undefined : parseDurationMs(opts.rtt);
  if (opts.rtt !== undefined && (rttMs === undefined || rttMs <= 0))
    throw new UserError(`--rtt ${opts.rtt}: expected a time such as 50ms, 0.05 or 1.2s`);
  const bandwidthBps = opts.bandwidth === undefined ? undefined : parseBandwidth(opts.bandwidth);
  if (opts.bandwidth !== undefined && (bandwidthBps === undefined || bandwidthBps <= 0))
    throw new UserError(`--bandwidth ${opts.bandwidth}: expected a rate such as 1Gbit, 100Mbps or 10M`);
  const profile = tuneProfile(opts.profile);
  if (!profile)
    throw new UserError(
      `--profile ${opts.profile}: expected general, server, client, web, db, proxy or bulk`,
    );
  const connectionRate = opts.rate === undefined ? undefined : Number(opts.rate);
  if (connectionRate !== undefined && !(connectionRate > 0))
    throw new UserError(`--rate ${opts.rate}: expected new connections per second, e.g. 200`);

  // This host's current values and connections, when it is a Linux host we can read.
  let host: HostSnapshot | undefined;
  let appFirst: Finding[] = [];
  if (platform() === "linux") {
    try {
      host = await snapshotHost({ interval: 0, kernelLog: false });
      appFirst = diagnose({ connections: [], host }).filter(
        (f) => f.severity !== "info" && APPLICATION_FIRST.has(f.id),
      );
    } catch (err) {
      warn(
        `could not read this host (${err instanceof Error ? err.message : String(err)}); planning without current values`,
      );
    }
  }
  const plan = planTuning({ rttMs, bandwidthBps, profile, connectionRate, host });

  if (opts.write) {
    await writeFile(opts.write, plan.sysctlFile);
  }
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ...plan, applicationFirst: appFirst.map((f) => ({ id: f.id, summary: f.summary, fix: f.fix })) }, null, 2)}\n`,
    );
  } else {
    const c = colors(useColor(opts.color));
    if (appFirst.length) {
      process.stdout.write(`${c.bold("First, in the applications (no sysctl fixes these):")}\n`);
      for (const f of appFirst) process.stdout.write(`  - [${f.id}] ${f.fix}\n`);
      process.stdout.write("\n");
    }
    process.stdout.write(renderTuning(plan));
    if (opts.write)
      process.stdout.write(
        `\nwrote ${opts.write} (review it, then: sudo cp ${opts.write} /etc/sysctl.d/ && sudo sysctl --system)\n`,
      );
  }
  return EXIT_OK;
}
