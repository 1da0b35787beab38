import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseTcQdisc } from "../../src/text/tc.js";
import { fixturesDir } from "../helpers.js";

test("tc -s qdisc: the shaper's rate, drops and overlimits", () => {
  const r = parseTcQdisc(
    readFileSync(join(fixturesDir, "host", "ratelimit-router", "tc-s-qdisc.txt"), "utf8"),
    "tc",
  );
  assert.deepEqual(r.warnings, []);
  assert.equal(r.qdiscs.length, 5);
  const tbf = r.qdiscs.find((q) => q.kind === "tbf");
  assert.ok(tbf);
  assert.equal(tbf.dev, "cAr0");
  assert.equal(tbf.rateBps, 4_000_000);
  assert.equal(tbf.dropped, 26);
  assert.equal(tbf.overlimits, 6195);
  assert.equal(tbf.sentPackets, 2079);
  assert.equal(tbf.parent, "root");
  assert.equal(tbf.source?.line, 4);
  assert.ok(r.qdiscs.filter((q) => q !== tbf).every((q) => q.dropped === 0));
});

test("tc: backlog sizes and garbage", () => {
  const r = parseTcQdisc(
    "qdisc fq_codel 0: dev eth0 parent :1 limit 10240p flows 1024\n Sent 10 bytes 1 pkt (dropped 0, overlimits 0 requeues 0)\n backlog 3028b 2p requeues 0\n",
    "x",
  );
  assert.equal(r.qdiscs[0].backlogBytes, 3028);
  assert.equal(r.qdiscs[0].backlogPackets, 2);
  assert.equal(r.qdiscs[0].parent, ":1");
  assert.equal(parseTcQdisc("nonsense\n", "x").warnings.length, 1);
});
