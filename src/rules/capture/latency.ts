// Where the time goes: request delivered and acknowledged fast, answer late = the application.
import type { ConnectionSummary, ThinkTime } from "../../core/tcp/types.js";
import { makeFinding } from "../catalogue.js";
import {
  type DocumentedRule,
  fmtSeconds,
  listStreams,
  lostSegments,
  readThresholds,
  sec,
  typicalRtt,
  varsOf,
} from "./common.js";

const slowServerDefaults = {
  /** Request→response gap from which a response is slow (seconds). */
  minGapSeconds: 0.5,
  /** …and at least this many RTTs: the network alone cannot explain it. */
  rttFactor: 10,
  /** The request counts as promptly acknowledged when ACKed within this many RTTs… */
  ackRtts: 3,
  /** …plus the longest delayed-ACK timer (seconds). */
  delayedAckSeconds: 0.25,
};

export const slowServerResponse: DocumentedRule = {
  id: "slow-server-response",
  description:
    "A request delivered (and ACKed within about an RTT) whose response starts only after a gap of ≥0.5 s and ≥10 RTTs, with no loss or window stall in between.",
  needs: ["connections"],
  thresholds: slowServerDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, slowServerDefaults);
    const slow: { c: ConnectionSummary; tt: ThinkTime; rtt: number | undefined; acked: boolean }[] = [];
    for (const c of facts.connections) {
      if (c.thinkTimes.length === 0) continue;
      // A stalled receiver or a lost request delays the answer too; those are other diagnoses.
      if (c.zeroWindow.totalStall > 0 || lostSegments(c, "client") > 0) continue;
      const rtt = typicalRtt(c);
      for (const tt of c.thinkTimes) {
        if (tt.gap < t.minGapSeconds || (rtt !== undefined && tt.gap < t.rttFactor * rtt)) continue;
        const ackDelay = tt.ackAt !== undefined ? tt.ackAt - tt.requestAt : undefined;
        const acked =
          ackDelay !== undefined && ackDelay >= 0 && ackDelay <= t.ackRtts * (rtt ?? 0) + t.delayedAckSeconds;
        slow.push({ c, tt, rtt, acked });
      }
    }
    if (slow.length === 0) return [];
    slow.sort((a, b) => b.tt.gap - a.tt.gap);
    const w = slow[0];
    const streams = [...new Set(slow.map((s) => s.c.stream))];
    const answered = facts.connections.reduce((n, c) => n + c.thinkTimes.length, 0);
    const ackText = w.acked
      ? `The server's TCP stack acknowledged the request after ${fmtSeconds((w.tt.ackAt ?? 0) - w.tt.requestAt)}, so it arrived intact`
      : "The request was not retransmitted, so it arrived";
    const summary =
      `${w.c.server} took ${fmtSeconds(w.tt.gap)} to start answering the request in frame ${w.tt.requestFrame} (response in frame ${w.tt.responseFrame})` +
      `${w.rtt !== undefined ? ` on a path with a ${fmtSeconds(w.rtt)} RTT` : ""}. ${ackText}; the time was spent in the server application, not the network.` +
      (slow.length > 1
        ? ` ${slow.length} slow responses in all (${listStreams(streams)}), out of ${answered} request/response exchanges measured.`
        : "");
    return [
      makeFinding("slow-server-response", {
        confidence: w.acked ? "high" : "medium",
        summary,
        evidence: {
          stream: w.c.stream,
          requestFrame: w.tt.requestFrame,
          responseFrame: w.tt.responseFrame,
          responseDelaySeconds: sec(w.tt.gap),
          requestAckedAfterSeconds: sec(w.tt.ackAt !== undefined ? w.tt.ackAt - w.tt.requestAt : undefined),
          rttSeconds: sec(w.rtt),
          slowResponses: slow.length,
          measuredExchanges: answered,
          gaps: slow
            .slice(0, 10)
            .map((s) => ({ stream: s.c.stream, requestFrame: s.tt.requestFrame, seconds: sec(s.tt.gap) })),
        },
        streams,
        vars: varsOf(w.c),
        score: 50 + Math.min(30, Math.round(w.tt.gap * 10)),
      }),
    ];
  },
};
