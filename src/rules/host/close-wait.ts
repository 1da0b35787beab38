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
//
// A count without the rows (`ss -tan state close-wait | wc -l`, HostSnapshot.stateCounts) is read
// against the same minSockets and critical thresholds, for the host as a whole: it names no owner
// and no age, so the finding says how to find the process instead.
import type { HostSnapshot, ProcessInfo, SocketEntry } from "../../host/types.js";
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
    const counted = host.stateCounts?.["CLOSE-WAIT"];
    if (all.length === 0 && counted === undefined) return [];
    // With tcp_info, lastrcv is the time since the FIN (nothing can arrive after it).
    const stuck = all.filter((s) => !s.info || (s.info.lastrcv ?? 0) >= minAgeMs);
    const groups = tally(stuck, (s) => {
      const o = ownerOf(s);
      return o ? `pid:${o.pid}` : `local:${localOf(s)}`;
    });
    const minSockets = t("minSockets");
    const offenders = groups.filter(([, list]) => list.length >= minSockets);
    if (offenders.length === 0) {
      if (counted === undefined || counted <= all.length || counted < minSockets) return [];
      return [countedFinding(host, counted, all, t("critical"), minSockets)];
    }

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
    // a count beside the rows (`| head` of the table, `| wc -l` of the whole) tells the total
    const moreCounted = counted !== undefined && counted > all.length ? counted : undefined;
    if (moreCounted !== undefined && moreCounted >= t("critical")) critical = true;

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
    const countNote =
      moreCounted !== undefined ? ` ${moreCounted} CLOSE-WAIT sockets in all were counted on this host.` : "";
    if (moreCounted !== undefined) sources.push(...(host.stateCountSources?.["CLOSE-WAIT"] ?? []));
    const finding: Finding = hostFinding("close-wait-leak", {
      severity: critical ? "critical" : "warning",
      confidence: worstOwner ? "high" : "medium",
      summary: `${worst[1].length} sockets sit in CLOSE-WAIT owned by ${who}${fdNote}${limitNote}: the peers closed, the application never calls close().${countNote}`,
      evidence: {
        closeWaitTotal: all.length,
        ...(moreCounted !== undefined ? { closeWaitCounted: moreCounted } : {}),
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

/**
 * The finding from a count alone: how many, how the count was taken, and how to find the owner
 * the count cannot name (`ss -tanp` lists the process of every socket).
 */
function countedFinding(
  host: HostSnapshot,
  counted: number,
  rows: SocketEntry[],
  critical: number,
  minSockets: number,
): Finding {
  const refs = host.stateCountSources?.["CLOSE-WAIT"] ?? [];
  const command = refs[0]?.text?.replace(/^.*?[$#%>]\s+/, "");
  const printed = Number(refs[1]?.text);
  const how = !command
    ? ""
    : Number.isFinite(printed) && printed !== counted
      ? ` (\`${command}\` printed ${printed}, ss's header line included)`
      : ` (counted by \`${command}\`)`;
  const isCritical = counted >= critical;
  const cited = cite(rows);
  return hostFinding("close-wait-leak", {
    severity: isCritical ? "critical" : "warning",
    // a count has no ages and no owner: at a few dozen it may still be a busy server closing late
    confidence: isCritical ? "medium" : "low",
    summary: `${counted} sockets sit in CLOSE-WAIT${how}: the peers closed, the application never calls close(). Which process owns them is not in this evidence: \`ss -tanp state close-wait\` names it.`,
    evidence: {
      closeWaitCounted: counted,
      ...(rows.length ? { closeWaitListed: rows.length } : {}),
      countedBy: command,
      owner: "unknown",
      findOwnerWith: "ss -tanp state close-wait",
      ...(rows.length ? { examplePeers: rows.slice(0, 5).map(peerOf) } : {}),
    },
    scoreBonus: Math.min(15, Math.log2(counted / minSockets) * 5) + (isCritical ? 5 : 0) - 5,
    fix: 'Find the process that owns them with `ss -tanp state close-wait` (users:(("name",pid=N,fd=M))), then fix that application to close() every socket when the peer closes (read returns 0) or the request ends — close in a finally/defer/with block on every path, and make its connection pool discard connections the peer closed.',
    sockets: cited.sockets,
    sources: [...refs, ...cited.sources],
  });
}
