// Plain-text rendering of a tuning plan: what was measured, each recommendation with its reason,
// a diff against the current sysctls, and the sysctl.d file.
import { formatBytes, formatRate, formatSeconds } from "./arith.js";
import type { TuningPlan } from "./plan.js";

export function renderTuning(plan: TuningPlan): string {
  const out: string[] = [];
  const p = plan.path;
  out.push(`Tuning plan (profile ${plan.profile})`, "");
  const pathParts: string[] = [];
  if (p.rttMs !== undefined) pathParts.push(`RTT ${p.rttMs} ms`);
  if (p.bandwidthBps !== undefined) pathParts.push(`bandwidth ${formatRate(p.bandwidthBps)}`);
  if (p.lossRatio !== undefined) pathParts.push(`loss ${(p.lossRatio * 100).toFixed(2)}%`);
  out.push(`Path: ${pathParts.length ? pathParts.join(", ") : "unknown"} (${p.source})`);
  if (plan.bdp) {
    const b = plan.bdp;
    out.push(`BDP: ${formatBytes(b.bytes)}; buffer maximum needed: ${formatBytes(b.bufferMax)}`);
    if (b.currentRmemMax !== undefined && b.currentCapBps !== undefined) {
      out.push(
        `  now: tcp_rmem max ${formatBytes(b.currentRmemMax)} caps one connection near ${formatRate(b.currentCapBps)} at this RTT`,
      );
    }
  }
  const k = plan.keepalive;
  out.push(
    `Keepalive: detects a dead peer after ${formatSeconds(k.current.detectionSec)} (${k.current.time} + ${k.current.intvl} x ${k.current.probes} s)` +
      (k.proposed.detectionSec !== k.current.detectionSec
        ? `; proposed ${formatSeconds(k.proposed.detectionSec)} (${k.proposed.time} + ${k.proposed.intvl} x ${k.proposed.probes} s) for a ${formatSeconds(k.idleTimeoutSec)} middlebox idle timeout`
        : ""),
  );
  if (plan.ports) {
    const pt = plan.ports;
    out.push(
      `Ephemeral ports: ${pt.range[0]}-${pt.range[1]} (${pt.size}) sustain ${pt.capacityPerSec.toFixed(0)} new connections/s to one destination` +
        (pt.ratePerSec !== undefined
          ? `; seen ${pt.ratePerSec.toFixed(1)}/s${pt.busiestDestination ? ` to ${pt.busiestDestination}` : ""} (${Math.round(pt.timeWaitAtRate ?? 0)} in TIME-WAIT)`
          : ""),
    );
  }
  const bl = plan.backlog;
  if (bl.somaxconn !== undefined || bl.listeners.length) {
    out.push(
      `Backlogs: somaxconn ${bl.somaxconn ?? "?"}, tcp_max_syn_backlog ${bl.synBacklog ?? "?"}` +
        (bl.listeners.length
          ? `; listeners: ${bl.listeners
              .slice(0, 5)
              .map((l) => `${l.listener} (${l.backlog})`)
              .join(", ")}`
          : "") +
        (bl.overflows ? `; ListenOverflows ${bl.overflows}` : ""),
    );
  }
  const cc = plan.congestionControl;
  out.push(`Congestion control: ${cc.current ?? "?"} -> ${cc.proposed}: ${cc.reason}`);

  out.push("", "Recommendations:");
  if (plan.recommendations.length === 0) out.push("  (none)");
  for (const r of plan.recommendations) {
    out.push(
      `  ${r.change ? "*" : " "} ${r.sysctl} = ${r.proposed}${r.change ? "" : "   (already set)"}`,
      `      ${r.reason}`,
    );
  }
  const changed = plan.recommendations.filter((r) => r.change);
  out.push("", "Diff against this host:");
  if (changed.length === 0) out.push("  (no change)");
  for (const r of changed) {
    out.push(`- ${r.sysctl} = ${r.current ?? "(unknown)"}`, `+ ${r.sysctl} = ${r.proposed}`);
  }
  if (plan.notes.length) {
    out.push("", "Also:");
    for (const n of plan.notes) out.push(`  - ${n}`);
  }
  out.push("", plan.sysctlFile.trimEnd());
  return `${out.join("\n")}\n`;
}
