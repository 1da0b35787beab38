// keepalive-too-long and dead-peer.
//
// Keepalive detects a dead peer after tcp_keepalive_time + tcp_keepalive_intvl x tcp_keepalive_probes
// of silence (defaults 7200 + 75 x 9 s = 2 h 11 min), and only on sockets that enable SO_KEEPALIVE.
// Proxies, load balancers and NAT drop idle flows after 60-350 s, long before that.
//
// keepalive-too-long thresholds:
//   maxIdleSec   300  tcp_keepalive_time beyond this is reported (info): longer than typical
//                     middlebox idle timeouts
//   idleWarnSec  300  an established connection to a remote peer idle this long without a keepalive
//                     timer makes it a warning (it is exposed to silent middlebox expiry)
// dead-peer thresholds:
//   minProbes    2    unanswered keepalive probes on a socket (timer:(keepalive,...,N))
//   minBackoff   4    consecutive retransmission timeouts without any ACK (timer:(on,...,N) / backoff)
//   counter: TcpExtTCPAbortOnTimeout rising over the interval beyond connect timeouts (TcpAttemptFails)
import type { SocketEntry } from "../../host/types.js";
import type { Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import {
  cite,
  counterRefs,
  counterSet,
  humanSeconds,
  isLoopback,
  peerOf,
  round,
  sockets,
  sysctlNumber,
  sysctlRefs,
} from "./util.js";

export const keepaliveDefaults = { maxIdleSec: 300, idleWarnSec: 300 };
export const deadPeerDefaults = { minProbes: 2, minBackoff: 4 };

export const keepaliveTooLong: Rule = {
  id: "keepalive-too-long",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const time = sysctlNumber(host, "net.ipv4.tcp_keepalive_time");
    const intvl = sysctlNumber(host, "net.ipv4.tcp_keepalive_intvl");
    const probes = sysctlNumber(host, "net.ipv4.tcp_keepalive_probes");
    if (time === undefined) return [];
    const maxIdle = ctx.threshold("maxIdleSec", keepaliveDefaults.maxIdleSec);
    const idleWarnMs = ctx.threshold("idleWarnSec", keepaliveDefaults.idleWarnSec) * 1000;
    if (time <= maxIdle) return [];
    const detection = time + (intvl ?? 75) * (probes ?? 9);
    // Idle = no data either way; only connections to other hosts cross middleboxes.
    const exposed = sockets(host).filter((s) => {
      if (s.state !== "ESTAB" || isLoopback(s.peerIp) || s.timer?.name === "keepalive") return false;
      const i = s.info;
      if (!i) return false;
      const idle = Math.min(i.lastsnd ?? 0, i.lastrcv ?? 0);
      return idle >= idleWarnMs;
    });
    const cited = cite(exposed);
    cited.sources.unshift(
      ...sysctlRefs(host, [
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
      ]),
    );
    return [
      hostFinding("keepalive-too-long", {
        severity: exposed.length ? "warning" : "info",
        confidence: exposed.length ? "medium" : "high",
        summary: exposed.length
          ? `${exposed.length} established connections have been idle over ${humanSeconds(idleWarnMs / 1000)} without keepalive (e.g. ${peerOf(exposed[0] as SocketEntry)}), and the host default would detect a dead peer only after ${humanSeconds(detection)}: middleboxes may already have dropped them silently.`
          : `Keepalive defaults detect a dead peer only after ${humanSeconds(detection)} (first probe after ${humanSeconds(time)}), longer than typical proxy, load-balancer and NAT idle timeouts.`,
        evidence: {
          tcpKeepaliveTime: time,
          tcpKeepaliveIntvl: intvl,
          tcpKeepaliveProbes: probes,
          detectionSec: detection,
          idleWithoutKeepalive: exposed.length,
        },
        scoreBonus: exposed.length ? 0 : -30,
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};

export const deadPeer: Rule = {
  id: "dead-peer",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const minProbes = ctx.threshold("minProbes", deadPeerDefaults.minProbes);
    const minBackoff = ctx.threshold("minBackoff", deadPeerDefaults.minBackoff);
    const kind = (s: SocketEntry): "keepalive" | "retransmit" | undefined => {
      if (
        s.state !== "ESTAB" &&
        s.state !== "CLOSE-WAIT" &&
        s.state !== "FIN-WAIT-1" &&
        s.state !== "LAST-ACK"
      )
        return undefined;
      if (s.timer?.name === "keepalive" && (s.timer.retrans ?? 0) >= minProbes) return "keepalive";
      const backoff = Math.max(s.info?.backoff ?? 0, s.timer?.name === "on" ? (s.timer.retrans ?? 0) : 0);
      if (s.timer?.name === "on" && backoff >= minBackoff) return "retransmit";
      return undefined;
    };
    const hits = sockets(host)
      .map((s) => ({ s, k: kind(s) }))
      .filter((x) => x.k !== undefined);

    // Counters: an abort on timeout of an established connection. Connect timeouts also count
    // there, so only the excess over failed connection attempts is a dead peer.
    const c = counterSet(host, [
      "TcpExtTCPAbortOnTimeout",
      "TcpAttemptFails",
      "TcpEstabResets",
      "TcpExtTCPKeepAlive",
    ]);
    const v = c.values;
    const aborts = v.TcpExtTCPAbortOnTimeout ?? 0;
    const deadAborts = c.kind === "delta" ? Math.max(0, aborts - (v.TcpAttemptFails ?? 0)) : 0;
    if (hits.length === 0 && deadAborts === 0) return [];

    const parts: string[] = [];
    const first = hits[0];
    if (first) {
      const t = first.s.timer;
      parts.push(
        first.k === "keepalive"
          ? `${peerOf(first.s)} left ${t?.retrans} keepalive probes unanswered`
          : `${peerOf(first.s)} does not acknowledge: ${Math.max(first.s.info?.backoff ?? 0, t?.retrans ?? 0)} retransmission timeouts in a row`,
      );
      if (hits.length > 1) parts.push(`${hits.length - 1} more connections in the same state`);
    }
    if (deadAborts > 0) {
      parts.push(
        `the kernel abandoned ${deadAborts} established connection${deadAborts > 1 ? "s" : ""} after timeouts (TcpExtTCPAbortOnTimeout${c.seconds ? ` over ${round(c.seconds, 1)} s` : " over the sampled interval"})`,
      );
    }
    const cited = cite(hits.map((x) => x.s));
    if (deadAborts > 0)
      cited.sources.push(...counterRefs(host, ["TcpExtTCPAbortOnTimeout", "TcpEstabResets"]));
    return [
      hostFinding("dead-peer", {
        severity: "warning",
        confidence: first && deadAborts > 0 ? "high" : first ? "medium" : "high",
        summary: `${parts.join("; ")}: the peer or the path to it is gone.`.replace(/^./, (x) =>
          x.toUpperCase(),
        ),
        evidence: {
          sockets: hits.length,
          byKind: {
            keepalive: hits.filter((x) => x.k === "keepalive").length,
            retransmit: hits.filter((x) => x.k === "retransmit").length,
          },
          peers: [...new Set(hits.map((x) => x.s.peerIp))].slice(0, 5),
          ...(c.kind === "delta"
            ? {
                abortOnTimeout: aborts,
                attemptFails: v.TcpAttemptFails ?? 0,
                estabResets: v.TcpEstabResets ?? 0,
                keepaliveProbes: v.TcpExtTCPKeepAlive ?? 0,
              }
            : {}),
        },
        scoreBonus: (first ? 3 : 0) + (deadAborts > 0 ? 3 : 0),
        vars: first ? { ...serviceVars(peerOf(first.s)), clientIp: first.s.localIp } : {},
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};
