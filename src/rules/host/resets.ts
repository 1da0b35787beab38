// reset-storm: resets sent or received at an abnormal rate, from counter increases over an interval.
//
// TcpOutRsts counts resets this host sent (closed ports, aborts); TcpEstabResets counts established
// connections that ended by a reset in either direction. A few per minute are normal on a busy host;
// a storm is many per second or a large share of all segments. Absolute counters since boot say
// nothing about a rate and are not used.
//
// Thresholds (ctx.threshold("reset-storm", ...)):
//   minResets      100   resets over the interval
//   minRatePerSec  10    resets per second (when the interval is known)
//   minRatio       0.05  sent resets / segments sent (when the interval length is unknown)
import type { Rule } from "../types.js";
import { hostFinding } from "./finding.js";
import { counterRefs, counterSet, pct, round } from "./util.js";

export const resetStormDefaults = { minResets: 100, minRatePerSec: 10, minRatio: 0.05 };

export const resetStorm: Rule = {
  id: "reset-storm",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const c = counterSet(host, [
      "TcpOutRsts",
      "TcpEstabResets",
      "TcpOutSegs",
      "TcpExtTCPAbortOnData",
      "TcpExtTCPAbortOnClose",
      "TcpExtTCPAbortOnLinger",
      "TcpAttemptFails",
    ]);
    if (c.kind !== "delta") return [];
    const minResets = ctx.threshold("minResets", resetStormDefaults.minResets);
    const minRate = ctx.threshold("minRatePerSec", resetStormDefaults.minRatePerSec);
    const minRatio = ctx.threshold("minRatio", resetStormDefaults.minRatio);
    const v = c.values;
    const sent = v.TcpOutRsts ?? 0;
    const estab = v.TcpEstabResets ?? 0;
    const total = Math.max(sent, estab);
    if (total < minResets) return [];
    const rate = c.seconds ? total / c.seconds : undefined;
    const ratio = v.TcpOutSegs ? sent / v.TcpOutSegs : undefined;
    const storm = rate !== undefined ? rate >= minRate : ratio !== undefined && ratio >= minRatio;
    if (!storm) return [];
    return [
      hostFinding("reset-storm", {
        severity: "warning",
        confidence: rate !== undefined ? "high" : "medium",
        summary: `This host sent ${sent} resets and ${estab} established connections ended by reset${c.seconds ? ` in ${round(c.seconds, 1)} s (${round(total / c.seconds, 1)} per second)` : " over the sampled interval"}${ratio !== undefined ? `; resets are ${pct(ratio)} of all segments sent` : ""}.`,
        evidence: {
          outRsts: sent,
          estabResets: estab,
          seconds: c.seconds,
          perSecond: rate !== undefined ? round(rate, 1) : undefined,
          resetShareOfSegments: ratio !== undefined ? round(ratio, 3) : undefined,
          abortOnData: v.TcpExtTCPAbortOnData,
          abortOnClose: v.TcpExtTCPAbortOnClose,
          abortOnLinger: v.TcpExtTCPAbortOnLinger,
          attemptFails: v.TcpAttemptFails,
        },
        sources: counterRefs(host, ["TcpOutRsts", "TcpEstabResets"]),
      }),
    ];
  },
};
