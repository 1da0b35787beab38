// syn-flood and syn-backlog-full: the SYN queue of listeners (SYN-RECV sockets) and SYN cookies.
//
// Linux keeps a half-open entry (SYN-RECV) per SYN until the handshake completes or the SYN-ACK
// retries run out. The queue per listener is bounded by its listen() backlog (the LISTEN Send-Q);
// without SYN cookies the kernel also starts dropping unproven clients once the queue holds 3/4 of
// net.ipv4.tcp_max_syn_backlog. With cookies (tcp_syncookies=1) a full queue is answered statelessly:
// TcpExtSyncookiesSent rises and only real clients send cookies back (SyncookiesRecv).
//
// syn-flood thresholds:
//   minCookiesSent   100  SYN cookies sent (delta, else absolute) to speak of a flood being absorbed
//   maxReturnRatio   0.1  cookies returned / cookies sent below which the SYNs are not real clients
//   fullFraction     0.9  SYN-RECV of one listener / its queue limit that counts as full
//   minSynRecv       500  SYN-RECV on one listener that is a flood whatever the limit (monitoring alert)
//   minSourceRatio   0.5  distinct source addresses / SYN-RECV entries: many sources, not one busy client
//   minAbsoluteCookiesSent 10000  absolute counters (since boot) alone: cookies sent to speak of a flood
//   maxAbsoluteReturnRatio 0.02   ... and cookies returned / sent below which it was one
// Absolute counters say a flood happened some time since boot, not that it goes on: they count
// alone only when extreme and when no socket table shows the SYN queue as it is now; the finding
// then has low confidence.
// syn-backlog-full thresholds:
//   fullFraction     0.9  as above, with SYN cookies off (or cookies returning like real clients)
import type { HostSnapshot, SocketEntry } from "../../host/types.js";
import type { Finding, Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import {
  cachedPerHost,
  cite,
  counter,
  counterNote,
  counterRefs,
  localOf,
  pct,
  round,
  sameIp,
  sockets,
  sysctlNumber,
  sysctlRefs,
  tally,
} from "./util.js";

export const synFloodDefaults = {
  minCookiesSent: 100,
  maxReturnRatio: 0.1,
  fullFraction: 0.9,
  minSynRecv: 500,
  minSourceRatio: 0.5,
  minAbsoluteCookiesSent: 10000,
  maxAbsoluteReturnRatio: 0.02,
};
export const synBacklogDefaults = { fullFraction: 0.9 };

interface SynQueue {
  listener?: SocketEntry;
  service: string;
  synRecv: SocketEntry[];
  /** Queue limit: the listen backlog, lowered to 3/4 of tcp_max_syn_backlog without cookies. */
  limit?: number;
  distinctSources: number;
}

function isSynRecv(s: SocketEntry): boolean {
  return s.state === "SYN-RECV" || s.state === "NEW-SYN-RECV";
}

/** SYN-RECV entries grouped by the listener they wait on. */
function synQueues(host: HostSnapshot): SynQueue[] {
  return cachedPerHost(queueCache, host, computeQueues);
}

const queueCache = new WeakMap<HostSnapshot, SynQueue[]>();

function computeQueues(host: HostSnapshot): SynQueue[] {
  const all = sockets(host);
  const listeners = all.filter((s) => s.state === "LISTEN");
  const cookies = sysctlNumber(host, "net.ipv4.tcp_syncookies");
  const maxSynBacklog = sysctlNumber(host, "net.ipv4.tcp_max_syn_backlog");
  const byPort = new Map<number, SocketEntry[]>();
  for (const l of listeners) {
    const list = byPort.get(l.localPort);
    if (list) list.push(l);
    else byPort.set(l.localPort, [l]);
  }
  const findListener = (s: SocketEntry) => {
    const onPort = byPort.get(s.localPort) ?? [];
    return onPort.find((l) => sameIp(l.localIp, s.localIp)) ?? onPort[0];
  };
  const out: SynQueue[] = [];
  for (const [, list] of tally(all.filter(isSynRecv), localOf)) {
    const first = list[0] as SocketEntry;
    const listener = findListener(first);
    let limit = listener && listener.sendQ > 0 ? listener.sendQ : undefined;
    if (cookies === 0 && maxSynBacklog !== undefined) {
      const unproven = Math.floor((maxSynBacklog * 3) / 4);
      limit = limit === undefined ? unproven : Math.min(limit, unproven);
    }
    out.push({
      listener,
      service: listener ? localOf(listener) : localOf(first),
      synRecv: list,
      limit,
      distinctSources: new Set(list.map((s) => s.peerIp)).size,
    });
  }
  return out;
}

function cookieCounters(host: HostSnapshot) {
  const sent = counter(host, "TcpExtSyncookiesSent");
  const recv = counter(host, "TcpExtSyncookiesRecv");
  const doCookies = counter(host, "TcpExtTCPReqQFullDoCookies");
  const qFullDrop = counter(host, "TcpExtTCPReqQFullDrop");
  return { sent, recv, doCookies, qFullDrop };
}

export const synFlood: Rule = {
  id: "syn-flood",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const t = (n: keyof typeof synFloodDefaults) => ctx.threshold(n, synFloodDefaults[n]);
    const cookiesOn = sysctlNumber(host, "net.ipv4.tcp_syncookies");
    const { sent, recv, doCookies, qFullDrop } = cookieCounters(host);
    const sentN = sent?.value ?? 0;
    const recvN = recv?.kind === sent?.kind ? (recv?.value ?? 0) : 0;
    const absorbed = sentN >= t("minCookiesSent") && recvN / sentN <= t("maxReturnRatio");

    const floods = synQueues(host).filter((q) => {
      const full = q.limit !== undefined && q.synRecv.length >= q.limit * t("fullFraction");
      const many = q.synRecv.length >= t("minSynRecv");
      const spread = q.distinctSources / q.synRecv.length >= t("minSourceRatio");
      return (full || many) && spread;
    });
    // Absolute counters only say a flood happened some time since boot: enough on their own only
    // when extreme, and when no socket table shows the SYN queue as it is now (empty, or short).
    const sinceBoot =
      sent?.kind === "absolute" &&
      sockets(host).length === 0 &&
      sentN >= t("minAbsoluteCookiesSent") &&
      recvN / sentN <= t("maxAbsoluteReturnRatio");
    if (!(absorbed && sent?.kind === "delta") && !sinceBoot && floods.length === 0) return [];

    const q = floods[0];
    const dropping =
      cookiesOn === 0 || (qFullDrop !== undefined && qFullDrop.value > 0 && qFullDrop.kind === "delta");
    const evidence: Record<string, unknown> = {};
    if (sent) {
      evidence.syncookiesSent = sentN;
      evidence.syncookiesRecv = recvN;
      evidence.counters = counterNote(sent);
      if (sentN > 0) evidence.cookiesReturned = pct(recvN / sentN);
      if (sent.kind === "delta" && sent.seconds) evidence.cookiesPerSecond = round(sentN / sent.seconds, 1);
    }
    if (doCookies) evidence.reqQFullDoCookies = doCookies.value;
    if (qFullDrop) evidence.reqQFullDrop = qFullDrop.value;
    evidence.tcpSyncookies = cookiesOn;
    evidence.tcpMaxSynBacklog = sysctlNumber(host, "net.ipv4.tcp_max_syn_backlog");
    evidence.tcpSynackRetries = sysctlNumber(host, "net.ipv4.tcp_synack_retries");
    if (q) {
      evidence.listener = q.service;
      evidence.synRecv = q.synRecv.length;
      evidence.queueLimit = q.limit;
      evidence.distinctSources = q.distinctSources;
      evidence.topSources = tally(q.synRecv, (s) => s.peerIp)
        .slice(0, 5)
        .map(([ip, l]) => ({ source: ip, count: l.length }));
      const listenerProc = q.listener?.processes?.[0];
      if (listenerProc) evidence.listenerProcess = `${listenerProc.name}(pid ${listenerProc.pid})`;
    }
    const parts: string[] = [];
    if (q) {
      parts.push(
        `${q.synRecv.length} half-open connections (SYN-RECV) from ${q.distinctSources} different addresses fill the SYN queue of ${q.service}${q.limit ? ` (limit ${q.limit})` : ""}`,
      );
    }
    if (sent && sentN > 0)
      parts.push(
        `${sentN} SYN cookies sent but only ${recvN} came back${sent.kind === "absolute" ? " (counted since boot)" : ""}`,
      );
    let tail = dropping
      ? "SYN cookies are off, so legitimate clients are dropped too."
      : "SYN cookies absorb the flood, so legitimate clients still connect.";
    if (!q && sent?.kind === "absolute")
      tail += " Counters since boot cannot say whether it goes on now: read them twice, a few seconds apart.";
    const cited = q ? cite(q.synRecv) : { sockets: [], sources: [] };
    cited.sources.push(
      ...counterRefs(host, ["TcpExtSyncookiesSent", "TcpExtSyncookiesRecv"]),
      ...sysctlRefs(host, ["net.ipv4.tcp_syncookies"]),
    );
    const out: Finding[] = [
      hostFinding("syn-flood", {
        severity: dropping ? "critical" : "warning",
        confidence: q && absorbed ? "high" : q || sent?.kind === "delta" ? "medium" : "low",
        summary: `${parts.join("; ")}: a SYN flood. ${tail}`,
        evidence,
        scoreBonus: q && absorbed ? 3 : 0,
        vars: q ? serviceVars(q.service) : {},
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
    return out;
  },
};

export const synBacklogFull: Rule = {
  id: "syn-backlog-full",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const fullFraction = ctx.threshold("fullFraction", synBacklogDefaults.fullFraction);
    const cookiesOn = sysctlNumber(host, "net.ipv4.tcp_syncookies");
    const { sent, recv, qFullDrop } = cookieCounters(host);
    const sentN = sent?.value ?? 0;
    const recvN = recv?.value ?? 0;
    // Cookies coming back like real clients: the queue is simply too small for the load.
    const cookiesLegit = sentN > 0 && recvN / sentN > synFloodDefaults.maxReturnRatio;
    const drops = qFullDrop?.kind === "delta" ? qFullDrop.value : 0;
    // Many distinct sources with no cookies coming back is a flood: syn-flood reports it.
    const isFull = (q: SynQueue) => q.limit !== undefined && q.synRecv.length >= q.limit * fullFraction;
    const floodLike = (q: SynQueue) =>
      isFull(q) && q.distinctSources / q.synRecv.length >= synFloodDefaults.minSourceRatio && !cookiesLegit;
    const queues = synQueues(host);
    const full = queues.filter((q) => isFull(q) && !floodLike(q));
    if (full.length === 0 && (drops === 0 || queues.some(floodLike))) return [];
    const q = full[0];
    const dropping = cookiesOn === 0 || drops > 0;
    const cited = q ? cite(q.synRecv) : { sockets: [], sources: [] };
    cited.sources.push(...sysctlRefs(host, ["net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog"]));
    if (drops > 0) cited.sources.push(...counterRefs(host, ["TcpExtTCPReqQFullDrop"]));
    const summary = q
      ? `${q.synRecv.length} half-open connections fill the SYN queue of ${q.service} (limit ${q.limit})${dropping ? " and SYN cookies are off: further SYNs are dropped and clients wait for retransmissions" : "; SYN cookies cover the overflow, but the queue is too small for the load"}.`
      : `The kernel dropped ${drops} SYNs because a SYN queue was full (TcpExtTCPReqQFullDrop).`;
    return [
      hostFinding("syn-backlog-full", {
        severity: dropping ? "critical" : "info",
        confidence: q ? "high" : "medium",
        summary,
        evidence: {
          ...(q
            ? {
                listener: q.service,
                synRecv: q.synRecv.length,
                queueLimit: q.limit,
                listenBacklog: q.listener?.sendQ,
                distinctSources: q.distinctSources,
              }
            : {}),
          tcpSyncookies: cookiesOn,
          tcpMaxSynBacklog: sysctlNumber(host, "net.ipv4.tcp_max_syn_backlog"),
          somaxconn: sysctlNumber(host, "net.core.somaxconn"),
          reqQFullDrop: qFullDrop?.value,
          syncookiesSent: sent?.value,
          syncookiesRecv: recv?.value,
        },
        scoreBonus: dropping ? 0 : -40,
        vars: q ? serviceVars(q.service) : {},
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};
