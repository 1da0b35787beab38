// How the connection attempts to each service went, as several connecting rules need it: which
// attempts were refused, unanswered, answered only after retries, or accepted and then left
// unserved — and which single diagnosis owns the unanswered ones, so that a failure is reported
// once (connect-timeout, intermittent-connect-failure or listen-overflow), never three times.
import type { ConnectionSummary } from "../../core/tcp/types.js";
import type { Facts } from "../types.js";
import { type AddressSet, AddressTally } from "./addresses.js";
import { captureEnd, perFacts, type SideVotes, sideOfVotes } from "./common.js";

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
  /** Connections to the service whose SYN was seen. */
  attemptCount: number;
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

/** The connections of one service (server ip:port) whose SYN was seen, as several rules read them. */
export interface ServiceGroup {
  server: string;
  serverIp: string;
  serverPort: number;
  /** In capture order. References into facts.connections, nothing copied. */
  attempts: ConnectionSummary[];
  /** Where the captures of every connection to the service (SYN seen or not) were taken. */
  side: "client" | "server" | "middle" | undefined;
}

/** What is worked out once per facts and shared by every rule reading the attempts. */
interface Census {
  groups: ServiceGroup[];
  /** Client addresses seen on two connections or more (made when first needed). */
  repeatedClients?: AddressSet;
  /** serviceAttempts results by threshold values. */
  byThresholds: Map<string, ServiceAttempts[]>;
}

// Seven rules read the attempts (six through serviceAttempts, syn-flood through serviceGroups).
const censusOf = perFacts((facts): Census => ({
  groups: groupServices(facts.connections),
  byThresholds: new Map(),
}));

/**
 * Per service, the attempts (SYN seen) in order, and the capture-side votes of all its connections.
 * Services come in the order of their first attempt. The lists are made at their final size (a
 * list of a million grown by pushing leaves twice that in garbage).
 */
function groupServices(connections: ConnectionSummary[]): ServiceGroup[] {
  const byServer = new Map<string, { group: number; votes: SideVotes }>();
  const groups: ServiceGroup[] = [];
  const votesOf: SideVotes[] = [];
  const sizes: number[] = [];
  // The group of each connection (-1: no SYN seen).
  const groupOf = new Int32Array(connections.length);
  for (let i = 0; i < connections.length; i++) {
    const c = connections[i];
    const server = c.server;
    let entry = byServer.get(server);
    if (!entry) {
      entry = { group: -1, votes: {} };
      byServer.set(server, entry);
    }
    const side = c.captureSide;
    if (side) entry.votes[side] = (entry.votes[side] ?? 0) + 1;
    if (!c.handshake.synSeen) {
      groupOf[i] = -1;
      continue;
    }
    if (entry.group < 0) {
      entry.group = groups.length;
      groups.push({ server, serverIp: c.serverIp, serverPort: c.serverPort, attempts: [], side: undefined });
      votesOf.push(entry.votes);
      sizes.push(0);
    }
    groupOf[i] = entry.group;
    sizes[entry.group]++;
  }
  const filled = new Array<number>(groups.length).fill(0);
  for (let g = 0; g < groups.length; g++) {
    groups[g].attempts = new Array<ConnectionSummary>(sizes[g]);
    groups[g].side = sideOfVotes(votesOf[g]);
  }
  for (let i = 0; i < connections.length; i++) {
    const g = groupOf[i];
    if (g >= 0) groups[g].attempts[filled[g]++] = connections[i];
  }
  return groups;
}

/** Per service, the connections whose SYN was seen (worked out once per facts; read only). */
export function serviceGroups(facts: Facts): ServiceGroup[] {
  return censusOf(facts).groups;
}

function repeatedClients(facts: Facts, census: Census): AddressSet {
  if (!census.repeatedClients) {
    const tally = new AddressTally(facts.connections.length, false);
    for (const c of facts.connections) tally.add(c.clientIp);
    census.repeatedClients = tally.atLeast(2);
  }
  return census.repeatedClients;
}

function isUnreachable(c: ConnectionSummary): boolean {
  return c.icmp.some((i) => i.kind === "unreachable");
}

/**
 * Groups the attempts per service (server ip:port). Worked out once per facts and thresholds: the
 * lists are shared by every rule that asks, to be read and never changed.
 */
export function serviceAttempts(facts: Facts, t: AttemptThresholds): ServiceAttempts[] {
  const census = censusOf(facts);
  const key = `${t.minSyns}/${t.minWaitSeconds}/${t.minStuckSeconds}`;
  let out = census.byThresholds.get(key);
  if (!out) {
    out = classify(facts, census, t);
    census.byThresholds.set(key, out);
  }
  return out;
}

function classify(facts: Facts, census: Census, t: AttemptThresholds): ServiceAttempts[] {
  const end = captureEnd(facts);
  const out: ServiceAttempts[] = [];
  for (const g of census.groups) {
    const s: ServiceAttempts = {
      server: g.server,
      serverIp: g.serverIp,
      serverPort: g.serverPort,
      attemptCount: g.attempts.length,
      refused: [],
      failed: [],
      unreachable: [],
      answered: [],
      retried: [],
      ackIgnored: [],
      stuck: [],
      side: g.side,
    };
    for (const c of g.attempts) {
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
      if (h.synCount >= t.minSyns) {
        s.failed.push(c);
        continue;
      }
      const gaveUp = c.close.firstRst === "client" && (c.close.rstAt ?? firstSyn) - firstSyn >= 0.5;
      // A lone SYN counts only from a client seen on other connections too (not a spoofed source).
      const waitedAlone =
        h.synCount === 1 &&
        end - firstSyn >= t.minWaitSeconds &&
        repeatedClients(facts, census).has(c.clientIp);
      if (gaveUp || waitedAlone) s.failed.push(c);
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
