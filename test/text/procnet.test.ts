import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { SocketEntry } from "../../src/host/types.js";
import { parseProcNetCounters, parseProcNetTcp, parseSockstat } from "../../src/text/procnet.js";
import { parseSs } from "../../src/text/ss.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const read = (...p: string[]) => readFileSync(join(fixturesDir, ...p), "utf8");
const tuple = (s: SocketEntry) => `${s.state} ${s.localIp}:${s.localPort} ${s.peerIp}:${s.peerPort}`;

test("/proc/net/snmp and netstat: header/value pairs become nstat names", () => {
  const dir = join("host", "listen-overflow-server");
  const r = parseProcNetCounters(
    read(dir, "proc-net-snmp-after.txt") + read(dir, "proc-net-netstat-after.txt"),
    "p",
  );
  assert.deepEqual(r.warnings, []);
  assert.equal(r.counters.TcpRtoMin, 200);
  assert.equal(r.counters.TcpMaxConn, -1);
  assert.ok(r.counters.TcpExtListenOverflows > 0);
  assert.equal(r.counters.TcpExtListenOverflows, r.counters.TcpExtListenDrops);
  assert.ok("IpExtInOctets" in r.counters);
  assert.ok("MPTcpExtMPCapableSYNRX" in r.counters);
  assert.equal(r.earlier, undefined);
  assert.match(r.sources.TcpExtListenOverflows.text ?? "", /^TcpExt: ListenOverflows \d+$/);
});

test("/proc/net/netstat before and after pasted together: the earlier reading is kept", () => {
  const dir = join("host", "listen-overflow-server");
  const before = read(dir, "proc-net-netstat-before.txt");
  const after = read(dir, "proc-net-netstat-after.txt");
  const r = parseProcNetCounters(before + after, "p");
  assert.ok(r.earlier);
  const b = parseProcNetCounters(before).counters;
  const a = parseProcNetCounters(after).counters;
  assert.equal(r.earlier.TcpExtListenOverflows, b.TcpExtListenOverflows);
  assert.equal(r.counters.TcpExtListenOverflows, a.TcpExtListenOverflows);
  assert.equal(a.TcpExtListenOverflows - b.TcpExtListenOverflows, 32);
});

test("/proc/net/snmp6 name/value lines and a value line without its header", () => {
  const r = parseProcNetCounters(read("text", "lab", "snmp6.txt"), "s6");
  assert.ok(Object.keys(r.counters).length > 80);
  assert.ok(Object.keys(r.counters).every((k) => /^(Ip6|Icmp6|Udp6|UdpLite6)/.test(k)));
  const bad = parseProcNetCounters("Tcp: 1 2 3\n", "b");
  assert.equal(Object.keys(bad.counters).length, 0);
  assert.equal(bad.warnings.length, 1);
});

test("sockstat and sockstat6", () => {
  const r = parseSockstat(read("host", "close-wait-server-t2", "proc-net-sockstat.txt"), "s");
  assert.deepEqual(r.sockstat, { tcpInuse: 51, tcpOrphan: 0, tcpTw: 0, tcpAlloc: 52, tcpMem: 122 });
  assert.equal(r.source?.line, 2);
  const v6 = parseSockstat("TCP6: inuse 3\nUDP6: inuse 0\n", "s6");
  assert.equal(v6.sockstat.tcp6Inuse, 3);
});

test("/proc/net/tcp: the sockets ss saw, with timers and queues", () => {
  const proc = parseProcNetTcp(read("text", "lab", "proc-net-tcp.txt"), "p");
  const ss = parseSs(read("text", "lab", "ss-tanpimeo.txt"), "s");
  assert.deepEqual(proc.warnings, []);
  assert.deepEqual(proc.sockets.map(tuple).sort(), ss.sockets.map(tuple).sort());
  const listener = proc.sockets.find((s) => s.state === "LISTEN" && s.localPort === 9100);
  assert.equal(listener?.recvQ, 2); // accept queue: two handshakes wait for accept()
  assert.equal(listener?.inode, 69178);
  const synSent = proc.sockets.filter((s) => s.state === "SYN-SENT");
  assert.equal(synSent.length, 4);
  for (const s of synSent) {
    assert.equal(s.timer?.name, "on");
    assert.equal(s.timer?.retrans, 6);
    assert.equal(s.sendQ, 1);
    const same = ss.sockets.find((x) => tuple(x) === tuple(s));
    assert.equal(same?.timer?.retrans, 6);
  }
  const tw = proc.sockets.find((s) => s.state === "TIME-WAIT");
  assert.deepEqual(tw?.timer, { name: "timewait", expiresMs: 50_000, retrans: 0 });
});

test("/proc/net/tcp6: addresses are 32-bit words in host order", () => {
  const r = parseProcNetTcp(read("host", "clean-v6", "proc-net-tcp6-client.txt"), "p6");
  assert.equal(r.sockets.length, 1);
  const s = r.sockets[0];
  assert.equal(s.localIp, "fd00:77::1");
  assert.equal(s.localPort, 40001);
  assert.equal(s.peerIp, "fd00:77::2");
  assert.equal(s.peerPort, 8080);
  assert.equal(s.state, "TIME-WAIT");
  const mapped = parseProcNetTcp(
    "  0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n",
    "m",
  );
  assert.equal(mapped.sockets[0].localIp, "::ffff:127.0.0.1");
  const server = parseProcNetTcp(read("host", "clean-v6", "proc-net-tcp6-server.txt"), "h");
  const ss = parseSs(read("host", "clean-v6", "ss-tanpimeo-server.txt"), "s");
  assert.deepEqual(server.sockets.map(tuple), ss.sockets.map(tuple));
  assert.equal(server.sockets[0].localIp, "fd00:77::2");
  assert.deepEqual(
    parseProcNetTcp(read("host", "clean-v6", "proc-net-tcp6-server.txt").split("\n")[0], "h"),
    {
      sockets: [],
      warnings: [],
    },
  );
});

test("/proc/net/tcp keepalive probes sit where ss reports them", () => {
  const proc = parseProcNetTcp(read("host", "keepalive-dead-client-during", "proc-net-tcp.txt"), "p");
  const ss = parseSs(read("host", "keepalive-dead-client-during", "ss-tanpimeo.txt"), "s");
  assert.equal(proc.sockets[0].timer?.name, "keepalive");
  assert.equal(proc.sockets[0].timer?.retrans, 2);
  assert.equal(ss.sockets[0].timer?.retrans, 2);
  assert.equal(proc.sockets[0].timer?.expiresMs, 580);
});

test("/proc/net/tcp of the corpus matches ss -tan socket for socket", { skip: needsShared }, () => {
  for (const dir of ["close-wait/host/server-t2", "time-wait/host/client", "syn-flood/host/server-during"]) {
    const proc = parseProcNetTcp(readFileSync(join(capturesDir, dir, "proc-net-tcp.txt"), "utf8"), "p");
    const ss = parseSs(readFileSync(join(capturesDir, dir, "ss-tan.txt"), "utf8"), "s");
    const a = new Set(proc.sockets.map(tuple));
    const b = ss.sockets.map(tuple);
    const common = b.filter((t) => a.has(t)).length;
    // snapshots a moment apart: nearly all sockets in both
    assert.ok(common >= b.length * 0.9, `${dir}: ${common}/${b.length}`);
  }
});
