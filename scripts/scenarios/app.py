#!/usr/bin/env python3
"""Small, bounded TCP endpoints for make-scenarios.sh (standard library only).

Modes
  sink     accept connections and read until EOF (optionally with a fixed SO_RCVBUF)
  echo     accept connections and answer every request with a short response
  upload   connect and send N bytes, optionally paced, then close and wait for the peer's FIN
  request  connect, send a request, read the answer, idle (optionally with keepalive), close
  connect  only connect (and report how it ended)

Every mode has a hard deadline and bounded loops. Events go to stderr as
"<epoch seconds> <event> key=value ..." so they line up with `tcpdump -tt` timestamps; the last line
of upload/request/connect is a JSON summary on stdout that the generator copies into truth.json.
"""
import argparse
import errno
import json
import socket
import sys
import time

CHUNK = bytes(range(256)) * 64  # 16 KiB of a recognisable pattern


def log(event, **kv):
    fields = " ".join("%s=%s" % (k, v) for k, v in kv.items())
    print("%.6f %s %s" % (time.time(), event, fields), file=sys.stderr, flush=True)


def errname(e):
    if isinstance(e, TimeoutError) and not e.errno:
        return "timeout"  # the socket's own timeout (settimeout), not the kernel's ETIMEDOUT
    return errno.errorcode.get(e.errno, str(e.errno)) if isinstance(e, OSError) and e.errno else type(e).__name__


def listen(args):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.rcvbuf:
        # Set on the listener so accepted sockets inherit it before the SYN-ACK picks the window scale.
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    ls.bind((args.host, args.port))
    ls.listen(16)
    ls.settimeout(args.deadline)
    log("listening", host=args.host, port=args.port, rcvbuf=ls.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    return ls


def serve(args, handle):
    ls = listen(args)
    end = time.monotonic() + args.deadline
    for _ in range(args.count):
        left = end - time.monotonic()
        if left <= 0:
            break
        ls.settimeout(left)
        try:
            c, peer = ls.accept()
        except OSError as e:
            log("accept-ended", error=errname(e))
            break
        log("accepted", peer="%s:%d" % peer)
        c.settimeout(max(0.1, end - time.monotonic()))
        try:
            handle(c)
        except OSError as e:
            log("connection-error", error=errname(e))
        finally:
            c.close()
    ls.close()


def sink(args):
    def handle(c):
        got = 0
        t0 = time.monotonic()
        while True:
            data = c.recv(65536)
            if not data:
                break
            got += len(data)
        log("eof", received=got, seconds="%.3f" % (time.monotonic() - t0))

    serve(args, handle)


def echo(args):
    def handle(c):
        while True:
            data = c.recv(4096)
            if not data:
                break
            c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        log("closed-by-peer")

    serve(args, handle)


def connect(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if args.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", args.sport))
    s.settimeout(args.connect_timeout)
    t0 = time.monotonic()
    s.connect((args.host, args.port))
    log("connected", local="%s:%d" % s.getsockname(), seconds="%.4f" % (time.monotonic() - t0))
    return s


def report(**kv):
    print(json.dumps(kv), flush=True)


def upload(args):
    t0 = time.monotonic()
    end = t0 + args.deadline
    sent = 0
    try:
        s = connect(args)
    except OSError as e:
        report(outcome="connect-failed", error=errname(e))
        return
    try:
        s.settimeout(max(0.1, end - time.monotonic()))
        while sent < args.bytes and time.monotonic() < end:
            n = min(len(CHUNK), args.bytes - sent)
            if args.pace:
                n = min(n, args.pace_bytes)
            s.sendall(CHUNK[:n])
            sent += n
            if args.pace:
                time.sleep(args.pace)
        s.shutdown(socket.SHUT_WR)
        while time.monotonic() < end and s.recv(4096):
            pass
        elapsed = time.monotonic() - t0
        log("done", sent=sent, seconds="%.3f" % elapsed)
        report(outcome="completed", sent=sent, seconds=round(elapsed, 3))
    except OSError as e:
        elapsed = time.monotonic() - t0
        log("failed", sent=sent, error=errname(e), seconds="%.3f" % elapsed)
        report(outcome="failed", error=errname(e), written=sent, seconds=round(elapsed, 3))
    finally:
        s.close()


def request(args):
    t0 = time.monotonic()
    try:
        s = connect(args)
    except OSError as e:
        report(outcome="connect-failed", error=errname(e), seconds=round(time.monotonic() - t0, 3))
        return
    try:
        if args.keepalive:
            idle, intvl, cnt = (int(x) for x in args.keepalive.split(","))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
        s.settimeout(10)
        for i in range(args.requests):
            s.sendall(b"GET /%d HTTP/1.1\r\nhost: scenario\r\n\r\n" % i)
            s.recv(4096)
            if i + 1 < args.requests or args.idle:
                time.sleep(args.idle)
        log("closing")
        report(outcome="completed", requests=args.requests, idle=args.idle, seconds=round(time.monotonic() - t0, 3))
    except OSError as e:
        report(outcome="failed", error=errname(e), seconds=round(time.monotonic() - t0, 3))
    finally:
        s.close()


def connect_only(args):
    t0 = time.monotonic()
    try:
        s = connect(args)
        s.close()
        report(outcome="connected", seconds=round(time.monotonic() - t0, 3))
    except OSError as e:
        log("connect-failed", error=errname(e), seconds="%.3f" % (time.monotonic() - t0))
        report(outcome="connect-failed", error=errname(e), seconds=round(time.monotonic() - t0, 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["sink", "echo", "upload", "request", "connect"])
    ap.add_argument("--host", required=True, help="address to bind (servers) or connect to (clients)")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--sport", type=int, default=0, help="client source port")
    ap.add_argument("--deadline", type=float, default=30.0, help="hard limit of the whole run, seconds")
    ap.add_argument("--count", type=int, default=1, help="servers: connections to serve")
    ap.add_argument("--rcvbuf", type=int, default=0, help="servers: SO_RCVBUF of the listener")
    ap.add_argument("--bytes", type=int, default=1 << 20, help="upload: bytes to send")
    ap.add_argument("--pace", type=float, default=0.0, help="upload: seconds to sleep after each write")
    ap.add_argument("--pace-bytes", type=int, default=len(CHUNK), help="upload: bytes per paced write")
    ap.add_argument("--requests", type=int, default=1)
    ap.add_argument("--idle", type=float, default=0.0, help="request: seconds idle after the last answer")
    ap.add_argument("--keepalive", default="", help="request: IDLE,INTVL,CNT seconds/probes")
    ap.add_argument("--connect-timeout", type=float, default=10.0)
    args = ap.parse_args()
    {"sink": sink, "echo": echo, "upload": upload, "request": request, "connect": connect_only}[args.mode](args)


if __name__ == "__main__":
    main()
