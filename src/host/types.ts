// Host evidence: what the text parsers (src/text) and the live adapters (src/io) produce,
// and what the host rules read. One shape whatever the source: pasted text, a bundle, or live.

/** Where a fact came from, so findings can cite the exact line. */
export interface SourceRef {
  /** Input path (or "live:ss", "live:/proc/net/snmp", ...). */
  file: string;
  /** 1-based line number within that input. */
  line?: number;
  /** The line itself (trimmed, at most ~300 chars). */
  text?: string;
}

export type SocketState =
  | "ESTAB"
  | "SYN-SENT"
  | "SYN-RECV"
  | "FIN-WAIT-1"
  | "FIN-WAIT-2"
  | "TIME-WAIT"
  | "CLOSE"
  | "CLOSE-WAIT"
  | "LAST-ACK"
  | "LISTEN"
  | "CLOSING"
  | "NEW-SYN-RECV"
  | "UNKNOWN";

/** tcp_info as `ss -i` prints it. Times in milliseconds, rates in bits/s, sizes in bytes unless noted. */
export interface TcpInfo {
  cc?: string; // congestion control: cubic, bbr, reno...
  ts?: boolean;
  sack?: boolean;
  ecn?: boolean;
  wscaleSnd?: number;
  wscaleRcv?: number;
  rto?: number;
  rtt?: number;
  rttvar?: number;
  ato?: number;
  mss?: number;
  pmtu?: number;
  rcvmss?: number;
  advmss?: number;
  cwnd?: number;
  ssthresh?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  bytesAcked?: number;
  bytesReceived?: number;
  segsOut?: number;
  segsIn?: number;
  dataSegsOut?: number;
  dataSegsIn?: number;
  sendBps?: number;
  pacingRateBps?: number;
  deliveryRateBps?: number;
  delivered?: number;
  appLimited?: boolean;
  busyMs?: number;
  rwndLimitedMs?: number;
  sndbufLimitedMs?: number;
  lastsnd?: number;
  lastrcv?: number;
  lastack?: number;
  unacked?: number;
  /** retrans:a/b — a = currently retransmitted segments, b = total retransmissions. */
  retrans?: number;
  retransTotal?: number;
  lost?: number;
  sacked?: number;
  dsack?: number;
  reordering?: number;
  reordSeen?: number;
  rcvRtt?: number;
  rcvSpace?: number;
  rcvSsthresh?: number;
  minrtt?: number;
  notsent?: number;
  sndWnd?: number;
  rcvWnd?: number;
  backoff?: number;
}

export interface SkMem {
  r?: number; // rmem_alloc
  rb?: number; // rcvbuf
  t?: number; // wmem_alloc
  tb?: number; // sndbuf
  f?: number; // fwd_alloc
  w?: number; // wmem_queued
  o?: number; // optmem
  bl?: number; // backlog
  d?: number; // drops
}

export interface SocketEntry {
  state: SocketState;
  recvQ: number;
  sendQ: number;
  localIp: string;
  localPort: number;
  peerIp: string;
  /** 0 for "*". */
  peerPort: number;
  processes?: { name: string; pid: number; fd: number }[];
  /** ss -o timer:(name,expires,retrans) / /proc/net/tcp tr/tm->when/retrnsmt. */
  timer?: { name: string; expiresMs?: number; retrans?: number };
  uid?: number;
  inode?: number;
  info?: TcpInfo;
  skmem?: SkMem;
  source?: SourceRef;
}

/** `ss -s` totals. */
export interface SocketSummary {
  total?: number;
  estab?: number;
  closed?: number;
  orphaned?: number;
  timewait?: number;
  source?: SourceRef;
}

export interface ProcessInfo {
  /** 0 when the input does not say which process (a bare fd count, limits without a pid). */
  pid: number;
  name?: string;
  openFds?: number;
  /** Soft "Max open files" limit. */
  fdLimit?: number;
  fdHardLimit?: number;
  source?: SourceRef;
}

export interface KernelLogLine {
  kind:
    | "conntrack-full"
    | "syn-flood"
    | "tcp-oom"
    | "orphans"
    | "martian"
    | "too-many-orphans"
    | "nic-down"
    | "other";
  text: string;
  /** The port/interface/address the line names, when it names one. */
  subject?: string;
  source?: SourceRef;
}

export interface InterfaceStats {
  name: string;
  mtu?: number;
  rxErrors?: number;
  rxDropped?: number;
  txErrors?: number;
  txDropped?: number;
  rxPackets?: number;
  txPackets?: number;
  /** ethtool -S counters whose name speaks of errors/drops. */
  nicCounters?: Record<string, number>;
  /** Operational state from `ip link`/`ip addr` (UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ...). */
  state?: string;
  /** Addresses with prefix length from `ip addr` ("10.0.0.1/24", "fd00::1/64"). */
  addresses?: string[];
  source?: SourceRef;
}

/** One rule of a packet filter (nft list ruleset, iptables -L -v -n, iptables-save -c) with its counter. */
export interface FirewallRule {
  /** "nft" or "iptables". */
  tool: string;
  /** nft family+table ("inet filter") or iptables table ("filter"). */
  table?: string;
  chain?: string;
  /** Netfilter hook of the chain (input, forward, output, prerouting, postrouting). */
  hook?: string;
  verdict: "accept" | "drop" | "reject" | "other";
  /** For reject: how ("tcp reset", "icmp port-unreachable", ...). */
  rejectWith?: string;
  /** Destination ports the rule matches, when it names them. */
  dports?: number[];
  protocol?: string;
  packets?: number;
  bytes?: number;
  /** The rule text as printed. */
  rule: string;
  source?: SourceRef;
}

/** `tc -s qdisc` statistics of one queueing discipline. */
export interface QdiscStats {
  dev: string;
  kind: string;
  handle?: string;
  /** "root" or the parent handle. */
  parent?: string;
  /** Configured rate (tbf/htb), bits/s. */
  rateBps?: number;
  sentBytes?: number;
  sentPackets?: number;
  dropped?: number;
  overlimits?: number;
  requeues?: number;
  backlogBytes?: number;
  backlogPackets?: number;
  source?: SourceRef;
}

/** One `ping` run (typically `ping -M do -s SIZE dst` to probe the path MTU). */
export interface PingResult {
  dst: string;
  /** IP packet size sent (payload + headers), from "1472(1500) bytes of data". */
  packetSize?: number;
  transmitted?: number;
  received?: number;
  /** "+N errors" of the summary (frag needed, unreachable, local errors). */
  errors?: number;
  lossPercent?: number;
  rttAvgMs?: number;
  /** MTU named by "Frag needed and DF set (mtu = N)" or "message too long, mtu=N". */
  mtuReported?: number;
  source?: SourceRef;
}

export interface ConntrackInfo {
  count?: number;
  max?: number;
  /** conntrack -S summed counters: drop, early_drop, insert_failed, ... */
  stats?: Record<string, number>;
  /** conntrack -L entries, aggregated by source address (top sources). */
  entriesBySource?: Record<string, number>;
  entries?: number;
  source?: SourceRef;
}

/**
 * Everything known about one host. All fields optional: each input fills what it carries and
 * several inputs are merged (mergeHostSnapshots).
 */
export interface HostSnapshot {
  /** Which inputs contributed, and what kind each was detected as. */
  sources: { path: string; kind: string }[];
  hostname?: string;
  kernel?: string;
  /** Wall-clock time of the snapshot (ISO), when known. */
  time?: string;
  sockets?: SocketEntry[];
  /** Whether the socket table carries processes (ss -p) and tcp_info (ss -i). */
  socketsHave?: { processes: boolean; info: boolean; memory: boolean; timers: boolean };
  summary?: SocketSummary;
  /**
   * Sockets per state counted without their rows (`ss -tan state close-wait | wc -l`,
   * `netstat -tan | grep -c CLOSE_WAIT`): the number of sockets, ss's header line already taken off.
   * Several counts of one state keep the largest (they may count it through different filters).
   */
  stateCounts?: Partial<Record<SocketState, number>>;
  /** Where each count was read: the command line and the line holding the number. */
  stateCountSources?: Partial<Record<SocketState, SourceRef[]>>;
  /**
   * Absolute kernel counters with nstat names: TcpRetransSegs, TcpOutSegs, TcpExtListenOverflows,
   * TcpExtSyncookiesSent, IpExtInOctets, ... (/proc/net/snmp "Tcp: RetransSegs" becomes TcpRetransSegs,
   * /proc/net/netstat "TcpExt: ListenOverflows" becomes TcpExtListenOverflows).
   */
  counters?: Record<string, number>;
  /** Where each counter was read (same keys as counters), so findings can cite the line. */
  counterSources?: Record<string, SourceRef>;
  /** Counter increases over an interval (two snapshots, or nstat's delta output). */
  counterDeltas?: { seconds?: number; values: Record<string, number>; source?: string };
  /** sysctl name (dotted, e.g. net.ipv4.tcp_syncookies) → raw value string. */
  sysctls?: Record<string, string>;
  /** Where each sysctl was read (same keys as sysctls). */
  sysctlSources?: Record<string, SourceRef>;
  sockstat?: {
    tcpInuse?: number;
    tcpOrphan?: number;
    tcpTw?: number;
    tcpAlloc?: number;
    /** TCP memory in pages. */
    tcpMem?: number;
    /** sockstat6 "TCP6: inuse". */
    tcp6Inuse?: number;
    source?: SourceRef;
  };
  conntrack?: ConntrackInfo;
  processes?: ProcessInfo[];
  /** `ulimit -n` of the shell that collected. */
  ulimitNofile?: number;
  kernelLog?: KernelLogLine[];
  interfaces?: InterfaceStats[];
  /**
   * `ip route get` results: destination → device, source, mtu. Entries of an `ip route` table
   * land here too, their dst being "default" or a prefix ("10.0.0.0/24").
   */
  routes?: {
    dst: string;
    dev?: string;
    src?: string;
    via?: string;
    mtu?: number;
    /** `ip route get` failed ("Network is unreachable", "unreachable", "prohibit"). */
    error?: string;
    source?: SourceRef;
  }[];
  /** Path MTU observations from ping -M do / tracepath. */
  pmtu?: { dst?: string; pmtu: number; source?: SourceRef }[];
  /** ping runs (reachability and DF-size probes). */
  pings?: PingResult[];
  /** Packet filter rules with counters (nft, iptables). */
  firewall?: FirewallRule[];
  /** Queueing disciplines with drop/overlimit counters (tc -s qdisc). */
  qdiscs?: QdiscStats[];
  /** Things that could not be read (permission, missing tool), said once in the report. */
  unavailable?: string[];
}
