// The listening side under pressure: an accept queue that overflows, and SYN floods.
import type { ConnectionSummary } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import type { Finding } from "../types.js";
import { AddressTally } from "./addresses.js";
import { ATTEMPT_DEFAULTS, failureOwner, serviceAttempts, serviceGroups } from "./attempts.js";
import {
  type DocumentedRule,
  fmtPct,
  fmtSeconds,
  maxOf,
  plural,
  readThresholds,
  sec,
  streamsOf,
} from "./common.js";

// ---------------------------------------------------------------------------- listen-overflow

const overflowDefaults = {
  /** SYNs an unanswered attempt must have sent to count as dropped. */
  minSyns: ATTEMPT_DEFAULTS.minSyns,
  minWaitSeconds: ATTEMPT_DEFAULTS.minWaitSeconds,
  /** A completed connection whose request got no answer for this long counts as not accepted (seconds). */
  minStuckSeconds: ATTEMPT_DEFAULTS.minStuckSeconds,
};

export const listenOverflow: DocumentedRule = {
  id: "listen-overflow",
  description:
    "A listener that answers some handshakes but drops further SYNs (or ignores handshake ACKs) while its accepted connections go unserved: the accept queue is full.",
  needs: ["connections"],
  thresholds: overflowDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, overflowDefaults);
    const out: Finding[] = [];
    for (const s of serviceAttempts(facts, t)) {
      if (failureOwner(s) !== "listen-overflow") continue;
      const maxSyns = maxOf(s.failed.map((c) => c.handshake.synCount));
      const reasons: string[] = [];
      if (s.side === "server")
        reasons.push(
          `the SYNs were captured arriving at ${s.serverIp}, which answered other handshakes on the same port at the same time`,
        );
      if (s.ackIgnored.length)
        reasons.push(
          `${plural(s.ackIgnored.length, "SYN-ACK")} ${s.ackIgnored.length === 1 ? "was" : "were"} retransmitted although the client's ACK had arrived — the kernel threw the ACK away`,
        );
      if (s.stuck.length) {
        reasons.push(
          s.stuck.length === 1
            ? `the ${s.answered.length === 1 ? "one" : `1 of ${s.answered.length}`} completed connection had its request acknowledged by the kernel but never answered nor closed, i.e. it was never accept()ed`
            : `${s.stuck.length} of ${s.answered.length} completed connections had their requests acknowledged by the kernel but never answered nor closed, i.e. they were never accept()ed`,
        );
      }
      const summary =
        `The listener ${s.server} is not taking connections off its accept queue: ${s.failed.length} of ${s.failed.length + s.answered.length} connection attempts got no SYN-ACK (up to ${maxSyns} SYNs each) while the host was up — ${reasons.join("; ")}. ` +
        "The application does not call accept() fast enough (or at all) and its listen backlog is full.";
      const strong = s.side === "server" || s.ackIgnored.length > 0;
      out.push(
        makeFinding("listen-overflow", {
          confidence: strong ? "high" : "medium",
          summary,
          evidence: {
            server: s.server,
            unanswered: s.failed.length,
            connected: s.answered.length,
            notServed: s.stuck.length,
            ackIgnored: s.ackIgnored.length,
            synsPerUnansweredAttempt: s.failed.slice(0, 10).map((c) => c.handshake.synCount),
            unansweredStreams: streamsOf(s.failed).slice(0, 20),
            notServedStreams: streamsOf(s.stuck).slice(0, 20),
            captureSide: s.side ?? "unknown",
          },
          vars: { server: s.server, serverIp: s.serverIp, serverPort: s.serverPort },
          score: strong ? 70 : 55,
          streams: [
            ...streamsOf(s.failed),
            ...streamsOf(s.stuck),
            ...streamsOf(s.ackIgnored),
            ...streamsOf(s.retried),
          ],
        }),
      );
    }
    return out;
  },
};

// ---------------------------------------------------------------------------- syn-flood

const floodDefaults = {
  /** Half-open attempts (one SYN, never completed) to one service before it counts as a flood. */
  minHalfOpen: 100,
  /** …arriving at least this fast (per second, over their time span). */
  minRatePerSecond: 10,
  /** At most this share of all attempts to the service may complete. */
  maxCompletedFraction: 0.2,
  /** From this many distinct sources the sources are taken as spoofed/distributed. */
  manySources: 50,
};

/** An attempt that is nothing but a SYN (and the server's answers): no retry, no ACK, no data. */
function isBareSyn(c: ConnectionSummary, h: ConnectionSummary["handshake"]): boolean {
  return h.synSeen && !h.ackSeen && h.synCount === 1 && c.packets.client === 1 && c.bytes.client === 0;
}

export const synFlood: DocumentedRule = {
  id: "syn-flood",
  description: "Many bare SYNs from many sources at a high rate, almost none completing the handshake.",
  needs: ["connections"],
  thresholds: floodDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, floodDefaults);
    const out: Finding[] = [];
    for (const g of serviceGroups(facts)) {
      const conns = g.attempts;
      const server = g.server;
      // One pass for the counts; streams and sources are listed only where a flood is found.
      let bare = 0;
      const isBare = new Uint8Array(conns.length);
      const completed: ConnectionSummary[] = [];
      let answered = 0;
      let queued = 0;
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < conns.length; i++) {
        const c = conns[i];
        const h = c.handshake;
        if (h.ackSeen) completed.push(c);
        if (!isBareSyn(c, h)) continue;
        isBare[i] = 1;
        bare++;
        const at = h.firstSynAt ?? c.start;
        if (at < first) first = at;
        if (at > last) last = at;
        if (h.synAckSeen) {
          answered++;
          if (h.synAckCount >= 2) queued++;
        }
      }
      if (bare < t.minHalfOpen) continue;
      if (completed.length / conns.length > t.maxCompletedFraction) continue;
      const span = Math.max(last - first, 0.001);
      const rate = bare / span;
      if (rate < t.minRatePerSecond) continue;
      // Counted without a string per source: a flood comes from up to one source per SYN.
      const sources = new AddressTally(bare);
      const bareStreams = new Array<number>(bare);
      let n = 0;
      for (let i = 0; i < conns.length; i++) {
        if (!isBare[i]) continue;
        bareStreams[n++] = conns[i].stream;
        sources.add(conns[i].clientIp);
      }
      const distinctSources = sources.distinct();
      const unanswered = bare - answered;
      const topSources = sources.top(5).map((s) => ({ ip: s.ip, syns: s.count }));
      const absorbed = answered >= 0.9 * bare;
      const legit = completed.length
        ? `${plural(completed.length, "handshake")} did complete during the flood (legitimate clients still get in).`
        : "No handshake completed at all during the flood.";
      const state = absorbed
        ? `The server answered ${fmtPct(answered / bare)} of them, ${queued} from SYN-queue entries it kept retransmitting and the rest without keeping state — SYN cookies are absorbing the flood.`
        : `${unanswered} of them got no SYN-ACK at all: the SYN queue is full and SYNs are being dropped (or their sources are filtered as martians).`;
      out.push(
        makeFinding("syn-flood", {
          confidence: distinctSources >= t.manySources ? "high" : "medium",
          summary: `${bare} bare SYNs to ${server} from ${plural(distinctSources, "distinct source")} in ${fmtSeconds(span)} (${Math.round(rate)}/s), almost none completing the handshake. ${state} ${legit}`,
          evidence: {
            server,
            bareSyns: bare,
            sources: distinctSources,
            // Worth listing only when some sources repeat (a few real attackers rather than spoofing).
            topSources: topSources[0] && topSources[0].syns > 1 ? topSources : undefined,
            ratePerSecond: Math.round(rate),
            spanSeconds: sec(span),
            synAcked: answered,
            synAckRetransmitted: queued,
            unanswered,
            completedHandshakes: completed.length,
            completedStreams: streamsOf(completed).slice(0, 10),
          },
          vars: { server, serverIp: g.serverIp, serverPort: g.serverPort },
          score: 60 + Math.min(30, Math.round(Math.log10(bare) * 8)),
          streams: bareStreams,
        }),
      );
    }
    return out;
  },
};
