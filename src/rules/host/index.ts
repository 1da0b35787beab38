// Registry of the host-side rules (diagnoses from socket tables, counters, sysctls, logs).
// Each rule documents its thresholds at the top of its file; their defaults are listed here too so
// configuration and `tcpdoctor rules` can show them.
import type { Rule } from "../types.js";
import { buffersBelowBdp, buffersDefaults } from "./buffers.js";
import { closeWaitDefaults, closeWaitLeak } from "./close-wait.js";
import { finWait2Defaults, finWait2Pileup } from "./fin-wait2.js";
import { deadPeer, deadPeerDefaults, keepaliveDefaults, keepaliveTooLong } from "./keepalive.js";
import { listenOverflow, listenOverflowDefaults } from "./listen-overflow.js";
import { firewallReject, listenerLoopbackOnly, noListener } from "./listener.js";
import { cwndLimitedDefaults, cwndLimitedLossyPath, packetLoss, packetLossDefaults } from "./loss.js";
import { recvQueueBacklog, recvQueueDefaults, sendQueueDefaults, sendQueueStall } from "./queues.js";
import { resetStorm, resetStormDefaults } from "./resets.js";
import {
  conntrackDefaults,
  conntrackNearFull,
  fdLimitDefaults,
  fdLimitNear,
  orphanDefaults,
  orphanSocketsHigh,
  tcpMemoryPressure,
} from "./resources.js";
import { synBacklogDefaults, synBacklogFull, synFlood, synFloodDefaults } from "./syn.js";
import {
  connectionChurn,
  connectionChurnDefaults,
  portExhaustionDefaults,
  timeWaitPortExhaustion,
} from "./time-wait.js";

export const hostRules: Rule[] = [
  firewallReject,
  listenerLoopbackOnly,
  noListener,
  listenOverflow,
  synFlood,
  synBacklogFull,
  closeWaitLeak,
  finWait2Pileup,
  timeWaitPortExhaustion,
  connectionChurn,
  deadPeer,
  packetLoss,
  cwndLimitedLossyPath,
  recvQueueBacklog,
  sendQueueStall,
  conntrackNearFull,
  fdLimitNear,
  tcpMemoryPressure,
  orphanSocketsHigh,
  resetStorm,
  buffersBelowBdp,
  keepaliveTooLong,
];

/** Default thresholds of the host rules, by rule id (overridable through RuleContext.threshold). */
export const hostThresholdDefaults: Record<string, Record<string, number>> = {
  "close-wait-leak": closeWaitDefaults,
  "fin-wait2-pileup": finWait2Defaults,
  "connection-churn": connectionChurnDefaults,
  "time-wait-port-exhaustion": portExhaustionDefaults,
  "syn-flood": synFloodDefaults,
  "syn-backlog-full": synBacklogDefaults,
  "listen-overflow": listenOverflowDefaults,
  "packet-loss": packetLossDefaults,
  "cwnd-limited-lossy-path": cwndLimitedDefaults,
  "recv-queue-backlog": recvQueueDefaults,
  "send-queue-stall": sendQueueDefaults,
  "conntrack-near-full": conntrackDefaults,
  "fd-limit-near": fdLimitDefaults,
  "orphan-sockets-high": orphanDefaults,
  "reset-storm": resetStormDefaults,
  "buffers-below-bdp": buffersDefaults,
  "keepalive-too-long": keepaliveDefaults,
  "dead-peer": deadPeerDefaults,
};
