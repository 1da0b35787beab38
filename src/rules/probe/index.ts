// Registry of the probe rules (diagnoses from active connect probes, `tcpdoctor probe`).
// One rule per diagnosis id; the files group them by topic.
import type { Rule } from "../types.js";
import {
  probeConnectRefused,
  probeConnectTimeout,
  probeIntermittentConnectFailure,
  probeNoRoute,
  probeResetAfterConnect,
  probeSlowHandshake,
  probeSlowServerResponse,
} from "./connect.js";
import { probeDnsFailure } from "./dns.js";
import { probeFirewallReject, probeListenerLoopbackOnly, probeNoListener } from "./listener.js";

export { type ProbeSeries, percentile, probeSeries, synRetransmitAt, synRetriesFor } from "./common.js";

export const probeRules: Rule[] = [
  probeDnsFailure,
  probeNoRoute,
  probeListenerLoopbackOnly,
  probeNoListener,
  probeFirewallReject,
  probeConnectRefused,
  probeConnectTimeout,
  probeIntermittentConnectFailure,
  probeResetAfterConnect,
  probeSlowHandshake,
  probeSlowServerResponse,
];
