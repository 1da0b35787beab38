// listener-loopback-only, no-listener and firewall-reject from a probe of this host's own address:
// the refusal checked against the listening sockets the probe read from /proc/net/tcp{,6}.

import type { DocumentedRule } from "../capture/common.js";
import { type FindingParts, makeFinding } from "../catalogue.js";
import type { Facts, Finding } from "../types.js";
import { findingsPerSeries, type ProbeSeries, plural, seriesVars } from "./common.js";
import { type LocalVerdict, localVerdict } from "./local.js";

function refusedOf(s: ProbeSeries): number {
  return s.attempts.filter((p) => p.outcome === "refused").length;
}

function findingsFor(
  id: LocalVerdict["id"],
  facts: Facts,
  build: (s: ProbeSeries, v: LocalVerdict) => Finding,
): Finding[] {
  return findingsPerSeries(facts, (s) => {
    if (s.connects.length > 0) return;
    const v = localVerdict(s);
    return v?.id === id ? build(s, v) : undefined;
  });
}

/** Evidence and cited socket of a refusal while a listener on the port is known. */
function listenerEvidence(s: ProbeSeries, v: LocalVerdict): Pick<FindingParts, "evidence" | "sockets"> {
  return {
    evidence: {
      target: s.target,
      address: s.endpoint,
      refused: refusedOf(s),
      listener: v.listener,
      listenersOnPort: v.listeners,
    },
    sockets: v.listener ? [v.listener] : undefined,
  };
}

function refusedText(s: ProbeSeries): string {
  const n = refusedOf(s);
  return `${n === 1 ? "A probe" : `${n} probes`} of ${s.endpoint}, an address of this host, ${n === 1 ? "was" : "were"} refused`;
}

export const probeListenerLoopbackOnly: DocumentedRule = {
  id: "listener-loopback-only",
  description:
    "A probe of this host's own non-loopback address is refused while a listener on the port is bound to 127.0.0.1/::1 only.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsFor("listener-loopback-only", facts, (s, v) =>
      makeFinding("listener-loopback-only", {
        confidence: "high",
        summary: `${refusedText(s)}: the service listens on ${v.listener} only, which clients on other hosts (and this host's other addresses) cannot reach.`,
        ...listenerEvidence(s, v),
        vars: seriesVars(s),
        score: 65,
      }),
    ),
};

export const probeNoListener: DocumentedRule = {
  id: "no-listener",
  description:
    "A probe of this host's own address is refused and no socket on this host listens on that port.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsFor("no-listener", facts, (s) =>
      makeFinding("no-listener", {
        confidence: "high",
        summary: `${refusedText(s)} and no socket on this host listens on port ${s.port}: the service is stopped, crashed, or configured for another port.`,
        evidence: {
          target: s.target,
          address: s.endpoint,
          refused: refusedOf(s),
          listenersOnPort: [],
        },
        vars: seriesVars(s),
        score: 60,
      }),
    ),
};

export const probeFirewallReject: DocumentedRule = {
  id: "firewall-reject",
  description:
    "A probe of this host's own address is refused although a socket listens on that address and port: a reject rule answers for the service.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsFor("firewall-reject", facts, (s, v) =>
      makeFinding("firewall-reject", {
        confidence: "medium",
        summary: `${refusedText(s)}, yet ${v.listener} listens and should have accepted ${plural(refusedOf(s), "connection")}: a firewall rule rejects with a reset (or an ICMP port-unreachable) before the SYN reaches the socket.`,
        ...listenerEvidence(s, v),
        vars: seriesVars(s),
        score: 55,
      }),
    ),
};
