import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseNstat } from "../../src/text/nstat.js";
import { parseProcNetCounters } from "../../src/text/procnet.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const readFix = (...p: string[]) => readFileSync(join(fixturesDir, ...p), "utf8");

test("nstat: a delta file (changed counters only) is read as increases", () => {
  const path = join(fixturesDir, "host", "syn-flood-server-during", "nstat-delta.txt");
  const r = parseNstat(readFileSync(path, "utf8"), path);
  assert.equal(r.mode, "delta");
  assert.equal(r.snapshots.length, 1);
  const c = r.snapshots[0].counters;
  assert.equal(c.TcpExtSyncookiesSent, 7295);
  assert.equal(c.TcpExtSyncookiesRecv, 1);
  assert.equal(c.TcpExtTCPReqQFullDoCookies, 7295);
  assert.equal(r.snapshots[0].rates?.TcpExtSyncookiesSent, 0);
  assert.deepEqual(r.warnings, []);
  assert.match(r.sources.TcpExtSyncookiesSent.text ?? "", /^TcpExtSyncookiesSent\s+7295/);
});

test("nstat: -az (zeros listed) is absolute; the command line or option decides otherwise", () => {
  const az = "#kernel\nIpInReceives 250 0.0\nTcpExtListenOverflows 0 0.0\n";
  assert.equal(parseNstat(az, "x").mode, "absolute");
  const changed = "#kernel\nTcpRetransSegs 85 0.0\n";
  assert.equal(parseNstat(`$ nstat\n${changed}`, "x").mode, "delta");
  assert.equal(parseNstat(`$ nstat -a\n${changed}`, "x").mode, "absolute");
  assert.equal(parseNstat(changed, "x", { mode: "delta" }).mode, "delta");
  const ambiguous = parseNstat(changed, "x");
  assert.equal(ambiguous.mode, "absolute");
  assert.ok(ambiguous.warnings.some((w) => /without zero values/.test(w)));
  assert.equal(parseNstat(changed, "x", { nameHint: "nstat-delta" }).mode, "delta");
  assert.equal(parseNstat(changed, "x", { nameHint: "nstat" }).mode, "delta");
  assert.equal(parseNstat(changed, "x", { nameHint: "nstat -az" }).mode, "absolute");
});

test("nstat: two readings in one paste, with or without rates, and JSON", () => {
  const r = parseNstat(
    "#kernel\nTcpRetransSegs 100 0.0\nTcpOutSegs 1000 0.0\n#kernel\nTcpRetransSegs 130 3.0\nTcpOutSegs 1500 50.0\n",
    "x",
  );
  assert.equal(r.snapshots.length, 2);
  assert.equal(r.snapshots[1].counters.TcpRetransSegs, 130);
  assert.equal(r.snapshots[1].line, 5);
  const noHeader = parseNstat("TcpRetransSegs 1\nTcpOutSegs 2\nTcpRetransSegs 3\nTcpOutSegs 4\n", "x");
  assert.equal(noHeader.snapshots.length, 2);
  assert.equal(noHeader.snapshots[0].rates, undefined);
  const json = parseNstat('{"kernel":{"TcpRetransSegs":12,"TcpOutSegs":99}}', "x");
  assert.equal(json.snapshots[0].counters.TcpOutSegs, 99);
});

test("nstat: the seed's grep output, and garbage lines", () => {
  const seed = parseNstat(
    "TcpRetransSegs 12847 0.0\nTcpExtTCPSlowStartRetrans 0 0.0\nTcpExtTCPLossProbes 4521 0.0\n",
    "seed",
  );
  assert.equal(seed.snapshots[0].counters.TcpExtTCPLossProbes, 4521);
  const bad = parseNstat("#kernel\nthis is not nstat\nTcpOutSegs 5 0.0\n", "b");
  assert.equal(bad.snapshots[0].counters.TcpOutSegs, 5);
  assert.equal(bad.warnings.length, 2);
});

test("nstat -az and /proc/net/{snmp,netstat} of the same moment agree", { skip: needsShared }, () => {
  const dir = join(capturesDir, "close-wait", "host", "server-t2");
  const n = parseNstat(readFileSync(join(dir, "nstat-az.txt"), "utf8"), "n");
  const p = parseProcNetCounters(
    readFileSync(join(dir, "proc-net-snmp.txt"), "utf8") +
      readFileSync(join(dir, "proc-net-netstat.txt"), "utf8"),
  );
  assert.equal(n.mode, "absolute");
  const counters = n.snapshots[0].counters;
  assert.ok(Object.keys(counters).length > 350);
  let compared = 0;
  for (const [k, v] of Object.entries(counters)) {
    if (p.counters[k] === undefined) continue;
    assert.equal(p.counters[k], v, k);
    compared++;
  }
  assert.ok(compared > 300, `${compared} compared`);
  assert.equal(counters.TcpPassiveOpens, 50);
});

test("nstat: listen-overflow delta names the overflows", { skip: needsShared }, () => {
  const path = join(capturesDir, "listen-overflow", "host", "server", "nstat-delta.txt");
  const r = parseNstat(readFileSync(path, "utf8"), path);
  assert.equal(r.mode, "delta");
  assert.equal(r.snapshots[0].counters.TcpExtListenOverflows, 32);
  assert.equal(r.snapshots[0].counters.TcpExtListenDrops, 32);
  assert.ok(readFix("host", "listen-overflow-server", "nstat-delta.txt").includes("TcpExtListenOverflows"));
});
