#!/usr/bin/env bash
# Builds the real captures of test/fixtures/scenarios/: one directory per scenario with capture.pcap
# (tcpdump on a veth of a network namespace, the Linux TCP stack on both ends) and truth.json,
# written from how the fault was built (same fields as the shared corpus's truth.json).
#
#   usage: sudo scripts/scenarios/make-scenarios.sh [SCENARIO...]     (default: all)
#
#   window-limited       40 ms RTT, receiver SO_RCVBUF 32 KiB, 1 MiB upload: in flight = window
#   window-autotune      same path and upload, receive buffer autotuned (healthy)
#   handshake-incomplete server-side capture, SYN-ACKs dropped in the client's input chain
#   handshake-ok         server-side capture of three normal request/response connections (healthy)
#   dead-peer-transfer   all traffic dropped mid-upload; sender gives up after tcp_retries2=5
#   outage-recovered     the same drop lifted after 2 s; the upload recovers and completes
#   keepalive-idle       idle connection, keepalive probes every second, all answered (healthy)
#
# Namespaces tdsc-c (client), tdsc-s (server), tdsc-r (router, line topology only). Every process
# started here is ended by its PID; the namespaces (and the nft tables and TUN devices inside them)
# are deleted at exit. Needs root, iproute2, nftables, tcpdump, python3.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$REPO/test/fixtures/scenarios
PY=${PY:-python3}
APP=("$PY" "$HERE/app.py")
WORK=$(mktemp -d /tmp/tdsc.XXXXXX)
NC=tdsc-c
NS=tdsc-s
NR=tdsc-r
NSS=("$NC" "$NS" "$NR")
PIDS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "FATAL: $*"
  exit 1
}
in_ns() {
  local n=$1
  shift
  ip netns exec "$n" "$@"
}

# ------------------------------------------------------------------------------ processes
# bg NS LOGNAME CMD... : start CMD inside NS in the background (output to $WORK/LOGNAME.{out,err}); sets LASTPID
bg() {
  local n=$1 name=$2
  shift 2
  ip netns exec "$n" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  LASTPID=$!
  PIDS+=("$LASTPID")
}
# wait_pid PID SECONDS : wait for a background process, TERM then KILL it after the bound
wait_pid() {
  local pid=$1 limit=$2 i=0
  while kill -0 "$pid" 2>/dev/null && ((i < limit * 10)); do
    sleep 0.1
    i=$((i + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 0.3
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait_pid "$p" 2; done
  PIDS=()
}

# ------------------------------------------------------------------------------ namespaces
teardown() {
  stop_all
  local n
  for n in "${NSS[@]}"; do
    if [ -e "/run/netns/$n" ]; then ip netns del "$n" 2>/dev/null || true; fi
  done
}
cleanup() {
  teardown
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns_new() {
  local n=$1
  ip netns add "$n"
  in_ns "$n" ip link set lo up
  in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # The distribution default; a child namespace may only use what the host allows, so keep the
  # inherited one when cubic is not allowed (recorded in truth.json either way).
  in_ns "$n" sysctl -qw net.ipv4.tcp_congestion_control=cubic 2>/dev/null || true
}
# link_up NS DEV : wire-sized segments with valid checksums in captures (no TSO/GSO/GRO, no csum offload)
link_up() {
  in_ns "$1" "$PY" "$HERE/offload.py" "$2" >/dev/null || die "offloads still on for $2"
  in_ns "$1" ip link set "$2" up
}

# topo_pair : tdsc-c 10.66.0.1/24 <-veth-> tdsc-s 10.66.0.2/24
topo_pair() {
  ns_new "$NC"
  ns_new "$NS"
  ip link add tdsc-c0 netns "$NC" address 02:00:0a:42:00:01 type veth peer name tdsc-s0 netns "$NS" address 02:00:0a:42:00:02
  link_up "$NC" tdsc-c0
  link_up "$NS" tdsc-s0
  in_ns "$NC" ip addr add 10.66.0.1/24 dev tdsc-c0
  in_ns "$NS" ip addr add 10.66.0.2/24 dev tdsc-s0
  CLI=10.66.0.1
  SRV=10.66.0.2
  CDEV=tdsc-c0
  SDEV=tdsc-s0
  TOPOLOGY="pair (client ns -- veth -- server ns)"
  sleep 0.3
}

# topo_line DELAY_MS : tdsc-c 10.66.1.1 -- tdsc-r (10.66.1.254 | 10.66.2.254) -- tdsc-s 10.66.2.1,
# every packet forwarded by the router passes delay.py, which holds it DELAY_MS per direction.
topo_line() {
  local delay=$1
  ns_new "$NC"
  ns_new "$NS"
  ns_new "$NR"
  ip link add tdsc-c0 netns "$NC" address 02:00:0a:42:01:01 type veth peer name tdsc-r0 netns "$NR" address 02:00:0a:42:01:fe
  ip link add tdsc-s0 netns "$NS" address 02:00:0a:42:02:01 type veth peer name tdsc-r1 netns "$NR" address 02:00:0a:42:02:fe
  link_up "$NC" tdsc-c0
  link_up "$NR" tdsc-r0
  link_up "$NR" tdsc-r1
  link_up "$NS" tdsc-s0
  in_ns "$NC" ip addr add 10.66.1.1/24 dev tdsc-c0
  in_ns "$NR" ip addr add 10.66.1.254/24 dev tdsc-r0
  in_ns "$NR" ip addr add 10.66.2.254/24 dev tdsc-r1
  in_ns "$NS" ip addr add 10.66.2.1/24 dev tdsc-s0
  in_ns "$NC" ip route add default via 10.66.1.254
  in_ns "$NS" ip route add default via 10.66.2.254
  in_ns "$NR" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  rm -f "$WORK/delay.ready"
  bg "$NR" delay timeout 120 "$PY" "$HERE/delay.py" --a tdsc-tA --b tdsc-tB --delay "$delay" --duration 110 --ready "$WORK/delay.ready"
  DELAYPID=$LASTPID
  local i=0
  until [ -e "$WORK/delay.ready" ]; do
    sleep 0.05
    i=$((i + 1))
    ((i < 100)) || die "delay.py did not start: $(cat "$WORK/delay.err")"
  done
  local t
  for t in tdsc-tA tdsc-tB; do
    in_ns "$NR" ip link set "$t" txqueuelen 10000
    in_ns "$NR" ip link set "$t" up
    in_ns "$NR" sysctl -qw "net.ipv4.conf.$t.rp_filter=0"
  done
  in_ns "$NR" sysctl -qw net.ipv4.conf.tdsc-r0.rp_filter=0 net.ipv4.conf.tdsc-r1.rp_filter=0
  # From the client side into TUN A; what delay.py writes into TUN B is routed on by the main table.
  in_ns "$NR" ip route add default dev tdsc-tA table 100
  in_ns "$NR" ip route add default dev tdsc-tB table 101
  in_ns "$NR" ip rule add iif tdsc-r0 lookup 100 pref 100
  in_ns "$NR" ip rule add iif tdsc-r1 lookup 101 pref 101
  CLI=10.66.1.1
  SRV=10.66.2.1
  CDEV=tdsc-c0
  SDEV=tdsc-s0
  TOPOLOGY="line (client ns -- router ns with a ${delay} ms per direction user-space delay -- server ns)"
  sleep 0.3
}

# ------------------------------------------------------------------------------ capture
# cap_start NS DEV SNAPLEN : tcpdump into $WORK/capture.pcap; sets CAPPID
cap_start() {
  local n=$1 dev=$2 snap=$3
  ip netns exec "$n" timeout -s INT 90 tcpdump -i "$dev" -nn -U --immediate-mode -Z root -s "$snap" \
    -w "$WORK/capture.pcap" 'tcp or icmp' >"$WORK/tcpdump.out" 2>"$WORK/tcpdump.err" &
  CAPPID=$!
  PIDS+=("$CAPPID")
  local i=0
  until grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null; do
    sleep 0.05
    i=$((i + 1))
    ((i < 100)) || die "tcpdump did not start"
  done
  sleep 0.2
}
cap_stop() {
  sleep 0.5 # the last packets reach the file before SIGINT
  kill -INT "$CAPPID" 2>/dev/null || true
  wait_pid "$CAPPID" 5
}

# nft_drop_peer NS TABLE PEER : drop everything from and to PEER inside NS (a vanished host/path)
nft_drop_peer() {
  printf '%s\n' "table inet $2 {" \
    " chain input { type filter hook input priority 0; ip saddr $3 counter drop comment \"fault\"; }" \
    " chain output { type filter hook output priority 0; ip daddr $3 counter drop comment \"fault\"; }" \
    "}" | in_ns "$1" nft -f -
}
nft_dropped() { # nft_dropped NS : packets counted by the rules commented "fault"
  in_ns "$1" nft list ruleset 2>/dev/null | grep 'comment "fault"' | grep -o 'packets [0-9]*' | awk '{s += $2} END {print s + 0}'
}

# ------------------------------------------------------------------------------ results
# json_field FILE KEY : a field of the JSON summary line an app.py client printed
json_field() {
  "$PY" -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(d.get(sys.argv[2], ""))' "$1" "$2"
}
ns_sysctl() { in_ns "$1" sysctl -n "$2"; }

# finish NAME : move the capture into the fixture directory and write truth.json (JSON on stdin)
finish() {
  local name=$1 dir=$OUT/$1
  mkdir -p "$dir"
  cp "$WORK/capture.pcap" "$dir/capture.pcap"
  "$PY" -c '
import json, sys
truth = json.load(sys.stdin)
with open(sys.argv[1], "w") as f:
    json.dump(truth, f, indent=2)
    f.write("\n")
' "$dir/truth.json" || die "truth.json of $name is not valid JSON"
  local size packets
  size=$(stat -c %s "$dir/capture.pcap")
  packets=$(tcpdump -nn -r "$dir/capture.pcap" 2>/dev/null | wc -l)
  log "$name: $packets packets, $size bytes"
  ((size < 200 * 1024)) || log "WARNING: $name/capture.pcap is larger than 200 KiB"
}

# ------------------------------------------------------------------------------ scenarios
WINDOW_DELAY_MS=20

_upload_over_delay() { # _upload_over_delay RCVBUF SNAPLEN : uploads $UPLOAD_BYTES; sets RESULT, CC
  local rcvbuf=$1 snaplen=$2
  topo_line "$WINDOW_DELAY_MS"
  bg "$NS" server timeout 40 "${APP[@]}" sink --host "$SRV" --port 5001 --rcvbuf "$rcvbuf" --deadline 30
  local spid=$LASTPID
  sleep 0.5
  cap_start "$NC" "$CDEV" "$snaplen"
  bg "$NC" client timeout 40 "${APP[@]}" upload --host "$SRV" --port 5001 --sport 40101 --bytes "$UPLOAD_BYTES" --deadline 30
  wait_pid "$LASTPID" 35
  cap_stop
  wait_pid "$spid" 5
  CC=$(ns_sysctl "$NC" net.ipv4.tcp_congestion_control)
  RESULT=$WORK/client.out
  EFFECTIVE_RCVBUF=$(grep -o 'rcvbuf=[0-9]*' "$WORK/server.err" | head -1 | cut -d= -f2)
  [ "$(json_field "$RESULT" outcome)" = completed ] || die "upload did not complete: $(cat "$RESULT" "$WORK/client.err")"
}

sc_window_limited() {
  UPLOAD_BYTES=1048576
  _upload_over_delay 32768 128
  local secs mbps
  secs=$(json_field "$RESULT" seconds)
  mbps=$("$PY" -c "print(round($UPLOAD_BYTES * 8 / $secs / 1e6, 2))")
  finish window-limited <<EOF
{
  "scenario": "window-limited",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "client (sender) interface $CDEV, snaplen 128",
  "description": "The client uploads $UPLOAD_BYTES bytes to a sink on the server over a path with $((2 * WINDOW_DELAY_MS)) ms RTT and no loss or rate limit. The receiving application set SO_RCVBUF=32768 on its listening socket before accept (the kernel doubles it to $EFFECTIVE_RCVBUF), so the server never advertises more than a few tens of KiB of window. After slow start the sender keeps exactly that window in flight and waits one RTT for it to be acknowledged: the upload took $secs s, ${mbps} Mbit/s, about window/RTT.",
  "client": {"ip": "$CLI", "port": 40101},
  "server": {"ip": "$SRV", "port": 5001},
  "injected_fault": "receive buffer fixed to 32 KiB by the receiving application (SO_RCVBUF) on a $((2 * WINDOW_DELAY_MS)) ms path",
  "expected_diagnosis": "Window-limited transfer: the bytes in flight equal the receiver's advertised window for the whole transfer and throughput is window/RTT; the network has spare capacity (no loss, no queueing, RTT stays at the base). The window never drops to zero: the receiving application reads promptly, its buffer is just too small for the bandwidth-delay product.",
  "fix": "Remove the fixed SO_RCVBUF from the receiving application so the kernel autotunes the receive buffer (or size it to at least the bandwidth-delay product); check net.ipv4.tcp_rmem max allows it.",
  "evidence": ["in flight stays at the advertised window (~ receiver window) from the first RTTs on", "throughput ~ advertised window / RTT", "no retransmissions, no zero window, RTT steady at ~$((2 * WINDOW_DELAY_MS)) ms"],
  "params": {"one_way_delay_ms": $WINDOW_DELAY_MS, "so_rcvbuf_requested": 32768, "so_rcvbuf_effective": $EFFECTIVE_RCVBUF, "upload_bytes": $UPLOAD_BYTES, "upload_seconds": $secs, "goodput_mbit_s": $mbps, "congestion_control": "$CC"},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "top": ["window-limited"], "healthy": false, "exclude": ["receiver-zero-window", "packet-loss", "bandwidth-bottleneck", "cwnd-limited-lossy-path"]}
  ]}
}
EOF
}

sc_window_autotune() {
  UPLOAD_BYTES=1048576
  _upload_over_delay 0 128
  local secs mbps
  secs=$(json_field "$RESULT" seconds)
  mbps=$("$PY" -c "print(round($UPLOAD_BYTES * 8 / $secs / 1e6, 2))")
  finish window-autotune <<EOF
{
  "scenario": "window-autotune",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "client (sender) interface $CDEV, snaplen 128",
  "description": "Control case for window-limited: the same $UPLOAD_BYTES-byte upload over the same $((2 * WINDOW_DELAY_MS)) ms path, but the receiving application leaves SO_RCVBUF alone, so the kernel autotunes the receive buffer and the advertised window keeps ahead of the sender's congestion window. The upload took $secs s (${mbps} Mbit/s), mostly slow start.",
  "client": {"ip": "$CLI", "port": 40101},
  "server": {"ip": "$SRV", "port": 5001},
  "injected_fault": "none",
  "expected_diagnosis": "Healthy bulk transfer: no loss, no retransmissions, no zero window, and the sender is not held back by the receiver's window (receive-buffer autotuning). Nothing to fix.",
  "fix": "None needed.",
  "evidence": ["advertised window grows with the transfer", "no retransmissions or zero windows"],
  "params": {"one_way_delay_ms": $WINDOW_DELAY_MS, "so_rcvbuf_requested": 0, "so_rcvbuf_effective": $EFFECTIVE_RCVBUF, "upload_bytes": $UPLOAD_BYTES, "upload_seconds": $secs, "goodput_mbit_s": $mbps, "congestion_control": "$CC"},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "healthy": true, "exclude": ["window-limited"]}
  ]}
}
EOF
}

sc_handshake_incomplete() {
  topo_pair
  # The client host drops the SYN-ACKs before TCP sees them (a host firewall with an asymmetric rule).
  printf '%s\n' "table inet tdsc {" \
    " chain input { type filter hook input priority 0; tcp sport 8080 tcp flags & (syn | ack) == syn | ack counter drop comment \"fault\"; }" \
    "}" | in_ns "$NC" nft -f -
  bg "$NS" server timeout 30 "${APP[@]}" echo --host "$SRV" --port 8080 --deadline 20
  local spid=$LASTPID
  sleep 0.5
  cap_start "$NS" "$SDEV" 0
  bg "$NC" client timeout 20 "${APP[@]}" connect --host "$SRV" --port 8080 --sport 40102 --connect-timeout 4
  wait_pid "$LASTPID" 10
  sleep 1.5 # the server's SYN-ACK retransmissions go on after the client gave up
  cap_stop
  wait_pid "$spid" 1
  local dropped outcome err linear synack
  dropped=$(nft_dropped "$NC")
  outcome=$(json_field "$WORK/client.out" outcome)
  err=$(json_field "$WORK/client.out" error)
  linear=$(ns_sysctl "$NC" net.ipv4.tcp_syn_linear_timeouts)
  synack=$(ns_sysctl "$NS" net.ipv4.tcp_synack_retries)
  finish handshake-incomplete <<EOF
{
  "scenario": "handshake-incomplete",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "server interface $SDEV",
  "description": "A server listens on 8080 and answers every SYN with a SYN-ACK, but an nftables rule in the client host's input chain drops TCP segments from port 8080 that carry SYN+ACK ($dropped dropped), so the client never sees them. The client retransmits its SYN (tcp_syn_linear_timeouts=$linear: 1 s apart), each duplicate SYN makes the server retransmit its SYN-ACK, the server's own SYN-ACK timer (tcp_synack_retries=$synack) adds more; no final ACK ever arrives. The client application gave up after its 4 s connect timeout ($outcome $err). Captured on the server, where the handshake is half-open (SYN-RECV).",
  "client": {"ip": "$CLI", "port": 40102},
  "server": {"ip": "$SRV", "port": 8080},
  "injected_fault": "nftables drop of SYN-ACK segments in the client host's input chain",
  "expected_diagnosis": "Handshake never completes: the server receives the SYNs and answers with (retransmitted) SYN-ACKs, but the client's final ACK never comes. The SYN-ACKs are lost on the way back or discarded by the client host (firewall, asymmetric routing, stateful device), not a server or listener problem.",
  "fix": "Let the SYN-ACKs reach the client: remove the input rule that drops TCP from port 8080 with SYN+ACK on the client host (or fix the return path / stateful device that drops them).",
  "evidence": ["SYN, SYN-ACK, SYN again, SYN-ACK again ... from the same client port and ISN", "no ACK completing the handshake, no data, no RST", "server SYN-ACK retransmissions (tcp_synack_retries)"],
  "params": {"client_connect_timeout_s": 4, "synacks_dropped_by_nft": $dropped, "tcp_syn_linear_timeouts": $linear, "tcp_synack_retries": $synack, "client_outcome": "$outcome $err"},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "top": ["handshake-incomplete"], "healthy": false, "exclude": ["connect-timeout", "slow-handshake", "syn-flood", "listen-overflow"]}
  ]}
}
EOF
}

sc_handshake_ok() {
  topo_pair
  bg "$NS" server timeout 30 "${APP[@]}" echo --host "$SRV" --port 8080 --count 3 --deadline 20
  local spid=$LASTPID i
  sleep 0.5
  cap_start "$NS" "$SDEV" 0
  for i in 1 2 3; do
    bg "$NC" "client$i" timeout 10 "${APP[@]}" request --host "$SRV" --port 8080 --sport $((40102 + i)) --requests 2
    wait_pid "$LASTPID" 8
    [ "$(json_field "$WORK/client$i.out" outcome)" = completed ] || die "request $i failed: $(cat "$WORK/client$i.out")"
    sleep 0.2
  done
  cap_stop
  wait_pid "$spid" 2
  finish handshake-ok <<EOF
{
  "scenario": "handshake-ok",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "server interface $SDEV",
  "description": "Control case for handshake-incomplete, captured at the same point: three client connections one after another, each a complete three-way handshake, two short requests with answers, and an orderly close by the client.",
  "client": {"ip": "$CLI", "port": 40103},
  "server": {"ip": "$SRV", "port": 8080},
  "injected_fault": "none",
  "expected_diagnosis": "Healthy connections: every SYN-ACK is acknowledged at once, requests are answered, FIN/ACK teardown. Nothing to fix.",
  "fix": "None needed.",
  "evidence": ["SYN, SYN-ACK, ACK for each of the three connections", "no retransmissions, no resets"],
  "params": {"connections": 3, "requests_per_connection": 2},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "healthy": true, "exclude": ["handshake-incomplete"]}
  ]}
}
EOF
}

# _paced_upload OUTAGE_S : drop everything between client and server 1.5 s into a paced upload,
# for OUTAGE_S seconds (0 = for good); the client has net.ipv4.tcp_retries2=5. Sets DROPPED, RESULT.
_paced_upload() {
  local outage=$1
  topo_pair
  in_ns "$NC" sysctl -qw net.ipv4.tcp_retries2=5
  bg "$NS" server timeout 40 "${APP[@]}" sink --host "$SRV" --port 5001 --deadline 35
  local spid=$LASTPID
  sleep 0.5
  cap_start "$NC" "$CDEV" 128
  bg "$NC" client timeout 40 "${APP[@]}" upload --host "$SRV" --port 5001 --sport 40110 --bytes "$PACED_BYTES" \
    --pace 0.1 --pace-bytes 16384 --deadline 30
  local cpid=$LASTPID
  sleep 1.5
  nft_drop_peer "$NS" tdsc "$CLI"
  if [ "$outage" != 0 ]; then
    sleep "$outage"
    DROPPED=$(nft_dropped "$NS")
    in_ns "$NS" nft delete table inet tdsc
  fi
  wait_pid "$cpid" 32
  [ "$outage" != 0 ] || DROPPED=$(nft_dropped "$NS")
  sleep 0.5
  cap_stop
  wait_pid "$spid" 2
  CC=$(ns_sysctl "$NC" net.ipv4.tcp_congestion_control)
  RESULT=$WORK/client.out
}

sc_dead_peer_transfer() {
  PACED_BYTES=4194304
  _paced_upload 0
  local outcome err secs written
  outcome=$(json_field "$RESULT" outcome)
  err=$(json_field "$RESULT" error)
  secs=$(json_field "$RESULT" seconds)
  written=$(json_field "$RESULT" written)
  [ "$err" = ETIMEDOUT ] || die "expected the upload to fail with ETIMEDOUT, got: $(cat "$RESULT")"
  finish dead-peer-transfer <<EOF
{
  "scenario": "dead-peer-transfer",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "client (sender) interface $CDEV, snaplen 128",
  "description": "The client uploads to a sink on the server at ~160 KB/s (16 KiB writes every 100 ms). 1.5 s in, the server vanishes: nftables in the server namespace drops everything from and to the client ($DROPPED packets dropped), like a crashed host or a broken path. The client keeps sending until its buffer fills; the unacknowledged data is retransmitted on timeout with exponential backoff (RTO 0.2 s doubling), and with net.ipv4.tcp_retries2=5 the client kernel gives up about 12.6 s after the first loss: the application's blocked send() fails with $err after $secs s ($written bytes written). Linux aborts a connection on retransmission timeout without sending a RST, so nothing on the wire marks the abort: the capture's last packet is the last timeout retransmission (the silence of several seconds until the kernel gives up leaves no record in a pcap).",
  "client": {"ip": "$CLI", "port": 40110},
  "server": {"ip": "$SRV", "port": 5001},
  "injected_fault": "peer becomes unreachable mid-transfer (nft drop of all traffic between client and server in the server namespace, applied 1.5 s into the upload, never lifted)",
  "expected_diagnosis": "Dead peer during a transfer: the peer acknowledged data, then went silent; the sender retransmits the same unacknowledged segment on timeout with doubling intervals and no answer ever comes, until the kernel aborts the connection (ETIMEDOUT). The peer host or the path to it died; not congestion or random loss (nothing at all gets through).",
  "fix": "Find out why the server or the path to it went away (host crash, firewall/NAT state loss, route change); the client behaved correctly - keep a bounded retransmission timeout (tcp_retries2 / TCP_USER_TIMEOUT) so dead peers are detected.",
  "evidence": ["ACKs stop abruptly while data is outstanding", "the same segment retransmitted with doubling intervals (0.2, 0.4, 0.8, 1.6, 3.2 s)", "no ACK, RST or ICMP from the peer after the cut", "client application: send() fails with ETIMEDOUT"],
  "params": {"tcp_retries2": 5, "fault_applied_after_s": 1.5, "nft_dropped": $DROPPED, "client_outcome": "$outcome", "client_error": "$err", "client_seconds": $secs, "bytes_written": $written, "congestion_control": "$CC"},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "top": ["dead-peer"], "healthy": false, "exclude": ["packet-loss", "cwnd-limited-lossy-path"]}
  ]}
}
EOF
}

sc_outage_recovered() {
  PACED_BYTES=524288
  _paced_upload 2
  local outcome secs
  outcome=$(json_field "$RESULT" outcome)
  secs=$(json_field "$RESULT" seconds)
  [ "$outcome" = completed ] || die "expected the upload to complete after the outage, got: $(cat "$RESULT")"
  finish outage-recovered <<EOF
{
  "scenario": "outage-recovered",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "client (sender) interface $CDEV, snaplen 128",
  "description": "Near miss for dead-peer-transfer: the same paced upload and the same total drop 1.5 s in ($DROPPED packets dropped), but the drop is lifted after 2 s. The client retransmits on timeout with doubling intervals (0.2, 0.4, 0.8 s ...); the first retransmission after the path is back is acknowledged, the transfer resumes and completes normally ($PACED_BYTES bytes in $secs s), closed with FINs.",
  "client": {"ip": "$CLI", "port": 40110},
  "server": {"ip": "$SRV", "port": 5001},
  "injected_fault": "2 s total outage of the path mid-transfer (nft drop of all traffic in the server namespace, then removed)",
  "expected_diagnosis": "A transient outage: timeout retransmissions with backoff, then recovery; the peer is alive and the connection completes. Not a dead peer.",
  "fix": "Look for what interrupted the path for 2 s (link flap, failover, route change) if it recurs; TCP recovered on its own.",
  "evidence": ["retransmissions with doubling intervals during the outage", "ACKs resume, the upload completes, FIN teardown, no RST"],
  "params": {"tcp_retries2": 5, "fault_applied_after_s": 1.5, "outage_s": 2, "nft_dropped": $DROPPED, "upload_bytes": $PACED_BYTES, "client_seconds": $secs, "congestion_control": "$CC"},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "exclude": ["dead-peer"]}
  ]}
}
EOF
}

sc_keepalive_idle() {
  topo_pair
  bg "$NS" server timeout 30 "${APP[@]}" echo --host "$SRV" --port 8080 --deadline 20
  local spid=$LASTPID
  sleep 0.5
  cap_start "$NC" "$CDEV" 0
  bg "$NC" client timeout 20 "${APP[@]}" request --host "$SRV" --port 8080 --sport 40120 --requests 1 --idle 4.5 --keepalive 1,1,3
  wait_pid "$LASTPID" 15
  [ "$(json_field "$WORK/client.out" outcome)" = completed ] || die "keepalive client failed: $(cat "$WORK/client.out")"
  cap_stop
  wait_pid "$spid" 2
  finish keepalive-idle <<EOF
{
  "scenario": "keepalive-idle",
  "synthetic": false,
  "topology": "$TOPOLOGY",
  "capture_point": "client interface $CDEV",
  "description": "Control case for dead-peer: one request and answer, then the connection stays idle for 4.5 s with SO_KEEPALIVE, TCP_KEEPIDLE=1, TCP_KEEPINTVL=1, TCP_KEEPCNT=3 on the client. The client kernel sends a keepalive probe (zero-length, seq = snd.nxt-1) after every idle second and the server answers each at once; then the client closes normally.",
  "client": {"ip": "$CLI", "port": 40120},
  "server": {"ip": "$SRV", "port": 8080},
  "injected_fault": "none (aggressive keepalive timers: idle 1 s, interval 1 s, count 3)",
  "expected_diagnosis": "Healthy idle connection kept alive by answered TCP keepalive probes. Nothing to fix.",
  "fix": "None needed (in production a longer keepalive idle avoids needless probes).",
  "evidence": ["keepalive probes ~1 s apart, each ACKed by the server", "FIN teardown, no RST"],
  "params": {"keepidle": 1, "keepintvl": 1, "keepcnt": 3, "idle_s": 4.5},
  "expect": {"cases": [
    {"inputs": ["capture.pcap"], "healthy": true, "exclude": ["dead-peer"]}
  ]}
}
EOF
}

# ------------------------------------------------------------------------------ main
ALL=(window-limited window-autotune handshake-incomplete handshake-ok dead-peer-transfer outage-recovered keepalive-idle)
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, nftables, tcpdump)"
for tool in ip nft tcpdump "$PY"; do command -v "$tool" >/dev/null || die "$tool not found"; done
if [ $# -gt 0 ]; then WANT=("$@"); else WANT=("${ALL[@]}"); fi
for name in "${WANT[@]}"; do
  fn="sc_${name//-/_}"
  declare -F "$fn" >/dev/null || die "unknown scenario $name (known: ${ALL[*]})"
done
mkdir -p "$OUT"
for name in "${WANT[@]}"; do
  log "scenario $name"
  teardown
  rm -f "$WORK"/*
  "sc_${name//-/_}"
  teardown
done
log "done: $OUT"
