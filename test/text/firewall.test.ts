import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseIptables, parseNftRuleset } from "../../src/text/firewall.js";
import { fixturesDir } from "../helpers.js";

test("nft: the reject rule on the service port with its counter", () => {
  const r = parseNftRuleset(
    readFileSync(join(fixturesDir, "host", "fw-reject-server", "nft-ruleset.txt"), "utf8"),
    "nft",
  );
  assert.deepEqual(r.warnings, []);
  assert.equal(r.rules.length, 1);
  const { source, ...rule } = r.rules[0];
  assert.deepEqual(rule, {
    tool: "nft",
    table: "inet cAfw",
    chain: "input",
    hook: "input",
    verdict: "reject",
    rejectWith: "tcp reset",
    protocol: "tcp",
    dports: [8080],
    packets: 1,
    bytes: 60,
    rule: "tcp dport 8080 counter packets 1 bytes 60 reject with tcp reset",
  });
  assert.equal(source?.line, 4);
});

test("nft: several chains, sets skipped, drop and accept told apart", () => {
  const r = parseNftRuleset(
    [
      "table inet filter {",
      "\tset blocked {",
      "\t\ttype ipv4_addr",
      "\t\telements = { 192.0.2.1, 192.0.2.2 }",
      "\t}",
      "\tchain input {",
      "\t\ttype filter hook input priority filter; policy drop;",
      "\t\tct state established,related accept",
      "\t\ttcp dport { 22, 80, 443 } counter packets 12 bytes 720 accept",
      '\t\ttcp dport 8000-8003 counter packets 5 bytes 300 drop comment "fault"',
      "\t}",
      "\tchain output {",
      "\t\ttype filter hook output priority filter; policy accept;",
      "\t}",
      "}",
    ].join("\n"),
    "x",
  );
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.rules.map((x) => [x.chain, x.verdict, x.dports, x.packets]),
    [
      ["input", "accept", undefined, undefined],
      ["input", "accept", [22, 80, 443], 12],
      ["input", "drop", [8000, 8001, 8002, 8003], 5],
    ],
  );
  const lab = parseNftRuleset(readFileSync(join(fixturesDir, "text", "lab", "nft.txt"), "utf8"), "lab");
  assert.deepEqual(
    lab.rules.map((x) => [x.verdict, x.dports, x.packets, x.rejectWith]),
    [
      ["drop", [9200], 0, undefined],
      ["reject", [9199], 3, "tcp reset"],
      ["accept", undefined, 32, undefined],
    ],
  );
});

test("iptables -L -v -n, iptables-save -c", () => {
  const l = parseIptables(
    [
      "Chain INPUT (policy ACCEPT 0 packets, 0 bytes)",
      " pkts bytes target     prot opt in     out     source               destination",
      "   12   720 REJECT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8080 reject-with tcp-reset",
      "  2K  120K DROP       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 80,443",
      "    0     0            all  --  *      *       10.0.0.0/8           0.0.0.0/0",
    ].join("\n"),
    "ipt",
  );
  assert.deepEqual(l.warnings, []);
  assert.deepEqual(
    l.rules.map((x) => [x.chain, x.verdict, x.protocol, x.dports, x.packets, x.rejectWith]),
    [
      ["INPUT", "reject", "tcp", [8080], 12, "tcp-reset"],
      ["INPUT", "drop", "tcp", [80, 443], 2000, undefined],
      ["INPUT", "other", undefined, undefined, 0, undefined],
    ],
  );
  const s = parseIptables(
    "*filter\n:INPUT ACCEPT [0:0]\n[3:180] -A INPUT -p tcp -m tcp --dport 8080 -j DROP\nCOMMIT\n",
    "save",
  );
  assert.deepEqual(
    s.rules.map((x) => [x.table, x.chain, x.verdict, x.dports, x.packets, x.bytes]),
    [["filter", "INPUT", "drop", [8080], 3, 180]],
  );
});
