// Kernel tunables in plain words: what the setting does, and whether this value is unusual.

type Judge = (value: string, nums: number[]) => string | undefined;

interface Tunable {
  what: string;
  judge?: Judge;
}

const TUNABLES: Record<string, Tunable> = {
  "net.ipv4.tcp_syncookies": {
    what: "answer SYNs with a cookie when the SYN queue is full (1), always (2), or never (0)",
    judge: (v) =>
      v === "0"
        ? "Off: a SYN flood fills the SYN queue and real clients are refused. Turn it on (1)."
        : v === "2"
          ? "Always: cookies on every SYN, even without a flood; TCP options such as window scale are squeezed into the cookie."
          : "On when needed: the usual and safe setting.",
  },
  "net.ipv4.tcp_max_syn_backlog": {
    what: "size of each listener's queue of half-open connections (SYN-RECV)",
    judge: (_v, [n]) =>
      n < 1024 ? "Small: a burst of clients overflows it; raise it (for example 4096 or more)." : undefined,
  },
  "net.core.somaxconn": {
    what: "upper limit of a listen() backlog (the accept queue of established connections)",
    judge: (_v, [n]) =>
      n < 1024 ? "Small for a busy server: listen(…, large) is silently capped to this value." : undefined,
  },
  "net.ipv4.tcp_congestion_control": {
    what: "congestion control for new connections",
    judge: (v) =>
      v === "cubic"
        ? "CUBIC (the default): loss-based; on long, lossy paths BBR keeps much more throughput."
        : v === "bbr"
          ? "BBR: model-based, tolerant of random loss; pair it with the fq qdisc (net.core.default_qdisc=fq) for pacing on older kernels."
          : undefined,
  },
  "net.ipv4.tcp_available_congestion_control": {
    what: "congestion control algorithms loaded in this kernel",
  },
  "net.ipv4.tcp_allowed_congestion_control": {
    what: "algorithms unprivileged applications may pick per socket (TCP_CONGESTION)",
  },
  "net.core.default_qdisc": { what: "queueing discipline given to new network interfaces" },
  "net.ipv4.tcp_rmem": {
    what: "receive buffer per TCP socket: minimum, default, maximum in bytes (autotuning grows it up to the maximum)",
    judge: (_v, n) =>
      n[2] !== undefined && n[2] < 4 * 1024 * 1024
        ? `Maximum ${Math.round(n[2] / 1024)} KiB: caps one connection at about that much data per round trip (fine on a LAN, too small for fast long paths).`
        : undefined,
  },
  "net.ipv4.tcp_wmem": {
    what: "send buffer per TCP socket: minimum, default, maximum in bytes",
    judge: (_v, n) =>
      n[2] !== undefined && n[2] < 4 * 1024 * 1024
        ? `Maximum ${Math.round(n[2] / 1024)} KiB: limits what one connection can keep in flight.`
        : undefined,
  },
  "net.core.rmem_max": { what: "largest receive buffer an application may request with SO_RCVBUF" },
  "net.core.wmem_max": { what: "largest send buffer an application may request with SO_SNDBUF" },
  "net.ipv4.tcp_mem": {
    what: "TCP memory for all sockets, in pages: no pressure below the first, pressure from the second, hard limit at the third",
  },
  "net.ipv4.tcp_window_scaling": {
    what: "window scale option (windows above 64 KiB)",
    judge: (v) =>
      v === "0"
        ? "Off: windows are capped at 64 KiB, throughput at 64 KiB per round trip. Turn it on."
        : undefined,
  },
  "net.ipv4.tcp_sack": {
    what: "selective acknowledgments",
    judge: (v) => (v === "0" ? "Off: each loss costs resending everything after it. Turn it on." : undefined),
  },
  "net.ipv4.tcp_timestamps": { what: "TCP timestamps (RTT measurement, PAWS)" },
  "net.ipv4.tcp_keepalive_time": {
    what: "seconds of idle before the first keepalive probe (only on sockets with SO_KEEPALIVE)",
    judge: (_v, [n]) =>
      n >= 7200
        ? "Two hours: NATs and firewalls usually forget idle connections much sooner; applications that need keepalive should set TCP_KEEPIDLE lower."
        : n < 10
          ? "Very short: probes after a few seconds of idle, needless traffic on many connections."
          : undefined,
  },
  "net.ipv4.tcp_keepalive_intvl": { what: "seconds between unanswered keepalive probes" },
  "net.ipv4.tcp_keepalive_probes": { what: "unanswered keepalive probes before the connection is dropped" },
  "net.ipv4.tcp_fin_timeout": {
    what: "seconds an orphaned connection may stay in FIN-WAIT-2 (it does not shorten TIME-WAIT)",
  },
  "net.ipv4.tcp_tw_reuse": {
    what: "reuse TIME-WAIT sockets for new outgoing connections when timestamps make it safe (1 = on, 2 = loopback only)",
  },
  "net.ipv4.tcp_max_tw_buckets": {
    what: "most TIME-WAIT sockets kept; beyond it they are destroyed at once (TCPTimeWaitOverflow)",
  },
  "net.ipv4.ip_local_port_range": {
    what: "ephemeral ports for outgoing connections",
    judge: (_v, [lo, hi]) =>
      hi !== undefined && lo !== undefined
        ? `${hi - lo + 1} ports: at most that many concurrent connections (TIME-WAIT included) to one destination address and port.`
        : undefined,
  },
  "net.ipv4.tcp_syn_retries": {
    what: "SYN retransmissions before connect() gives up",
    judge: (_v, [n]) =>
      `connect() to a silent destination fails after about ${[1, 3, 7, 15, 31, 63, 127][Math.min(n, 6)] ?? 127} s with the classic doubling schedule.`,
  },
  "net.ipv4.tcp_synack_retries": { what: "SYN-ACK retransmissions for a half-open connection" },
  "net.ipv4.tcp_syn_linear_timeouts": {
    what: "SYN retransmissions sent at a fixed 1 s interval before exponential backoff starts (newer kernels)",
  },
  "net.ipv4.tcp_retries2": {
    what: "retransmissions of data before an established connection is dropped",
    judge: (_v, [n]) =>
      n >= 15
        ? "15 (default): a dead peer is detected after about 15 minutes of unacknowledged data."
        : undefined,
  },
  "net.ipv4.tcp_mtu_probing": {
    what: "packetization-layer path-MTU discovery (0 off, 1 after a black hole is suspected, 2 always)",
    judge: (v) =>
      v === "0"
        ? "Off: a path-MTU black hole (filtered ICMP) stalls connections; 1 lets TCP find a working size itself."
        : undefined,
  },
  "net.ipv4.ip_no_pmtu_disc": { what: "disable path-MTU discovery (send without Don't Fragment)" },
  "net.ipv4.tcp_slow_start_after_idle": {
    what: "shrink the congestion window after an idle period",
    judge: (v) =>
      v === "1"
        ? "On (default): long-lived connections that pause restart slowly; 0 helps request/response traffic on long paths."
        : undefined,
  },
  "net.ipv4.tcp_notsent_lowat": {
    what: "how much unsent data a socket may buffer before it stops reporting writable",
  },
  "net.core.netdev_max_backlog": { what: "packets queued per CPU between the NIC and the protocol stack" },
  "net.ipv4.tcp_abort_on_overflow": {
    what: "reset connections when the accept queue is full instead of dropping the handshake silently",
    judge: (v) =>
      v === "1"
        ? "On: clients get connection resets during bursts instead of retrying; usually better left off."
        : undefined,
  },
  "net.ipv4.tcp_ecn": { what: "Explicit Congestion Notification (0 off, 1 on, 2 only when the peer asks)" },
  "net.ipv4.tcp_fastopen": { what: "TCP Fast Open (bit 1 client, bit 2 server)" },
  "net.ipv4.tcp_max_orphans": {
    what: "most connections closed by their application but still finishing in the kernel",
  },
  "net.ipv4.tcp_orphan_retries": { what: "retransmissions before an orphaned connection is dropped" },
  "net.netfilter.nf_conntrack_max": {
    what: "size of the connection-tracking table (firewall/NAT state); when it is full new connections are dropped",
  },
  "net.netfilter.nf_conntrack_count": { what: "entries in the connection-tracking table right now" },
  "net.netfilter.nf_conntrack_tcp_timeout_established": {
    what: "seconds an idle established connection stays in the connection-tracking table",
  },
  "net.ipv4.tcp_rfc1337": { what: "protect TIME-WAIT sockets against reset assassination" },
  "net.ipv4.tcp_autocorking": { what: "coalesce small writes while earlier data waits in the queue" },
  "net.ipv4.ip_forward": { what: "route packets between interfaces (1 on a router)" },
};

/** What one sysctl does and what this value means. Undefined for names we have no words for. */
export function explainSysctl(name: string, value: string): string | undefined {
  const t = TUNABLES[name];
  if (!t) return undefined;
  const nums = value
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isFinite(n));
  const judged = t.judge?.(value.trim(), nums);
  return `${name} = ${value.trim()}: ${t.what}.${judged ? ` ${judged}` : ""}`;
}
