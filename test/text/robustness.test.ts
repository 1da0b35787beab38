import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseConntrack } from "../../src/text/conntrack.js";
import { detectText, parseHostText } from "../../src/text/detect.js";
import { parseEthtoolStats } from "../../src/text/ethtool.js";
import { parseIptables, parseNftRuleset } from "../../src/text/firewall.js";
import { parseIpLink, parseIpRoute } from "../../src/text/iproute.js";
import { parseKernLog } from "../../src/text/kernlog.js";
import { parseLimits } from "../../src/text/limits.js";
import { parseNetstatSockets, parseNetstatStats } from "../../src/text/netstat.js";
import { parseNstat } from "../../src/text/nstat.js";
import { parsePing, parseTracepath } from "../../src/text/ping.js";
import { parseProcNetCounters, parseProcNetTcp, parseSockstat } from "../../src/text/procnet.js";
import { parseSs } from "../../src/text/ss.js";
import { parseSysctl } from "../../src/text/sysctl.js";
import { parseTcQdisc } from "../../src/text/tc.js";
import { fixturesDir } from "../helpers.js";

const PARSERS: [string, (t: string) => unknown][] = [
  ["ss", (t) => parseSs(t, "x")],
  ["netstat", (t) => parseNetstatSockets(t, "x")],
  ["netstat -s", (t) => parseNetstatStats(t, "x")],
  ["nstat", (t) => parseNstat(t, "x")],
  ["procnet", (t) => parseProcNetCounters(t, "x")],
  ["sockstat", (t) => parseSockstat(t, "x")],
  ["proc tcp", (t) => parseProcNetTcp(t, "x")],
  ["sysctl", (t) => parseSysctl(t, "x", { nameHint: "tcp_syncookies" })],
  ["conntrack", (t) => parseConntrack(t, "x")],
  ["limits", (t) => parseLimits(t, "x")],
  ["kernlog", (t) => parseKernLog(t, "x")],
  ["ip route", (t) => parseIpRoute(t, "x")],
  ["ip link", (t) => parseIpLink(t, "x")],
  ["ethtool", (t) => parseEthtoolStats(t, "x")],
  ["ping", (t) => parsePing(t, "x")],
  ["tracepath", (t) => parseTracepath(t, "x")],
  ["tc", (t) => parseTcQdisc(t, "x")],
  ["nft", (t) => parseNftRuleset(t, "x")],
  ["iptables", (t) => parseIptables(t, "x")],
  ["detect", (t) => detectText(t)],
  ["parseHostText", (t) => parseHostText(t, "x")],
];

/** Deterministic pseudo-random numbers (a test must fail the same way twice). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mangle(text: string, r: () => number): string[] {
  const lines = text.split("\n");
  const cut = Math.floor(r() * text.length);
  const shuffled = [...lines].sort(() => r() - 0.5);
  const noisy = lines.map((l) => (r() < 0.2 ? `${l.slice(0, Math.floor(r() * l.length))}\u0000((("` : l));
  const proto = lines.map((l) => l.replace(/\b[a-z_]+(?=[:=])/g, (w) => (r() < 0.3 ? "constructor" : w)));
  return [
    text.slice(0, cut),
    text.slice(cut),
    shuffled.join("\n"),
    noisy.join("\n"),
    proto.join("\n"),
    text.replace(/\d/g, "9".repeat(20)),
  ];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

test("no parser throws on mangled real inputs (cut, shuffled, NULs, hostile keys, huge numbers)", () => {
  const r = rng(7);
  let runs = 0;
  for (const p of [...filesUnder(join(fixturesDir, "text")), ...filesUnder(join(fixturesDir, "host"))]) {
    const text = readFileSync(p, "utf8");
    for (const variant of mangle(text, r)) {
      for (const [name, parse] of PARSERS) {
        assert.doesNotThrow(() => parse(variant), `${name} on a variant of ${p}`);
        runs++;
      }
    }
  }
  assert.ok(runs > 5000);
});

test("parsers given the wrong kind of text return nothing and say so", () => {
  const ss = readFileSync(join(fixturesDir, "text", "ss", "ss-tan.txt"), "utf8");
  assert.equal(parseNstat(ss, "x").snapshots.length, 0);
  assert.ok(parseNstat(ss, "x").warnings.length > 0);
  assert.equal(parseProcNetTcp(ss, "x").sockets.length, 0);
  assert.equal(Object.keys(parseSysctl(ss, "x").sysctls).length, 0);
  assert.equal(parseIpRoute(ss, "x").routes.length, 0);
  const numbers = parseHostText(ss.replace(/\d/g, "9".repeat(40)), "x");
  for (const s of numbers.snapshot.sockets ?? []) {
    assert.ok(Number.isFinite(s.recvQ) && s.localPort <= 65535);
  }
});
