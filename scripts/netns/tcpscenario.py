#!/usr/bin/env python3
"""TCP situations for tests and benchmarks, run inside a network namespace.

usage: tcpscenario.py MODE [options]; prints "ready" on stdout once the situation is in place, then
holds it until stdin closes (or --hold seconds pass). Standard library only.

modes:
  hold        --listen IP:PORT[,IP:PORT...] --count N    N client connections spread over the
              listeners, all accepted and held (2N established sockets)
  close-wait  --listen IP:PORT --connect IP:PORT --count N  server accepts, never closes; clients
              close after the response: N CLOSE-WAIT sockets owned by this process
  server      --listen IP:PORT [--backlog B] [--no-accept] [--no-read] [--rcvbuf BYTES] [--close-on-eof]
              a listener that accepts (or not) and reads (or not); accepted sockets are closed at
              end-of-file only with --close-on-eof (else they stay in CLOSE-WAIT: a leak)
  open        --connect IP:PORT --count N                 N non-blocking connection attempts, held
  churn       --connect IP:PORT --count N                 N sequential connections, each closed first
              by this side (TIME-WAIT on this side)
  send        --connect IP:PORT --bytes N                 connect and write N bytes (blocks when the
              peer stops reading)
"""
import argparse
import os
import resource
import select
import socket
import sys
import threading
import time


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def ready_and_hold(hold):
    print("ready", flush=True)
    if hold:
        time.sleep(hold)
        return
    try:
        while sys.stdin.read(1):
            pass
    except (OSError, ValueError):
        pass


def listener(a, backlog):
    ls = socket.socket(socket.AF_INET6 if ":" in a[0] else socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(a)
    ls.listen(backlog)
    return ls


def mode_hold(o):
    targets = [addr(x) for x in o.listen.split(",")]
    raise_nofile(2 * o.count + 1000)
    lss = [listener(t, 65535) for t in targets]
    for ls in lss:
        ls.setblocking(False)
    held = []

    def drain():
        for ls in lss:
            while True:
                try:
                    c, _ = ls.accept()
                    held.append(c)
                except BlockingIOError:
                    break

    for i in range(o.count):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.connect(targets[i % len(targets)])
        held.append(c)
        if i % 512 == 0:
            drain()
    deadline = time.time() + 10
    while len(held) < 2 * o.count and time.time() < deadline:
        drain()
        time.sleep(0.01)
    ready_and_hold(o.hold)


def mode_close_wait(o):
    ls = listener(addr(o.listen), 1024)
    held = []

    def serve():
        while True:
            c, _ = ls.accept()
            c.recv(1024)
            c.sendall(b"x" * 512)
            held.append(c)  # never closed: the leak

    threading.Thread(target=serve, daemon=True).start()
    for _ in range(o.count):
        c = socket.create_connection(addr(o.connect))
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        c.recv(1024)
        c.close()
    deadline = time.time() + 5
    while len(held) < o.count and time.time() < deadline:
        time.sleep(0.01)
    ready_and_hold(o.hold)


def mode_server(o):
    ls = listener(addr(o.listen), o.backlog)
    if o.rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, o.rcvbuf)
    held = []

    def serve():
        while True:
            c, _ = ls.accept()
            held.append(c)
            if not o.no_read:
                threading.Thread(target=reader, args=(c,), daemon=True).start()

    def reader(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            return
        if o.close_on_eof:
            c.close()

    if not o.no_accept:
        threading.Thread(target=serve, daemon=True).start()
    ready_and_hold(o.hold)


def mode_churn(o):
    for _ in range(o.count):
        c = socket.create_connection(addr(o.connect))
        c.close()
    ready_and_hold(o.hold)


def mode_open(o):
    held = []
    for _ in range(o.count):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(addr(o.connect))
        except BlockingIOError:
            pass
        held.append(c)
    ready_and_hold(o.hold)


def mode_send(o):
    c = socket.create_connection(addr(o.connect))
    c.setblocking(False)
    data = b"y" * 65536
    sent = 0
    deadline = time.time() + 5
    # Fill until the peer's window and our send buffer are full, then hold.
    while sent < o.bytes and time.time() < deadline:
        _, w, _ = select.select([], [c], [], 0.5)
        if not w:
            break
        try:
            sent += c.send(data[: min(len(data), o.bytes - sent)])
        except BlockingIOError:
            continue
    ready_and_hold(o.hold)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--listen")
    p.add_argument("--connect")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--backlog", type=int, default=128)
    p.add_argument("--no-accept", action="store_true")
    p.add_argument("--no-read", action="store_true")
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--close-on-eof", action="store_true")
    p.add_argument("--bytes", type=int, default=1 << 20)
    p.add_argument("--hold", type=float, default=0)
    o = p.parse_args()
    modes = {
        "hold": mode_hold,
        "close-wait": mode_close_wait,
        "server": mode_server,
        "churn": mode_churn,
        "open": mode_open,
        "send": mode_send,
    }
    modes[
        o.mode.replace("_", "-")
    ](o)
    os._exit(0)


if __name__ == "__main__":
    main()
