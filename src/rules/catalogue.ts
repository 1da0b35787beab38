// The diagnosis catalogue: for every id of the public contract (spec/diagnoses.md), the words an
// operator reads — title, cause, the one fix, the fallbacks, and how to confirm on the live system.
// Rules only decide *whether* a diagnosis applies and with which numbers; the text lives here so the
// same id reads the same whatever evidence produced it.
//
// Text may carry placeholders ({server}, {serverIp}, {serverPort}, {client}, {clientIp}, {iface});
// makeFinding fills them with the specifics a rule knows, else with an obvious stand-in (SERVER_IP).
import type { Confidence, Finding, Severity } from "./types.js";
import { strictlyIncreasing } from "./sorted.js";

export type Category = "connecting" | "transfer" | "closing" | "host" | "evidence";

export interface CatalogueEntry {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  /** Which kinds of evidence can take part in this diagnosis. */
  evidence: ("capture" | "host" | "probe")[];
  /**
   * Kinds of `evidence` that take part only beside another kind, never on their own: a refused SYN
   * in a capture names the port, and only the host's sockets (or a probe of a local address) can
   * say whether something listens there. Absent: every kind of `evidence` is enough on its own.
   */
  supportOnly?: ("capture" | "host" | "probe")[];
  /** Default one-line summary, used when a rule gives no specific one. */
  summary: string;
  cause: string;
  fix: string;
  alternatives: string[];
  confirm: string[];
  /**
   * Ranking weight (0-100): how likely this finding is the answer to "what is wrong here" when it
   * appears beside others of the same severity. Root causes weigh more than their symptoms.
   */
  weight: number;
  /** Ids that are usually symptoms of this one: on the same streams they are demoted to info. */
  explains?: string[];
}

/** Stand-ins for placeholders a rule did not fill. */
const PLACEHOLDER_DEFAULTS: Record<string, string> = {
  server: "SERVER_IP:PORT",
  serverIp: "SERVER_IP",
  serverPort: "PORT",
  client: "CLIENT_IP:PORT",
  clientIp: "CLIENT_IP",
  iface: "IFACE",
  pid: "PID",
  process: "PROCESS",
};

const entries: CatalogueEntry[] = [
  // ---------------------------------------------------------------- connecting
  {
    id: "connect-refused",
    title: "Connection refused: nothing accepts connections on that address and port",
    category: "connecting",
    severity: "critical",
    evidence: ["capture", "probe"],
    summary:
      "The SYN was answered at once by a RST: the host is reachable but no socket listens on that port.",
    cause:
      "The destination host answered the SYN with a RST, which its TCP stack does when no socket is bound to that port (service stopped or crashed, listening on another port, bound to another address), or when a firewall rule rejects with tcp-reset. The network path works: the RST came back.",
    fix: "Start the service on {server}, or point the client at the port the service really listens on; check with `ss -ltnp` on {serverIp} which ports are open.",
    alternatives: [
      "If the service runs but is bound to 127.0.0.1 or another address, bind it to 0.0.0.0/:: or the address clients use (listen/bind setting of the service), then restart it.",
      "If something does listen on {serverPort}, look for a REJECT rule instead: `nft list ruleset | grep -n reject` or `iptables -S | grep -- '-j REJECT'` on {serverIp} and on firewalls in between.",
      "If the port is right and the service flaps, make the client retry with backoff and alert on the service's health check rather than on connect errors.",
    ],
    confirm: [
      "ss -ltnp 'sport = :{serverPort}'   # on {serverIp}: empty means nothing listens",
      "systemctl status <service>; journalctl -u <service> --since -1h   # did it crash or fail to bind?",
      "tcpdump -ni any 'host {serverIp} and tcp port {serverPort} and tcp[tcpflags] & (tcp-syn|tcp-rst) != 0'",
      "nc -vz -w 3 {serverIp} {serverPort}",
    ],
    weight: 90,
  },
  {
    id: "firewall-reject",
    title: "Connection rejected by a firewall rule while the service listens",
    category: "connecting",
    severity: "critical",
    evidence: ["capture", "host", "probe"],
    supportOnly: ["capture"],
    summary:
      "SYNs are answered by RST although a socket listens on the port: a REJECT rule answers for the service.",
    cause:
      "A packet filter on the server or on the path answers the SYN with a TCP reset (REJECT --reject-with tcp-reset / nft 'reject with tcp reset') before it reaches the listening socket. From the client this is indistinguishable from a closed port; the server's own RST counter does not move.",
    fix: "Remove or narrow the reject rule for TCP {serverPort} (allow the client's source range) in the server's nftables/iptables policy or the security group in front of it.",
    alternatives: [
      "List the matching rule with its counter: `nft -a list ruleset | grep -n -B2 -A2 reject` or `iptables -L INPUT -v -n --line-numbers`, then delete it by handle/number.",
      "If a host firewall manager owns the rules, change it there instead (firewall-cmd --add-port={serverPort}/tcp --permanent; ufw allow {serverPort}/tcp) so the rule does not come back.",
    ],
    confirm: [
      "ss -ltn 'sport = :{serverPort}'   # a LISTEN socket exists",
      "nft list ruleset | grep -n -i reject; iptables -S | grep -i reject",
      "nstat -az TcpOutRsts   # on the server: does not rise while clients are refused when a firewall answers",
    ],
    weight: 93,
    explains: ["connect-refused"],
  },
  {
    id: "connect-timeout",
    title: "Connection timeout: SYNs vanish without any answer",
    category: "connecting",
    severity: "critical",
    evidence: ["capture", "probe", "host"],
    summary:
      "The SYN was retransmitted and never answered — no SYN-ACK, no RST, no ICMP: something drops it silently.",
    cause:
      "Every SYN was retransmitted on the kernel's schedule and nothing came back: no SYN-ACK, no RST and no ICMP error. A closed port would answer with a RST at once, so the SYNs (or the answers) are being dropped silently — a firewall or security group with a DROP policy, a missing route or return route, or the host is down.",
    fix: "Allow TCP {serverPort} to {serverIp} in the firewall or security group that drops it (start with the server's own input policy and the cloud security group), then retry the connect.",
    alternatives: [
      "Check the path: `ip route get {serverIp}` on the client and the route back to the client on the server; `traceroute -T -p {serverPort} -n {serverIp}` shows where TCP stops.",
      "Capture on the server at the same time: if the SYNs arrive there and still get no answer, the drop is on the server (nft/iptables DROP, a full accept queue, rp_filter); if they never arrive, it is on the path.",
      "If the host itself is down, fix that first: `ping -c 3 {serverIp}` and the provider's console.",
      "Lower the client's connect timeout (and net.ipv4.tcp_syn_retries) so callers fail fast while the drop is being fixed — this shortens the wait, it does not cure it.",
    ],
    confirm: [
      "tcpdump -ni any 'host {serverIp} and tcp port {serverPort}'   # on both ends: do SYNs arrive, does anything leave?",
      "nft list ruleset | grep -n -i drop; iptables -L -v -n | grep -i drop   # on the server: do counters rise with each SYN?",
      "ss -tan state syn-sent '( dport = :{serverPort} )'   # on the client: stuck SYN-SENT sockets",
      "nc -vz -w 5 {serverIp} {serverPort}",
    ],
    weight: 88,
    explains: ["slow-handshake"],
  },
  {
    id: "intermittent-connect-failure",
    title: "Some connection attempts fail while others to the same service succeed",
    category: "connecting",
    severity: "warning",
    evidence: ["capture", "probe"],
    summary:
      "Part of the connection attempts to the same service get no answer while the rest connect normally: a limit is being hit, not an outage.",
    cause:
      "The service and the path work for some connections and silently drop others. When the failures start once a certain number of connections is open, a limit on the way is full: a stateful firewall/NAT connection table (conntrack), a per-source connection limit, or the server's accept queue. Failures spread evenly over time point to a lossy or overloaded device instead.",
    fix: "Find the device whose connection table or limit is full (conntrack on the firewall/NAT in front of {server}, a connlimit rule, the load balancer's connection cap) and raise that limit or cut the number of connections held open (pool and reuse them).",
    alternatives: [
      "On a Linux firewall/NAT: `sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max`; raise with `sysctl -w net.netfilter.nf_conntrack_max=<2x current>` (and the hash size), and shorten timeouts of idle entries (net.netfilter.nf_conntrack_tcp_timeout_established).",
      "If the server's accept queue overflows instead (`nstat -az TcpExtListenOverflows` rising), fix its accept loop and raise the listen backlog.",
      "Exempt high-volume, already-trusted flows from tracking (nft 'notrack' in the raw/prerouting hook) so they stop filling the table.",
    ],
    confirm: [
      "conntrack -C; sysctl net.netfilter.nf_conntrack_max   # on the firewall/NAT: count at the maximum?",
      "conntrack -S | grep -o 'drop=[0-9]*\\|insert_failed=[0-9]*'; dmesg | grep -i 'table full'",
      "nstat -az TcpExtListenOverflows TcpExtListenDrops   # on the server",
      "tcpdump -ni any 'tcp port {serverPort} and tcp[tcpflags] & tcp-syn != 0'   # which SYNs get no SYN-ACK, and since when?",
    ],
    weight: 86,
    explains: ["connect-timeout", "slow-handshake"],
  },
  {
    id: "handshake-incomplete",
    title: "Handshake never completes: SYN-ACK sent, final ACK never arrives",
    category: "connecting",
    severity: "warning",
    evidence: ["capture", "host"],
    summary: "The server answers SYNs with SYN-ACKs (and retransmits them) but the client's ACK never comes.",
    cause:
      "The server accepted the SYN and sent SYN-ACKs, but the client's final ACK never reached it. Either the return path to the client is broken (asymmetric routing, a firewall that allows inbound SYNs but drops outbound SYN-ACKs, NAT state missing), the client gave up, or the SYNs carry spoofed sources that never answer.",
    fix: "Fix the path from {serverIp} back to the clients: check the server's route to the client addresses and any firewall/NAT that must see both directions of the flow.",
    alternatives: [
      "If the sources look random and numerous, treat it as a SYN flood: keep net.ipv4.tcp_syncookies=1 and filter upstream.",
      "With asymmetric routing through a stateful firewall, make both directions pass the same device or relax its state checks for this flow.",
      "Lower net.ipv4.tcp_synack_retries (default 5) so half-open entries are dropped sooner while the path is fixed.",
    ],
    confirm: [
      "ss -tan state syn-recv '( sport = :{serverPort} )'   # on the server: half-open entries",
      "ip route get {clientIp}   # on the server: does the answer leave through the right device?",
      "tcpdump -ni any 'host {clientIp} and tcp port {serverPort}'   # on the client: do SYN-ACKs arrive?",
    ],
    weight: 70,
    explains: ["slow-handshake"],
  },
  {
    id: "slow-handshake",
    title: "Slow connection setup",
    category: "connecting",
    severity: "warning",
    evidence: ["capture", "probe"],
    summary:
      "Connections succeed, but only after SYN retransmissions or with a SYN-ACK much slower than the path's RTT.",
    cause:
      "The handshake takes far longer than the round trip of the same path: either the first SYN (or SYN-ACK) was lost and TCP waited its 1 s initial timeout before retrying, or the server answers SYNs late because its SYN queue or CPU is overloaded. Every connection pays this delay before any request is sent.",
    fix: "Find where the first SYN is lost: compare SYN counts at the client and the server at the same time; a server whose listen queue overflows (`nstat -az TcpExtListenOverflows`) needs its accept loop fixed and a larger backlog, a lossy hop needs fixing.",
    alternatives: [
      "Reuse connections (keep-alive/pooling) so the setup cost is paid once, not per request.",
      "If a SYN-rate limiter in front of {server} drops bursts, raise its burst size.",
    ],
    confirm: [
      "tcpdump -ni any 'tcp port {serverPort} and tcp[tcpflags] & tcp-syn != 0' -ttt   # gaps of ~1 s between identical SYNs",
      "nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop   # on the server",
      "curl -o /dev/null -s -w 'connect %{time_connect}s\\n' http://{server}/",
    ],
    weight: 50,
  },
  {
    id: "syn-flood",
    title: "SYN flood: many SYNs from many sources, almost none complete",
    category: "connecting",
    severity: "critical",
    evidence: ["capture", "host"],
    summary:
      "A burst of SYNs from a large number of distinct sources that never complete the handshake is filling the server's SYN queue.",
    cause:
      "Thousands of connection attempts arrive from many (usually spoofed) source addresses and never send the final ACK. Each one holds a SYN-RECV entry and triggers SYN-ACK retransmissions until the SYN queue is full; after that the kernel either answers with SYN cookies (the flood is absorbed, legitimate clients still connect) or drops new SYNs (legitimate clients time out).",
    fix: "Keep SYN cookies on (net.ipv4.tcp_syncookies=1) and filter the flood upstream — DDoS protection or a SYN rate limit at the edge in front of {server}.",
    alternatives: [
      "Give the listener room: raise the application's listen backlog together with net.core.somaxconn and net.ipv4.tcp_max_syn_backlog (e.g. 4096).",
      "Shorten the life of half-open entries: `sysctl -w net.ipv4.tcp_synack_retries=2`.",
      "Rate-limit new SYNs per port on the host: `nft add rule inet filter input tcp dport {serverPort} tcp flags & (syn|ack) == syn limit rate over 1000/second burst 2000 packets drop` (size the rate above the legitimate peak).",
    ],
    confirm: [
      "nstat -az TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop TcpExtListenDrops",
      "ss -tan state syn-recv '( sport = :{serverPort} )' | wc -l   # at the SYN backlog limit during the flood?",
      "ss -tan state syn-recv | awk 'NR>1 {sub(/:[0-9]+$/, \"\", $4); print $4}' | sort | uniq -c | sort -rn | head   # many sources or a few?",
      "sysctl net.ipv4.tcp_syncookies net.ipv4.tcp_max_syn_backlog net.core.somaxconn",
    ],
    weight: 96,
    explains: ["handshake-incomplete", "syn-backlog-full", "connect-timeout", "intermittent-connect-failure"],
  },
  {
    id: "syn-backlog-full",
    title: "SYN backlog full without SYN cookies: new clients are dropped",
    category: "connecting",
    severity: "critical",
    evidence: ["host"],
    summary:
      "SYN-RECV entries sit at the SYN backlog limit and SYN cookies are off, so new SYNs are dropped.",
    cause:
      "The queue of half-open connections is full and net.ipv4.tcp_syncookies is 0, so the kernel silently drops new SYNs: legitimate clients see SYN retransmissions and timeouts. A flood or a broken return path keeps the entries from completing.",
    fix: "Turn SYN cookies on: `sysctl -w net.ipv4.tcp_syncookies=1` (persist it in /etc/sysctl.d/), then find out why half-open entries pile up.",
    alternatives: [
      "Raise net.ipv4.tcp_max_syn_backlog and the listener's backlog (with net.core.somaxconn) to absorb bursts.",
      "Lower net.ipv4.tcp_synack_retries to 2 so stale SYN-RECV entries expire faster.",
    ],
    confirm: [
      "ss -tan state syn-recv | wc -l; sysctl net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies",
      "nstat -az TcpExtTCPReqQFullDrop TcpExtListenDrops",
    ],
    weight: 91,
  },
  {
    id: "listen-overflow",
    title: "Listen queue overflow: the server does not accept() connections fast enough",
    category: "connecting",
    severity: "critical",
    evidence: ["capture", "host"],
    summary:
      "The listener's accept queue is full: the kernel drops new SYNs (and handshake ACKs) although the host and the network are fine.",
    cause:
      "Completed connections wait in the listener's accept queue until the application calls accept(). The application takes them too slowly (blocked or too few accept workers) and the queue — sized by the listen() backlog, capped by net.core.somaxconn — is full, so the kernel drops further SYNs and final ACKs (ListenOverflows/ListenDrops). Clients see SYN retransmissions and slow or failed connects.",
    fix: "Make the service on {server} accept() promptly — unblock or parallelise its accept loop, add workers — and give it a realistic backlog (e.g. listen(fd, 4096) or the server's backlog setting, with net.core.somaxconn at least as large).",
    alternatives: [
      "Raise the cap the backlog is clipped to: `sysctl -w net.core.somaxconn=4096` (persist in /etc/sysctl.d/) and restart the service so it re-listens with the larger backlog.",
      "Put more instances behind the port (SO_REUSEPORT workers or more replicas) if a single process cannot keep up.",
      "Only to make overload visible to clients instead of silent: net.ipv4.tcp_abort_on_overflow=1 (clients then get resets).",
    ],
    confirm: [
      "ss -ltn 'sport = :{serverPort}'   # LISTEN Recv-Q (queued) reaching Send-Q (backlog) means full",
      "nstat -az TcpExtListenOverflows TcpExtListenDrops   # rising while clients fail",
      "sysctl net.core.somaxconn net.ipv4.tcp_max_syn_backlog",
    ],
    weight: 95,
    explains: [
      "connect-timeout",
      "intermittent-connect-failure",
      "slow-handshake",
      "handshake-incomplete",
      "close-wait-leak",
      "dead-peer",
    ],
  },
  {
    id: "no-listener",
    title: "Nothing listens on the port clients use",
    category: "connecting",
    severity: "critical",
    evidence: ["host", "capture", "probe"],
    supportOnly: ["capture"],
    summary: "Clients try a port that has no LISTEN socket on this host.",
    cause:
      "The socket table has no listener for the port clients connect to, so the kernel refuses every connection. The service is stopped, crashed, or configured for another port or address.",
    fix: "Start the service (or fix its listen address/port) so that `ss -ltn` shows a LISTEN socket on {serverPort}.",
    alternatives: [
      "If the service moved to another port on purpose, update the clients' configuration or the load balancer's target port.",
      "Check that the service did not fail to bind (address already in use, permission on ports < 1024): journalctl -u <service>.",
    ],
    confirm: ["ss -ltnp 'sport = :{serverPort}'", "systemctl status <service>"],
    weight: 91,
    explains: ["connect-refused"],
  },
  {
    id: "listener-loopback-only",
    title: "Service listens on loopback only",
    category: "connecting",
    severity: "critical",
    evidence: ["host", "capture", "probe"],
    supportOnly: ["capture"],
    summary: "The service is bound to 127.0.0.1/::1, so connections from other hosts are refused.",
    cause:
      "The listening socket is bound to the loopback address. Local clients connect fine, remote clients reach the host but the kernel finds no socket for the external address and answers with RST.",
    fix: "Bind the service to 0.0.0.0 / :: or to the address remote clients use (its listen/bind setting, e.g. bind-address, listen_addresses, --host) and restart it.",
    alternatives: [
      "If loopback-only is intended, put a reverse proxy on the public address in front of it and let clients use that.",
    ],
    confirm: ["ss -ltnp 'sport = :{serverPort}'   # Local Address 127.0.0.1 or [::1]"],
    weight: 92,
    explains: ["connect-refused"],
  },
  {
    id: "dns-failure",
    title: "Name resolution fails",
    category: "connecting",
    severity: "critical",
    evidence: ["probe", "host"],
    summary:
      "The target name does not resolve (or resolves to an unexpected address), so no connection is even attempted.",
    cause:
      "The resolver returned no address (NXDOMAIN, SERVFAIL, timeout) or an address that is not the service. Nothing reaches TCP: the failure is in DNS configuration, the resolver, or the record itself.",
    fix: "Fix the record or the resolver the client uses: query it directly (`dig NAME @<resolver>`) and correct the zone or /etc/resolv.conf / the search domain.",
    alternatives: [
      "If a stale cache serves an old address, flush it (resolvectl flush-caches, restart nscd/dnsmasq) and lower the record's TTL before future moves.",
      "As a stop-gap, pin the address in /etc/hosts on the affected clients.",
    ],
    confirm: [
      "getent ahosts NAME",
      "dig +short NAME; dig NAME @<resolver>",
      "resolvectl status; cat /etc/resolv.conf",
    ],
    weight: 92,
  },
  {
    id: "no-route",
    title: "No route to the destination",
    category: "connecting",
    severity: "critical",
    evidence: ["capture", "probe", "host"],
    summary: "The destination is unreachable: no route, or an ICMP unreachable came back.",
    cause:
      "The kernel has no route to the destination, or a router on the path answered with ICMP destination/host/network unreachable (or administratively prohibited). The connection cannot start until routing or the filter is fixed.",
    fix: "Add or correct the route to {serverIp} (default gateway, VPN/peering route, or the router that sends the unreachable).",
    alternatives: [
      "If the ICMP says 'administratively prohibited', it is a firewall rule on that router: allow the flow there.",
      "Check neighbour resolution on the last hop: `ip neigh show {serverIp}` (FAILED means the host is down or on another segment).",
    ],
    confirm: ["ip route get {serverIp}", "traceroute -n -T -p {serverPort} {serverIp}", "ip neigh show"],
    weight: 91,
  },

  // ---------------------------------------------------------------- data transfer
  {
    id: "packet-loss",
    title: "Packet loss on the path",
    category: "transfer",
    severity: "warning",
    evidence: ["capture", "host"],
    summary: "Segments are lost and retransmitted far more often than healthy TCP does.",
    cause:
      "Data segments (or their ACKs) are being dropped between the hosts, so the sender has to retransmit — quickly after duplicate ACKs/SACKs, or after a retransmission timeout when a whole flight is lost. Each loss also makes a loss-based congestion control shrink its window, so throughput falls far below the path's capacity. Typical causes: a faulty cable/NIC/optic, an overloaded or misconfigured device, a policer, or wireless/WAN quality.",
    fix: "Find and fix the dropping hop: check error and drop counters on every interface along the path ({iface} on both hosts, then switches/routers) and replace or reconfigure the one that counts the drops.",
    alternatives: [
      "Locate the hop: `mtr -n -T -P {serverPort} -c 300 {serverIp}` and compare loss per hop (loss that continues to the end is real).",
      "If the loss cannot be fixed soon and the path is long, move the sender to BBR, which does not halve its rate on random loss: `sysctl -w net.ipv4.tcp_congestion_control=bbr` (with net.core.default_qdisc=fq), or per socket with TCP_CONGESTION.",
      "If a policer drops bursts, shape the traffic below the policed rate instead (tc tbf/htb, or pacing with fq).",
    ],
    confirm: [
      "ip -s link show dev {iface}; ethtool -S {iface} | grep -iE 'err|drop|crc|discard|miss'",
      "nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPLostRetransmit TcpExtTCPTimeouts   # RetransSegs/OutSegs well below 0.1% is healthy",
      "ss -ti dst {serverIp}   # retrans:cur/total and cwnd per connection",
      "mtr -n -T -P {serverPort} -c 300 {serverIp}",
    ],
    weight: 74,
  },
  {
    id: "cwnd-limited-lossy-path",
    title: "Loss keeps the congestion window small on a long path",
    category: "transfer",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "Recurring loss makes a loss-based congestion control (CUBIC/Reno) cut its window again and again, so throughput stays far below the path's capacity.",
    cause:
      "CUBIC and Reno treat every loss as congestion and cut the congestion window by 30-50%. With steady random loss on a path of some tens of milliseconds, the window never grows back: throughput settles near MSS/RTT x 1.2/sqrt(loss rate), whatever the link speed. The window, not the link or the receiver, is the limit.",
    fix: "Fix the loss at its source if you can; otherwise switch the sender to BBR, which paces at the measured bottleneck rate and does not back off on random loss: `modprobe tcp_bbr; sysctl -w net.core.default_qdisc=fq net.ipv4.tcp_congestion_control=bbr` on {clientIp}'s side that sends the data (persist in /etc/sysctl.d/).",
    alternatives: [
      'Switch only the affected service: setsockopt(TCP_CONGESTION, "bbr") in the application, or per route: `ip route replace <prefix> via <gw> congctl bbr`.',
      "Shorten the path (serve from a closer region/CDN) — the loss-limited rate scales with 1/RTT.",
      "Use several parallel connections for bulk transfers when neither loss nor the congestion control can be changed.",
    ],
    confirm: [
      "ss -ti dst {serverIp}   # cubic/reno with small cwnd, ssthresh near cwnd, retrans:x/y growing",
      "sysctl net.ipv4.tcp_congestion_control net.ipv4.tcp_available_congestion_control",
      "nstat -az TcpRetransSegs TcpOutSegs",
    ],
    weight: 72,
  },
  {
    id: "bandwidth-bottleneck",
    title: "Throughput capped by a bottleneck link or rate limit",
    category: "transfer",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "Throughput sits flat at a ceiling while the RTT grows with queueing: a slow link or shaper on the path is the limit.",
    cause:
      "The sender always had data and the receiver's window stayed open, yet throughput stayed at a constant ceiling while round-trip times rose far above the idle RTT — the signature of a queue building in front of a slower link or a rate limiter (token bucket, policer, plan limit). The drops seen are that queue overflowing, not a faulty link.",
    fix: "Raise or remove the rate limit on the path (shaper/policer or link speed between {clientIp} and {serverIp}), or provision more bandwidth for this flow.",
    alternatives: [
      "If the limit is intended, keep its queue short so it stops adding delay: use an AQM qdisc at the bottleneck (`tc qdisc replace dev {iface} root cake bandwidth <rate>` or fq_codel under an htb class).",
      "Schedule or compress the bulk transfer so interactive traffic does not sit behind it.",
    ],
    confirm: [
      "tc -s qdisc show dev {iface}   # on the shaping device: drops, overlimits and a standing backlog",
      "ping -c 20 {serverIp}   # during the transfer vs idle: RTT rises with the queue",
      "iperf3 -c {serverIp} -t 20   # a flat rate at the same ceiling",
    ],
    weight: 82,
    explains: ["packet-loss", "window-limited", "cwnd-limited-lossy-path"],
  },
  {
    id: "receiver-zero-window",
    title: "Receiver stalls the transfer with a zero window",
    category: "transfer",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "The receiving side advertised a zero window and the sender had to stop: the receiving application does not read its socket fast enough.",
    cause:
      "TCP flow control: the receiver's socket buffer filled because the application on the receiving side did not read, so its kernel advertised a window of 0 and the sender stopped, probing until the window reopened. The network is not the limit; the receiving application is (blocked, busy, or processing inline before reading).",
    fix: "Fix the slow reader on {server}'s receiving side: read the socket continuously and hand the work to another thread/queue instead of processing between reads; find what blocks it during the stalls.",
    alternatives: [
      "Do not pin a small receive buffer: remove setsockopt(SO_RCVBUF) from the receiving application so the kernel can autotune (net.ipv4.tcp_rmem max bounds it).",
      "If bursts are expected and the reader is merely slow to wake, raise net.ipv4.tcp_rmem's maximum so the buffer absorbs them.",
    ],
    confirm: [
      "ss -tnmp   # on the receiver: Recv-Q stays high on that connection (the application is not reading)",
      "ss -tnoi   # on the sender: large Send-Q and timer:(persist,...)",
      "tcpdump -ni any 'tcp port {serverPort} and tcp[14:2] = 0 and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) = 0'   # zero-window advertisements",
    ],
    weight: 80,
    explains: ["window-limited", "slow-server-response", "send-queue-stall"],
  },
  {
    id: "window-limited",
    title: "Throughput capped by the receive window",
    category: "transfer",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "The sender keeps exactly one receive window in flight and waits: the window is smaller than the bandwidth-delay product.",
    cause:
      "At most one advertised receive window can be in flight per round trip, so throughput is capped at window/RTT. The window advertised here stays below what the path could carry — because the receiving application set a small SO_RCVBUF, window scaling is off or stripped by a middlebox, or net.ipv4.tcp_rmem's maximum is too small for the RTT.",
    fix: "Let the receive buffer grow: remove any fixed SO_RCVBUF in the receiving application on {server}'s receiving side so autotuning works, and check that window scaling survives the path.",
    alternatives: [
      "Raise the autotuning ceiling to at least 2x the bandwidth-delay product: `sysctl -w net.ipv4.tcp_rmem='4096 131072 <bytes>' net.core.rmem_max=<bytes>`.",
      "If a middlebox strips the window-scale option (wscale missing in the SYN/SYN-ACK seen at one end but not the other), fix or bypass that device; `sysctl net.ipv4.tcp_window_scaling` must be 1.",
    ],
    confirm: [
      "ss -tmi dst {serverIp}   # rcv_space / rcv_ssthresh and skmem rb on the receiver; snd_wnd on the sender",
      "sysctl net.ipv4.tcp_rmem net.core.rmem_max net.ipv4.tcp_window_scaling",
      "tcpdump -ni any -c 2 'tcp port {serverPort} and tcp[tcpflags] & tcp-syn != 0' -v   # wscale present in both SYNs?",
    ],
    weight: 60,
  },
  {
    id: "buffers-below-bdp",
    title: "Socket buffer limits below the bandwidth-delay product",
    category: "transfer",
    severity: "warning",
    evidence: ["host"],
    summary:
      "The kernel's socket buffer maximum is smaller than the bandwidth-delay product of the path, so one connection cannot fill it.",
    cause:
      "One TCP connection can have at most its socket buffer in flight. When net.ipv4.tcp_rmem/tcp_wmem maxima (or a fixed SO_RCVBUF/SO_SNDBUF) are smaller than bandwidth x RTT, throughput is capped at buffer/RTT no matter how fast the link is.",
    fix: "Raise the autotuning maxima to at least twice the BDP: `sysctl -w net.ipv4.tcp_rmem='4096 131072 <2xBDP>' net.ipv4.tcp_wmem='4096 16384 <2xBDP>'` (persist in /etc/sysctl.d/), and remove fixed SO_RCVBUF/SO_SNDBUF from applications.",
    alternatives: [
      "Raise net.core.rmem_max/wmem_max too if applications set their buffers explicitly (those are capped by the core limits).",
      "Check TCP memory headroom afterwards (net.ipv4.tcp_mem) on hosts with many connections.",
    ],
    confirm: [
      "sysctl net.ipv4.tcp_rmem net.ipv4.tcp_wmem net.core.rmem_max net.core.wmem_max",
      "ss -tmi dst {serverIp}   # skmem rb/tb and rtt of the connection",
    ],
    weight: 63,
    explains: ["window-limited"],
  },
  {
    id: "reordering",
    title: "Packets arrive out of order (reordering, not loss)",
    category: "transfer",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "Segments arrive after later ones and the missing data turns up without being resent: the path reorders packets; nothing is lost.",
    cause:
      "Some segments take a slower path than their neighbours and arrive late — per-packet load balancing over links of unequal delay (ECMP/LAG without flow hashing), multi-queue devices, or a bonding mode that stripes packets. Receivers answer with duplicate ACKs/SACKs, which look like loss to tools and can trigger spurious retransmissions, but the data was never lost.",
    fix: "Make forwarding flow-consistent on the path between {clientIp} and {serverIp}: hash ECMP/LAG/bonding on the 5-tuple (e.g. bonding xmit_hash_policy layer3+4, router ECMP hashing on L4 ports) instead of per-packet round-robin.",
    alternatives: [
      "If the reordering cannot be removed, let the sender tolerate it: recent Linux (RACK, net.ipv4.tcp_recovery=1) adapts by itself; raise net.ipv4.tcp_reordering (default 3) for older kernels.",
      "Do not treat the duplicate ACKs/out-of-order counts as loss when tuning: the retransmission counters on the sender stay low.",
    ],
    confirm: [
      "nstat -az TcpExtTCPSACKReorder TcpExtTCPDSACKRecv TcpExtTCPSpuriousRTOs TcpRetransSegs   # on the sender: reordering seen, few real retransmissions",
      "ss -ti dst {serverIp}   # reordering:N above 3, reord_seen",
      "nstat -az TcpExtTCPOFOQueue   # on the receiver",
    ],
    weight: 66,
  },
  {
    id: "pmtu-blackhole",
    title: "Path-MTU black hole: full-size packets vanish",
    category: "transfer",
    severity: "critical",
    evidence: ["capture", "host"],
    summary:
      "Full-size segments are retransmitted again and again and never arrive while small packets pass, and no ICMP 'fragmentation needed' comes back.",
    cause:
      "A link on the path has a smaller MTU than the hosts (a tunnel, VPN, overlay or PPPoE link). Packets with DF set that are too big are dropped there, and the router's ICMP 'fragmentation needed' / 'packet too big' that should tell the sender to use smaller segments is filtered somewhere, so the sender never learns. Handshakes and small requests work; every full-size segment is lost.",
    fix: "Let ICMP 'fragmentation needed' (IPv4 type 3 code 4) and ICMPv6 'packet too big' (type 2) through every firewall between {serverIp} and {clientIp}, so path-MTU discovery works.",
    alternatives: [
      "Clamp the MSS on the router in front of the small-MTU link: `nft add rule inet filter forward tcp flags syn tcp option maxseg size set rt mtu` (iptables: `-t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu`).",
      "On the sending host, enable packetization-layer PMTU probing: `sysctl -w net.ipv4.tcp_mtu_probing=1` (recovers from black holes by itself, with a delay).",
      "Lower the MTU of the sending interface or route to the path MTU: `ip route replace {clientIp} via <gw> mtu 1400` (or the tunnel's MTU).",
    ],
    confirm: [
      "ping -M do -s 1472 -c 3 {clientIp}   # from the sender: silence, while `ping -M do -s 1200` works",
      "tracepath -n {clientIp}   # shows where the pmtu drops",
      "ip route get {clientIp}   # no learned 'mtu' means no ICMP ever arrived",
      "tcpdump -ni any 'icmp[icmptype] == 3 and icmp[icmpcode] == 4 or icmp6[0] == 2'",
    ],
    weight: 92,
    explains: [
      "packet-loss",
      "dead-peer",
      "reset-by-client",
      "reset-by-server",
      "cwnd-limited-lossy-path",
      "slow-server-response",
    ],
  },
  {
    id: "pmtu-reduced",
    title: "Path MTU below the interface MTU (discovery works)",
    category: "transfer",
    severity: "info",
    evidence: ["capture", "host"],
    summary:
      "An ICMP 'fragmentation needed'/'packet too big' arrived and the sender lowered its segment size: path-MTU discovery is working.",
    cause:
      "A hop on the path has a smaller MTU (tunnel, VPN, overlay). The router reported it with ICMP and the sender now uses smaller segments. The few retransmissions right after the ICMP are the normal cost of discovering the MTU, not loss.",
    fix: "Nothing is broken. Optionally clamp the MSS on the small-MTU link (`tcp option maxseg size set rt mtu`) or align the interface MTUs, so the first full-size segments of each new destination are not lost.",
    alternatives: [
      "Keep ICMP type 3 code 4 / ICMPv6 type 2 allowed everywhere on this path — blocking it turns this into a black hole.",
    ],
    confirm: ["ip route get {clientIp}   # shows the learned 'mtu'", "tracepath -n {clientIp}"],
    weight: 20,
    explains: ["packet-loss"],
  },
  {
    id: "slow-server-response",
    title: "Slow server response: the time is spent in the application",
    category: "transfer",
    severity: "warning",
    evidence: ["capture"],
    summary:
      "The request reached the server and was acknowledged within a round trip, but the response came much later.",
    cause:
      "The network delivered the request quickly (the server's TCP stack acknowledged it within about one RTT, and no retransmission or window stall occurred), yet the first byte of the answer came long after. The time went into the server application: a slow query, a lock, a blocking downstream call, garbage collection, or an exhausted worker pool.",
    fix: "Profile the request handling in the service on {server}: trace that request through its slow query/lock/downstream call (application logs, APM, slow-query log) — the network needs no change.",
    alternatives: [
      "If requests queue for a worker, add workers or make the handler asynchronous.",
      "If the delay comes from a downstream dependency, set a timeout on that call and cache or pre-compute what it returns.",
    ],
    confirm: [
      "curl -o /dev/null -s -w 'connect %{time_connect}s  first-byte %{time_starttransfer}s\\n' http://{server}/...   # connect fast, first byte slow",
      "ss -tni dst {serverIp}   # rtt stays small while responses are slow",
    ],
    weight: 70,
  },
  {
    id: "send-queue-stall",
    title: "Send queue stays full",
    category: "transfer",
    severity: "warning",
    evidence: ["host"],
    summary:
      "Data waits in the local Send-Q: the peer does not read (zero window) or the path does not deliver it.",
    cause:
      "The local kernel holds unacknowledged or unsent data for the connection. If the peer advertises a zero window, the peer application is not reading; if the window is open and retransmissions rise, the path loses or delays data.",
    fix: "Look at the receiving side of the stalled connection first: if its Recv-Q is full, fix that application's reading; otherwise investigate loss on the path.",
    alternatives: [
      "Set TCP_USER_TIMEOUT on the sender so a connection whose data is never acknowledged fails instead of hanging.",
    ],
    confirm: [
      "ss -tnoi   # Send-Q, timer:(persist|on,...), snd_wnd, retrans",
      "ss -tnm   # on the peer: Recv-Q of the same connection",
    ],
    weight: 62,
  },
  {
    id: "recv-queue-backlog",
    title: "Receive queue stays full: the local application does not read",
    category: "transfer",
    severity: "warning",
    evidence: ["host"],
    summary: "Data waits in the Recv-Q of established sockets: the owning application is not reading.",
    cause:
      "The kernel has received and acknowledged the data, but the application has not read it. Once the buffer fills, the window drops to zero and the sender stalls. The process is blocked, overloaded, or processing inline between reads.",
    fix: "Fix the reader in the owning process ({process}): keep a thread reading the socket and move slow work off that path.",
    alternatives: ["Do not pin a small SO_RCVBUF; let the kernel autotune the receive buffer."],
    confirm: [
      "ss -tnmp   # Recv-Q and the process per socket",
      "top -H -p {pid}   # is the reading thread busy or blocked?",
    ],
    weight: 81,
    explains: ["receiver-zero-window"],
  },

  // ---------------------------------------------------------------- closing and lifetime
  {
    id: "reset-by-server",
    title: "Connection reset by the server",
    category: "closing",
    severity: "warning",
    evidence: ["capture"],
    summary:
      "An established connection was torn down by a RST from the server side instead of a normal close.",
    cause:
      "The server side ended the connection with a RST instead of a FIN: the application closed the socket with SO_LINGER set to 0, closed it with unread data still queued, crashed, or a proxy/firewall on the server side killed the flow. The client sees 'connection reset by peer' and may lose the end of the response.",
    fix: "Make the service on {server} close gracefully: no SO_LINGER {on, 0}, read the rest of the request before close(), shutdown(SHUT_WR) and let the client finish; find the code path (or proxy) that aborts.",
    alternatives: [
      "If a proxy or load balancer in front of the server sends the RST, check its timeouts and error logs (upstream reset, max request time).",
      "Make the client retry idempotent requests that fail with ECONNRESET.",
    ],
    confirm: [
      "tcpdump -ni any 'host {serverIp} and tcp port {serverPort} and tcp[tcpflags] & tcp-rst != 0'",
      "nstat -az TcpOutRsts TcpExtTCPAbortOnData TcpExtTCPAbortOnClose TcpExtTCPAbortOnLinger   # on the server",
      "grep -i -E 'reset|abort|linger' <server logs>",
    ],
    weight: 76,
  },
  {
    id: "reset-by-client",
    title: "Connection reset by the client",
    category: "closing",
    severity: "warning",
    evidence: ["capture"],
    summary:
      "The client aborted an established connection with a RST, typically while the server was still sending.",
    cause:
      "The client side tore the connection down with a RST: the application gave up (timeout, cancelled request) and closed the socket with data still unread, or closed with SO_LINGER 0. Further server segments in flight are answered with more RSTs and the server's writes fail with ECONNRESET/EPIPE.",
    fix: "Find why the client {client} abandons the transfer — its request timeout, a user cancellation, or closing before reading the whole response — and fix that (raise the timeout, read to the end before close).",
    alternatives: [
      "If cancellations are legitimate, make the server treat EPIPE/ECONNRESET on write as a normal end of request rather than an error.",
      "Check whether a proxy on the client side enforces a transfer time or size limit.",
    ],
    confirm: [
      "tcpdump -ni any 'host {clientIp} and tcp port {serverPort} and tcp[tcpflags] & tcp-rst != 0'",
      "nstat -az TcpOutRsts TcpExtTCPAbortOnData TcpExtTCPAbortOnClose   # on the client",
      "grep -i -E 'reset by peer|broken pipe' <server logs>",
    ],
    weight: 74,
  },
  {
    id: "reset-after-connect",
    title: "Connections accepted, then reset at once",
    category: "closing",
    severity: "warning",
    evidence: ["capture"],
    summary: "The handshake completes and the connection is reset immediately, before a normal exchange.",
    cause:
      "Something accepts the TCP connection and then aborts it right away: a proxy or load balancer with no healthy backend, a TLS/protocol mismatch (plain text to a TLS port or the reverse), an overloaded backend that accepts and drops, or an access rule applied after accept (tcpwrappers, connection limits).",
    fix: "Check what listens on {server} and why it rejects the new connection: its error log at the time of the resets (no upstream, handshake error, connection limit) — fix that backend or the client's protocol/port.",
    alternatives: [
      "Test the protocol by hand: `openssl s_client -connect {server}` for TLS ports, `curl -v` for HTTP.",
      "If a load balancer is in front, check its target health and connection limits.",
    ],
    confirm: [
      "tcpdump -ni any -c 50 'host {serverIp} and tcp port {serverPort}'   # SYN, SYN-ACK, ACK, then RST within milliseconds",
      "journalctl -u <service> --since -10min | grep -i -E 'error|reset|handshake|limit'",
    ],
    weight: 78,
    explains: ["reset-by-server", "reset-by-client"],
  },
  {
    id: "idle-timeout-reset",
    title: "Connection killed after an idle period (proxy/NAT idle timeout)",
    category: "closing",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "The connection was reset (or went silent) right after a long idle period: a middlebox forgot it because its idle timeout is shorter than the application's.",
    cause:
      "Stateful devices between client and server (load balancers, NAT gateways, firewalls) drop connections that stay idle longer than their idle timeout, then answer the next packet with a RST or drop it. The application keeps connections idle longer than that timeout and no keepalive refreshes the state.",
    fix: "Keep idle connections shorter than the middlebox timeout: set the client pool's idle timeout / max idle time below it, or enable keepalive on those sockets with an interval below it (e.g. TCP_KEEPIDLE=60, TCP_KEEPINTVL=15, TCP_KEEPCNT=4).",
    alternatives: [
      "Raise the idle timeout of the load balancer / NAT / firewall (or conntrack's net.netfilter.nf_conntrack_tcp_timeout_established) above the application's idle time.",
      "System-wide for applications that enable SO_KEEPALIVE: `sysctl -w net.ipv4.tcp_keepalive_time=120 net.ipv4.tcp_keepalive_intvl=15 net.ipv4.tcp_keepalive_probes=4`.",
    ],
    confirm: [
      "ss -tno dst {serverIp}   # timer:(keepalive,...) present? how long are connections idle?",
      "sysctl net.ipv4.tcp_keepalive_time net.netfilter.nf_conntrack_tcp_timeout_established",
      "the idle timeout configured on the load balancer / NAT between {clientIp} and {serverIp}",
    ],
    weight: 83,
    explains: ["reset-by-server", "reset-by-client", "dead-peer"],
  },
  {
    id: "dead-peer",
    title: "Peer stopped answering: probes/retransmissions unanswered until abort",
    category: "closing",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "The peer answered normally, then went silent: keepalive probes or retransmissions got no reply until the connection was abandoned.",
    cause:
      "The remote host or the path to it disappeared without closing the connection — a crash, power loss, network partition, or a firewall/NAT that lost its state and now drops the flow. TCP only notices through unanswered keepalive probes or retransmissions, after which the kernel aborts the connection (ETIMEDOUT).",
    fix: "Find out why {server} became unreachable at that moment (host crash, failover, firewall/NAT state loss); keep keepalive or TCP_USER_TIMEOUT enabled on the connection so dead peers are detected quickly.",
    alternatives: [
      "Bound detection time for connections that carry data: setsockopt(TCP_USER_TIMEOUT, 30000) so unacknowledged data fails after 30 s instead of net.ipv4.tcp_retries2 (about 15 minutes).",
      "Make idle connections probe with sane timers: TCP_KEEPIDLE 60 s, TCP_KEEPINTVL 10 s, TCP_KEEPCNT 5 (or the client library's keepalive settings).",
      "Make the application reconnect (and re-resolve the peer) when a connection fails with ETIMEDOUT.",
    ],
    confirm: [
      "ss -tno dst {serverIp}   # timer:(keepalive,...,N) or timer:(on,...,N): N probes/retries without answer",
      "nstat -az TcpExtTCPAbortOnTimeout TcpExtTCPKeepAlive",
      "ping -c 3 {serverIp}; ip neigh show {serverIp}",
    ],
    weight: 82,
    explains: ["reset-by-client", "reset-by-server", "packet-loss", "cwnd-limited-lossy-path"],
  },
  {
    id: "close-wait-leak",
    title: "CLOSE_WAIT leak: the application never closes sockets the peer closed",
    category: "closing",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "Connections stay half-closed: the peer's FIN was acknowledged, but the local application never closes its side.",
    cause:
      "When the peer closes, the kernel acknowledges its FIN and the socket enters CLOSE_WAIT; it leaves that state only when the application calls close(). These sockets never do, so the application has lost track of them — a missing close() on an error or end-of-stream path, or connections returned to a pool that never checks them. They hold a file descriptor and memory each and never time out.",
    fix: "Fix the application on {server} to close() every socket when the peer closes (read returns 0) or the request ends — close in a finally/defer/with block on every path, and make the pool discard connections the peer closed.",
    alternatives: [
      "Restarting the process releases the sockets as a stop-gap; no sysctl clears CLOSE_WAIT.",
      "Watch the count per process so the leak is caught before the descriptor limit is reached: `ss -tanp state close-wait | awk 'NR>1 {print $NF}' | sort | uniq -c`.",
    ],
    confirm: [
      "ss -tanp state close-wait '( sport = :{serverPort} )'   # growing count owned by one process",
      "ls /proc/{pid}/fd | wc -l; grep 'open files' /proc/{pid}/limits",
      "lsof -nP -p {pid} -a -i TCP -s TCP:CLOSE_WAIT",
    ],
    weight: 80,
  },
  {
    id: "fin-wait2-pileup",
    title: "FIN_WAIT_2 pile-up: peers never finish closing",
    category: "closing",
    severity: "warning",
    evidence: ["host"],
    summary:
      "Many sockets wait in FIN_WAIT_2: this side closed, the peers acknowledged but never send their FIN.",
    cause:
      "This host closed its side and the peer acknowledged, but the peer application never closes its end (its sockets sit in CLOSE_WAIT). Sockets still owned by the local application wait indefinitely; orphaned ones time out after net.ipv4.tcp_fin_timeout.",
    fix: "Fix the peer application that never closes its sockets (it has a CLOSE_WAIT leak); check the peer with `ss -tan state close-wait`.",
    alternatives: [
      "Shorten the wait for orphaned sockets: `sysctl -w net.ipv4.tcp_fin_timeout=15`.",
      "Make the local application close (not just shutdown) sockets after it is done, so they become orphans that time out.",
    ],
    confirm: [
      "ss -tan state fin-wait-2 | awk 'NR>1 {sub(/:[0-9]+$/, \"\", $4); print $4}' | sort | uniq -c | sort -rn | head   # per peer",
      "sysctl net.ipv4.tcp_fin_timeout",
    ],
    weight: 64,
  },
  {
    id: "connection-churn",
    title: "Connection churn: one short connection per request",
    category: "closing",
    severity: "warning",
    evidence: ["capture", "host"],
    summary:
      "Many short-lived connections to the same service, each opened for a single exchange and closed: handshakes are wasted and TIME_WAIT piles up on the closing side.",
    cause:
      "The client opens a new TCP connection for every request and closes it afterwards instead of reusing it. Each one costs a handshake round trip (plus TLS, if any) and leaves a socket in TIME_WAIT for 60 s on the side that closes first, using up an ephemeral port per connection to the same destination. At higher rates this exhausts the port range (EADDRNOTAVAIL) and loads both ends and any conntrack table in between.",
    fix: "Reuse connections from {clientIp} to {server}: enable HTTP keep-alive or a connection pool in the client library (and keep-alive on the server) instead of one connection per request.",
    alternatives: [
      "Only if connections cannot be reused: let the client reuse TIME_WAIT ports for new outgoing connections: `sysctl -w net.ipv4.tcp_tw_reuse=1`.",
      "Widen the client's ephemeral range: `sysctl -w net.ipv4.ip_local_port_range='10240 65535'`.",
    ],
    confirm: [
      "ss -tan state time-wait '( dport = :{serverPort} )' | wc -l   # on the client",
      "nstat -az TcpActiveOpens TcpPassiveOpens   # new connections per second",
      "ss -s   # timewait count",
    ],
    weight: 60,
  },
  {
    id: "time-wait-port-exhaustion",
    title: "TIME_WAIT close to exhausting ephemeral ports to one destination",
    category: "closing",
    severity: "critical",
    evidence: ["host"],
    summary:
      "TIME_WAIT sockets towards a single destination ip:port approach the size of the ephemeral port range.",
    cause:
      "Each outgoing connection to the same destination ip:port needs its own local port, and a port stays in TIME_WAIT for 60 s after an active close. When short connections to one destination outnumber the ephemeral range within that window, connect() fails with EADDRNOTAVAIL.",
    fix: "Reuse connections to {server} (keep-alive / pooling in the client) so the number of new connections per minute falls well below the port range.",
    alternatives: [
      "Enable reuse of TIME_WAIT ports for outgoing connections: `sysctl -w net.ipv4.tcp_tw_reuse=1`.",
      "Widen the range: `sysctl -w net.ipv4.ip_local_port_range='10240 65535'`.",
      "Spread connections over several destination addresses/ports or source addresses.",
    ],
    confirm: [
      "ss -tan state time-wait | awk 'NR>1 {print $4}' | sort | uniq -c | sort -rn | head   # per destination ip:port",
      "sysctl net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse",
    ],
    weight: 85,
    explains: ["connection-churn"],
  },
  {
    id: "keepalive-too-long",
    title: "Keepalive detects dead peers only after hours",
    category: "closing",
    severity: "warning",
    evidence: ["host"],
    summary:
      "Keepalive timers are far longer than typical proxy/NAT idle timeouts: dead or forgotten connections go unnoticed.",
    cause:
      "With the default keepalive (first probe after 7200 s, then 9 probes 75 s apart) a dead peer is detected after more than two hours, and idle connections are never refreshed before a load balancer or NAT (typically 60-350 s idle timeout) forgets them.",
    fix: "Enable keepalive with short timers in the applications that hold idle connections (TCP_KEEPIDLE 60-300 s, TCP_KEEPINTVL 15-30 s, TCP_KEEPCNT 4-5, or the client library's equivalent).",
    alternatives: [
      "System-wide defaults for sockets with SO_KEEPALIVE: `sysctl -w net.ipv4.tcp_keepalive_time=300 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5`.",
    ],
    confirm: [
      "sysctl net.ipv4.tcp_keepalive_time net.ipv4.tcp_keepalive_intvl net.ipv4.tcp_keepalive_probes",
      "ss -tno state established | grep -c keepalive",
    ],
    weight: 40,
  },

  // ---------------------------------------------------------------- host resources
  {
    id: "conntrack-near-full",
    title: "Connection-tracking table nearly full",
    category: "host",
    severity: "warning",
    evidence: ["host"],
    summary:
      "conntrack entries are at or near nf_conntrack_max: once full, new connections are dropped silently.",
    cause:
      "Netfilter tracks every flow through this host (firewall state, NAT). When the table reaches net.netfilter.nf_conntrack_max, packets of new flows are dropped ('nf_conntrack: table full, dropping packet'): new connections time out while existing ones keep working.",
    fix: "Find what fills the table (top sources/destinations in `conntrack -L`) and cut it at the source — connection churn, a scan, or long timeouts for dead flows — then raise net.netfilter.nf_conntrack_max with headroom.",
    alternatives: [
      "Raise the limit (about 300 bytes per entry): `sysctl -w net.netfilter.nf_conntrack_max=<2x peak>` and the hash size (/sys/module/nf_conntrack/parameters/hashsize = max/4).",
      "Shorten timeouts: net.netfilter.nf_conntrack_tcp_timeout_established (default 5 days), ..._time_wait, ..._close_wait.",
      "Skip tracking for flows that need no state: nft 'notrack' rules in the raw priority hook.",
    ],
    confirm: [
      "sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max",
      "conntrack -S   # drop / early_drop / insert_failed rising",
      "dmesg -T | grep -i 'conntrack: table full'",
    ],
    weight: 88,
    explains: ["intermittent-connect-failure", "connect-timeout"],
  },
  {
    id: "fd-limit-near",
    title: "Process close to its open-file limit",
    category: "host",
    severity: "warning",
    evidence: ["host"],
    summary:
      "A process holds nearly as many descriptors as its limit allows; sockets are descriptors, so accept()/connect() will start failing.",
    cause:
      "Every socket uses a file descriptor. When a process reaches RLIMIT_NOFILE, accept() and connect() fail with EMFILE ('Too many open files'): new connections are refused or hang in the accept queue. Either the process leaks descriptors (often sockets in CLOSE_WAIT) or its limit is too low for its load.",
    fix: "First check for a leak (descriptors growing without bound, many CLOSE_WAIT sockets) and fix it; if the load is real, raise the service's limit (LimitNOFILE=65536 in its systemd unit, then restart).",
    alternatives: ["For non-systemd services: `ulimit -n` in the start script or /etc/security/limits.conf."],
    confirm: [
      "ls /proc/{pid}/fd | wc -l; grep 'open files' /proc/{pid}/limits",
      "ss -tanp | grep -c 'pid={pid},'",
    ],
    weight: 84,
  },
  {
    id: "tcp-memory-pressure",
    title: "TCP memory pressure",
    category: "host",
    severity: "warning",
    evidence: ["host"],
    summary:
      "The kernel's TCP memory is at its pressure or hard limit: buffers are trimmed and connections may be aborted.",
    cause:
      "Total memory used by TCP socket buffers crossed net.ipv4.tcp_mem's pressure threshold (or its maximum): the kernel shrinks buffers, drops incoming data (PruneCalled/RcvPruned) and can abort connections (TCPAbortOnMemory). Usually many sockets hold unread data (a slow reader) or the limits are sized for a smaller machine.",
    fix: "Find the sockets holding memory (large Recv-Q/Send-Q in `ss -tnm`) and fix the application that does not drain them; then size net.ipv4.tcp_mem for the machine.",
    alternatives: ["Raise net.ipv4.tcp_mem (in pages) if the memory use is legitimate."],
    confirm: [
      "cat /proc/net/sockstat   # TCP mem (pages) vs net.ipv4.tcp_mem",
      "nstat -az TcpExtTCPMemoryPressures TcpExtTCPAbortOnMemory TcpExtPruneCalled TcpExtRcvPruned",
    ],
    weight: 83,
  },
  {
    id: "orphan-sockets-high",
    title: "Many orphaned sockets",
    category: "host",
    severity: "warning",
    evidence: ["host"],
    summary: "Sockets closed by their applications but not yet finished by TCP approach the orphan limit.",
    cause:
      "An orphan is a socket the application closed while TCP still has work (unsent data, FIN handshake). Past net.ipv4.tcp_max_orphans the kernel resets them ('too many orphaned sockets'). Peers that stop reading or vanish, or applications closing sockets with queued data, pile them up.",
    fix: "Find the peers the orphans point to (`ss -tan state fin-wait-1` / `last-ack`) and fix why they do not finish closing (unreachable, not reading).",
    alternatives: [
      "Shorten orphan lifetimes: `sysctl -w net.ipv4.tcp_orphan_retries=2 net.ipv4.tcp_fin_timeout=15`.",
      "Raise net.ipv4.tcp_max_orphans if memory allows and the load is legitimate.",
    ],
    confirm: [
      "cat /proc/net/sockstat   # orphan count",
      "sysctl net.ipv4.tcp_max_orphans",
      "dmesg -T | grep -i orphan",
    ],
    weight: 75,
  },
  {
    id: "reset-storm",
    title: "Resets at an abnormal rate",
    category: "host",
    severity: "warning",
    evidence: ["host", "capture"],
    summary: "The host sends or receives TCP resets far faster than normal.",
    cause:
      "Resets in bulk mean connections are being refused or aborted en masse: clients hitting a closed port, a service aborting connections, a firewall rejecting, or a scan.",
    fix: "Capture the resets to see who sends them to whom, then fix that source (closed port clients still use, an aborting service, a reject rule).",
    alternatives: ["If a scan causes them, rate-limit or block the source at the edge."],
    confirm: [
      "nstat -az TcpOutRsts TcpEstabResets TcpAttemptFails TcpExtTCPAbortOnData",
      "tcpdump -ni any -c 200 'tcp[tcpflags] & tcp-rst != 0' | awk '{print $3, $5}' | sort | uniq -c | sort -rn | head",
    ],
    weight: 68,
  },

  // ---------------------------------------------------------------- evidence
  {
    id: "capture-incomplete",
    title: "The capture misses part of the traffic",
    category: "evidence",
    severity: "info",
    evidence: ["capture"],
    summary: "Part of the traffic is not in the capture, so some conclusions are less certain.",
    cause:
      "The capture does not hold every packet of the connections it shows: the capturing kernel dropped packets, the snap length cut payloads, only one direction was visible (asymmetric routing, a filter, or an interface that sees one side), handshakes happened before the capture started, or port mirroring duplicated frames. Loss or reordering counted from such a capture may be an artefact of the capture, not of the network.",
    fix: "Capture again on the host itself, both directions, with a larger buffer and a narrow filter: `tcpdump -i {iface} -s 0 -B 16384 -U -w trace.pcap 'host {serverIp} and tcp port {serverPort}'`, started before the connections open.",
    alternatives: [
      "Capture at both ends at the same time to tell which side of the capture point a loss is on.",
      "If full payloads are not needed, keep headers only (`-s 128`) to cut capture load — TCP analysis needs only the headers.",
    ],
    confirm: [
      "tcpdump prints 'N packets dropped by kernel' when it stops: it must be 0",
      "capinfos trace.pcap   # snap length and packet count",
    ],
    weight: 10,
  },
];

export const catalogue: Record<string, CatalogueEntry> = Object.fromEntries(entries.map((e) => [e.id, e]));

/** Every diagnosis id, in catalogue order. */
export const diagnosisIds: string[] = entries.map((e) => e.id);

/** Fills {name} placeholders; unknown names get an obvious stand-in. */
export function fillPlaceholders(
  text: string,
  vars: Record<string, string | number | undefined> = {},
): string {
  return text.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => {
    const v = vars[name];
    if (v !== undefined && v !== "") return String(v);
    return PLACEHOLDER_DEFAULTS[name] ?? whole;
  });
}

/** What a rule may set on top of the catalogue's defaults. */
export interface FindingParts {
  severity?: Severity;
  confidence?: Confidence;
  title?: string;
  summary?: string;
  evidence?: Record<string, unknown>;
  cause?: string;
  fix?: string;
  alternatives?: string[];
  confirm?: string[];
  streams?: number[];
  sockets?: string[];
  sources?: Finding["sources"];
  /**
   * How strongly the evidence shows the problem, 0..100 (default 50). The engine ranks by the
   * catalogue weight of the id plus this strength (see rankScore in engine.ts).
   */
  score?: number;
  /** Placeholder values: server ("ip:port"), serverIp, serverPort, client, clientIp, iface, pid, process. */
  vars?: Record<string, string | number | undefined>;
}

/**
 * Builds a finding for `id` from the catalogue, with the rule's specifics on top. Unknown ids throw:
 * every finding must carry a catalogued id.
 */
export function makeFinding(id: string, parts: FindingParts = {}): Finding {
  const entry = catalogue[id];
  if (!entry) throw new Error(`makeFinding: no catalogue entry for diagnosis id "${id}"`);
  const vars = parts.vars ?? {};
  const fill = (s: string) => fillPlaceholders(s, vars);
  const finding: Finding = {
    id,
    severity: parts.severity ?? entry.severity,
    confidence: parts.confidence ?? "medium",
    title: fill(parts.title ?? entry.title),
    summary: fill(parts.summary ?? entry.summary),
    evidence: parts.evidence ?? {},
    cause: fill(parts.cause ?? entry.cause),
    fix: fill(parts.fix ?? entry.fix),
    alternatives: (parts.alternatives ?? entry.alternatives).map(fill),
    confirm: (parts.confirm ?? entry.confirm).map(fill),
    score: Math.max(0, Math.min(100, Math.round(parts.score ?? 50))),
  };
  // Unique and increasing; a list that already is (a flood cites one stream per SYN, in order) is
  // taken as it is rather than going through a Set of a million numbers and a sort.
  const streams = parts.streams;
  if (streams?.length)
    finding.streams = strictlyIncreasing(streams) ? streams : [...new Set(streams)].sort((a, b) => a - b);
  if (parts.sockets?.length) finding.sockets = parts.sockets;
  if (parts.sources?.length) finding.sources = parts.sources;
  return finding;
}
