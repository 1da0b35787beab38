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
   * Absolute kernel counters with nstat names: TcpRetransSegs, TcpOutSegs, TcpExtListenOverflows,
   * TcpExtSyncookiesSent, IpExtInOctets, ... (/proc/net/snmp "Tcp: RetransSegs" becomes TcpRetransSegs,
   * /proc/net/netstat "TcpExt: ListenOverflows" becomes TcpExtListenOverflows).
   */
  counters?: Record<string, number>;
  /** Counter increases over an interval (two snapshots, or nstat's delta output). */
  counterDeltas?: { seconds?: number; values: Record<string, number>; source?: string };
  /** sysctl name (dotted, e.g. net.ipv4.tcp_syncookies) → raw value string. */
  sysctls?: Record<string, string>;
  sockstat?: {
    tcpInuse?: number;
    tcpOrphan?: number;
    tcpTw?: number;
    tcpAlloc?: number;
    /** TCP memory in pages. */
    tcpMem?: number;
  };
  conntrack?: ConntrackInfo;
  processes?: ProcessInfo[];
  /** `ulimit -n` of the shell that collected. */
  ulimitNofile?: number;
  kernelLog?: KernelLogLine[];
  interfaces?: InterfaceStats[];
  /** `ip route get` results: destination → device, source, mtu. */
  routes?: { dst: string; dev?: string; src?: string; via?: string; mtu?: number; source?: SourceRef }[];
  /** Path MTU observations from ping -M do / tracepath. */
  pmtu?: { dst?: string; pmtu: number; source?: SourceRef }[];
  /** Things that could not be read (permission, missing tool), said once in the report. */
  unavailable?: string[];
}
