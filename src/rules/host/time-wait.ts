// connection-churn and time-wait-port-exhaustion: TIME-WAIT grouped by the service it points at.
//
// A socket closed first by this host stays in TIME-WAIT for 60 s (TCP_TIMEWAIT_LEN, fixed in Linux).
// On the client side each one keeps an ephemeral port bound for that destination ip:port, so the
// count towards one destination is at once a rate (connections per minute) and a port budget.
// TIME-WAIT spread over many destinations is harmless and not reported.
//
// connection-churn thresholds:
//   minPerDestination  100  TIME-WAIT towards one service (or on one local service, server side)
//   minRatePerSec      2    new connections per second implied: count / the span of their ages
//                           (timewait timers), or count / 60 s without timers
// time-wait-port-exhaustion thresholds:
//   ratio              0.5  TIME-WAIT towards one destination / size of ip_local_port_range
//   criticalRatio      0.8
//   projectedRatio     1.0  connections per second x 60 s / port range: the rate would exhaust the range
import type { HostSnapshot, SocketEntry } from "../../host/types.js";
import type { Finding, Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import {
  cachedPerHost,
  cite,
  listeners,
  localOf,
  maxOf,
  pct,
  peerOf,
  portRange,
  round,
  sockets,
  sysctlNumber,
  sysctlRefs,
  tally,
} from "./util.js";

export const TIME_WAIT_SECONDS = 60;

export const connectionChurnDefaults = { minPerDestination: 100, minRatePerSec: 2 };
export const portExhaustionDefaults = { ratio: 0.5, criticalRatio: 0.8, projectedRatio: 1 };

interface TimeWaitGroup {
  /** "peer" = this host is the client (destination = peer); "local" = this host is the server. */
  side: "client" | "server";
  service: string;
  sockets: SocketEntry[];
  /** New connections per second implied by the group. */
  rate: number;
  /** Seconds over which the group's connections were closed (ages from the timers), when known. */
  spanSec?: number;
}

/** TIME-WAIT sockets grouped by the service end: the peer when this host connected, else the local listener. */
export function timeWaitGroups(host: HostSnapshot): TimeWaitGroup[] {
  return cachedPerHost(groupCache, host, computeGroups);
}

const groupCache = new WeakMap<HostSnapshot, TimeWaitGroup[]>();

function computeGroups(host: HostSnapshot): TimeWaitGroup[] {
  const tw = sockets(host).filter((s) => s.state === "TIME-WAIT");
  if (tw.length === 0) return [];
  const listenPorts = new Set(listeners(host).map((s) => s.localPort));
  const range = portRange(host);
  const inRange = (port: number) => range !== undefined && port >= range.low && port <= range.high;
  // Server side: the local port listens, or it is a fixed port talking to an ephemeral one.
  const isServerSide = (s: SocketEntry) =>
    listenPorts.has(s.localPort) || (range !== undefined && !inRange(s.localPort) && inRange(s.peerPort));
  const out: TimeWaitGroup[] = [];
  for (const [service, list] of tally(tw, (s) =>
    isServerSide(s) ? `local ${localOf(s)}` : `peer ${peerOf(s)}`,
  )) {
    const side = service.startsWith("local ") ? "server" : "client";
    const ages = list
      .map((s) =>
        s.timer?.expiresMs !== undefined ? TIME_WAIT_SECONDS - s.timer.expiresMs / 1000 : undefined,
      )
      .filter((x): x is number => x !== undefined && x >= 0);
    let rate = list.length / TIME_WAIT_SECONDS;
    let spanSec: number | undefined;
    if (ages.length >= list.length / 2) {
      // The oldest one tells how long the group took to build up (timer granularity is 1 s).
      spanSec = Math.max(1, maxOf(ages));
      rate = list.length / spanSec;
    }
    out.push({ side, service: service.slice(service.indexOf(" ") + 1), sockets: list, rate, spanSec });
  }
  return out;
}

export const connectionChurn: Rule = {
  id: "connection-churn",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const minCount = ctx.threshold("minPerDestination", connectionChurnDefaults.minPerDestination);
    const minRate = ctx.threshold("minRatePerSec", connectionChurnDefaults.minRatePerSec);
    const groups = timeWaitGroups(host).filter((g) => g.sockets.length >= minCount && g.rate >= minRate);
    if (groups.length === 0) return [];
    const g = groups[0] as TimeWaitGroup;
    const totalTw = sockets(host).filter((s) => s.state === "TIME-WAIT").length;
    const { sockets: lines, sources } = cite(g.sockets);
    const perSec = round(g.rate, 1);
    const summary =
      g.side === "client"
        ? `${g.sockets.length} connections to ${g.service} were opened and closed by this host${g.spanSec ? ` within ${round(g.spanSec, 0)} s` : " in the last minute"} (about ${perSec} per second): one connection per request instead of reusing connections.`
        : `${g.sockets.length} connections to the local service ${g.service} were closed by this side${g.spanSec ? ` within ${round(g.spanSec, 0)} s` : " in the last minute"} (about ${perSec} per second): clients open one short connection per request.`;
    const activeOpens = host.counterDeltas?.values.TcpActiveOpens;
    return [
      hostFinding("connection-churn", {
        severity: "warning",
        confidence: g.spanSec !== undefined ? "high" : "medium",
        summary,
        evidence: {
          side: g.side,
          service: g.service,
          timeWait: g.sockets.length,
          timeWaitTotal: totalTw,
          connectionsPerSecond: perSec,
          ...(g.spanSec !== undefined ? { closedWithinSec: round(g.spanSec, 0) } : {}),
          ...(activeOpens !== undefined
            ? { activeOpensDelta: activeOpens, deltaSeconds: host.counterDeltas?.seconds }
            : {}),
          topServices: groups
            .slice(0, 5)
            .map((x) => ({ service: x.service, side: x.side, timeWait: x.sockets.length })),
        },
        scoreBonus: Math.min(15, Math.log2(g.rate / minRate) * 3),
        vars:
          g.side === "client"
            ? { ...serviceVars(g.service), clientIp: (g.sockets[0] as SocketEntry).localIp }
            : serviceVars(g.service),
        sockets: lines,
        sources,
      }),
    ];
  },
};

export const timeWaitPortExhaustion: Rule = {
  id: "time-wait-port-exhaustion",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const range = portRange(host);
    if (!range) return [];
    const ratio = ctx.threshold("ratio", portExhaustionDefaults.ratio);
    const critRatio = ctx.threshold("criticalRatio", portExhaustionDefaults.criticalRatio);
    const projRatio = ctx.threshold("projectedRatio", portExhaustionDefaults.projectedRatio);
    const twReuse = sysctlNumber(host, "net.ipv4.tcp_tw_reuse");
    const out: Finding[] = [];
    // All sockets towards a destination use its port space, not only TIME-WAIT: counted once per peer.
    const perPeer = new Map<string, number>();
    for (const s of sockets(host)) {
      if (s.state === "LISTEN") continue;
      const k = peerOf(s);
      perPeer.set(k, (perPeer.get(k) ?? 0) + 1);
    }
    const hits = timeWaitGroups(host)
      .filter((g) => g.side === "client")
      .map((g) => {
        const busy = perPeer.get(g.service) ?? g.sockets.length;
        return { g, busy, used: busy / range.size, projected: (g.rate * TIME_WAIT_SECONDS) / range.size };
      })
      .filter((h) => h.used >= ratio || (h.g.spanSec !== undefined && h.projected >= projRatio))
      .sort((a, b) => b.used - a.used);
    if (hits.length === 0) return out;
    const h = hits[0] as (typeof hits)[number];
    // tcp_tw_reuse=1 lets connect() take over TIME-WAIT ports (with timestamps): pressure, not failure.
    const reuseOn = twReuse === 1;
    const severity = h.used >= critRatio && !reuseOn ? "critical" : "warning";
    const { sockets: lines, sources } = cite(h.g.sockets);
    sources.unshift(...sysctlRefs(host, ["net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse"]));
    out.push(
      hostFinding("time-wait-port-exhaustion", {
        severity,
        confidence: "high",
        summary: `${h.busy} local ports are tied up towards ${h.g.service} (${pct(h.used)} of the ${range.size} ephemeral ports ${range.low}-${range.high}); at about ${round(h.g.rate, 1)} new connections per second the range would need ${round(h.g.rate * TIME_WAIT_SECONDS, 0)} ports.`,
        evidence: {
          destination: h.g.service,
          timeWait: h.g.sockets.length,
          socketsToDestination: h.busy,
          portRange: `${range.low}-${range.high}`,
          portRangeSize: range.size,
          used: round(h.used, 3),
          connectionsPerSecond: round(h.g.rate, 1),
          projectedUse: round(h.projected, 2),
          tcpTwReuse: twReuse,
          others: hits.slice(1, 5).map((x) => ({ destination: x.g.service, sockets: x.busy })),
        },
        scoreBonus: Math.min(10, Math.max(h.used, h.projected) * 10),
        vars: { ...serviceVars(h.g.service), clientIp: (h.g.sockets[0] as SocketEntry).localIp },
        sockets: lines,
        sources,
      }),
    );
    return out;
  },
};
