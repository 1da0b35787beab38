// packet-loss and cwnd-limited-lossy-path: retransmissions from kernel counters and from ss -ti.
//
// RetransSegs / OutSegs is the host's retransmission ratio. SYN and SYN-ACK retransmissions
// (TcpExtTCPSynRetrans) are taken out: they speak of unanswered connection attempts (timeouts,
// floods), not of data lost on a path. A handful per thousand is normal; a sustained percent is not.
//
// packet-loss thresholds:
//   ratio          0.01  data retransmissions / segments sent (host counters or one socket)
//   minRetrans     10    retransmitted segments before a ratio means anything
//   criticalRatio  0.05
// cwnd-limited-lossy-path thresholds (per socket from ss -ti):
//   minRttMs       10    round trip beyond a LAN / data-centre path
//   maxCwnd        20    congestion window (segments) considered small: with 1% loss the Mathis
//                        window of Reno/CUBIC is about 12 segments, with 0.5% about 17
//   minRetrans     5     retransmissions on the socket (recurring loss, not one event)
//   ratio          0.005 retransmissions / data segments sent on the socket
import type { SocketEntry } from "../../host/types.js";
import type { Finding, Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import {
  cite,
  counterNote,
  counterRefs,
  counterSet,
  humanBytes,
  maxOf,
  pct,
  peerOf,
  round,
  sockets,
  tally,
} from "./util.js";

export const packetLossDefaults = { ratio: 0.01, minRetrans: 10, criticalRatio: 0.05 };
export const cwndLimitedDefaults = { minRttMs: 10, maxCwnd: 20, minRetrans: 5, ratio: 0.005 };

/** Congestion controls that read every loss as congestion and cut the window. */
const LOSS_BASED = new Set([
  "cubic",
  "reno",
  "newreno",
  "bic",
  "htcp",
  "highspeed",
  "scalable",
  "hybla",
  "westwood",
  "veno",
  "yeah",
  "illinois",
  "nv",
  "lp",
]);

function socketRetransRatio(s: SocketEntry): { retrans: number; sent: number; ratio: number } | undefined {
  const i = s.info;
  if (!i || i.retransTotal === undefined) return undefined;
  // Without segment counters (older ss, pasted excerpts) bytes_sent / mss estimates them.
  const sent =
    i.dataSegsOut ?? i.segsOut ?? (i.bytesSent && i.mss ? Math.round(i.bytesSent / i.mss) : undefined);
  if (!sent) return undefined;
  return { retrans: i.retransTotal, sent, ratio: i.retransTotal / sent };
}

export const packetLoss: Rule = {
  id: "packet-loss",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const ratioMin = ctx.threshold("ratio", packetLossDefaults.ratio);
    const minRetrans = ctx.threshold("minRetrans", packetLossDefaults.minRetrans);
    const critRatio = ctx.threshold("criticalRatio", packetLossDefaults.criticalRatio);

    const c = counterSet(host, [
      "TcpRetransSegs",
      "TcpOutSegs",
      "TcpExtTCPSynRetrans",
      "TcpExtTCPTimeouts",
      "TcpExtTCPFastRetrans",
      "TcpExtTCPLossProbes",
      "TcpExtTCPSackRecovery",
      "TcpExtTCPRenoRecovery",
      "TcpExtTCPSlowStartRetrans",
      "IcmpInDestUnreachs",
    ]);
    const v = c.values;
    let hostRatio: number | undefined;
    let dataRetrans = 0;
    // ICMP "fragmentation needed" makes the sender resend in-flight segments at the smaller size
    // (counted as slow-start retransmissions, without a timeout): path MTU discovery, not loss.
    const pmtuRetrans =
      (v.IcmpInDestUnreachs ?? 0) > 0 && (v.TcpExtTCPTimeouts ?? 0) === 0
        ? (v.TcpExtTCPSlowStartRetrans ?? 0)
        : 0;
    if (v.TcpRetransSegs !== undefined && v.TcpOutSegs) {
      dataRetrans = Math.max(0, v.TcpRetransSegs - (v.TcpExtTCPSynRetrans ?? 0) - pmtuRetrans);
      hostRatio = dataRetrans / v.TcpOutSegs;
    }
    const hostHit = hostRatio !== undefined && dataRetrans >= minRetrans && hostRatio >= ratioMin;

    const lossy = sockets(host)
      .filter((s) => s.state !== "LISTEN" && s.state !== "SYN-SENT" && s.state !== "SYN-RECV")
      .map((s) => ({ s, r: socketRetransRatio(s) }))
      .filter((x) => x.r && x.r.retrans >= minRetrans && x.r.ratio >= ratioMin)
      .sort((a, b) => (b.r?.retrans ?? 0) - (a.r?.retrans ?? 0));
    if (!hostHit && lossy.length === 0) return [];

    const worstRatio = Math.max(hostHit ? (hostRatio ?? 0) : 0, maxOf(lossy.map((x) => x.r?.ratio ?? 0)));
    const evidence: Record<string, unknown> = {};
    if (hostRatio !== undefined) {
      evidence.retransSegs = v.TcpRetransSegs;
      evidence.synRetrans = v.TcpExtTCPSynRetrans ?? 0;
      if (pmtuRetrans) evidence.pmtuRetrans = pmtuRetrans;
      evidence.dataRetrans = dataRetrans;
      evidence.outSegs = v.TcpOutSegs;
      evidence.retransRatio = pct(hostRatio, 2);
      evidence.counters = counterNote({ value: 0, kind: c.kind, seconds: c.seconds });
      // RTO vs fast retransmit: timeouts mean whole windows or tails lost, fast means isolated drops.
      evidence.rtoEvents = v.TcpExtTCPTimeouts ?? 0;
      evidence.fastRetrans = v.TcpExtTCPFastRetrans ?? 0;
      if (v.TcpExtTCPLossProbes) evidence.tailLossProbes = v.TcpExtTCPLossProbes;
      if (v.TcpExtTCPSackRecovery) evidence.sackRecoveries = v.TcpExtTCPSackRecovery;
    }
    if (lossy.length) {
      evidence.byDestination = tally(lossy, (x) => x.s.peerIp)
        .slice(0, 5)
        .map(([peer, l]) => ({
          peer,
          sockets: l.length,
          retrans: l.reduce((n, x) => n + (x.r?.retrans ?? 0), 0),
          sent: l.reduce((n, x) => n + (x.r?.sent ?? 0), 0),
        }));
    }
    const parts: string[] = [];
    if (hostRatio !== undefined && hostHit) {
      parts.push(
        `${pct(hostRatio, 2)} of the segments this host sent were retransmissions (${dataRetrans} of ${v.TcpOutSegs}, ${c.kind === "delta" ? "over the sampled interval" : "since boot"})`,
      );
    }
    const top = lossy[0];
    if (top?.r) {
      parts.push(
        `${peerOf(top.s)} saw ${top.r.retrans} retransmissions in ${top.r.sent} data segments (${pct(top.r.ratio, 2)})${lossy.length > 1 ? ` and ${lossy.length - 1} more sockets retransmit` : ""}`,
      );
    }
    const fast = v.TcpExtTCPFastRetrans ?? 0;
    const rto = v.TcpExtTCPTimeouts ?? 0;
    const split = hostRatio !== undefined ? ` Loss recovery: ${fast} fast retransmits, ${rto} timeouts.` : "";
    const cited = cite(lossy.map((x) => x.s));
    if (hostHit) cited.sources.unshift(...counterRefs(host, ["TcpRetransSegs", "TcpOutSegs"]));
    const dests = lossy.length
      ? ` towards ${[...new Set(lossy.slice(0, 3).map((x) => x.s.peerIp))].join(", ")}`
      : "";
    return [
      hostFinding("packet-loss", {
        severity: worstRatio >= critRatio ? "critical" : "warning",
        confidence: (c.kind === "delta" && hostHit) || lossy.length ? "high" : "medium",
        summary: `${parts.join("; ")}: segments are lost on the path${dests}.${split}`,
        evidence,
        scoreBonus: Math.min(15, Math.log2(worstRatio / ratioMin) * 5),
        vars: top ? { ...serviceVars(peerOf(top.s)), clientIp: top.s.localIp } : {},
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};

export const cwndLimitedLossyPath: Rule = {
  id: "cwnd-limited-lossy-path",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const minRtt = ctx.threshold("minRttMs", cwndLimitedDefaults.minRttMs);
    const maxCwnd = ctx.threshold("maxCwnd", cwndLimitedDefaults.maxCwnd);
    const minRetrans = ctx.threshold("minRetrans", cwndLimitedDefaults.minRetrans);
    const ratioMin = ctx.threshold("ratio", cwndLimitedDefaults.ratio);
    const hits = sockets(host).filter((s) => {
      const i = s.info;
      if (!i?.cc || !LOSS_BASED.has(i.cc.toLowerCase())) return false;
      if (s.state !== "ESTAB" && s.state !== "CLOSE-WAIT") return false;
      const r = socketRetransRatio(s);
      if (!r || r.retrans < minRetrans || r.ratio < ratioMin) return false;
      if ((i.rtt ?? 0) < minRtt || i.cwnd === undefined || i.cwnd > maxCwnd) return false;
      // Only a sender with data waiting is held back by its window; when ss does not say (no
      // notsent/busy fields), a bulk sender (≥ 1 MB sent) that sent recently counts as one.
      const waiting = (i.notsent ?? 0) > 0 || s.sendQ > i.cwnd * (i.mss ?? 1448) || (i.busyMs ?? 0) > 0;
      const bulkRecently =
        i.notsent === undefined &&
        i.busyMs === undefined &&
        (i.bytesSent ?? 0) >= 1_000_000 &&
        (i.lastsnd ?? 0) < 2000;
      return waiting || bulkRecently;
    });
    if (hits.length === 0) return [];
    const out: Finding[] = [];
    const s = hits[0] as SocketEntry;
    const i = s.info ?? {};
    const r = socketRetransRatio(s);
    const mss = i.mss ?? 1448;
    const rttSec = (i.rtt ?? 0) / 1000;
    const windowRate = rttSec > 0 ? ((i.cwnd ?? 0) * mss * 8) / rttSec : undefined;
    // Mathis et al.: loss-based TCP averages about MSS/RTT * 1.22/sqrt(p).
    const mathis =
      r && r.ratio > 0 && rttSec > 0 ? ((mss * 8) / rttSec) * (1.22 / Math.sqrt(r.ratio)) : undefined;
    const mbps = (bps: number) => `${round(bps / 1e6, 2)} Mbit/s`;
    const cited = cite(hits);
    out.push(
      hostFinding("cwnd-limited-lossy-path", {
        severity: "warning",
        confidence: "medium",
        summary: `${peerOf(s)}: ${i.cc} keeps the congestion window at ${i.cwnd} segments${i.ssthresh !== undefined ? ` (ssthresh ${i.ssthresh})` : ""} on a ${round(i.rtt ?? 0, 1)} ms path with ${r?.retrans} retransmissions (${r ? pct(r.ratio, 2) : "?"}): every loss cuts the window, so the sender stays near ${windowRate ? mbps(windowRate) : "a small rate"} whatever the link speed.`,
        evidence: {
          peer: peerOf(s),
          congestionControl: i.cc,
          rttMs: i.rtt,
          cwnd: i.cwnd,
          ssthresh: i.ssthresh,
          mss,
          retrans: r?.retrans,
          dataSegsOut: r?.sent,
          retransRatio: r ? pct(r.ratio, 2) : undefined,
          windowRate: windowRate ? mbps(windowRate) : undefined,
          lossLimitedRate: mathis ? mbps(mathis) : undefined,
          queuedNotSent: i.notsent !== undefined ? humanBytes(i.notsent) : undefined,
          sockets: hits.length,
        },
        vars: { ...serviceVars(peerOf(s)), clientIp: s.localIp },
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    );
    return out;
  },
};
