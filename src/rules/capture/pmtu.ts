// Path MTU: black holes (full-size segments vanish, no ICMP) and discovery that works.
import type { ConnectionSummary } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import type { Finding } from "../types.js";
import {
  type DocumentedRule,
  fmtBytes,
  fmtSeconds,
  listStreams,
  otherSide,
  plural,
  pmtuIcmp,
  readThresholds,
  type Side,
  sec,
  streamsOf,
  varsOf,
} from "./common.js";

// ---------------------------------------------------------------------------- pmtu-blackhole

const blackholeDefaults = {
  /** Retransmissions of full-size segments (the same big segment resent on timeout). */
  minFullSizeRetransmissions: 3,
  /** Share of all retransmissions that are full-size. */
  minFullSizeShare: 0.8,
  /** Share of the sent data that never got acknowledged (nothing big ever got through). */
  minStuckShare: 0.8,
};

export const pmtuBlackhole: DocumentedRule = {
  id: "pmtu-blackhole",
  description:
    "Full-size segments retransmitted on timeout again and again, never acknowledged, while the handshake and small segments passed and no ICMP 'fragmentation needed' arrived.",
  needs: ["connections"],
  thresholds: blackholeDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, blackholeDefaults);
    const hits: { c: ConnectionSummary; side: Side }[] = [];
    for (const c of facts.connections) {
      if (!c.handshake.ackSeen && !(c.packets.client > 0 && c.packets.server > 0)) continue;
      if (pmtuIcmp(c).length > 0) continue;
      for (const side of ["client", "server"] as const) {
        const d = c.dir[side];
        const retrans = d.repeatedSegments + (d.lostBeforeCapture ?? 0);
        if (d.fullSizeRetransmissions < t.minFullSizeRetransmissions) continue;
        if (d.fullSizeRetransmissions < t.minFullSizeShare * retrans) continue;
        if (d.retransmissions.fast > d.retransmissions.rto) continue;
        if (d.uniqueBytes === 0 || d.maxInFlight < t.minStuckShare * d.uniqueBytes) continue;
        hits.push({ c, side });
      }
    }
    if (hits.length === 0) return [];
    const { c, side } = hits[0];
    const d = c.dir[side];
    const peer = c.dir[otherSide(side)];
    const snd = side === "server" ? c.server : c.client;
    const rcv = side === "server" ? c.client : c.server;
    const stalledFor = c.start + c.duration - (c.handshake.completedAt ?? c.start);
    const unmatched =
      facts.capture?.unmatchedIcmp.filter((i) => i.kind === "frag-needed" || i.kind === "packet-too-big") ??
      [];
    const summary =
      `${snd} sent ${fmtBytes(d.uniqueBytes)} to ${rcv} in full-size segments (${d.maxSegment}-byte payload, ${d.maxIpLen}-byte packets) and retransmitted them ${plural(d.fullSizeRetransmissions, "time")} on timeout without a single one being acknowledged for ${fmtSeconds(stalledFor)}, ` +
      `while the handshake${peer.uniqueBytes > 0 ? ` and ${rcv}'s ${fmtBytes(peer.uniqueBytes)} of small segments` : ""} went through. ` +
      `No ICMP "fragmentation needed" reached the capture${unmatched.length ? ` for this connection (${unmatched.length} unmatched ones were seen)` : ""}: a smaller-MTU hop drops the big packets and the message that should shrink them is filtered.`;
    return [
      makeFinding("pmtu-blackhole", {
        confidence: d.fullSizeRetransmissions >= 4 ? "high" : "medium",
        summary,
        evidence: {
          stream: c.stream,
          sender: snd,
          fullSizeRetransmissions: d.fullSizeRetransmissions,
          timeoutRetransmissions: d.retransmissions.rto,
          segmentPayload: d.maxSegment,
          packetSize: d.maxIpLen,
          mss: d.mss,
          unacknowledgedBytes: d.maxInFlight,
          smallSegmentsDelivered: d.smallSegmentsDelivered + peer.smallSegmentsDelivered,
          stalledSeconds: sec(stalledFor),
          icmpFragNeededOnConnection: 0,
        },
        streams: hits.map((h) => h.c.stream),
        vars: {
          ...varsOf(c),
          // Confirm commands run from the sender towards the receiver.
          clientIp: side === "server" ? c.clientIp : c.serverIp,
        },
        score: 60 + Math.min(30, d.fullSizeRetransmissions * 4),
      }),
    ];
  },
};

// ---------------------------------------------------------------------------- pmtu-reduced

export const pmtuReduced: DocumentedRule = {
  id: "pmtu-reduced",
  description:
    "ICMP 'fragmentation needed' / 'packet too big' seen (and honoured): the path MTU is below the interface MTU.",
  needs: ["connections", "capture"],
  thresholds: {},
  evaluate(facts) {
    const conns = facts.connections.filter((c) => pmtuIcmp(c).length > 0);
    const unmatched =
      facts.capture?.unmatchedIcmp.filter((i) => i.kind === "frag-needed" || i.kind === "packet-too-big") ??
      [];
    if (conns.length === 0 && unmatched.length === 0) return [];
    const icmp = [...conns.flatMap((c) => pmtuIcmp(c)), ...unmatched];
    const mtus = [...new Set(icmp.map((i) => i.mtu).filter((m): m is number => m !== undefined))].sort(
      (a, b) => a - b,
    );
    const first = icmp.reduce((a, b) => (b.frame < a.frame ? b : a));
    const c = conns[0];
    const delivered = conns.reduce((n, x) => n + x.dir.client.uniqueBytes + x.dir.server.uniqueBytes, 0);
    const summary =
      `${plural(icmp.length, "ICMP 'fragmentation needed'/'packet too big' message")} (first at frame ${first.frame}) reported a path MTU of ${mtus.length ? mtus.join(", ") : "an unstated size"} bytes` +
      (c
        ? ` and the sender shrank its segments: ${listStreams(streamsOf(conns))} went on to deliver ${fmtBytes(delivered)}.`
        : ".") +
      " Path-MTU discovery works; the few retransmissions right after the ICMP are its normal cost.";
    const finding: Finding = makeFinding("pmtu-reduced", {
      confidence: "high",
      summary,
      evidence: {
        icmpMessages: icmp.length,
        pathMtu: mtus,
        firstIcmpFrame: first.frame,
        connections: conns.length,
        unmatchedIcmp: unmatched.length,
      },
      streams: streamsOf(conns),
      vars: c ? { ...varsOf(c), clientIp: c.clientIp } : {},
    });
    return [finding];
  },
};
