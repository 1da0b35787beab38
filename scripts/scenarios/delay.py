#!/usr/bin/env python3
"""Fixed one-way delay between two TUN devices of a router namespace (standard library only).

The kernel has no sch_netem, so path delay comes from user space: the router's policy routing sends
everything that arrives from the client side into TUN device A and everything from the server side
into TUN device B; this process reads a packet from one device and writes it, DELAY ms later, into
the other, where the kernel routes it on as if it had arrived there. Order is kept per direction.
Runs until SIGTERM/SIGINT or --duration; prints packet counts to stderr at exit.
"""
import argparse
import collections
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--a", required=True, help="TUN device on the client side")
    ap.add_argument("--b", required=True, help="TUN device on the server side")
    ap.add_argument("--delay", type=float, required=True, help="one-way delay per direction, ms")
    ap.add_argument("--duration", type=float, default=120.0, help="hard limit, seconds")
    ap.add_argument("--ready", required=True, help="file created once both devices exist")
    args = ap.parse_args()

    fd_a, fd_b = open_tun(args.a), open_tun(args.b)
    with open(args.ready, "w") as f:
        f.write("ready\n")
    delay = args.delay / 1000.0
    # One FIFO per direction: a fixed delay never reorders, so the head is always the next due.
    queues = {fd_a: collections.deque(), fd_b: collections.deque()}
    peer = {fd_a: fd_b, fd_b: fd_a}
    counts = {"a_to_b": 0, "b_to_a": 0, "write_errors": 0}
    stop_at = time.monotonic() + args.duration

    def stop(*_):
        nonlocal stop_at
        stop_at = 0.0

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        now = time.monotonic()
        if now >= stop_at:
            break
        due = [q[0][0] for q in queues.values() if q]
        wait = min([stop_at - now, 0.5] + [max(0.0, d - now) for d in due])
        try:
            readable, _, _ = select.select([fd_a, fd_b], [], [], wait)
        except InterruptedError:
            readable = []
        now = time.monotonic()
        for fd in readable:
            for _ in range(512):  # bounded drain per wake-up
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                queues[fd].append((now + delay, packet))
                counts["a_to_b" if fd == fd_a else "b_to_a"] += 1
        now = time.monotonic()
        for fd, q in queues.items():
            while q and q[0][0] <= now:
                _, packet = q.popleft()
                try:
                    os.write(peer[fd], packet)
                except OSError:
                    counts["write_errors"] += 1
    print("delay-exit", counts, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
