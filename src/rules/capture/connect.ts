// Connecting: refused, silently dropped, sometimes dropped, unreachable, slow, half-finished.
import type { ConnectionSummary } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import type { Finding } from "../types.js";
import { AddressTally } from "./addresses.js";
import {
  ATTEMPT_DEFAULTS,
  connectTime,
  failureOwner,
  openAt,
  type ServiceAttempts,
  serviceAttempts,
} from "./attempts.js";
import {
  baseRtt,
  captureEnd,
  type DocumentedRule,
  established,
  fmtSeconds,
  groupBy,
  listSome,
  listStreams,
  maxOf,
  minOf,
  plural,
  readThresholds,
  sec,
  streamsOf,
} from "./common.js";

function clientsOf(conns: ConnectionSummary[]): string[] {
  return [...new Set(conns.map((c) => c.clientIp))];
}

/** The client address shared by every one of the connections, else "". */
function onlyClientIp(conns: ConnectionSummary[]): string {
  const first = conns.length ? conns[0].clientIp : "";
  for (const c of conns) if (c.clientIp !== first) return "";
  return first;
}

function vars(s: ServiceAttempts, conns: ConnectionSummary[]): Record<string, string | number> {
  return {
    server: s.server,
    serverIp: s.serverIp,
    serverPort: s.serverPort,
    clientIp: onlyClientIp(conns),
    client: conns.length === 1 ? conns[0].client : "",
  };
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// ---------------------------------------------------------------------------- connect-refused

const refusedDefaults = {
  /** Refused attempts to one service before the finding is raised. */
  minRefused: 1,
};

export const connectRefused: DocumentedRule = {
  id: "connect-refused",
  description:
    "SYN answered by RST: nothing listens on the address and port (or a reject rule answers for it).",
  needs: ["connections"],
  thresholds: refusedDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, refusedDefaults);
    const out: Finding[] = [];
    for (const s of serviceAttempts(facts, ATTEMPT_DEFAULTS)) {
      if (s.refused.length < t.minRefused) continue;
      const n = s.refused.length;
      const all = s.answered.length === 0 && s.failed.length === 0;
      const delays = s.refused
        .map((c) =>
          c.close.rstAt !== undefined && c.handshake.firstSynAt !== undefined
            ? c.close.rstAt - c.handshake.firstSynAt
            : undefined,
        )
        .filter((x): x is number => x !== undefined);
      const delay = median(delays);
      const clients = clientsOf(s.refused);
      const streams = streamsOf(s.refused);
      const summary =
        `${n === 1 ? "The connection attempt" : `${n} connection attempts`} from ${listSome(clients)} to ${s.server} ${n === 1 ? "was" : "were"} refused: ` +
        `the SYN was answered by a RST${delay !== undefined ? ` ${fmtSeconds(delay)} later` : ""} (${listStreams(streams)}). ` +
        (all
          ? `The host is reachable but nothing accepts connections on port ${s.serverPort} — the service is down, on another port or address, or a firewall rejects with a reset.`
          : `${s.answered.length} other attempts to the same port were answered, so the listener comes and goes (restarts, crashes) or a reject rule matches only some clients.`);
      out.push(
        makeFinding("connect-refused", {
          severity: all ? "critical" : "warning",
          confidence: "high",
          summary,
          evidence: {
            server: s.server,
            refused: n,
            answered: s.answered.length,
            unanswered: s.failed.length,
            clients,
            synFrames: s.refused.slice(0, 10).map((c) => c.firstFrame),
            rstFrames: s.refused.slice(0, 10).map((c) => c.close.rstFrame ?? c.lastFrame),
            rstAfterSeconds: sec(delay),
          },
          vars: vars(s, s.refused),
          score: all ? 70 : 50,
          streams,
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- connect-timeout

const timeoutDefaults = {
  /** SYNs an unanswered attempt must have sent (2 = retried once, after the initial 1 s RTO). */
  minSyns: ATTEMPT_DEFAULTS.minSyns,
  /** A lone SYN counts once the capture ran this long after it without an answer (seconds). */
  minWaitSeconds: ATTEMPT_DEFAULTS.minWaitSeconds,
};

function synSchedule(c: ConnectionSummary): string {
  const h = c.handshake;
  const last = c.start + c.duration;
  const span = last - (h.firstSynAt ?? c.start);
  return h.synCount > 1 ? `${h.synCount} SYNs over ${fmtSeconds(span)}` : "1 SYN";
}

export const connectTimeout: DocumentedRule = {
  id: "connect-timeout",
  description:
    "SYNs retransmitted and never answered (no SYN-ACK, RST or ICMP) while no attempt to that service succeeds: a silent drop.",
  needs: ["connections"],
  thresholds: timeoutDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, timeoutDefaults);
    const out: Finding[] = [];
    for (const s of serviceAttempts(facts, { ...ATTEMPT_DEFAULTS, ...t })) {
      if (failureOwner(s) !== "connect-timeout") continue;
      const failed = s.failed;
      const maxSyns = maxOf(failed.map((c) => c.handshake.synCount));
      const atServer = s.side === "server";
      const where = atServer
        ? `The SYNs were captured arriving at ${s.serverIp} and still got no answer, so they are dropped on that host itself (its firewall input policy, or a listen queue that stays full).`
        : "A closed port would have answered with a RST at once, so the SYNs (or their answers) are dropped silently on the way: a firewall or security group DROP rule, a routing black hole, or the host is down.";
      const summary =
        `${failed.length === 1 ? "The connection attempt" : `All ${failed.length} connection attempts`} to ${s.server} got no answer: ` +
        `${failed.length === 1 ? synSchedule(failed[0]) : `up to ${maxSyns} SYNs each`}, no SYN-ACK, no RST, no ICMP (${listStreams(streamsOf(failed))}). ${where}`;
      out.push(
        makeFinding("connect-timeout", {
          confidence: maxSyns >= 3 ? "high" : "medium",
          summary,
          evidence: {
            server: s.server,
            unanswered: failed.length,
            synsPerAttempt: failed.slice(0, 10).map((c) => c.handshake.synCount),
            retryingForSeconds: failed
              .slice(0, 10)
              .map((c) => sec(c.start + c.duration - (c.handshake.firstSynAt ?? c.start))),
            firstSynFrames: failed.slice(0, 10).map((c) => c.firstFrame),
            captureSide: s.side ?? "unknown",
          },
          vars: vars(s, failed),
          score: 50 + Math.min(30, 5 * maxSyns),
          streams: streamsOf(failed),
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- intermittent-connect-failure

const intermittentDefaults = {
  minSyns: ATTEMPT_DEFAULTS.minSyns,
  minWaitSeconds: ATTEMPT_DEFAULTS.minWaitSeconds,
  /** Share of failed attempts from which the finding is critical rather than a warning. */
  criticalFraction: 0.2,
};

export const intermittentConnectFailure: DocumentedRule = {
  id: "intermittent-connect-failure",
  description:
    "Some attempts to a service go unanswered while others connect: a full state table, a connection limit or a lossy device on the path.",
  needs: ["connections"],
  thresholds: intermittentDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, intermittentDefaults);
    const out: Finding[] = [];
    for (const s of serviceAttempts(facts, {
      ...ATTEMPT_DEFAULTS,
      minSyns: t.minSyns,
      minWaitSeconds: t.minWaitSeconds,
    })) {
      if (failureOwner(s) !== "intermittent-connect-failure") continue;
      const failed = [...s.failed].sort(
        (a, b) => (a.handshake.firstSynAt ?? a.start) - (b.handshake.firstSynAt ?? b.start),
      );
      const total = failed.length + s.answered.length;
      const fraction = failed.length / total;
      const firstFail = failed[0].handshake.firstSynAt ?? failed[0].start;
      const open = openAt(s, firstFail);
      const answeredAfter = s.answered.filter((c) => (c.handshake.firstSynAt ?? c.start) > firstFail).length;
      const pattern =
        answeredAfter === 0 && open > 0
          ? `Every attempt from ${fmtSeconds(firstFail)} into the capture on failed, when ${open} connections to it were open: something on the path allows about ${open} concurrent flows — typically a full connection-tracking (conntrack/NAT) table or a connection limit.`
          : `Failures are interleaved with successes (${answeredAfter} attempts after the first failure still connected): a device on the path drops part of the new flows — a rate limit, an overloaded firewall, or loss.`;
      const summary = `${failed.length} of ${total} connection attempts to ${s.server} got no answer (SYN retransmitted, never answered) while ${s.answered.length} connected normally. ${pattern}`;
      out.push(
        makeFinding("intermittent-connect-failure", {
          severity: fraction >= t.criticalFraction ? "critical" : "warning",
          confidence: failed.length >= 3 ? "high" : "medium",
          summary,
          evidence: {
            server: s.server,
            attempts: total,
            unanswered: failed.length,
            connected: s.answered.length,
            failureRate: Math.round(fraction * 1000) / 1000,
            firstFailureAtSeconds: sec(firstFail),
            openWhenFailuresBegan: open,
            connectedAfterFirstFailure: answeredAfter,
            unansweredStreams: streamsOf(failed).slice(0, 20),
            captureSide: s.side ?? "unknown",
          },
          vars: vars(s, failed),
          score: 40 + Math.round(fraction * 50),
          streams: [...streamsOf(failed), ...streamsOf(s.retried)],
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- no-route

export const noRoute: DocumentedRule = {
  id: "no-route",
  description: "Connection attempts answered by ICMP destination unreachable.",
  needs: ["connections"],
  thresholds: {},
  evaluate(facts) {
    const out: Finding[] = [];
    for (const s of serviceAttempts(facts, ATTEMPT_DEFAULTS)) {
      if (s.unreachable.length === 0 || s.answered.length > 0) continue;
      const icmp = s.unreachable.flatMap((c) => c.icmp.filter((i) => i.kind === "unreachable"));
      const codes = [...new Set(icmp.map((i) => `type ${i.type} code ${i.code}`))];
      const prohibited = icmp.some(
        (i) =>
          (i.type === 3 && (i.code === 9 || i.code === 10 || i.code === 13)) ||
          (i.type === 1 && i.code === 1),
      );
      out.push(
        makeFinding("no-route", {
          confidence: "high",
          summary:
            `${plural(s.unreachable.length, "connection attempt")} to ${s.server} ${s.unreachable.length === 1 ? "was" : "were"} answered by ICMP destination unreachable (${codes.join(", ")}, frame ${icmp[0].frame}). ` +
            (prohibited
              ? "The code says 'administratively prohibited': a firewall on the path refuses the flow."
              : "A router on the path has no route to the destination, or the host does not answer on its network."),
          evidence: { server: s.server, attempts: s.unreachable.length, icmp: icmp.slice(0, 10) },
          vars: vars(s, s.unreachable),
          streams: streamsOf(s.unreachable),
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- slow-handshake

const slowHandshakeDefaults = {
  /** Share of a service's connections that must be slow to set up. */
  minFraction: 0.05,
  /** A SYN-ACK counts as slow when it takes this many times the path's data RTT… */
  rttFactor: 3,
  /** …and at least this much longer than it (seconds). */
  minExtraSeconds: 0.1,
};

export const slowHandshake: DocumentedRule = {
  id: "slow-handshake",
  description:
    "Connections that succeed only after SYN retransmissions (≥ 1 s each), or whose SYN-ACK is far slower than the data RTT.",
  needs: ["connections"],
  thresholds: slowHandshakeDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, slowHandshakeDefaults);
    const out: Finding[] = [];
    for (const s of serviceAttempts(facts, ATTEMPT_DEFAULTS)) {
      // Only connections that were set up count: a SYN-ACK whose final ACK never came is a
      // half-open attempt (handshake-incomplete), however many SYNs preceded it.
      const completed = s.answered.filter(established);
      if (completed.length === 0) continue;
      const retried = s.retried.filter(established);
      const slowSynAck = completed.filter((c) => {
        if (c.handshake.synCount >= 2) return false;
        const hs = c.handshake.synToSynAck;
        const rtt = c.rtt && c.rtt.samples >= 1 ? c.rtt.min : undefined;
        return (
          hs !== undefined && rtt !== undefined && hs >= t.rttFactor * rtt && hs - rtt >= t.minExtraSeconds
        );
      });
      const slow = [...retried, ...slowSynAck];
      if (slow.length === 0 || slow.length / completed.length < t.minFraction) continue;
      const times = slow.map((c) => connectTime(c)).filter((x): x is number => x !== undefined);
      const rtts = completed.map((c) => baseRtt(c)).filter((x): x is number => x !== undefined);
      const rtt = rtts.length ? minOf(rtts) : undefined;
      const parts: string[] = [];
      if (retried.length) {
        parts.push(
          `${retried.length} of ${completed.length} connections to ${s.server} were answered only after the client retransmitted its SYN (up to ${maxOf(retried.map((c) => c.handshake.synCount))} SYNs)`,
        );
      }
      if (slowSynAck.length) {
        parts.push(
          `${slowSynAck.length} got their SYN-ACK only after ${fmtSeconds(maxOf(slowSynAck.map((c) => c.handshake.synToSynAck ?? 0)))}`,
        );
      }
      const summary = `${parts.join("; ")}: connecting took ${times.length ? `${fmtSeconds(minOf(times))} to ${fmtSeconds(maxOf(times))}` : "far longer than the path needs"}${rtt !== undefined ? ` instead of about ${fmtSeconds(rtt)}` : ""} (${listStreams(streamsOf(slow))}).`;
      out.push(
        makeFinding("slow-handshake", {
          confidence: retried.length ? "high" : "medium",
          summary,
          evidence: {
            server: s.server,
            slow: slow.length,
            connections: completed.length,
            fraction: Math.round((slow.length / completed.length) * 1000) / 1000,
            afterSynRetries: retried.length,
            slowSynAck: slowSynAck.length,
            connectSeconds: times.slice(0, 10).map((x) => sec(x)),
            pathRttSeconds: sec(rtt),
          },
          vars: vars(s, slow),
          streams: streamsOf(slow),
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- handshake-incomplete

const incompleteDefaults = {
  /** SYN-ACKs (first + retransmissions) a half-open attempt must show, or… */
  minSynAcks: 2,
  /** …seconds the capture went on after the SYN-ACK without the client's ACK. */
  minWaitSeconds: 1,
};

export const handshakeIncomplete: DocumentedRule = {
  id: "handshake-incomplete",
  description: "SYN-ACKs sent (and retransmitted) but the client's final ACK never arrives.",
  needs: ["connections"],
  thresholds: incompleteDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, incompleteDefaults);
    const end = captureEnd(facts);
    const halfOpen = facts.connections.filter((c) => {
      const h = c.handshake;
      if (!h.synSeen || !h.synAckSeen || h.ackSeen || c.bytes.client > 0 || c.close.firstRst !== undefined)
        return false;
      if (c.packets.client > h.synCount) return false;
      return h.synAckCount >= t.minSynAcks || end - (h.synAckAt ?? c.start) >= t.minWaitSeconds;
    });
    const out: Finding[] = [];
    for (const [server, conns] of groupBy(halfOpen, (c) => c.server)) {
      // Counted without a Set of strings: half-open attempts of a flood come from a million sources.
      const tally = new AddressTally(conns.length, false);
      for (const c of conns) tally.add(c.clientIp);
      const sources = tally.distinct();
      const side = conns[0].captureSide;
      const where =
        side === "client"
          ? "The SYN-ACKs reached the client host (captured there) and it never answered them: a local firewall drops them before TCP, or the connecting process is gone."
          : "The server keeps its half-open entries and retransmits SYN-ACKs; the return path to the clients, a stateful device in between, or the clients themselves (spoofed or gone) lose them.";
      out.push(
        makeFinding("handshake-incomplete", {
          confidence: conns.some((c) => c.handshake.synAckCount >= 2) ? "high" : "medium",
          summary: `${plural(conns.length, "handshake")} on ${server} from ${plural(sources, "client")} never completed: SYN-ACK sent (up to ${maxOf(conns.map((c) => c.handshake.synAckCount))} times) but no final ACK (${listStreams(streamsOf(conns))}). ${where}`,
          evidence: {
            server,
            halfOpen: conns.length,
            sources,
            synAcksPerAttempt: conns.slice(0, 10).map((c) => c.handshake.synAckCount),
            synFrames: conns.slice(0, 10).map((c) => c.firstFrame),
          },
          vars: {
            server,
            serverIp: conns[0].serverIp,
            serverPort: conns[0].serverPort,
            clientIp: sources === 1 ? conns[0].clientIp : "",
          },
          score: 40 + Math.min(30, conns.length),
          streams: streamsOf(conns),
        }),
      );
    }
    return out;
  },
};
