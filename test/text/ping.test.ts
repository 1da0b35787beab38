import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePing, parseTracepath } from "../../src/text/ping.js";

test("ping -M do: the local 'message too long' error names the MTU", () => {
  const r = parsePing(
    [
      "$ ping -M do -s 1472 10.0.0.50",
      "PING 10.0.0.50 (10.0.0.50) 1472(1500) bytes of data.",
      "ping: local error: message too long, mtu=1400",
      "ping: local error: message too long, mtu=1400",
      "",
      "--- 10.0.0.50 ping statistics ---",
      "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1001ms",
    ].join("\n"),
    "seed",
  );
  assert.deepEqual(r.warnings, []);
  assert.equal(r.pings.length, 1);
  const p = r.pings[0];
  assert.equal(p.dst, "10.0.0.50");
  assert.equal(p.packetSize, 1500);
  assert.equal(p.mtuReported, 1400);
  assert.equal(p.transmitted, 2);
  assert.equal(p.received, 0);
  assert.equal(p.errors, 2);
  assert.equal(p.lossPercent, 100);
  assert.deepEqual(
    r.pmtu.map(({ source, ...x }) => [x, source?.line]),
    [[{ dst: "10.0.0.50", pmtu: 1400 }, 3]],
  );
});

test("ping: frag needed from a router, silence (black hole), success", () => {
  const r = parsePing(
    [
      "PING 10.0.2.100 (10.0.2.100) 1472(1500) bytes of data.",
      "From 10.0.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)",
      "--- 10.0.2.100 ping statistics ---",
      "3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2003ms",
      "PING 10.0.2.101 (10.0.2.101) 1472(1500) bytes of data.",
      "--- 10.0.2.101 ping statistics ---",
      "3 packets transmitted, 0 received, 100% packet loss, time 2030ms",
      "PING 10.0.2.101 (10.0.2.101) 1372(1400) bytes of data.",
      "1380 bytes from 10.0.2.101: icmp_seq=1 ttl=63 time=0.512 ms",
      "--- 10.0.2.101 ping statistics ---",
      "1 packets transmitted, 1 received, 0% packet loss, time 0ms",
      "rtt min/avg/max/mdev = 0.512/0.512/0.512/0.000 ms",
    ].join("\n"),
    "x",
  );
  assert.deepEqual(
    r.pings.map((p) => [p.dst, p.packetSize, p.received, p.lossPercent, p.mtuReported, p.errors]),
    [
      ["10.0.2.100", 1500, 0, 100, 1400, 3],
      ["10.0.2.101", 1500, 0, 100, undefined, undefined],
      ["10.0.2.101", 1400, 1, 0, undefined, undefined],
    ],
  );
  assert.equal(r.pings[2].rttAvgMs, 0.512);
  assert.equal(r.pmtu.length, 1);
});

test("ping6 packet too big and BSD ping", () => {
  const v6 = parsePing(
    "PING fd00::1(fd00::1) 1452 data bytes\nFrom fd00::fe icmp_seq=1 Packet too big: mtu=1280\n",
    "6",
  );
  assert.equal(v6.pings[0].packetSize, 1500);
  assert.equal(v6.pmtu[0].pmtu, 1280);
  const bsd = parsePing(
    "PING 10.0.0.9 (10.0.0.9): 1472 data bytes\nRequest timeout for icmp_seq 0\n--- 10.0.0.9 ping statistics ---\n2 packets transmitted, 0 packets received, 100.0% packet loss\n",
    "b",
  );
  assert.equal(bsd.pings[0].packetSize, 1500);
  assert.equal(bsd.pings[0].lossPercent, 100);
});

test("tracepath: the resumed pmtu, the destination from the reached hop", () => {
  const r = parseTracepath(
    [
      "$ tracepath 10.0.2.100",
      " 1?: [LOCALHOST]                      pmtu 1500",
      " 1:  10.0.0.1                                              0.300ms",
      " 2:  10.0.1.1                                              0.500ms pmtu 1400",
      " 3:  10.0.2.100                                            0.800ms reached",
      "     Resume: pmtu 1400 hops 3 back 3",
    ].join("\n"),
    "seed",
  );
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.pmtu.map(({ source: _s, ...x }) => x),
    [{ dst: "10.0.2.100", pmtu: 1400 }],
  );
  // interrupted run: the lowest pmtu the hops showed
  const cut = parseTracepath(" 1?: [LOCALHOST] pmtu 1500\n 2:  10.0.1.1  0.5ms pmtu 1420\n", "c");
  assert.deepEqual(
    cut.pmtu.map((x) => x.pmtu),
    [1420],
  );
});
