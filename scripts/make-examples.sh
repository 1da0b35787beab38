#!/usr/bin/env bash
# Makes the small example captures in examples/ from real Linux TCP traffic between two network
# namespaces (root needed; everything stays inside namespaces created and deleted here).
#   usage: sudo scripts/make-examples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=examples
app=scripts/examples/app.mjs
A=tdex-cli B=tdex-srv
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $A && ip netns add $B
ip link add tdex0 netns $A type veth peer name tdex1 netns $B
ip -n $A addr add 192.0.2.10/24 dev tdex0 && ip -n $B addr add 192.0.2.20/24 dev tdex1
for n in $A $B; do
  ip -n $n link set lo up
  ip netns exec $n ethtool -K "$( [ $n = $A ] && echo tdex0 || echo tdex1 )" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
done
ip -n $A link set tdex0 up && ip -n $B link set tdex1 up
sleep 1
mkdir -p $out

capture() { # capture FILE -- command...: tcpdump on the client side while the command runs
  local file=$1; shift
  ip netns exec $A tcpdump -i tdex0 -U -s 0 --immediate-mode -w "$file" tcp or icmp 2>/dev/null &
  local tp=$!
  sleep 1
  "$@" || true
  sleep 1
  kill -INT $tp; wait $tp 2>/dev/null || true
}

# 1. a refused connect and a slow server in one capture
slow_and_refused() {
  ip netns exec $B node $app slow-server 0.0.0.0 8080 1200 &
  local sp=$!
  sleep 0.5
  ip netns exec $A node $app get 192.0.2.20 8081 || true
  ip netns exec $A node $app get 192.0.2.20 8080
  wait $sp || true
}
capture $out/slow-and-refused.pcap slow_and_refused

# 2. a receiver that stops reading (zero window), small receive buffer
zero_window() {
  ip netns exec $B sysctl -qw net.ipv4.tcp_rmem="4096 8192 16384"
  ip netns exec $B node $app stall-server 0.0.0.0 5001 2000 &
  local sp=$!
  sleep 0.5
  ip netns exec $A node $app send 192.0.2.20 5001 200000
  wait $sp || true
}
capture $out/zero-window.pcap zero_window

ls -l $out
