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
  listSome,
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

export type ResetKind =
  "dead-peer" | "idle-timeout-reset" | "reset-after-connect" | "reset-by-server" | "reset-by-client";

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

/**
 * Both sides had sent their FIN before the RST: the connection was already closed in order, and the
 * RST only answers a segment that came late (a socket already gone answers anything with a reset).
 * Teardown noise, not an abort: nothing was lost.
 */
export function resetAfterOrderlyClose(c: ConnectionSummary): boolean {
  const rst = c.close.rstAt;
  const cf = c.dir.client.finAt;
  const sf = c.dir.server.finAt;
  return rst !== undefined && cf !== undefined && sf !== undefined && cf <= rst && sf <= rst;
}

/** The reading of one reset connection, or undefined when it was not reset after establishment. */
export function classifyReset(c: ConnectionSummary, t: ResetThresholds): ResetInfo | undefined {
  const by = c.close.firstRst;
  if (!by || c.handshake.refused || c.state === "REJ" || !established(c)) return undefined;
  if (resetAfterOrderlyClose(c)) return undefined;
  // Keepalive probes (or retransmissions) unanswered until the prober aborted: the peer is gone.
  if (c.keepalive.unansweredTail > 0 && c.dir[by].keepAlives > 0) return { c, by, kind: "dead-peer" };
  const { minResends, minBackoffGrowth } = SILENT_TAIL_DEFAULTS;
  if (silentRetransmissionTail(c, by, minResends, minBackoffGrowth)) return { c, by, kind: "dead-peer" };
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

// ---------------------------------------------------------------------------- reset-storm

const stormDefaults = {
  /** Connections one host ended with a RST (refusals and aborts) before it is a storm. */
  minResets: 20,
  /** …as a share of all the connections of that host in the capture. */
  minShare: 0.25,
  /** …at this rate or faster (resets per second from the first to the last; a span under 1 s counts as 1 s). */
  minRatePerSecond: 1,
};

interface StormReset {
  c: ConnectionSummary;
  /** Who sent the RST. */
  by: Side;
  kind: "refused" | Exclude<ResetKind, "dead-peer"> | "dead-peer";
  at: number;
}

/**
 * Resets that ended a connection attempt or a connection: refusals (SYN answered by RST) and the
 * readings of classifyReset, except a client's abortive close after a finished exchange (a common,
 * harmless way to skip TIME_WAIT) and RSTs after an orderly close (classifyReset drops those).
 */
function stormResets(conns: ConnectionSummary[]): StormReset[] {
  const out: StormReset[] = [];
  for (const c of conns) {
    if (c.handshake.refused || c.state === "REJ") {
      out.push({ c, by: "server", kind: "refused", at: c.close.rstAt ?? c.start + c.duration });
      continue;
    }
    const r = classifyReset(c, RESET_DEFAULTS);
    if (!r) continue;
    if (r.kind === "reset-by-client" && !abortedMidTransfer(c)) continue;
    out.push({ c, by: r.by, kind: r.kind, at: c.close.rstAt ?? c.start + c.duration });
  }
  return out;
}

const STORM_KIND_TEXT: Record<StormReset["kind"], string> = {
  refused: "refused connection attempts (SYN answered by RST)",
  "reset-after-connect": "connections reset right after the handshake",
  "reset-by-server": "connections aborted by the server",
  "reset-by-client": "transfers aborted by the client",
  "idle-timeout-reset": "connections reset after an idle period",
  "dead-peer": "connections aborted after an unanswered peer",
};

export const resetStorm: DocumentedRule = {
  id: "reset-storm",
  description:
    "One host ends many connections with RSTs (refusals and aborts) at an abnormal rate: a large share of its connections in the capture, at least one per second.",
  needs: ["connections"],
  thresholds: stormDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, stormDefaults);
    const resets = stormResets(facts.connections);
    if (resets.length < t.minResets) return [];
    const ipOf = (c: ConnectionSummary, side: Side) => (side === "server" ? c.serverIp : c.clientIp);
    const perHost = new Map<string, number>();
    for (const c of facts.connections) {
      perHost.set(c.clientIp, (perHost.get(c.clientIp) ?? 0) + 1);
      if (c.serverIp !== c.clientIp) perHost.set(c.serverIp, (perHost.get(c.serverIp) ?? 0) + 1);
    }
    const bySender = new Map<string, StormReset[]>();
    for (const r of resets) {
      const ip = ipOf(r.c, r.by);
      const list = bySender.get(ip);
      if (list) list.push(r);
      else bySender.set(ip, [r]);
    }
    const out: Finding[] = [];
    for (const [host, mine] of bySender) {
      if (mine.length < t.minResets) continue;
      const total = perHost.get(host) ?? mine.length;
      const share = mine.length / Math.max(1, total);
      if (share < t.minShare) continue;
      const times = mine.map((r) => r.at);
      const span = maxOf(times) - minOf(times);
      const rate = mine.length / Math.max(1, span);
      if (rate < t.minRatePerSecond) continue;
      const kinds = new Map<StormReset["kind"], number>();
      for (const r of mine) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      const kindList = [...kinds.entries()].sort((a, b) => b[1] - a[1]);
      const peers = new Map<string, number>();
      const ports = new Map<number, number>();
      for (const r of mine) {
        const peerIp = r.by === "server" ? r.c.clientIp : r.c.serverIp;
        peers.set(peerIp, (peers.get(peerIp) ?? 0) + 1);
        const port = r.by === "server" ? r.c.serverPort : r.c.clientPort;
        ports.set(port, (ports.get(port) ?? 0) + 1);
      }
      const topPeers = [...peers.entries()].sort((a, b) => b[1] - a[1]);
      const topPorts = [...ports.entries()].sort((a, b) => b[1] - a[1]);
      const c = mine[0].c;
      const sentFromServerSide = mine.filter((r) => r.by === "server").length >= mine.length / 2;
      const summary =
        `${host} ended ${mine.length} of its ${total} connections in the capture with a RST (${fmtPct(share)}) within ${fmtSeconds(span)} — ${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} per second: ` +
        `${kindList.map(([k, n]) => `${n} ${STORM_KIND_TEXT[k]}`).join(", ")}. ` +
        `They went to ${plural(peers.size, "peer")} (${listSome(topPeers.map(([ip, n]) => `${ip} ×${n}`))})` +
        (sentFromServerSide
          ? ` on ${plural(ports.size, "port")} of ${host} (${listSome(topPorts.map(([p, n]) => `${p} ×${n}`))}). `
          : ". ") +
        "Resets in bulk mean connections are refused or aborted en masse — clients hammering a closed port, a service or proxy aborting connections, a reject rule, or a scan.";
      out.push(
        makeFinding("reset-storm", {
          confidence: mine.length >= 2 * t.minResets ? "high" : "medium",
          summary,
          evidence: {
            resetSender: host,
            resets: mine.length,
            connectionsOfHost: total,
            share: Math.round(share * 1000) / 1000,
            spanSeconds: sec(span),
            perSecond: Math.round(rate * 10) / 10,
            kinds: Object.fromEntries(kindList),
            peers: topPeers.slice(0, 5).map(([ip, n]) => ({ ip, resets: n })),
            ports: topPorts.slice(0, 5).map(([port, n]) => ({ port, resets: n })),
            resetFrames: mine.slice(0, 10).map((r) => r.c.close.rstFrame ?? r.c.lastFrame),
          },
          streams: streamsOf(mine.map((r) => r.c)),
          vars: sentFromServerSide
            ? varsOf(c)
            : { ...varsOf(c), server: c.client, serverIp: c.clientIp, serverPort: c.clientPort },
          score: 45 + Math.min(25, Math.round(share * 20 + Math.log10(rate) * 5)),
        }),
      );
    }
    return out;
  },
};
