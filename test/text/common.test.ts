import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalIp,
  commandOf,
  parseDurationMs,
  parseRateBps,
  parseSizeBytes,
  socketState,
  splitHostPort,
  splitLines,
  tokens,
  Warnings,
} from "../../src/text/common.js";

test("durations: ss timer spellings and plain units", () => {
  assert.equal(parseDurationMs("4min23sec"), 263_000);
  assert.equal(parseDurationMs("56sec"), 56_000);
  assert.equal(parseDurationMs("2.668ms"), 2668); // ss: 2 s and 668 ms
  assert.equal(parseDurationMs("044ms"), 44);
  assert.equal(parseDurationMs("119min"), 7_140_000);
  assert.equal(parseDurationMs("1.2ms"), 1200);
  assert.equal(parseDurationMs("2.5sec"), 2500);
  assert.equal(parseDurationMs("948ms"), 948);
  assert.equal(parseDurationMs("300us"), 0.3);
  assert.equal(parseDurationMs(""), undefined);
  assert.equal(parseDurationMs("soon"), undefined);
});

test("rates and sizes", () => {
  assert.equal(parseRateBps("96.5Mbps"), 96_500_000);
  assert.equal(parseRateBps("4290370370bps"), 4_290_370_370);
  assert.equal(parseRateBps("780Kbps"), 780_000);
  assert.equal(parseRateBps("4Mbit"), 4_000_000);
  assert.equal(parseRateBps("fast"), undefined);
  assert.equal(parseSizeBytes("16Kb"), 16_384);
  assert.equal(parseSizeBytes("0b"), 0);
});

test("addresses: every spelling to one canonical form", () => {
  assert.deepEqual(splitHostPort("10.0.0.1:80"), { ip: "10.0.0.1", port: 80 });
  assert.deepEqual(splitHostPort("[fd00:0077::0001]:8080"), { ip: "fd00:77::1", port: 8080 });
  assert.deepEqual(splitHostPort("[::ffff:1.2.3.4]:443"), { ip: "::ffff:1.2.3.4", port: 443 });
  assert.deepEqual(splitHostPort("[fe80::1]%eth0:22"), { ip: "fe80::1", port: 22 });
  assert.deepEqual(splitHostPort("127.0.0.53%lo:53"), { ip: "127.0.0.53", port: 53 });
  assert.deepEqual(splitHostPort("*:*"), { ip: "0.0.0.0", port: 0 });
  assert.deepEqual(splitHostPort(":::*"), { ip: "::", port: 0 });
  assert.deepEqual(splitHostPort("::1:9001"), { ip: "::1", port: 9001 });
  assert.deepEqual(splitHostPort("192.168.1.2.54321"), { ip: "192.168.1.2", port: 54321 });
  assert.deepEqual(splitHostPort("*.*"), { ip: "0.0.0.0", port: 0 });
  assert.deepEqual(splitHostPort("localhost:ssh"), { ip: "localhost", port: 22, named: true });
  assert.equal(splitHostPort("garbage"), undefined);
  assert.equal(splitHostPort("1.2.3.4:99999"), undefined);
  assert.equal(canonicalIp("FD00::0:1"), "fd00::1");
});

test("states in ss, netstat and BSD spelling", () => {
  assert.equal(socketState("ESTAB"), "ESTAB");
  assert.equal(socketState("ESTABLISHED"), "ESTAB");
  assert.equal(socketState("FIN_WAIT2"), "FIN-WAIT-2");
  assert.equal(socketState("time-wait"), "TIME-WAIT");
  assert.equal(socketState("SYN_RCVD"), "SYN-RECV");
  assert.equal(socketState("UNCONN"), "CLOSE");
  assert.equal(socketState("listening"), "LISTEN");
  assert.equal(socketState("bogus"), undefined);
});

test("command lines in pastes, not nstat's #kernel or comments", () => {
  assert.equal(commandOf("$ ss -tan state time-wait"), "ss -tan state time-wait");
  assert.equal(commandOf("root@web1:~# sudo nstat -az"), "nstat -az");
  assert.equal(commandOf("# cat /proc/sys/net/ipv4/tcp_syncookies"), "cat /proc/sys/net/ipv4/tcp_syncookies");
  assert.equal(commandOf("[root@web1 ~]# ip route get 10.0.0.1"), "ip route get 10.0.0.1");
  assert.equal(commandOf("#kernel"), undefined);
  assert.equal(commandOf("# TcpRetransSegs 12847 0.0"), undefined);
  assert.equal(commandOf("ESTAB 0 0 1.2.3.4:5 6.7.8.9:10"), undefined);
});

test("tokens keep parenthesised groups whole; lines lose CR, BOM and colours", () => {
  assert.deepEqual(tokens('users:(("Web Content",pid=1,fd=2)) skmem:(r0, rb1) x'), [
    'users:(("Web Content",pid=1,fd=2))',
    "skmem:(r0, rb1)",
    "x",
  ]);
  assert.deepEqual(splitLines("\ufeffa\r\nb\x1b[1;31m!\x1b[0m\n"), ["a", "b!"]);
});

test("warnings are capped with a count of the rest", () => {
  const w = new Warnings("f", 2);
  for (let i = 1; i <= 5; i++) w.line(i, `bad ${i}`);
  const out = w.result();
  assert.equal(out.length, 3);
  assert.match(out[0], /^f:1: not understood: bad 1$/);
  assert.match(out[2], /3 more line/);
});
