// Data transfer: loss, loss-bound congestion windows, bottlenecks, flow control, reordering.
import type { ConnectionSummary, DirectionFacts, PeerSilence } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import {
  baseRtt,
  type DocumentedRule,
  dataSegments,
  fmtBps,
  fmtBytes,
  fmtPct,
  fmtSeconds,
  listSome,
  lostSegments,
  mathisBps,
  maxOf,
  minOf,
  otherSide,
  plural,
  readThresholds,
  type Side,
  sec,
  segmentSize,
  typicalRtt,
  varsOf,
} from "./common.js";

/** One sending direction of one connection, with the loss counted from the bytes. */
interface Flow {
  c: ConnectionSummary;
  side: Side;
  d: DirectionFacts;
  segments: number;
  lost: number;
  /** Lost after the capture point (sent twice here) and before it (hole filled late). */
  lostAfter: number;
  lostBefore: number;
}

function flows(conns: ConnectionSummary[]): Flow[] {
  const out: Flow[] = [];
  for (const c of conns) {
    for (const side of ["client", "server"] as const) {
      const d = c.dir[side];
      const segments = dataSegments(d);
      if (segments === 0) continue;
      const lost = lostSegments(c, side);
      const lostBefore = Math.min(lost, d.lostBeforeCapture ?? 0);
      out.push({ c, side, d, segments, lost, lostBefore, lostAfter: lost - lostBefore });
    }
  }
  return out;
}

function sender(f: Flow): string {
  return f.side === "client" ? f.c.client : f.c.server;
}

function receiver(f: Flow): string {
  return f.side === "client" ? f.c.server : f.c.client;
}

function flowVars(f: Flow): Record<string, string | number> {
  return varsOf(f.c);
}

// ---------------------------------------------------------------------------- packet-loss

const lossDefaults = {
  /** Loss rate (lost / distinct data segments) on a path from which it is reported: ~1% hurts TCP. */
  minLossRate: 0.01,
  /** Lost segments on a path before it is reported (a handful is normal TCP life). */
  minLostSegments: 5,
  /** Share of the lost segments inside one stretch of silence from the peer that makes the loss one burst (an outage). */
  minBurstShare: 0.8,
};

/** A flow's losses that fell in one stretch of silence from the peer, which ended. */
interface Burst {
  f: Flow;
  silence: PeerSilence;
  lost: number;
}

/**
 * The stretch of silence from the receiver in which the flow lost its segments, when the path
 * stayed down across at least one backed-off resend of the same segment and then came back.
 */
function burstOf(f: Flow): Burst | undefined {
  const s = f.d.peerSilence;
  if (!s?.answered || s.headRetransmissionTimes.length < 2) return undefined;
  const lost = Math.min(s.lostSegments, f.lostAfter);
  return lost > 0 ? { f, silence: s, lost } : undefined;
}

/** "the peer sent nothing for …": what an outage of the path looked like from the capture. */
function describeBurst(bursts: Burst[], lost: number, segments: number): string {
  const b = [...bursts].sort((x, y) => y.lost - x.lost)[0];
  const s = b.silence;
  const inBurst = bursts.reduce((n, x) => n + x.lost, 0);
  const heads = s.headRetransmissionTimes;
  // The path was still down when the last unanswered resend left, and back when the answered one did.
  const atLeast = heads[heads.length - 2] - s.start;
  const atMost = heads[heads.length - 1] - s.start;
  const span =
    atMost - atLeast >= 0.1 * atMost
      ? `between ${fmtSeconds(atLeast)} and ${fmtSeconds(atMost)}`
      : `about ${fmtSeconds(atMost)}`;
  const rest = lost - inBurst;
  return (
    ` The losses came in one burst, not spread across the transfer: ${receiver(b.f)} sent nothing for ${fmtSeconds(s.end - s.start)} (from ${fmtSeconds(s.start)} into the capture) while ${sender(b.f)} resent the same segment ${plural(heads.length, "time")} with growing timeouts, ` +
    `and the transfer resumed once it answered — an outage of the path or the peer lasting ${span}, during which ${inBurst} of the ${lost} lost segments were in flight. ` +
    `Outside it ${rest === 0 ? "nothing was lost" : `${plural(rest, "segment")} ${rest === 1 ? "was" : "were"} lost (${fmtPct(rest / Math.max(1, segments))})`}.`
  );
}

export const packetLoss: DocumentedRule = {
  id: "packet-loss",
  description:
    "Data segments lost and retransmitted above ~1%, counted from the bytes (sent twice, or filled late), with the side of the capture point the loss is on.",
  needs: ["connections"],
  thresholds: lossDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, lossDefaults);
    // Aggregate per path and direction: 100 short connections losing one segment each are as lossy as one long one.
    const paths = new Map<string, Flow[]>();
    for (const f of flows(facts.connections)) {
      const src = f.side === "client" ? f.c.clientIp : f.c.serverIp;
      const dst = f.side === "client" ? f.c.serverIp : f.c.clientIp;
      const key = `${src} -> ${dst}`;
      const list = paths.get(key);
      if (list) list.push(f);
      else paths.set(key, [f]);
    }
    const lossy: { path: string; fl: Flow[]; lost: number; segments: number; rate: number }[] = [];
    for (const [path, fl] of paths) {
      const lost = fl.reduce((n, f) => n + f.lost, 0);
      const segments = fl.reduce((n, f) => n + f.segments, 0);
      const rate = lost / Math.max(1, segments);
      if (lost >= t.minLostSegments && rate >= t.minLossRate) lossy.push({ path, fl, lost, segments, rate });
    }
    if (lossy.length === 0) return [];
    lossy.sort((a, b) => b.lost - a.lost);
    const worst = lossy[0];
    const wf = worst.fl.filter((f) => f.lost > 0).sort((a, b) => b.lost - a.lost);
    const top = wf[0];
    const after = worst.fl.reduce((n, f) => n + f.lostAfter, 0);
    const before = worst.fl.reduce((n, f) => n + f.lostBefore, 0);
    const rto = worst.fl.reduce((n, f) => n + f.d.retransmissions.rto, 0);
    const fast = worst.fl.reduce((n, f) => n + f.d.retransmissions.fast, 0);
    const [src, dst] = worst.path.split(" -> ");
    let where: string;
    if (after > 0 && before === 0) {
      where = `The capture shows the segments leaving and being sent again, so they are lost after the capture point, between it and ${dst}.`;
    } else if (before > 0 && after === 0) {
      where = `The capture shows holes in the stream that only the retransmission fills, so the segments are lost before the capture point, between ${src} and here.`;
    } else {
      where = `${after} segments were lost after the capture point (towards ${dst}) and ${before} before it.`;
    }
    const split =
      rto + fast > 0
        ? ` Of the retransmissions labelled as such, ${fast} were fast (after duplicate ACKs/SACK) and ${rto} came after a retransmission timeout.`
        : "";
    const unneeded = worst.fl.reduce((n, f) => n + (f.d.unneededRetransmissions ?? 0), 0);
    const resentNotLost =
      unneeded > 0
        ? ` ${plural(unneeded, "further resent segment")} ${unneeded === 1 ? "is" : "are"} not counted: the receiver already had ${unneeded === 1 ? "it" : "them"} (D-SACK, or ACKed too soon to answer the resend).`
        : "";
    const bursts = worst.fl.map(burstOf).filter((b): b is Burst => b !== undefined);
    const inBurst = bursts.reduce((n, b) => n + b.lost, 0);
    const bursty = bursts.length > 0 && inBurst >= t.minBurstShare * worst.lost;
    const summary =
      `${worst.lost} of ${worst.segments} data segments from ${src} to ${dst} were lost and retransmitted (${fmtPct(worst.rate)} loss${worst.fl.length > 1 ? ` over ${plural(worst.fl.length, "connection")}` : ""}; healthy paths lose well under 0.1%). ${where}${split}${resentNotLost}` +
      (bursty ? describeBurst(bursts, worst.lost, worst.segments) : "") +
      (lossy.length > 1
        ? ` Also lossy: ${listSome(lossy.slice(1).map((l) => `${l.path} ${fmtPct(l.rate)}`))}.`
        : "");
    const streams = [...new Set(lossy.flatMap((l) => l.fl.filter((f) => f.lost > 0).map((f) => f.c.stream)))];
    return [
      makeFinding("packet-loss", {
        confidence:
          worst.rate >= 2 * t.minLossRate && worst.lost >= 2 * t.minLostSegments ? "high" : "medium",
        summary,
        evidence: {
          paths: lossy.slice(0, 5).map((l) => ({
            path: l.path,
            lostSegments: l.lost,
            dataSegments: l.segments,
            lossRate: Math.round(l.rate * 10000) / 10000,
            connections: l.fl.length,
          })),
          lostAfterCapturePoint: after,
          lostBeforeCapturePoint: before,
          fastRetransmissions: fast,
          timeoutRetransmissions: rto,
          unneededRetransmissions: unneeded,
          ...(bursty
            ? {
                burst: {
                  lostSegments: inBurst,
                  peerSilentFromSeconds: sec(minOf(bursts.map((b) => b.silence.start))),
                  peerSilentUntilSeconds: sec(maxOf(bursts.map((b) => b.silence.end))),
                  longestSilenceSeconds: sec(maxOf(bursts.map((b) => b.silence.end - b.silence.start))),
                  firstFrame: minOf(bursts.map((b) => b.silence.firstFrame)),
                },
              }
            : {}),
          worstStream: top?.c.stream,
          worstStreamLost: top?.lost,
        },
        streams,
        vars: top ? { ...flowVars(top), iface: "IFACE" } : {},
        score: 40 + Math.min(40, Math.round(worst.rate * 1000)),
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- cwnd-limited-lossy-path

const cwndDefaults = {
  minLossRate: lossDefaults.minLossRate,
  minLostSegments: lossDefaults.minLostSegments,
  /** Paths shorter than this RTT are not "long" (seconds): the loss-bound rate is high there anyway. */
  minRttSeconds: 0.005,
  /** Median RTT above this multiple of the minimum means a queue, i.e. a bottleneck, not random loss. */
  maxQueueingFactor: 1.5,
  /** Throughput at most this multiple of the Reno/CUBIC loss-bound rate (Mathis) = the window is loss-bound. */
  maxMathisRatio: 2.5,
  /** The transfer must last this many RTTs for the congestion control's behaviour to show. */
  minRtts: 20,
  /**
   * Data-RTT samples needed to rule out queueing: a receiver-side capture cannot see the RTT under
   * load, and there a bottleneck's queue drops would look like random loss.
   */
  minRttSamples: 20,
};

export const cwndLimitedLossyPath: DocumentedRule = {
  id: "cwnd-limited-lossy-path",
  description:
    "Throughput pinned near the loss-bound rate of a loss-based congestion control (MSS/RTT·1.22/√p) on a path with ≥1% loss and no queueing: BBR would help.",
  needs: ["connections"],
  thresholds: cwndDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, cwndDefaults);
    const hits: { f: Flow; rate: number; rtt: number; bound: number; ratio: number }[] = [];
    for (const f of flows(facts.connections)) {
      const c = f.c;
      if (!c.throughput || c.throughput.direction !== f.side) continue;
      const rate = f.lost / f.segments;
      if (f.lost < t.minLostSegments || rate < t.minLossRate) continue;
      // Losses in one outage say nothing about the loss rate a congestion control lives with.
      const burst = burstOf(f);
      if (burst && burst.lost >= lossDefaults.minBurstShare * f.lost) continue;
      if (!c.rtt || c.rtt.samples < t.minRttSamples) continue;
      const rtt = typicalRtt(c);
      const base = baseRtt(c);
      if (rtt === undefined || base === undefined || rtt < t.minRttSeconds) continue;
      if (rtt > t.maxQueueingFactor * base) continue;
      if (c.throughput.seconds < t.minRtts * rtt) continue;
      const bound = mathisBps(segmentSize(f.d), rtt, rate);
      const ratio = c.throughput.bps / bound;
      if (ratio > t.maxMathisRatio) continue;
      hits.push({ f, rate, rtt, bound, ratio });
    }
    if (hits.length === 0) return [];
    hits.sort((a, b) => b.f.c.throughput!.bytes - a.f.c.throughput!.bytes);
    const h = hits[0];
    const thr = h.f.c.throughput!;
    const summary =
      `${sender(h.f)} → ${receiver(h.f)} moved ${fmtBytes(thr.bytes)} at only ${fmtBps(thr.bps)} with ${fmtPct(h.rate)} loss over a ${fmtSeconds(h.rtt)} RTT: ` +
      `that is what a loss-based congestion control (CUBIC/Reno) allows at this loss rate (≈${fmtBps(h.bound)}), and the RTT shows no queue, so the window — cut at every loss — is the limit, not the link or the receiver.`;
    return [
      makeFinding("cwnd-limited-lossy-path", {
        confidence: h.ratio <= 1.5 ? "high" : "medium",
        summary,
        evidence: {
          stream: h.f.c.stream,
          throughputBps: Math.round(thr.bps),
          lossRate: Math.round(h.rate * 10000) / 10000,
          rttSeconds: sec(h.rtt),
          lossBoundBps: Math.round(h.bound),
          throughputToLossBound: Math.round(h.ratio * 100) / 100,
          receiverMaxWindow: h.f.c.dir[otherSide(h.f.side)].maxWindow,
          maxInFlight: h.f.d.maxInFlight,
          connections: hits.length,
        },
        streams: hits.map((x) => x.f.c.stream),
        vars: flowVars(h.f),
        score: 50 + Math.round((cwndDefaults.maxMathisRatio - h.ratio) * 10),
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- bandwidth-bottleneck

const bottleneckDefaults = {
  /** Data-RTT samples needed to judge queueing. */
  minRttSamples: 20,
  /** Median RTT at least this multiple of the minimum RTT: a standing queue. */
  minRttInflation: 2,
  /** …and at least this much queueing delay (seconds). */
  minQueueSeconds: 0.01,
  /** Bulk transfer only: bytes and seconds of data transfer. */
  minBytes: 256 * 1024,
  minSeconds: 1,
  /** In flight above this share of the receiver's largest window = window-limited instead. */
  maxWindowShare: 0.8,
};

export const bandwidthBottleneck: DocumentedRule = {
  id: "bandwidth-bottleneck",
  description:
    "A bulk transfer whose RTT inflates far above the path minimum (a standing queue) while the receive window stays open: a slow link or rate limit.",
  needs: ["connections"],
  thresholds: bottleneckDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, bottleneckDefaults);
    const hits: { c: ConnectionSummary; base: number; median: number; p95: number }[] = [];
    for (const c of facts.connections) {
      const thr = c.throughput;
      if (!thr || thr.bytes < t.minBytes || thr.seconds < t.minSeconds) continue;
      if (!c.rtt || c.rtt.samples < t.minRttSamples) continue;
      const base = c.rtt.min;
      const median = c.rtt.p50 ?? c.rtt.avg;
      if (median < t.minRttInflation * base || median - base < t.minQueueSeconds) continue;
      const rcv = c.dir[otherSide(thr.direction)];
      const snd = c.dir[thr.direction];
      if (rcv.maxWindow !== undefined && snd.maxInFlight > t.maxWindowShare * rcv.maxWindow) continue;
      if (c.zeroWindow.totalStall > 0.1 * thr.seconds) continue;
      hits.push({ c, base, median, p95: c.rtt.p95 ?? c.rtt.max });
    }
    if (hits.length === 0) return [];
    hits.sort((a, b) => b.c.throughput!.bytes - a.c.throughput!.bytes);
    const h = hits[0];
    const thr = h.c.throughput!;
    const queue = h.median - h.base;
    const queueBytes = Math.round((thr.bps * queue) / 8);
    const lost = lostSegments(h.c, thr.direction);
    const snd = thr.direction === "client" ? h.c.client : h.c.server;
    const rcvName = thr.direction === "client" ? h.c.server : h.c.client;
    const summary =
      `${snd} → ${rcvName} ran flat at ${fmtBps(thr.bps)} for ${fmtSeconds(thr.seconds)} while the RTT grew from ${fmtSeconds(h.base)} to a median of ${fmtSeconds(h.median)} (p95 ${fmtSeconds(h.p95)}): ` +
      `about ${fmtSeconds(queue)} (~${fmtBytes(queueBytes)}) of queue sits in front of a link or shaper of about ${fmtBps(thr.bps)}. The receiver's window stayed open, so the path's bandwidth is the limit` +
      (lost > 0 ? `; the ${plural(lost, "lost segment")} are that queue overflowing.` : ".");
    return [
      makeFinding("bandwidth-bottleneck", {
        confidence: h.median >= 3 * h.base ? "high" : "medium",
        summary,
        evidence: {
          stream: h.c.stream,
          throughputBps: Math.round(thr.bps),
          transferSeconds: sec(thr.seconds),
          bytes: thr.bytes,
          minRttSeconds: sec(h.base),
          medianRttSeconds: sec(h.median),
          p95RttSeconds: sec(h.p95),
          queueingDelaySeconds: sec(queue),
          estimatedQueueBytes: queueBytes,
          queueDropSegments: lost,
          receiverMaxWindow: h.c.dir[otherSide(thr.direction)].maxWindow,
          maxInFlight: h.c.dir[thr.direction].maxInFlight,
        },
        streams: hits.map((x) => x.c.stream),
        vars: varsOf(h.c),
        score: 50 + Math.min(30, Math.round((h.median / h.base - 2) * 10)),
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- receiver-zero-window

const zeroWindowDefaults = {
  /** Total stall behind zero windows that makes it a warning (seconds); shorter stalls are info. */
  minStallSeconds: 0.2,
};

export const receiverZeroWindow: DocumentedRule = {
  id: "receiver-zero-window",
  description:
    "The receiver advertised a zero window and the sender stalled (counted with Linux's own probe style).",
  needs: ["connections"],
  thresholds: zeroWindowDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, zeroWindowDefaults);
    const stalled = facts.connections.filter((c) => c.zeroWindow.episodes > 0);
    if (stalled.length === 0) return [];
    stalled.sort((a, b) => b.zeroWindow.totalStall - a.zeroWindow.totalStall);
    const c = stalled[0];
    const bySide = { client: 0, server: 0 };
    for (const s of c.zeroWindow.spans) bySide[s.side] += s.end - s.start;
    const rcvSide: Side = bySide.server >= bySide.client ? "server" : "client";
    const sndSide = otherSide(rcvSide);
    const rcv = c.dir[rcvSide];
    const snd = c.dir[sndSide];
    const total = stalled.reduce((n, x) => n + x.zeroWindow.totalStall, 0);
    const episodes = stalled.reduce((n, x) => n + x.zeroWindow.episodes, 0);
    const longest = maxOf(c.zeroWindow.spans.map((s) => s.end - s.start));
    const rcvName = rcvSide === "server" ? c.server : c.client;
    const sndName = sndSide === "server" ? c.server : c.client;
    const firstSpan = [...c.zeroWindow.spans].sort((a, b) => a.start - b.start)[0];
    const small = rcv.maxWindow !== undefined && rcv.maxWindow <= 65535;
    const summary =
      `${rcvName} advertised a zero window ${plural(episodes, "time")} and ${sndName} had to stop sending for ${fmtSeconds(total)} in all (longest ${fmtSeconds(longest)}, first at frame ${firstSpan?.frame ?? c.firstFrame}), ` +
      `probing the window ${plural(snd.zeroWindowProbes, "time")} meanwhile. The receiving application on ${rcvName} does not read its socket fast enough; the network is not the limit.` +
      (small
        ? ` Its receive window never exceeded ${fmtBytes(rcv.maxWindow ?? 0)}: the buffer looks pinned small (SO_RCVBUF).`
        : "");
    const warn = total >= t.minStallSeconds;
    return [
      makeFinding("receiver-zero-window", {
        severity: warn ? "warning" : "info",
        confidence: "high",
        summary,
        evidence: {
          receiver: rcvName,
          sender: sndName,
          episodes,
          totalStallSeconds: sec(total),
          longestStallSeconds: sec(longest),
          zeroWindowProbes: snd.zeroWindowProbes,
          windowFullEvents: snd.windowFull,
          receiverMaxWindow: rcv.maxWindow,
          firstZeroWindowFrame: firstSpan?.frame,
          spans: c.zeroWindow.spans
            .slice(0, 10)
            .map((s) => ({ start: sec(s.start), end: sec(s.end), frame: s.frame, side: s.side })),
        },
        streams: stalled.map((x) => x.stream),
        vars: {
          ...varsOf(c),
          server: rcvName,
          serverIp: rcvSide === "server" ? c.serverIp : c.clientIp,
          serverPort: rcvSide === "server" ? c.serverPort : c.clientPort,
        },
        score: 50 + Math.min(30, Math.round(total * 10)),
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- window-limited

const windowDefaults = {
  /** In flight at least this share of the receiver's largest advertised window: the sender filled it. */
  minWindowShare: 0.85,
  /** Throughput at least this share of window/RTT: the window explains the rate. */
  minRateShare: 0.75,
  /** Bulk transfer only. */
  minBytes: 256 * 1024,
  /** The transfer must last this many RTTs. */
  minRtts: 10,
  /** Median RTT above this multiple of the minimum = a queue (bottleneck), not the window. */
  maxQueueingFactor: 2,
};

export const windowLimited: DocumentedRule = {
  id: "window-limited",
  description:
    "A bulk sender keeps exactly the receiver's (small) window in flight: throughput ≈ window/RTT.",
  needs: ["connections"],
  thresholds: windowDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, windowDefaults);
    const hits: { c: ConnectionSummary; win: number; rtt: number; cap: number }[] = [];
    for (const c of facts.connections) {
      const thr = c.throughput;
      if (!thr || thr.bytes < t.minBytes) continue;
      const rtt = typicalRtt(c);
      const base = baseRtt(c);
      if (rtt === undefined || base === undefined || rtt <= 0) continue;
      if (thr.seconds < t.minRtts * rtt || rtt > t.maxQueueingFactor * base) continue;
      const snd = c.dir[thr.direction];
      const rcv = c.dir[otherSide(thr.direction)];
      const win = rcv.maxWindow;
      if (win === undefined || win <= 0 || snd.maxInFlight < t.minWindowShare * win) continue;
      const cap = (win * 8) / rtt;
      if (thr.bps < t.minRateShare * cap || thr.bps > 1.25 * cap) continue;
      hits.push({ c, win, rtt, cap });
    }
    if (hits.length === 0) return [];
    const h = hits[0];
    const thr = h.c.throughput!;
    const noScale = !h.c.handshake.windowScaling && h.win <= 65535;
    const rcvName = thr.direction === "client" ? h.c.server : h.c.client;
    const summary =
      `${rcvName} never advertised more than ${fmtBytes(h.win)} of window, the sender kept that much in flight, and ${fmtBytes(h.win)} per ${fmtSeconds(h.rtt)} RTT is ${fmtBps(h.cap)} — the ${fmtBps(thr.bps)} measured. ` +
      (noScale
        ? "Window scaling was not negotiated, so the window cannot exceed 64 KiB."
        : "The receive buffer is too small for this path's bandwidth-delay product.");
    return [
      makeFinding("window-limited", {
        confidence: "medium",
        summary,
        evidence: {
          stream: h.c.stream,
          receiverMaxWindow: h.win,
          maxInFlight: h.c.dir[thr.direction].maxInFlight,
          rttSeconds: sec(h.rtt),
          windowBoundBps: Math.round(h.cap),
          throughputBps: Math.round(thr.bps),
          windowScaling: h.c.handshake.windowScaling,
        },
        streams: hits.map((x) => x.c.stream),
        vars: varsOf(h.c),
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- reordering

const reorderDefaults = {
  /** Segments that arrived late (below the highest sequence, never sent before, hole filled within RTT/2). */
  minReordered: 3,
  /** …as a share of the direction's data segments. */
  minFraction: 0.005,
};

export const reordering: DocumentedRule = {
  id: "reordering",
  description:
    "Segments arriving after later ones and filling their hole sooner than a retransmission could: path reordering, not loss (whatever Wireshark's labels say).",
  needs: ["connections"],
  thresholds: reorderDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, reorderDefaults);
    const hits = flows(facts.connections).filter(
      (f) => f.d.reorderedSegments >= t.minReordered && f.d.reorderedSegments / f.segments >= t.minFraction,
    );
    if (hits.length === 0) return [];
    hits.sort((a, b) => b.d.reorderedSegments - a.d.reorderedSegments);
    const h = hits[0];
    const reo = h.d.reorderedSegments;
    const labels = h.d.retransmissions.total + h.d.outOfOrder;
    const summary =
      `${reo} of ${h.segments} data segments from ${sender(h)} to ${receiver(h)} (${fmtPct(reo / h.segments)}) arrived after segments sent later and filled their gap within a fraction of the RTT — ` +
      `they were delayed on the path, not lost (up to ${plural(h.d.maxReorderDistance, "segment")} out of place; ${h.lost === 0 ? "nothing was really lost" : `only ${plural(h.lost, "segment")} really lost`}).` +
      (labels > 0
        ? ` Packet-level analysis labels ${labels} of these segments retransmission/out-of-order; the bytes show they were sent once.`
        : "");
    return [
      makeFinding("reordering", {
        confidence: reo >= 10 ? "high" : "medium",
        summary,
        evidence: {
          stream: h.c.stream,
          reorderedSegments: reo,
          dataSegments: h.segments,
          maxReorderDistance: h.d.maxReorderDistance,
          reallyLost: h.lost,
          labelledRetransmissions: h.d.retransmissions.total,
          labelledOutOfOrder: h.d.outOfOrder,
          labelledPreviousSegmentNotCaptured: h.d.lostSegments,
          duplicateAcksFromReceiver: h.c.dir[otherSide(h.side)].duplicateAcks,
          connections: hits.length,
        },
        streams: hits.map((x) => x.c.stream),
        vars: flowVars(h),
        score: 40 + Math.min(30, Math.round((reo / h.segments) * 1000)),
      }),
    ];
  },
};
