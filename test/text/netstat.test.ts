import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { SocketEntry } from "../../src/host/types.js";
import { parseNetstatSockets, parseNetstatStats } from "../../src/text/netstat.js";
import { parseProcNetCounters } from "../../src/text/procnet.js";
import { parseSs } from "../../src/text/ss.js";
import { fixturesDir } from "../helpers.js";

const read = (...p: string[]) => readFileSync(join(fixturesDir, ...p), "utf8");
// netstat prints 0 as the Send-Q of a listener where ss prints its backlog
const key = (s: SocketEntry) =>
  `${s.state} ${s.localIp}:${s.localPort} ${s.peerIp}:${s.peerPort} ${s.recvQ}/${s.state === "LISTEN" ? "-" : s.sendQ}`;

test("netstat -ant: the same sockets ss -tan saw at the same moment", () => {
  const ns = parseNetstatSockets(read("text", "netstat", "netstat-ant.txt"), "n");
  const ss = parseSs(read("text", "ss", "ss-tan.txt"), "s");
  assert.deepEqual(ns.warnings, []);
  assert.deepEqual(ns.sockets.map(key).sort(), ss.sockets.map(key).sort());
});

test("netstat -antp: PID/Program name, '-' when unknown", () => {
  const r = parseNetstatSockets(read("text", "netstat", "netstat-antp.txt"), "n");
  assert.equal(r.have.processes, true);
  const cw = r.sockets.find((s) => s.state === "CLOSE-WAIT");
  assert.deepEqual(cw?.processes, [{ name: "python3", pid: 11157, fd: -1 }]);
  const tw = r.sockets.filter((s) => s.state === "TIME-WAIT");
  assert.equal(tw.length, 3);
  assert.ok(tw.every((s) => s.processes === undefined));
});

test("netstat -anpeo and BSD netstat -an", () => {
  const r = parseNetstatSockets(
    [
      "Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer",
      "tcp        0      0 10.0.0.1:22             10.0.0.2:50000          ESTABLISHED 0          31337      812/sshd: root@pts   keepalive (7140.12/0/0)",
      "tcp        0     36 10.0.0.1:22             10.0.0.3:50001          ESTABLISHED 1000       31338      -                    on (0.20/3/0)",
      "tcp4       0      0  192.168.1.2.54321      17.1.2.3.443           ESTABLISHED",
      "udp        0      0 0.0.0.0:68              0.0.0.0:*",
    ].join("\n"),
    "x",
  );
  assert.equal(r.sockets.length, 3);
  assert.deepEqual(r.sockets[0].timer, { name: "keepalive", retrans: 0, expiresMs: 7_140_120 });
  assert.equal(r.sockets[0].inode, 31337);
  assert.equal(r.sockets[0].uid, 0);
  assert.deepEqual(r.sockets[0].processes, [{ name: "sshd: root@pts", pid: 812, fd: -1 }]);
  assert.deepEqual(r.sockets[1].timer, { name: "on", retrans: 3, expiresMs: 200 });
  assert.equal(r.sockets[1].uid, 1000);
  assert.equal(r.sockets[2].localIp, "192.168.1.2");
  assert.equal(r.sockets[2].peerPort, 443);
  assert.ok(r.warnings.some((w) => /non-TCP/.test(w)));
});

test("netstat: the seed example (-antp lines without header)", () => {
  const r = parseNetstatSockets(
    "tcp 0 0 192.168.1.10:3306 192.168.1.20:45678 ESTABLISHED 1234/mysqld\ntcp 0 0 192.168.1.10:3306 192.168.1.21:34567 ESTABLISHED 1234/mysqld\n",
    "seed",
  );
  assert.equal(r.sockets.length, 2);
  assert.ok(r.sockets.every((s) => s.localPort === 3306 && s.processes?.[0].name === "mysqld"));
});

test("netstat -s: sentences map to nstat names with the values /proc/net had", () => {
  const stats = parseNetstatStats(read("text", "lab", "netstat-s.txt"), "netstat-s.txt");
  const proc = parseProcNetCounters(
    read("text", "lab", "proc-net-snmp.txt") + read("text", "lab", "proc-net-netstat.txt"),
  );
  assert.deepEqual(stats.warnings, []);
  const names = Object.keys(stats.counters);
  assert.ok(names.length >= 40);
  for (const name of names) assert.equal(stats.counters[name], proc.counters[name], name);
  // the ones a diagnosis reads
  assert.equal(stats.counters.TcpExtListenOverflows, 28);
  assert.equal(stats.counters.TcpExtListenDrops, 28);
  assert.equal(stats.counters.TcpRetransSegs, 24);
  assert.equal(stats.counters.TcpExtTCPAbortOnData, 1);
  const lines = read("text", "lab", "netstat-s.txt").split("\n");
  assert.match(lines[stats.sources.TcpRetransSegs.line! - 1], /24 segments retransmitted/);
});

test("netstat -s: the seed example, old spellings, unmapped sentences kept by text", () => {
  const r = parseNetstatStats(
    [
      "Ip:",
      "    123456 total packets received",
      "    0 forwarded",
      "Tcp:",
      "    12345 active connection openings",
      "    45 connection resets received",
      "    678901 segments send out",
      "    1234 segments retransmited",
      "TcpExt:",
      "    678 SYNs to LISTEN sockets dropped",
      "    Quick ack mode was activated 17 times",
      "    3 frobnications rejected",
      "Icmp:",
      "    ICMP input histogram:",
      "        destination unreachable: 3",
    ].join("\n"),
    "seed",
  );
  assert.equal(r.counters.IpInReceives, 123456);
  assert.equal(r.counters.TcpOutSegs, 678901);
  assert.equal(r.counters.TcpRetransSegs, 1234);
  assert.equal(r.counters.TcpExtListenDrops, 678);
  assert.equal(r.counters.TcpExtDelayedACKLost, 17);
  assert.equal(r.counters["TcpExt: frobnications rejected"], 3);
  assert.equal(r.counters["Icmp: input destination unreachable"], 3);
  assert.ok(r.warnings.some((w) => /no nstat name/.test(w)));
});
