// recv-queue-backlog and send-queue-stall: data sitting in a connection's queues.
//
// Recv-Q of a connected socket = bytes received and not yet read by the application. A reader that
// keeps up leaves it near zero; a buffer that is mostly full means the application is the bottleneck
// (the window closes and the sender stalls). Send-Q = bytes not yet acknowledged by the peer. A full
// send queue is normal while a bulk sender waits on the network; it is a stall when the peer's
// window is zero (persist timer, snd_wnd 0) or nothing was acknowledged for a long time.
//
// recv-queue-backlog thresholds:
//   minBytes       4096   Recv-Q to consider at all
//   fillRatio      0.5    receive memory in use / receive buffer (skmem r/rb) that counts as backed up
//   minBytesNoMem  1048576 Recv-Q that counts as backed up when the buffer size is unknown
// send-queue-stall thresholds:
//   minBytes       4096   Send-Q to consider at all
//   stallMs        1000   no acknowledgment for this long with data queued (tcp_info lastack)
//   rwndFraction   0.5    time limited by the peer's window / busy time (tcp_info rwnd_limited)
import type { SocketEntry } from "../../host/types.js";
import type { Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import { cite, humanBytes, localOf, ownerOf, pct, peerOf, round, sockets, tally } from "./util.js";

export const recvQueueDefaults = { minBytes: 4096, fillRatio: 0.5, minBytesNoMem: 1048576 };
export const sendQueueDefaults = { minBytes: 4096, stallMs: 1000, rwndFraction: 0.5 };

const CONNECTED = new Set(["ESTAB", "CLOSE-WAIT", "FIN-WAIT-1", "LAST-ACK", "CLOSING"]);

export const recvQueueBacklog: Rule = {
  id: "recv-queue-backlog",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const minBytes = ctx.threshold("minBytes", recvQueueDefaults.minBytes);
    const fill = ctx.threshold("fillRatio", recvQueueDefaults.fillRatio);
    const noMem = ctx.threshold("minBytesNoMem", recvQueueDefaults.minBytesNoMem);
    const fillOf = (s: SocketEntry) => (s.skmem?.rb ? (s.skmem.r ?? s.recvQ) / s.skmem.rb : undefined);
    const hits = sockets(host)
      .filter((s) => CONNECTED.has(s.state) && s.recvQ >= minBytes)
      .filter((s) => {
        const f = fillOf(s);
        return f !== undefined ? f >= fill : s.recvQ >= noMem;
      })
      .sort((a, b) => b.recvQ - a.recvQ);
    if (hits.length === 0) return [];
    const s = hits[0] as SocketEntry;
    const owner = ownerOf(s);
    const f = fillOf(s);
    const groups = tally(hits, (x) => ownerOf(x)?.label ?? localOf(x));
    const cited = cite(hits);
    return [
      hostFinding("recv-queue-backlog", {
        severity: "warning",
        confidence: f !== undefined ? "high" : "medium",
        summary: `${humanBytes(s.recvQ)} wait unread in the receive queue of ${localOf(s)} ← ${peerOf(s)}${f !== undefined ? ` (${pct(Math.min(1, f), 0)} of its ${humanBytes(s.skmem?.rb ?? 0)} buffer)` : ""}${owner ? `, owned by ${owner.label}` : ""}: the application does not read fast enough${hits.length > 1 ? `; ${hits.length} sockets are backed up` : ""}.`,
        evidence: {
          socket: `${localOf(s)} ${peerOf(s)}`,
          recvQ: s.recvQ,
          rcvbuf: s.skmem?.rb,
          rmemAlloc: s.skmem?.r,
          fill: f !== undefined ? round(f, 2) : undefined,
          receiveDrops: s.skmem?.d,
          lastReceiveMs: s.info?.lastrcv,
          byOwner: groups
            .slice(0, 5)
            .map(([k, l]) => ({ owner: k, sockets: l.length, bytes: l.reduce((n, x) => n + x.recvQ, 0) })),
        },
        scoreBonus: f !== undefined && f >= 0.9 ? 5 : 0,
        vars: {
          ...serviceVars(localOf(s)),
          client: peerOf(s),
          clientIp: s.peerIp,
          ...(owner ? { pid: owner.pid, process: owner.name } : {}),
        },
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};

export const sendQueueStall: Rule = {
  id: "send-queue-stall",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const minBytes = ctx.threshold("minBytes", sendQueueDefaults.minBytes);
    const stallMs = ctx.threshold("stallMs", sendQueueDefaults.stallMs);
    const rwndFraction = ctx.threshold("rwndFraction", sendQueueDefaults.rwndFraction);
    const why = (s: SocketEntry): string | undefined => {
      const i = s.info;
      if (s.timer?.name === "persist") return "zero-window";
      if (i?.sndWnd === 0) return "zero-window";
      if (
        i?.busyMs &&
        i.rwndLimitedMs !== undefined &&
        i.busyMs >= stallMs &&
        i.rwndLimitedMs / i.busyMs >= rwndFraction
      )
        return "peer-window";
      if (i?.lastack !== undefined && i.lastack >= stallMs && (i.unacked ?? 1) > 0) return "no-ack";
      return undefined;
    };
    const hits = sockets(host)
      .filter((s) => CONNECTED.has(s.state) && s.sendQ >= minBytes)
      .map((s) => ({ s, reason: why(s) }))
      .filter((x) => x.reason !== undefined)
      .sort((a, b) => b.s.sendQ - a.s.sendQ);
    if (hits.length === 0) return [];
    const { s, reason } = hits[0] as { s: SocketEntry; reason: string };
    const i = s.info ?? {};
    const owner = ownerOf(s);
    const reasonText =
      reason === "zero-window"
        ? "the peer advertises a zero window (persist timer running): its application does not read"
        : reason === "peer-window"
          ? `the sender was limited by the peer's receive window ${i.busyMs ? pct((i.rwndLimitedMs ?? 0) / i.busyMs, 0) : ""} of the time: the peer reads slowly`
          : `nothing was acknowledged for ${round((i.lastack ?? 0) / 1000, 1)} s: the path or peer does not answer`;
    const cited = cite(hits.map((x) => x.s));
    return [
      hostFinding("send-queue-stall", {
        severity: "warning",
        confidence: reason === "no-ack" ? "medium" : "high",
        summary: `${humanBytes(s.sendQ)} wait in the send queue of ${localOf(s)} → ${peerOf(s)}${owner ? ` (${owner.label})` : ""}; ${reasonText}.`,
        evidence: {
          socket: `${localOf(s)} ${peerOf(s)}`,
          sendQ: s.sendQ,
          reason,
          timer: s.timer?.name,
          backoff: i.backoff,
          sndWnd: i.sndWnd,
          notsent: i.notsent,
          rwndLimitedMs: i.rwndLimitedMs,
          busyMs: i.busyMs,
          lastAckMs: i.lastack,
          sndbuf: s.skmem?.tb,
          queued: s.skmem?.w,
          stalledSockets: hits.length,
          byPeer: tally(hits, (x) => x.s.peerIp)
            .slice(0, 5)
            .map(([k, l]) => ({ peer: k, sockets: l.length })),
        },
        scoreBonus: reason === "zero-window" ? 5 : 0,
        vars: {
          ...serviceVars(peerOf(s)),
          clientIp: s.localIp,
          ...(owner ? { pid: owner.pid, process: owner.name } : {}),
        },
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};
