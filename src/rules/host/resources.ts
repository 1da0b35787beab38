// Host resources: conntrack table, file descriptors, TCP memory, orphaned sockets.
//
// conntrack-near-full thresholds:
//   ratio          0.8   nf_conntrack_count / nf_conntrack_max (the usual monitoring alert)
//   criticalRatio  0.95  (or the kernel log says "table full, dropping packet")
// fd-limit-near thresholds:
//   ratio          0.8   a process's open descriptors / its soft "Max open files" limit
//   criticalRatio  0.95
// tcp-memory-pressure: sockstat "TCP mem" (pages) against net.ipv4.tcp_mem "min pressure max":
//   at or above pressure = warning, at max (or aborts on memory, or "out of memory" in the kernel
//   log) = critical. TcpExtTCPMemoryPressures rising over an interval = warning.
// orphan-sockets-high thresholds:
//   ratio          0.5   orphans / net.ipv4.tcp_max_orphans: the kernel counts orphans with pending
//                        errors double or quadruple, so trouble starts before the nominal limit
//   criticalRatio  1.0   (or "too many orphaned sockets" in the kernel log)
import type { HostSnapshot, KernelLogLine, SourceRef } from "../../host/types.js";
import type { Finding, Rule } from "../types.js";
import { hostFinding } from "./finding.js";
import {
  cite,
  counter,
  counterNote,
  counterRefs,
  pct,
  round,
  sockets,
  sysctlNumber,
  sysctlNumbers,
  sysctlRefs,
} from "./util.js";

export const conntrackDefaults = { ratio: 0.8, criticalRatio: 0.95 };
export const fdLimitDefaults = { ratio: 0.8, criticalRatio: 0.95 };
export const orphanDefaults = { ratio: 0.5, criticalRatio: 1 };

function logLines(host: HostSnapshot, kinds: KernelLogLine["kind"][]): KernelLogLine[] {
  return (host.kernelLog ?? []).filter((l) => kinds.includes(l.kind));
}

function logSources(lines: KernelLogLine[]): SourceRef[] {
  return lines.slice(0, 5).map((l) => l.source ?? { file: "kernel log", text: l.text });
}

export const conntrackNearFull: Rule = {
  id: "conntrack-near-full",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const ratio = ctx.threshold("ratio", conntrackDefaults.ratio);
    const critRatio = ctx.threshold("criticalRatio", conntrackDefaults.criticalRatio);
    const count = host.conntrack?.count ?? sysctlNumber(host, "net.netfilter.nf_conntrack_count");
    const max =
      host.conntrack?.max ??
      sysctlNumber(host, "net.netfilter.nf_conntrack_max") ??
      sysctlNumber(host, "net.nf_conntrack_max");
    const full = logLines(host, ["conntrack-full"]);
    const use = count !== undefined && max ? count / max : undefined;
    if (full.length === 0 && (use === undefined || use < ratio)) return [];
    const stats = host.conntrack?.stats ?? {};
    const dropping = full.length > 0 || (use !== undefined && use >= critRatio);
    const topSources = Object.entries(host.conntrack?.entriesBySource ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([source, entries]) => ({ source, entries }));
    const parts: string[] = [];
    if (use !== undefined)
      parts.push(`the connection tracking table holds ${count} of ${max} entries (${pct(use)})`);
    if (full.length) parts.push(`the kernel logged "table full, dropping packet" ${full.length} times`);
    const sources = [
      ...logSources(full),
      ...(host.conntrack?.source ? [host.conntrack.source] : []),
      ...sysctlRefs(host, ["net.netfilter.nf_conntrack_count", "net.netfilter.nf_conntrack_max"]),
    ];
    return [
      hostFinding("conntrack-near-full", {
        severity: dropping ? "critical" : "warning",
        confidence: "high",
        summary:
          `${parts.join(" and ")}: new connections are ${dropping ? "being dropped" : "about to be dropped"} silently.`.replace(
            /^./,
            (c) => c.toUpperCase(),
          ),
        evidence: {
          count,
          max,
          use: use !== undefined ? round(use, 3) : undefined,
          drop: stats.drop,
          earlyDrop: stats.early_drop,
          insertFailed: stats.insert_failed,
          topSources,
          kernelLog: full.slice(0, 3).map((l) => l.text),
        },
        scoreBonus: dropping ? 5 : 0,
        sources,
      }),
    ];
  },
};

export const fdLimitNear: Rule = {
  id: "fd-limit-near",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const ratio = ctx.threshold("ratio", fdLimitDefaults.ratio);
    const critRatio = ctx.threshold("criticalRatio", fdLimitDefaults.criticalRatio);
    const near = (host.processes ?? [])
      .filter((p) => p.openFds !== undefined && p.fdLimit && p.openFds / p.fdLimit >= ratio)
      .sort((a, b) => (b.openFds ?? 0) / (b.fdLimit ?? 1) - (a.openFds ?? 0) / (a.fdLimit ?? 1));
    if (near.length === 0) return [];
    const p = near[0] as (typeof near)[number];
    const use = (p.openFds ?? 0) / (p.fdLimit ?? 1);
    const owned = sockets(host).filter((s) => s.processes?.some((x) => x.pid === p.pid));
    const byState: Record<string, number> = {};
    for (const s of owned) byState[s.state] = (byState[s.state] ?? 0) + 1;
    const cited = cite(
      owned.filter((s) => s.state === "CLOSE-WAIT").concat(owned.filter((s) => s.state !== "CLOSE-WAIT")),
      5,
    );
    const label = `${p.name ?? "process"} (pid ${p.pid})`;
    return [
      hostFinding("fd-limit-near", {
        severity: use >= critRatio ? "critical" : "warning",
        confidence: "high",
        summary: `${label} has ${p.openFds} open descriptors of its limit ${p.fdLimit} (${pct(use)}): at the limit accept() and connect() fail with "Too many open files".`,
        evidence: {
          process: p.name,
          pid: p.pid,
          openFds: p.openFds,
          fdLimit: p.fdLimit,
          fdHardLimit: p.fdHardLimit,
          use: round(use, 3),
          socketsByState: byState,
          others: near
            .slice(1, 5)
            .map((x) => ({ process: x.name, pid: x.pid, openFds: x.openFds, fdLimit: x.fdLimit })),
        },
        scoreBonus: use >= critRatio ? 5 : 0,
        vars: { pid: p.pid, process: p.name },
        sockets: cited.sockets,
        sources: [...(p.source ? [p.source] : []), ...cited.sources],
      }),
    ];
  },
};

export const tcpMemoryPressure: Rule = {
  id: "tcp-memory-pressure",
  needs: ["host"],
  evaluate(facts) {
    const host = facts.host;
    if (!host) return [];
    const mem = host.sockstat?.tcpMem;
    const limits = sysctlNumbers(host, "net.ipv4.tcp_mem");
    const pressures = counter(host, "TcpExtTCPMemoryPressures");
    const aborts = counter(host, "TcpExtTCPAbortOnMemory");
    const oom = logLines(host, ["tcp-oom"]);
    const atPressure =
      mem !== undefined && limits && limits.length >= 3 && mem >= (limits[1] ?? Number.POSITIVE_INFINITY);
    const atMax =
      mem !== undefined && limits && limits.length >= 3 && mem >= (limits[2] ?? Number.POSITIVE_INFINITY);
    const pressureNow = pressures?.kind === "delta" && pressures.value > 0;
    const abortNow = aborts?.kind === "delta" && aborts.value > 0;
    if (!atPressure && !pressureNow && !abortNow && oom.length === 0) return [];
    const critical = atMax || abortNow || oom.length > 0;
    const parts: string[] = [];
    if (mem !== undefined && limits)
      parts.push(`TCP uses ${mem} pages of memory against tcp_mem pressure ${limits[1]} / max ${limits[2]}`);
    if (pressureNow && pressures)
      parts.push(`entered memory pressure ${pressures.value} times (${counterNote(pressures)})`);
    if (abortNow && aborts) parts.push(`aborted ${aborts.value} connections for lack of memory`);
    if (oom.length) parts.push(`the kernel logged "out of memory" ${oom.length} times`);
    return [
      hostFinding("tcp-memory-pressure", {
        severity: critical ? "critical" : "warning",
        confidence: "high",
        summary: `${parts.join("; ")}.`.replace(/^./, (c) => c.toUpperCase()),
        evidence: {
          tcpMemPages: mem,
          tcpMem: limits ? limits.join(" ") : undefined,
          memoryPressures: pressures?.value,
          abortOnMemory: aborts?.value,
          kernelLog: oom.slice(0, 3).map((l) => l.text),
        },
        scoreBonus: critical ? 5 : 0,
        sources: [
          ...(host.sockstat?.source ? [host.sockstat.source] : []),
          ...sysctlRefs(host, ["net.ipv4.tcp_mem"]),
          ...counterRefs(host, pressureNow ? ["TcpExtTCPMemoryPressures"] : []),
          ...counterRefs(host, abortNow ? ["TcpExtTCPAbortOnMemory"] : []),
          ...logSources(oom),
        ],
      }),
    ];
  },
};

export const orphanSocketsHigh: Rule = {
  id: "orphan-sockets-high",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const ratio = ctx.threshold("ratio", orphanDefaults.ratio);
    const critRatio = ctx.threshold("criticalRatio", orphanDefaults.criticalRatio);
    const orphans = host.sockstat?.tcpOrphan ?? host.summary?.orphaned;
    const max = sysctlNumber(host, "net.ipv4.tcp_max_orphans");
    const log = logLines(host, ["too-many-orphans", "orphans"]);
    const use = orphans !== undefined && max ? orphans / max : undefined;
    if (log.length === 0 && (use === undefined || use < ratio)) return [];
    const critical = log.length > 0 || (use !== undefined && use >= critRatio);
    const out: Finding[] = [
      hostFinding("orphan-sockets-high", {
        severity: critical ? "critical" : "warning",
        confidence: "high",
        summary:
          use !== undefined
            ? `${orphans} orphaned sockets against net.ipv4.tcp_max_orphans ${max} (${pct(use)})${log.length ? `; the kernel logged "too many orphaned sockets" ${log.length} times` : ""}: closed connections linger and the kernel starts resetting them.`
            : `The kernel logged "too many orphaned sockets" ${log.length} times: closed connections are being reset.`,
        evidence: {
          orphans,
          tcpMaxOrphans: max,
          use: use !== undefined ? round(use, 3) : undefined,
          kernelLog: log.slice(0, 3).map((l) => l.text),
        },
        scoreBonus: critical ? 5 : 0,
        sources: [
          ...(host.sockstat?.source ? [host.sockstat.source] : []),
          ...sysctlRefs(host, ["net.ipv4.tcp_max_orphans"]),
          ...logSources(log),
        ],
      }),
    ];
    return out;
  },
};
