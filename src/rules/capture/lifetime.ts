// Connection lifetime: peers that vanish, sockets never closed, connections opened per request.
import type { ConnectionSummary, PeerSilence } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import type { Finding } from "../types.js";
import {
  captureEnd,
  type DocumentedRule,
  fmtSeconds,
  gaps,
  groupBy,
  listStreams,
  maxOf,
  minOf,
  plural,
  readThresholds,
  SILENT_TAIL_DEFAULTS,
  type Side,
  sec,
  silentRetransmissionTail,
  streamsOf,
  varsOf,
} from "./common.js";

// ---------------------------------------------------------------------------- dead-peer

const deadPeerDefaults = {
  /** Unanswered keepalive probes at the end of a connection (answered ones are healthy keepalive). */
  minUnansweredProbes: 2,
  /** Timeout retransmissions of data before the sender gave up (with a RST, or silently at the capture's end). */
  minTimeoutRetransmissions: SILENT_TAIL_DEFAULTS.minResends,
  /**
   * Growth of the gaps between the resends of the stuck segment, last gap over first: a backed-off
   * retransmission timer (Linux doubles it) rather than a sender that keeps resending on its own.
   */
  minBackoffGrowth: SILENT_TAIL_DEFAULTS.minBackoffGrowth,
};

type DeadPeerHit = {
  c: ConnectionSummary;
  prober: Side;
  how: "keepalive" | "retransmission";
  aborted: boolean;
  tail?: PeerSilence;
};

export const deadPeer: DocumentedRule = {
  id: "dead-peer",
  description:
    "The peer answered, then went silent: keepalive probes or retransmissions of the same data on a backed-off timer unanswered until the connection was aborted (with a RST, or silently when the retries ran out).",
  needs: ["connections"],
  thresholds: deadPeerDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, deadPeerDefaults);
    const hits: DeadPeerHit[] = [];
    for (const c of facts.connections) {
      const rstBy = c.close.firstRst;
      const ka = c.keepalive;
      if (ka.unansweredTail > 0) {
        const prober: Side = c.dir.client.keepAlives >= c.dir.server.keepAlives ? "client" : "server";
        const aborted = rstBy === prober;
        if (ka.unansweredTail >= t.minUnansweredProbes || aborted) {
          hits.push({ c, prober, how: "keepalive", aborted });
          continue;
        }
      }
      if (
        rstBy &&
        c.close.rstWithDataInFlight &&
        c.dir[rstBy].retransmissions.rto >= t.minTimeoutRetransmissions
      ) {
        hits.push({ c, prober: rstBy, how: "retransmission", aborted: true });
        continue;
      }
      for (const side of ["client", "server"] as const) {
        const tail = silentRetransmissionTail(c, side, t.minTimeoutRetransmissions, t.minBackoffGrowth);
        if (!tail) continue;
        hits.push({ c, prober: side, how: "retransmission", aborted: rstBy === side, tail });
        break;
      }
    }
    if (hits.length === 0) return [];
    const h = hits[0];
    const c = h.c;
    const peer = h.prober === "client" ? c.server : c.client;
    const me = h.prober === "client" ? c.client : c.server;
    const ka = c.keepalive;
    let summary: string;
    if (h.how === "keepalive") {
      summary =
        `${peer} answered ${plural(ka.answered, "keepalive probe")} from ${me}, then stopped answering: the last ${plural(ka.unansweredTail, "probe")} got no reply` +
        (h.aborted
          ? ` and ${me} aborted the connection with a RST (frame ${c.close.rstFrame ?? c.lastFrame}; its application gets ETIMEDOUT).`
          : " before the capture ended.") +
        ` The peer host or the path to it died (crash, partition, or a firewall/NAT that lost the flow); keepalive detected it as designed.`;
    } else if (h.tail) {
      const heads = h.tail.headRetransmissionTimes;
      const g = gaps(heads);
      summary =
        `${peer} acknowledged data, then went silent at ${fmtSeconds(h.tail.start)} into the capture: ${me} resent the same unacknowledged segment ${plural(heads.length, "time")} with growing timeouts (gaps ${g.map((x) => fmtSeconds(x)).join(", ")}) and got no packet at all back — no ACK, no RST, no ICMP — ` +
        `for the ${fmtSeconds(h.tail.end - h.tail.start)} until the capture ended (last resend frame ${h.tail.lastFrame}). ` +
        (h.aborted
          ? `${me} then aborted with a RST. `
          : "Linux gives up after net.ipv4.tcp_retries2 (or TCP_USER_TIMEOUT) without sending anything, so the application's send/recv fails with ETIMEDOUT. ") +
        "Nothing gets through at all, so this is not random loss or congestion: the peer host or the path to it died.";
    } else {
      summary = `${me} retransmitted unacknowledged data ${plural(c.dir[h.prober].retransmissions.rto, "time")} on timeout, got no answer from ${peer} and aborted with a RST (frame ${c.close.rstFrame ?? c.lastFrame}): the peer or the path to it is gone.`;
    }
    const evidence: Record<string, unknown> = {
      stream: c.stream,
      prober: me,
      peer,
      detectedBy: h.how,
      probesAnswered: ka.answered,
      probesUnanswered: ka.unansweredTail,
      timeoutRetransmissions: c.dir[h.prober].retransmissions.rto,
      abortedWithRst: h.aborted,
      rstFrame: c.close.rstFrame,
      connections: hits.length,
    };
    if (h.tail) {
      evidence.peerSilentFromSeconds = sec(h.tail.start);
      evidence.silentSeconds = sec(h.tail.end - h.tail.start);
      evidence.resendsOfStuckSegment = h.tail.headRetransmissionTimes.length;
      evidence.resendGapsSeconds = gaps(h.tail.headRetransmissionTimes).map((x) => sec(x));
      evidence.firstResendFrame = h.tail.firstFrame;
      evidence.lastResendFrame = h.tail.lastFrame;
    }
    return [
      makeFinding("dead-peer", {
        confidence:
          h.aborted || (h.tail !== undefined && h.tail.headRetransmissionTimes.length >= 4)
            ? "high"
            : "medium",
        summary,
        evidence,
        streams: hits.map((x) => x.c.stream),
        vars: { ...varsOf(c), server: peer, serverIp: h.prober === "client" ? c.serverIp : c.clientIp },
        score: h.aborted ? 65 : h.tail ? 60 : 50,
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- close-wait-leak

const closeWaitDefaults = {
  /** A half-closed connection counts as leaked after this long silent until the capture's end (seconds). */
  minSilentSeconds: 0.5,
  /** Leaked connections needed; a single one is enough once silent this long (seconds). */
  minLeaked: 2,
  singleSilentSeconds: 10,
};

export const closeWaitLeak: DocumentedRule = {
  id: "close-wait-leak",
  description:
    "Connections whose peer's FIN was ACKed while this side never sent FIN/RST and went silent: sockets left in CLOSE_WAIT by the application.",
  needs: ["connections"],
  thresholds: closeWaitDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, closeWaitDefaults);
    const end = captureEnd(facts);
    const out: Finding[] = [];
    const halfClosed = facts.connections.filter((c) => c.close.halfClosedBy !== undefined);
    // Group by the side that never closed: the service (server ip:port) or the client host.
    const groups = groupBy(halfClosed, (c) =>
      c.close.halfClosedBy === "server" ? `server ${c.server}` : `client ${c.clientIp}`,
    );
    for (const conns of groups.values()) {
      const leaker: Side = conns[0].close.halfClosedBy === "server" ? "server" : "client";
      const silentOf = (c: ConnectionSummary) => end - (c.start + c.duration);
      const leaked = conns.filter((c) => silentOf(c) >= t.minSilentSeconds);
      const longest = maxOf(leaked.map(silentOf));
      if (leaked.length < t.minLeaked && !(leaked.length >= 1 && longest >= t.singleSilentSeconds)) continue;
      const c = leaked[0];
      const who = leaker === "server" ? c.server : c.clientIp;
      const peerFinAts = leaked
        .map((x) => (leaker === "server" ? x.dir.client.finAt : x.dir.server.finAt))
        .filter((x): x is number => x !== undefined);
      const summary =
        `${plural(conns.length, "connection")} to ${who} ${conns.length === 1 ? "is" : "are"} half-closed: the peer's FIN was acknowledged but ${who} never sent its own FIN or RST; ` +
        `${leaked.length} stayed that way for ${fmtSeconds(t.minSilentSeconds)}+ until the capture ended (the oldest ${fmtSeconds(longest)}). ` +
        `Those sockets sit in CLOSE_WAIT on ${leaker === "server" ? c.serverIp : c.clientIp}: the application never calls close() on them (${listStreams(streamsOf(leaked))}).`;
      out.push(
        makeFinding("close-wait-leak", {
          severity: "warning",
          confidence: leaked.length >= 5 ? "high" : "medium",
          summary,
          evidence: {
            [leaker === "server" ? "server" : "client"]: who,
            halfClosed: conns.length,
            silentAtCaptureEnd: leaked.length,
            longestSilentSeconds: sec(longest),
            firstPeerFinAtSeconds: sec(peerFinAts.length ? minOf(peerFinAts) : undefined),
            peerFinFrames: leaked
              .slice(0, 10)
              .map((x) => (leaker === "server" ? x.dir.client.finFrame : x.dir.server.finFrame)),
          },
          streams: streamsOf(conns),
          vars:
            leaker === "server"
              ? varsOf(c)
              : { ...varsOf(c), server: c.client, serverIp: c.clientIp, serverPort: c.clientPort },
          score: 50 + Math.min(40, leaked.length),
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- connection-churn

const churnDefaults = {
  /** Short, completed connections from one client to one service before it is churn. */
  minConnections: 30,
  /** …opened at least this fast on average (per second). */
  minRatePerSecond: 1,
  /** A connection is short when it lasted at most this long (seconds). */
  maxDurationSeconds: 5,
};

export const connectionChurn: DocumentedRule = {
  id: "connection-churn",
  description:
    "Many short connections from one client to one service, each opened for one exchange and closed.",
  needs: ["connections"],
  thresholds: churnDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, churnDefaults);
    const short = facts.connections.filter(
      (c) =>
        c.handshake.synSeen &&
        c.handshake.ackSeen &&
        (c.state === "SF" || c.state === "RSTO" || c.state === "RSTR") &&
        c.duration <= t.maxDurationSeconds,
    );
    const out: Finding[] = [];
    for (const conns of groupBy(short, (c) => `${c.clientIp} -> ${c.server}`).values()) {
      if (conns.length < t.minConnections) continue;
      const first = minOf(conns.map((c) => c.start));
      const last = maxOf(conns.map((c) => c.start));
      const span = Math.max(last - first, 0.001);
      const rate = conns.length / span;
      if (rate < t.minRatePerSecond) continue;
      const clientFirst = conns.filter((c) => c.close.firstFin === "client").length;
      const serverFirst = conns.filter((c) => c.close.firstFin === "server").length;
      const closer = clientFirst >= serverFirst ? "client" : "server";
      const durations = conns.map((c) => c.duration).sort((a, b) => a - b);
      const median = durations[Math.floor(durations.length / 2)];
      const c = conns[0];
      const summary =
        `${c.clientIp} opened ${conns.length} separate connections to ${c.server} in ${fmtSeconds(span)} (${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s), each living about ${fmtSeconds(median)} for a single exchange. ` +
        `The ${closer} closes first, so every one of them leaves a socket in TIME_WAIT for 60 s on ${closer === "client" ? c.clientIp : c.serverIp}${closer === "client" ? ", holding an ephemeral port towards this destination" : ""}, and every request pays a handshake.`;
      out.push(
        makeFinding("connection-churn", {
          confidence: conns.length >= 2 * t.minConnections ? "high" : "medium",
          summary,
          evidence: {
            client: c.clientIp,
            server: c.server,
            connections: conns.length,
            spanSeconds: sec(span),
            perSecond: Math.round(rate * 10) / 10,
            medianDurationSeconds: sec(median),
            activeCloser: closer,
            closedFirstByClient: clientFirst,
            closedFirstByServer: serverFirst,
            timeWaitPerMinuteAtThisRate: Math.round(rate * 60),
          },
          streams: streamsOf(conns),
          vars: varsOf(c),
          score: 40 + Math.min(40, Math.round(Math.log10(rate * 60) * 10)),
        }),
      );
    }
    return out;
  },
};
