// close-wait-leak: CLOSE-WAIT sockets piling up per owning process.
//
// CLOSE-WAIT means the peer's FIN arrived and the local application has not closed yet. A correct
// application closes within milliseconds of reading end-of-file, so at any instant only a few
// exist; CLOSE-WAIT never times out, so a leak only grows.
//
// Thresholds (ctx.threshold("close-wait-leak", ...)):
//   minSockets  10    stuck CLOSE-WAIT sockets of one owner (process, else local service) to report
//   minAgeMs    1000  with tcp_info: a socket counts as stuck only when nothing arrived for this long
//                     (the FIN was the last thing received); without tcp_info every one counts
//   critical    100   sockets of one owner that make it critical (the classic monitoring alert)
//   fdRatio     0.8   owner's open descriptors / its limit that make it critical
import type { ProcessInfo, SocketEntry } from "../../host/types.js";
import type { Finding, Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import { cite, localOf, maxOf, minOf, ownerOf, pct, peerOf, sockets, tally } from "./util.js";

export const closeWaitDefaults = { minSockets: 10, minAgeMs: 1000, critical: 100, fdRatio: 0.8 };

export const closeWaitLeak: Rule = {
  id: "close-wait-leak",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const t = (n: keyof typeof closeWaitDefaults) => ctx.threshold(n, closeWaitDefaults[n]);
    const minAgeMs = t("minAgeMs");
    const all = sockets(host).filter((s) => s.state === "CLOSE-WAIT");
    if (all.length === 0) return [];
    // With tcp_info, lastrcv is the time since the FIN (nothing can arrive after it).
    const stuck = all.filter((s) => !s.info || (s.info.lastrcv ?? 0) >= minAgeMs);
    const groups = tally(stuck, (s) => {
      const o = ownerOf(s);
      return o ? `pid:${o.pid}` : `local:${localOf(s)}`;
    });
    const minSockets = t("minSockets");
    const offenders = groups.filter(([, list]) => list.length >= minSockets);
    if (offenders.length === 0) return [];

    const procs = new Map<number, ProcessInfo>();
    for (const p of host.processes ?? []) procs.set(p.pid, p);
    let critical = false;
    const byOwner = offenders.slice(0, 5).map(([key, list]) => {
      const o = ownerOf(list[0] as SocketEntry);
      const entry: Record<string, unknown> = { count: list.length };
      if (o) {
        entry.process = o.name;
        entry.pid = o.pid;
        const p = procs.get(o.pid);
        if (p?.openFds !== undefined) entry.openFds = p.openFds;
        if (p?.fdLimit !== undefined) entry.fdLimit = p.fdLimit;
        if (p?.openFds !== undefined && p.fdLimit) {
          entry.fdUse = pct(p.openFds / p.fdLimit);
          if (p.openFds / p.fdLimit >= t("fdRatio")) critical = true;
        }
      } else {
        entry.localService = key.slice("local:".length);
      }
      entry.localServices = tally(list, localOf)
        .slice(0, 3)
        .map(([k, l]) => ({ local: k, count: l.length }));
      entry.topPeers = tally(list, (s) => s.peerIp)
        .slice(0, 3)
        .map(([k, l]) => ({ peer: k, count: l.length }));
      if (list.length >= t("critical")) critical = true;
      return entry;
    });

    const worst = offenders[0] as [string, SocketEntry[]];
    const worstOwner = ownerOf(worst[1][0] as SocketEntry);
    const ages = worst[1].map((s) => s.info?.lastrcv).filter((x): x is number => x !== undefined);
    const who = worstOwner
      ? `${worstOwner.name} (pid ${worstOwner.pid})`
      : `the service on ${worst[0].slice(6)}`;
    const fdNote =
      byOwner[0]?.openFds !== undefined ? `; it holds ${byOwner[0]?.openFds} open descriptors` : "";
    const limitNote = byOwner[0]?.fdLimit !== undefined ? ` of ${byOwner[0]?.fdLimit} allowed` : "";
    const stuckTotal = offenders.reduce((n, [, l]) => n + l.length, 0);
    const { sockets: lines, sources } = cite(worst[1]);
    const finding: Finding = hostFinding("close-wait-leak", {
      severity: critical ? "critical" : "warning",
      confidence: worstOwner ? "high" : "medium",
      summary: `${worst[1].length} sockets sit in CLOSE-WAIT owned by ${who}${fdNote}${limitNote}: the peers closed, the application never calls close().`,
      evidence: {
        closeWaitTotal: all.length,
        stuck: stuckTotal,
        stuckAfterMs: minAgeMs,
        owners: byOwner,
        ...(ages.length ? { oldestMs: maxOf(ages), youngestMs: minOf(ages) } : {}),
        examplePeers: worst[1].slice(0, 5).map(peerOf),
      },
      scoreBonus: Math.min(15, Math.log2(worst[1].length / minSockets) * 5) + (critical ? 5 : 0),
      vars: {
        ...serviceVars(localOf(worst[1][0] as SocketEntry)),
        ...(worstOwner ? { pid: worstOwner.pid, process: worstOwner.name } : {}),
      },
      sockets: lines,
      sources,
    });
    return [finding];
  },
};
