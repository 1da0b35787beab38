import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseIpLink, parseIpRoute } from "../../src/text/iproute.js";
import { fixturesDir } from "../helpers.js";

const read = (...p: string[]) => readFileSync(join(fixturesDir, ...p), "utf8");

test("ip route get: a learned path MTU on the cache line, or none", () => {
  const ok = parseIpRoute(read("host", "pmtu", "ip-route-get-client-ok.txt"), "ok");
  assert.deepEqual(
    ok.routes.map(({ source: _s, ...r }) => r),
    [{ dst: "10.77.1.1", via: "10.77.2.254", dev: "cAs0", src: "10.77.2.1", mtu: 1400 }],
  );
  assert.equal(ok.routes[0].source?.line, 1);
  const hole = parseIpRoute(read("host", "pmtu", "ip-route-get-client-blackhole.txt"), "bh");
  assert.equal(hole.routes.length, 1);
  assert.equal(hole.routes[0].mtu, undefined);
  assert.deepEqual(hole.warnings, []);
});

test("ip route get: local, IPv6 and unreachable answers", () => {
  const local = parseIpRoute(read("text", "lab", "ip-route-get.txt"), "l");
  assert.equal(local.routes[0].dst, "127.0.0.1");
  assert.equal(local.routes[0].dev, "lo");
  const v6 = parseIpRoute(read("text", "lab", "ip6-route-get.txt"), "6");
  assert.equal(v6.routes[0].dst, "::1");
  assert.equal(v6.routes[0].src, "::1");
  const unreach = parseIpRoute(
    `$ ip route get 192.0.2.1\n${read("text", "lab", "ip-route-get-unreach.txt")}`,
    "u",
  );
  assert.deepEqual(
    unreach.routes.map(({ source: _s, ...r }) => r),
    [{ dst: "192.0.2.1", error: "Network is unreachable" }],
  );
});

test("ip route: table entries, mtu lock, the seed's elided example", () => {
  const r = parseIpRoute(
    [
      "default via 10.77.1.254 dev cAc0",
      "10.77.0.0/24 dev cAs0 proto kernel scope link src 10.77.0.2",
      "10.9.0.0/16 via 10.0.0.1 dev eth0 mtu lock 1400",
      "unreachable 192.0.2.0/24",
      "10.0.2.100 via 10.0.0.1 dev eth0 src 10.0.1.50 ... mtu 1400",
    ].join("\n"),
    "t",
  );
  assert.deepEqual(
    r.routes.map((x) => [x.dst, x.via, x.dev, x.mtu, x.error]),
    [
      ["default", "10.77.1.254", "cAc0", undefined, undefined],
      ["10.77.0.0/24", undefined, "cAs0", undefined, undefined],
      ["10.9.0.0/16", "10.0.0.1", "eth0", 1400, undefined],
      ["192.0.2.0/24", undefined, undefined, undefined, "unreachable"],
      ["10.0.2.100", "10.0.0.1", "eth0", 1400, undefined],
    ],
  );
});

test("ip -s link and ip -s -s link: per-interface counters", () => {
  const r = parseIpLink(read("host", "ratelimit-router", "ip-s-link.txt"), "l");
  assert.deepEqual(
    r.interfaces.map((i) => [i.name, i.mtu, i.state, i.rxPackets, i.txPackets, i.rxErrors, i.txDropped]),
    [
      ["lo", 65536, "UNKNOWN", 0, 0, 0, 0],
      ["cAr0", 1500, "UP", 1307, 2079, 0, 0],
      ["cAr1", 1500, "UP", 2104, 1306, 0, 0],
      ["cAtA", 1500, "UNKNOWN", 2103, 1305, 0, 0],
      ["cAtB", 1500, "UNKNOWN", 1305, 2103, 0, 0],
    ],
  );
  assert.deepEqual(r.warnings, []);
  const ss = parseIpLink(read("text", "lab", "ip-s-s-link.txt"), "ss");
  assert.equal(ss.interfaces[0].rxPackets, 134);
  assert.equal(ss.interfaces[0].nicCounters?.rx_crc, 0);
  assert.equal(ss.interfaces[0].nicCounters?.tx_heartbt, 0);
  assert.equal(ss.interfaces[0].nicCounters?.rx_missed, 0);
});

test("ip addr and ip -br addr: state and addresses", () => {
  const r = parseIpLink(
    [
      "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000",
      "    link/ether 02:00:0a:4d:00:02 brd ff:ff:ff:ff:ff:ff",
      "    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0",
      "       valid_lft forever preferred_lft forever",
      "    inet6 fd00:0:0::5/64 scope global",
      "3: eth1: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc mq state DOWN group default qlen 1000",
    ].join("\n"),
    "a",
  );
  assert.deepEqual(
    r.interfaces.map((i) => [i.name, i.mtu, i.state, i.addresses]),
    [
      ["eth0", 9001, "UP", ["10.0.0.5/24", "fd00::5/64"]],
      ["eth1", 1500, "DOWN", undefined],
    ],
  );
  const br = parseIpLink(read("text", "lab", "ip-br-addr.txt"), "br");
  assert.deepEqual(
    br.interfaces.map((i) => [i.name, i.state, i.addresses]),
    [["lo", "UNKNOWN", ["127.0.0.1/8", "::1/128"]]],
  );
  assert.equal(parseIpLink("rubbish\n", "x").warnings.length, 1);
});
