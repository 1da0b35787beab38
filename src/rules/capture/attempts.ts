// How the connection attempts to each service went, as several connecting rules need it: which
// attempts were refused, unanswered, answered only after retries, or accepted and then left
// unserved — and which single diagnosis owns the unanswered ones, so that a failure is reported
// once (connect-timeout, intermittent-connect-failure or listen-overflow), never three times.
import type { ConnectionSummary } from "../../core/tcp/types.js";
import type { Facts } from "../types.js";
import { captureEnd, captureSideOf, groupBy } from "./common.js";

export interface AttemptThresholds {
  /**
   * SYNs an unanswered attempt must have sent to count as failed (2 = the client retried at least
   * once, i.e. waited its initial 1 s RTO). A lone unanswered SYN is usually a scan or a spoofed
   * source, or the capture stopped too early.
   */
  minSyns: number;
  /**
   * A single unanswered SYN still counts when the capture went on this long after it (seconds) and
   * the same client address was seen on other connections too (a real client, not a spoofed one).
   */
  minWaitSeconds: number;
  /** Completed connections whose request sat unanswered at least this long count as "stuck" (seconds). */
  minStuckSeconds: number;
}

export const ATTEMPT_DEFAULTS: AttemptThresholds = { minSyns: 2, minWaitSeconds: 3, minStuckSeconds: 1 };

export interface ServiceAttempts {
  server: string;
  serverIp: string;
  serverPort: number;
  /** Every connection to the service whose SYN was seen. */
  attempts: ConnectionSummary[];
  refused: ConnectionSummary[];
  /** Unanswered attempts the client gave up on or kept retrying. */
  failed: ConnectionSummary[];
  /** Attempts answered by an ICMP unreachable. */
  unreachable: ConnectionSummary[];
  /** Attempts that got a SYN-ACK. */
  answered: ConnectionSummary[];
  /** Answered only after the client retransmitted its SYN. */
  retried: ConnectionSummary[];
  /** SYN-ACK retransmitted although the client's ACK had been seen: the server ignored the ACK. */
  ackIgnored: ConnectionSummary[];
  /** Completed, the client's request ACKed by the kernel, never answered and never closed by the server. */
  stuck: ConnectionSummary[];
  side: "client" | "server" | "middle" | undefined;
}

function isUnreachable(c: ConnectionSummary): boolean {
  return c.icmp.some((i) => i.kind === "unreachable");
}

/** Groups the attempts per service (server ip:port). */
export function serviceAttempts(facts: Facts, t: AttemptThresholds): ServiceAttempts[] {
  const end = captureEnd(facts);
  const seenClients = new Map<string, number>();
  for (const c of facts.connections) seenClients.set(c.clientIp, (seenClients.get(c.clientIp) ?? 0) + 1);
  const out: ServiceAttempts[] = [];
  const bySrv = groupBy(
    facts.connections.filter((c) => c.handshake.synSeen),
    (c) => c.server,
  );
  for (const [server, attempts] of bySrv) {
    const s: ServiceAttempts = {
      server,
      serverIp: attempts[0].serverIp,
      serverPort: attempts[0].serverPort,
      attempts,
      refused: [],
      failed: [],
      unreachable: [],
      answered: [],
      retried: [],
      ackIgnored: [],
      stuck: [],
      side: captureSideOf(facts.connections.filter((c) => c.server === server)),
    };
    for (const c of attempts) {
      const h = c.handshake;
      if (h.refused || c.state === "REJ") {
        s.refused.push(c);
        continue;
      }
      if (h.synAckSeen) {
        s.answered.push(c);
        if (h.synCount >= 2) s.retried.push(c);
        if (h.ackSeen && h.synAckCount >= 2 && h.completedAt !== undefined && h.synAckAt !== undefined) {
          s.ackIgnored.push(c);
        }
        const unserved =
          h.ackSeen &&
          c.bytes.client > 0 &&
          c.bytes.server === 0 &&
          c.close.firstRst === undefined &&
          c.close.firstFin !== "server" &&
          c.duration >= t.minStuckSeconds;
        if (unserved) s.stuck.push(c);
        continue;
      }
      if (isUnreachable(c)) {
        s.unreachable.push(c);
        continue;
      }
      if (c.close.firstRst === "server") continue;
      const firstSyn = h.firstSynAt ?? c.start;
      const gaveUp = c.close.firstRst === "client" && (c.close.rstAt ?? firstSyn) - firstSyn >= 0.5;
      const waitedAlone =
        h.synCount === 1 && end - firstSyn >= t.minWaitSeconds && (seenClients.get(c.clientIp) ?? 0) >= 2;
      if (h.synCount >= t.minSyns || gaveUp || waitedAlone) s.failed.push(c);
    }
    out.push(s);
  }
  return out;
}

export type FailureOwner = "connect-timeout" | "intermittent-connect-failure" | "listen-overflow";

/**
 * Which diagnosis explains the unanswered attempts of one service:
 * - nothing was ever answered → connect-timeout (a silent drop; on a server-side capture, by the
 *   server host itself);
 * - some answered, the capture was taken at the server → the SYNs reached the listening host and
 *   were dropped there while it served others: its accept queue is full (listen-overflow);
 * - SYN-ACKs retransmitted after the client's ACK had been seen → the server threw the ACK away,
 *   which is what a full accept queue does (listen-overflow);
 * - capture point unknown, and the handshakes that did complete were never served (request ACKed
 *   by the kernel, no answer, no close) → the application is not accepting (listen-overflow);
 * - otherwise → some attempts get through and some do not (intermittent-connect-failure).
 */
export function failureOwner(s: ServiceAttempts): FailureOwner | undefined {
  if (s.failed.length === 0) return undefined;
  if (s.answered.length === 0) return "connect-timeout";
  if (s.side === "server") return "listen-overflow";
  if (s.ackIgnored.length >= (s.side === "client" ? 2 : 1)) return "listen-overflow";
  if (s.side !== "client" && s.stuck.length > 0 && s.stuck.length * 2 >= s.answered.length)
    return "listen-overflow";
  return "intermittent-connect-failure";
}

/** Connections of the service open (answered, not yet over) at time t. */
export function openAt(s: ServiceAttempts, t: number): number {
  return s.answered.filter((c) => (c.handshake.synAckAt ?? c.start) <= t && c.start + c.duration >= t).length;
}

/** Seconds from the first SYN to the SYN-ACK (connect time as the client felt it at the capture point). */
export function connectTime(c: ConnectionSummary): number | undefined {
  const h = c.handshake;
  if (h.firstSynAt === undefined || h.synAckAt === undefined) return undefined;
  return h.synAckAt - h.firstSynAt;
}
