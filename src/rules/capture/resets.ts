// Connections ended by RST: who sent it, after what. Each reset connection is given exactly one
// reading — dead peer (handled in lifetime.ts), idle timeout, reset right after connect, or a plain
// reset by the server / the client — so one RST never shows up as three diagnoses.
import type { ConnectionSummary } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import type { Finding } from "../types.js";
import {
  baseRtt,
  type DocumentedRule,
  established,
  fmtBytes,
  fmtPct,
  fmtSeconds,
  listStreams,
  maxOf,
  plural,
  readThresholds,
  type Side,
  sec,
  streamsOf,
  varsOf,
} from "./common.js";

export type ResetKind =
  | "dead-peer"
  | "idle-timeout-reset"
  | "reset-after-connect"
  | "reset-by-server"
  | "reset-by-client";

export interface ResetThresholds {
  /** Idle time before a reset (or before the packet the reset answered) that reads as an idle timeout (seconds)… */
  minIdleSeconds: number;
  /** …and at least this many RTTs. */
  minIdleRtts: number;
  /** A server reset this soon after the handshake completed is a reset-after-connect (seconds)… */
  maxSecondsAfterConnect: number;
  /** …when the server had sent at most this many bytes. */
  maxServerBytes: number;
}

export const RESET_DEFAULTS: ResetThresholds = {
  minIdleSeconds: 10,
  minIdleRtts: 100,
  maxSecondsAfterConnect: 1,
  maxServerBytes: 512,
};

export interface ResetInfo {
  c: ConnectionSummary;
  by: Side;
  kind: ResetKind;
  /** Idle seconds that preceded the reset (or the packet it answered). */
  idle?: number;
}

/** The reading of one reset connection, or undefined when it was not reset after establishment. */
export function classifyReset(c: ConnectionSummary, t: ResetThresholds): ResetInfo | undefined {
  const by = c.close.firstRst;
  if (!by || c.handshake.refused || c.state === "REJ" || !established(c)) return undefined;
  // Keepalive probes (or retransmissions) unanswered until the prober aborted: the peer is gone.
  if (c.keepalive.unansweredTail > 0 && c.dir[by].keepAlives > 0) return { c, by, kind: "dead-peer" };
  const rst = c.close.rstAt ?? c.start + c.duration;
  const rtt = baseRtt(c) ?? 0;
  const longIdle = (x: number) => x >= t.minIdleSeconds && x >= t.minIdleRtts * rtt;
  if (c.close.idleBeforeRst !== undefined && longIdle(c.close.idleBeforeRst)) {
    return { c, by, kind: "idle-timeout-reset", idle: c.close.idleBeforeRst };
  }
  // The first packet after a long silence was answered by a reset: the state had been dropped.
  const gap = c.idleGaps.find(
    (g) => longIdle(g.end - g.start) && rst - g.end >= 0 && rst - g.end <= Math.max(1, 4 * rtt),
  );
  if (gap) return { c, by, kind: "idle-timeout-reset", idle: gap.end - gap.start };
  const completed = c.handshake.completedAt;
  if (
    by === "server" &&
    completed !== undefined &&
    rst - completed <= t.maxSecondsAfterConnect &&
    c.dir.server.uniqueBytes <= t.maxServerBytes
  ) {
    return { c, by, kind: "reset-after-connect" };
  }
  return { c, by, kind: by === "server" ? "reset-by-server" : "reset-by-client" };
}

export function resetsOf(conns: ConnectionSummary[], t: ResetThresholds): ResetInfo[] {
  const out: ResetInfo[] = [];
  for (const c of conns) {
    const r = classifyReset(c, t);
    if (r) out.push(r);
  }
  return out;
}

/**
 * The client's RST came while the server was still streaming: data unacknowledged, or the server
 * had sent data, not closed, and the RST followed other packets within a few RTTs.
 */
function abortedMidTransfer(c: ConnectionSummary): boolean {
  if (c.close.rstWithDataInFlight) return true;
  const serverDone =
    c.dir.server.finAt !== undefined && c.dir.server.finAt <= (c.close.rstAt ?? Number.POSITIVE_INFINITY);
  const busy = (c.close.idleBeforeRst ?? Number.POSITIVE_INFINITY) <= Math.max(0.05, 4 * (baseRtt(c) ?? 0));
  return !serverDone && c.dir.server.uniqueBytes > 0 && busy;
}

function describe(r: ResetInfo): string {
  const c = r.c;
  const who = r.by === "server" ? c.server : c.client;
  const parts = [`stream ${c.stream}: RST from ${who} at frame ${c.close.rstFrame ?? c.lastFrame}`];
  const bytes = c.dir.client.uniqueBytes + c.dir.server.uniqueBytes;
  parts.push(
    `${fmtSeconds((c.close.rstAt ?? c.start + c.duration) - c.start)} into the connection after ${fmtBytes(bytes)} of data`,
  );
  if (c.close.rstWithDataInFlight) parts.push("with data still in flight");
  else parts.push("with all data acknowledged");
  return parts.join(", ");
}

const resetDefaults = {
  ...RESET_DEFAULTS,
  /** Share of established connections that must end this way for a warning (below: info). */
  minFraction: 0.05,
};

function resetRule(kind: Exclude<ResetKind, "dead-peer">, description: string): DocumentedRule {
  return {
    id: kind,
    description,
    needs: ["connections"],
    thresholds: resetDefaults,
    evaluate(facts, ctx) {
      const t = readThresholds(ctx, resetDefaults);
      const all = resetsOf(facts.connections, t);
      const mine = all.filter((r) => r.kind === kind);
      if (mine.length === 0) return [];
      const est = facts.connections.filter(established).length;
      const fraction = mine.length / Math.max(1, est);
      const first = mine[0];
      const c = first.c;
      const inFlight = mine.filter((r) => r.c.close.rstWithDataInFlight).length;
      let severity: Finding["severity"] = fraction >= t.minFraction ? "warning" : "info";
      let summary: string;
      const share = `${plural(mine.length, "connection")} (${fmtPct(fraction)} of ${est} established)`;
      switch (kind) {
        case "reset-by-server":
          summary =
            `${share} ${mine.length === 1 ? "was" : "were"} torn down by a RST from the server side instead of a FIN — ${describe(first)}. ` +
            (inFlight
              ? "Data was still in flight, so the client lost part of the exchange."
              : "The client, still reading, gets 'connection reset by peer'. No loss or retransmission preceded it: an application abort (SO_LINGER 0, crash, close with unread data) or a proxy, not the network.");
          break;
        case "reset-by-client": {
          // A client that aborts once the exchange is over (server idle or done) is a common, harmless
          // way to skip TIME_WAIT; one that aborts while the server is still sending lost the rest.
          const midTransfer = mine.filter((r) => abortedMidTransfer(r.c)).length;
          if (midTransfer === 0) severity = "info";
          summary =
            `${share} ${mine.length === 1 ? "was" : "were"} aborted by a RST from the client — ${describe(first)}. ` +
            (midTransfer
              ? "The server was still sending: the client gave up mid-transfer (timeout, cancelled request, or close with unread data) and the server's writes fail with ECONNRESET/EPIPE."
              : "The exchange was over and all data acknowledged: an abortive close, usually harmless.");
          break;
        }
        case "reset-after-connect":
          summary = `${share} ${mine.length === 1 ? "was" : "were"} accepted and reset by the server within ${fmtSeconds(
            maxOf(mine.map((r) => (r.c.close.rstAt ?? 0) - (r.c.handshake.completedAt ?? 0))),
          )} of the handshake, before any real answer (${listStreams(streamsOf(mine.map((r) => r.c)))}): something on ${c.server} accepts and immediately rejects — a proxy without a healthy backend, a protocol/TLS mismatch, or a connection limit.`;
          break;
        case "idle-timeout-reset":
          summary =
            `${share} died with a RST after ${fmtSeconds(maxOf(mine.map((r) => r.idle ?? 0)))} of silence (${listStreams(streamsOf(mine.map((r) => r.c)))}; RST from the ${first.by} side at frame ${c.close.rstFrame ?? c.lastFrame}): ` +
            "a load balancer, NAT or firewall between the hosts forgot the idle connection, and the next packet found no state.";
          break;
      }
      return [
        makeFinding(kind, {
          severity,
          confidence:
            mine.length >= 3 || kind === "reset-by-server" || kind === "reset-by-client" ? "high" : "medium",
          summary,
          evidence: {
            resets: mine.length,
            established: est,
            withDataInFlight: inFlight,
            resetFrames: mine.slice(0, 10).map((r) => r.c.close.rstFrame ?? r.c.lastFrame),
            resetBy: [...new Set(mine.map((r) => (r.by === "server" ? r.c.server : r.c.client)))].slice(0, 5),
            idleBeforeResetSeconds: mine.slice(0, 10).map((r) => sec(r.idle ?? r.c.close.idleBeforeRst)),
          },
          streams: streamsOf(mine.map((r) => r.c)),
          vars: varsOf(c),
          score: 40 + Math.min(30, Math.round(fraction * 30)) + (inFlight ? 10 : 0),
        }),
      ];
    },
  };
}

export const resetByServer = resetRule(
  "reset-by-server",
  "An established connection ended by a RST from the server side (after what, with or without data in flight).",
);
export const resetByClient = resetRule(
  "reset-by-client",
  "An established connection aborted by a RST from the client; a warning when data was still in flight.",
);
export const resetAfterConnect = resetRule(
  "reset-after-connect",
  "The server resets within 1 s of accepting, before sending more than a short error message (512 bytes).",
);
export const idleTimeoutReset = resetRule(
  "idle-timeout-reset",
  "A RST right after ≥10 s (and ≥100 RTTs) of silence, or answering the first packet after one.",
);
