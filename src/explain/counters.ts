// Kernel counters (nstat names: TcpRetransSegs, TcpExtListenOverflows, ...) in plain words: what
// each one counts, what a rise means, and what several say together.
import { count, percent } from "./format.js";

interface CounterMeaning {
  /** What one unit of the counter is. */
  counts: string;
  /** What a non-zero value / a rise suggests. */
  rising?: string;
}

const MEANINGS: Record<string, CounterMeaning> = {
  TcpActiveOpens: { counts: "connections this host opened (connect(), SYN sent)" },
  TcpPassiveOpens: { counts: "connections this host accepted (SYN received on a listener, handshake begun)" },
  TcpAttemptFails: {
    counts:
      "connection attempts that failed (SYN-SENT or SYN-RECV went back to CLOSED or LISTEN: refused, reset or timed out)",
    rising: "connect() failures: look for refusals (RST) or SYNs that get no answer",
  },
  TcpEstabResets: {
    counts: "established connections ended by a reset (from ESTABLISHED or CLOSE-WAIT straight to CLOSED)",
    rising: "connections aborted mid-way by one side or a middlebox",
  },
  TcpCurrEstab: { counts: "connections currently ESTABLISHED or CLOSE-WAIT (a gauge, not a counter)" },
  TcpInSegs: { counts: "TCP segments received" },
  TcpOutSegs: { counts: "TCP segments sent (excluding retransmissions)" },
  TcpRetransSegs: {
    counts: "TCP segments retransmitted",
    rising: "loss on some path (compare with TcpOutSegs: above 1% hurts throughput noticeably)",
  },
  TcpInErrs: {
    counts: "segments received with errors (bad checksum, bad header)",
    rising: "corruption on a link or NIC, or checksum offload problems",
  },
  TcpOutRsts: {
    counts: "resets this host sent",
    rising: "connections refused (closed ports) or aborted by this host's applications",
  },
  TcpInCsumErrors: {
    counts: "segments received with a bad TCP checksum",
    rising: "corruption on the wire or a faulty NIC/offload",
  },
  TcpExtSyncookiesSent: {
    counts:
      "SYN-ACKs sent with a SYN cookie instead of a SYN-queue entry (the SYN queue was full, or tcp_syncookies=2)",
    rising: "the listener's SYN queue overflowed: a SYN flood, or a burst larger than tcp_max_syn_backlog",
  },
  TcpExtSyncookiesRecv: {
    counts: "final ACKs that came back carrying a valid SYN cookie: handshakes completed through cookies",
  },
  TcpExtSyncookiesFailed: {
    counts: "ACKs whose cookie did not validate",
    rising: "forged or very late ACKs, or cookies that expired",
  },
  TcpExtListenOverflows: {
    counts: "handshakes completed while the listener's accept queue was full (the connection is dropped)",
    rising: "the application does not accept() fast enough, or its listen backlog is too small",
  },
  TcpExtListenDrops: {
    counts: "SYNs or handshakes dropped at a listener for any reason (includes ListenOverflows)",
    rising: "lost connection attempts at the server: clients see SYN retransmissions and slow connects",
  },
  TcpExtTCPReqQFullDoCookies: { counts: "SYNs answered with a cookie because the SYN queue was full" },
  TcpExtTCPReqQFullDrop: {
    counts: "SYNs dropped because the SYN queue was full and cookies are off",
    rising: "legitimate clients are turned away under a SYN burst: enable net.ipv4.tcp_syncookies",
  },
  TcpExtTCPTimeouts: {
    counts: "retransmission timeouts (RTO expired with nothing else to recover the loss)",
    rising: "losses that fast retransmit could not repair: whole flights lost, tail losses, or a dead path",
  },
  TcpExtTCPLossProbes: {
    counts: "tail-loss probes sent (a quick retransmission of the last segment when its ACK is late)",
  },
  TcpExtTCPLossProbeRecovery: { counts: "losses repaired by a tail-loss probe" },
  TcpExtTCPFastRetrans: {
    counts: "fast retransmissions (triggered by duplicate ACKs / SACK, not by a timer)",
  },
  TcpExtTCPSlowStartRetrans: { counts: "retransmissions sent in slow start after a timeout" },
  TcpExtTCPSynRetrans: {
    counts: "SYN and SYN-ACK retransmissions",
    rising:
      "handshakes not answered: a filtering firewall, an unreachable peer, or a full listener on the other side",
  },
  TcpExtTCPSpuriousRTOs: { counts: "timeouts found afterwards to be unnecessary (the original arrived)" },
  TcpExtTCPDSACKRecv: {
    counts: "duplicate-SACK reports received: the peer got the same data twice (an unneeded retransmission)",
  },
  TcpExtTCPDSACKOldSent: { counts: "duplicate-SACK reports sent for old data received twice" },
  TcpExtTCPSACKReorder: {
    counts: "reordering detected through SACK",
    rising: "packets reordered on the path (multipath, LAG)",
  },
  TcpExtTCPRenoReorder: { counts: "reordering detected without SACK" },
  TcpExtTCPTSReorder: { counts: "reordering detected through timestamps" },
  TcpExtTCPAbortOnData: {
    counts: "connections reset because the application closed them with unread data (or SO_LINGER 0)",
    rising: "applications closing sockets without reading what arrived: they send RST instead of FIN",
  },
  TcpExtTCPAbortOnClose: {
    counts: "connections reset because the application closed them while data was still unsent or unread",
  },
  TcpExtTCPAbortOnMemory: {
    counts: "connections reset for lack of TCP memory (or too many orphans)",
    rising: "tcp_mem pressure: raise net.ipv4.tcp_mem or find the socket buffer hog",
  },
  TcpExtTCPAbortOnTimeout: {
    counts: "connections given up after too many retransmissions or unanswered keepalives",
    rising: "dead peers or black-holed paths (the applications see ETIMEDOUT)",
  },
  TcpExtTCPAbortOnLinger: { counts: "connections reset when the linger time ran out" },
  TcpExtTCPAbortFailed: { counts: "resets that could not be sent (memory)" },
  TcpExtTCPBacklogDrop: {
    counts:
      "segments dropped because the socket's backlog was full while the application held the socket lock",
  },
  TcpExtTCPRcvQDrop: { counts: "segments dropped because the receive queue was over its memory limit" },
  TcpExtPruneCalled: {
    counts: "times the kernel had to prune a receive queue to make room",
    rising: "receive buffers too small, or slow readers",
  },
  TcpExtRcvPruned: { counts: "segments dropped from receive queues by pruning" },
  TcpExtOfoPruned: { counts: "out-of-order segments dropped to save memory" },
  TcpExtTCPZeroWindowDrop: { counts: "segments dropped because the receive window was zero" },
  TcpExtTCPToZeroWindowAdv: {
    counts: "times this host advertised a zero window (its receive buffer filled up)",
    rising: "local applications not reading fast enough",
  },
  TcpExtTCPFromZeroWindowAdv: { counts: "times this host reopened a zero window" },
  TcpExtTCPWantZeroWindowAdv: { counts: "times the receive buffer would have needed a zero window" },
  TcpExtTW: { counts: "connections that finished TIME-WAIT normally" },
  TcpExtTWRecycled: { counts: "TIME-WAIT sockets reused for a new connection (tcp_tw_reuse)" },
  TcpExtTWKilled: { counts: "TIME-WAIT sockets killed early" },
  TcpExtTCPTimeWaitOverflow: {
    counts: "TIME-WAIT sockets not created because tcp_max_tw_buckets was reached",
    rising: "connection churn beyond the TIME-WAIT limit: reuse connections (keep-alive, pooling)",
  },
  TcpExtTCPMemoryPressures: {
    counts: "times TCP entered memory pressure (net.ipv4.tcp_mem)",
    rising: "TCP buffers use too much memory: socket buffers shrink",
  },
  TcpExtTCPMemoryPressuresChrono: { counts: "milliseconds spent under TCP memory pressure" },
  TcpExtEmbryonicRsts: { counts: "resets received for connections still in SYN-RECV" },
  TcpExtPAWSEstab: {
    counts: "segments dropped by the timestamp check (PAWS) on established connections",
    rising: "NAT or load balancers mixing clients with different timestamp clocks",
  },
  TcpExtPAWSActive: { counts: "SYN-ACKs dropped by PAWS" },
  TcpExtTCPChallengeACK: {
    counts: "challenge ACKs sent (RFC 5961: unexpected RST or SYN on an established connection)",
  },
  TcpExtTCPSYNChallenge: {
    counts: "SYNs received on established connections, answered with a challenge ACK",
  },
  TcpExtTCPOFOQueue: {
    counts: "segments that arrived out of order and were queued",
    rising: "loss or reordering upstream of this receiver",
  },
  TcpExtTCPOFODrop: { counts: "out-of-order segments dropped for lack of receive memory" },
  TcpExtTCPKeepAlive: { counts: "keepalive probes sent" },
  TcpExtTCPOrigDataSent: { counts: "segments of new data sent (no retransmissions)" },
  TcpExtTCPHPHits: { counts: "segments handled by the fast path" },
  TcpExtTCPDelivered: { counts: "segments acknowledged by peers" },
  TcpExtTCPMTUPFail: { counts: "path-MTU probes that failed" },
  TcpExtTCPMTUPSuccess: { counts: "path-MTU probes that succeeded" },
  TcpExtTCPRetransFail: { counts: "retransmissions that could not be sent (local queue full)" },
  TcpExtTCPWinProbe: { counts: "zero-window probes sent" },
  TcpExtTCPDeferAcceptDrop: { counts: "connections dropped by TCP_DEFER_ACCEPT" },
  IpInReceives: { counts: "IP packets received" },
  IpInDiscards: { counts: "IP packets received and discarded (memory)" },
  IpOutNoRoutes: {
    counts: "packets this host could not send for lack of a route",
    rising: "missing routes: check ip route",
  },
  IpExtInNoRoutes: { counts: "received packets that had no route to go on" },
  IpReasmFails: { counts: "IP reassemblies that failed" },
  IcmpInDestUnreachs: {
    counts: "ICMP destination-unreachable messages received (includes fragmentation needed)",
  },
  IcmpOutDestUnreachs: {
    counts: "ICMP destination-unreachable messages sent (ports closed, routing failures)",
  },
  IcmpMsgInType3: {
    counts: "ICMP type 3 (destination unreachable, including fragmentation needed) received",
  },
  IcmpMsgOutType3: { counts: "ICMP type 3 (destination unreachable) sent" },
  IcmpInTimeExcds: { counts: "ICMP time-exceeded messages received (TTL ran out: loops or traceroute)" },
  UdpInErrors: { counts: "UDP datagrams dropped on receive (mostly full socket buffers)" },
  UdpRcvbufErrors: { counts: "UDP datagrams dropped because a receive buffer was full" },
  UdpSndbufErrors: { counts: "UDP datagrams dropped because a send buffer was full" },
};

/** What one counter means, with its value in words. Undefined for counters we have no words for. */
export function explainCounter(name: string, value: number, opts?: { delta?: boolean }): string | undefined {
  const m = MEANINGS[name];
  if (!m) return undefined;
  const gauge = name === "TcpCurrEstab";
  const how = gauge ? "now" : opts?.delta ? "during the interval" : "since boot";
  let words = `${name} ${count(value)} ${how}: ${m.counts}.`;
  if (m.rising && value > 0 && !gauge) words += ` ${opts?.delta ? "A rise" : "Non-zero"} means ${m.rising}.`;
  return words;
}

export interface CounterExplanation {
  /** Notes per counter name (only the counters we have words for). */
  perCounter: Record<string, string>;
  /** What the counters say together. */
  summary: string[];
}

/**
 * Explains a set of counters (absolute since boot, or deltas over an interval) one by one and
 * together. Absolute counters tell the history of the host, deltas what happens now.
 */
export function explainCounters(
  counters: Record<string, number>,
  opts?: { delta?: boolean; seconds?: number },
): CounterExplanation {
  const perCounter: Record<string, string> = {};
  for (const [name, value] of Object.entries(counters)) {
    const w = explainCounter(name, value, opts);
    if (w) perCounter[name] = w;
  }
  const c = (n: string): number | undefined => counters[n];
  const summary: string[] = [];
  const when = opts?.delta ? (opts.seconds ? `in ${opts.seconds} s` : "in the interval") : "since boot";

  const sent = c("TcpExtSyncookiesSent");
  const recv = c("TcpExtSyncookiesRecv");
  if (sent !== undefined && sent > 0) {
    const ratio = recv !== undefined ? recv / sent : undefined;
    if (ratio !== undefined && ratio < 0.1) {
      summary.push(
        `SYN cookies: ${count(sent)} sent but only ${count(recv ?? 0)} came back (${percent(recv ?? 0, sent)}) ${when}. The SYN queue overflowed and the kernel answered with cookies, which cost no memory per SYN; almost none of the SYNs completed the handshake — the signature of a SYN flood from spoofed sources that was absorbed, not a leak or a memory problem. The ${count(recv ?? 0)} that returned are real clients whose cookies validated: keep net.ipv4.tcp_syncookies=1 (turning cookies off would let the flood fill the queue and refuse real clients); raise tcp_max_syn_backlog and the listen backlog, and filter spoofed traffic upstream.`,
      );
    } else {
      summary.push(
        `SYN cookies: ${count(sent)} sent, ${count(recv ?? 0)} returned ${when}: the SYN queue overflowed but most handshakes completed — a burst of real clients larger than the SYN queue: raise net.ipv4.tcp_max_syn_backlog and the application's listen backlog.`,
      );
    }
  }
  const overflows = c("TcpExtListenOverflows");
  const drops = c("TcpExtListenDrops");
  if ((overflows ?? 0) > 0 || (drops ?? 0) > 0) {
    summary.push(
      `Listen queue: ${count(overflows ?? 0)} accept-queue overflows and ${count(drops ?? 0)} listen drops ${when}. Connections completed the handshake but the application did not accept() them in time; clients see retransmitted SYNs and slow or failed connects. Fix the accept loop (more workers, no blocking) and raise the listen() backlog with net.core.somaxconn.`,
    );
  }
  const retrans = c("TcpRetransSegs");
  const out = c("TcpOutSegs");
  if (retrans !== undefined && out !== undefined && out > 0) {
    const share = retrans / out;
    summary.push(
      `Retransmissions: ${count(retrans)} of ${count(out)} segments sent (${percent(retrans, out)}) ${when}${
        share > 0.01
          ? ": high — some path loses packets (or a receiver drops them); find the connections with ss -ti (retrans:) and the lossy hop"
          : share > 0.001
            ? ": noticeable but moderate"
            : ": low"
      }.`,
    );
    const timeouts = c("TcpExtTCPTimeouts");
    const fast = c("TcpExtTCPFastRetrans");
    if (timeouts !== undefined && fast !== undefined && retrans > 0) {
      summary.push(
        timeouts > fast
          ? `Most recoveries waited for a timeout (${count(timeouts)} RTOs vs ${count(fast)} fast retransmits): whole flights or tails get lost, or the path black-holes — each costs at least 200 ms.`
          : `Most losses were repaired quickly by fast retransmit (${count(fast)}) rather than timeouts (${count(timeouts)}).`,
      );
    }
  }
  const fails = c("TcpAttemptFails");
  const opens = c("TcpActiveOpens");
  if (fails !== undefined && opens !== undefined && opens > 0 && fails / opens > 0.05) {
    summary.push(
      `${count(fails)} of ${count(opens)} outgoing connection attempts failed (${percent(fails, opens)}) ${when}: destinations refuse or do not answer.`,
    );
  }
  const abortData = c("TcpExtTCPAbortOnData");
  if (abortData !== undefined && abortData > 0) {
    summary.push(
      `${count(abortData)} connections were reset by local applications that closed with unread data ${when}: peers see "connection reset by peer".`,
    );
  }
  const abortTimeout = c("TcpExtTCPAbortOnTimeout");
  if (abortTimeout !== undefined && abortTimeout > 0) {
    summary.push(
      `${count(abortTimeout)} connections gave up after retransmissions or keepalives went unanswered ${when}: dead peers or black-holed paths.`,
    );
  }
  const twOverflow = c("TcpExtTCPTimeWaitOverflow");
  if (twOverflow !== undefined && twOverflow > 0) {
    summary.push(
      `${count(twOverflow)} TIME-WAIT sockets could not be kept (tcp_max_tw_buckets reached): heavy connection churn — reuse connections.`,
    );
  }
  const pressure = c("TcpExtTCPMemoryPressures");
  if (pressure !== undefined && pressure > 0) {
    summary.push(
      `TCP entered memory pressure ${count(pressure)} times ${when}: socket buffers are squeezed host-wide (net.ipv4.tcp_mem).`,
    );
  }
  const inErrs = c("TcpInErrs") ?? c("TcpInCsumErrors");
  if (inErrs !== undefined && inErrs > 0) {
    summary.push(
      `${count(inErrs)} segments arrived damaged ${when}: check NIC and link error counters (ip -s link, ethtool -S).`,
    );
  }
  return { perCounter, summary };
}
