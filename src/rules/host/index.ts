// Registry of the host-side rules (diagnoses from socket tables, counters, sysctls, logs).
// Each rule documents its thresholds at the top of its file; their defaults are listed here too so
// configuration and `tcpdoctor rules` can show them.
import type { DocumentedRule } from "../capture/common.js";
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

/** What each host rule reads, in one line (shown by `tcpdoctor rules`). */
const descriptions: Record<string, string> = {
  "firewall-reject":
    "a refused connection (capture or probe) to a port this host listens on: a REJECT rule answered",
  "listener-loopback-only": "a refused connection to a port this host listens on only on loopback",
  "no-listener": "a refused connection to a port nothing on this host listens on",
  "listen-overflow": "LISTEN Recv-Q at its backlog (Send-Q), ListenOverflows rising",
  "syn-flood": "SYN-RECV filling a listener's SYN queue from many sources, SYN cookies sent and not returned",
  "syn-backlog-full": "SYN-RECV at the SYN queue limit without SYN cookies, TCPReqQFullDrop rising",
  "close-wait-leak": "CLOSE-WAIT sockets piled up per owning process, with its descriptors against its limit",
  "fin-wait2-pileup": "FIN-WAIT-2 sockets piled up towards one peer service",
  "time-wait-port-exhaustion": "TIME-WAIT towards one destination ip:port against ip_local_port_range",
  "connection-churn": "many TIME-WAIT towards one service: one short connection per request",
  "dead-peer": "keepalive probes or retransmissions unanswered on a socket, TCPAbortOnTimeout rising",
  "packet-loss": "RetransSegs / OutSegs (SYN retries taken out) and per-socket retransmissions",
  "cwnd-limited-lossy-path": "CUBIC/Reno sockets with long RTT, recurring retransmissions and a small cwnd",
  "recv-queue-backlog": "connected sockets whose receive buffer is mostly full of unread data",
  "send-queue-stall": "Send-Q held by a zero window (persist timer) or unacknowledged for long",
  "conntrack-near-full": "nf_conntrack_count against nf_conntrack_max, 'table full' in the kernel log",
  "fd-limit-near": "a process's open descriptors against its open-file limit",
  "tcp-memory-pressure": "sockstat TCP memory against tcp_mem, memory pressure and aborts on memory",
  "orphan-sockets-high": "orphaned sockets against tcp_max_orphans, 'too many orphaned sockets' in the log",
  "reset-storm": "resets sent / established connections reset per second over the sampled interval",
  "buffers-below-bdp": "senders limited by a send buffer already at the tcp_wmem maximum",
  "keepalive-too-long":
    "keepalive sysctls against middlebox idle timeouts, idle connections without keepalive",
};

/** A host rule with its description and default thresholds attached (the DocumentedRule shape). */
function documented(rule: Rule): DocumentedRule {
  return {
    ...rule,
    description: descriptions[rule.id] ?? "",
    thresholds: { ...(hostThresholdDefaults[rule.id] ?? {}) },
  };
}

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
].map(documented);
