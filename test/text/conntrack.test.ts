import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseConntrack } from "../../src/text/conntrack.js";
import { fixturesDir } from "../helpers.js";

const read = (...p: string[]) => readFileSync(join(fixturesDir, ...p), "utf8");

test("conntrack -L: entries aggregated by source, count from the tool's summary", () => {
  const r = parseConntrack(read("host", "conntrack-limit-router-during", "conntrack-L.txt"), "L");
  assert.deepEqual(r.warnings, []);
  assert.equal(r.conntrack.entries, 20);
  assert.equal(r.conntrack.count, 20);
  assert.deepEqual(r.conntrack.entriesBySource, { "10.77.1.1": 20 });
});

test("conntrack -C, -S and /proc/net/stat/nf_conntrack", () => {
  const c = parseConntrack(read("host", "conntrack-limit-router-during", "conntrack-C.txt"), "C");
  assert.equal(c.conntrack.count, 20);
  const s = parseConntrack(read("host", "conntrack-limit-router-during", "conntrack-S.txt"), "S");
  assert.equal(s.conntrack.stats?.drop, 0);
  assert.equal(s.conntrack.stats?.insert_failed, 0);
  assert.equal(s.conntrack.stats?.cpu, undefined);
  const summed = parseConntrack(
    "cpu=0 found=3 drop=2 early_drop=1\ncpu=1 found=4 drop=5 early_drop=0\n",
    "S",
  );
  assert.deepEqual(summed.conntrack.stats, { found: 7, drop: 7, early_drop: 1 });
  const proc = parseConntrack(read("text", "lab", "proc-net-stat-nf_conntrack.txt"), "p");
  assert.equal(proc.conntrack.count, 11); // "entries" is global: 0x0b on every CPU row, not summed
  assert.equal(proc.conntrack.stats?.insert_failed, 0);
});

test("/proc/net/nf_conntrack has the same entries as conntrack -L", () => {
  const a = parseConntrack(read("text", "lab", "proc-net-nf_conntrack.txt"), "p");
  const b = parseConntrack(read("text", "lab", "conntrack-L.txt"), "L");
  assert.equal(a.conntrack.entries, 11);
  assert.equal(b.conntrack.entries, 11);
  assert.deepEqual(a.conntrack.entriesBySource, b.conntrack.entriesBySource);
});

test("the seed's examples: entries, a count, the maximum", () => {
  const l = parseConntrack(
    [
      "tcp 6 431999 ESTABLISHED src=192.168.1.10 dst=10.0.0.5 sport=45678 dport=80 src=10.0.0.5 dst=192.168.1.10 sport=80 dport=45678 [ASSURED] mark=0 use=1",
      "tcp 6 116 SYN_SENT src=192.168.1.10 dst=10.0.0.50 sport=34567 dport=3306 [UNREPLIED] src=10.0.0.50 dst=192.168.1.10 sport=3306 dport=34567 mark=0 use=1",
      "udp 17 29 src=10.0.0.9 dst=10.0.0.53 sport=5353 dport=53 src=10.0.0.53 dst=10.0.0.9 sport=53 dport=5353 mark=0 use=1",
    ].join("\n"),
    "seed",
  );
  assert.deepEqual(l.conntrack.entriesBySource, { "192.168.1.10": 2, "10.0.0.9": 1 });
  assert.equal(parseConntrack("45678\n", "C").conntrack.count, 45678);
  assert.equal(parseConntrack("262144\n", "m", { valueIs: "max" }).conntrack.max, 262144);
  const named = parseConntrack(
    "net.netfilter.nf_conntrack_count = 240000\nnet.netfilter.nf_conntrack_max = 262144\n",
    "s",
  );
  assert.equal(named.conntrack.count, 240000);
  assert.equal(named.conntrack.max, 262144);
  assert.equal(parseConntrack("not conntrack\n", "x").warnings.length, 1);
});
