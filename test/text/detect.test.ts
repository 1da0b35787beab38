import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { detectText, parseHostText } from "../../src/text/detect.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

/** What a file of the corpus or of our fixtures is, by its name (detection itself never sees the name). */
function expectedKind(name: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/^ss-/, "ss"],
    [/^netstat-s/, "netstat-stats"],
    [/^netstat-/, "netstat-sockets"],
    [/^nstat/, "nstat"],
    [/^proc-net-snmp6|^snmp6/, "proc-net-snmp6"],
    [/^proc-net-snmp/, "proc-net-snmp"],
    [/^proc-net-netstat/, "proc-net-netstat"],
    [/^(proc-net-)?sockstat/, "proc-net-sockstat"],
    [/^proc-net-tcp/, "proc-net-tcp"],
    [/^proc-net-(stat-)?nf_conntrack|^conntrack-[LS]/, "conntrack"],
    [/^sysctl/, "sysctl"],
    [/^ip-addr/, "ip-addr"],
    [/^ip-br-addr/, "ip-link"],
    [/^ip-s(-s)?-link/, "ip-link"],
    [/^ip6?-route-get/, "ip-route-get"],
    [/^ip-route/, "ip-route"],
    [/^tc-/, "tc-qdisc"],
    [/^nft/, "nft-ruleset"],
    [/^conntrack-C|^fd-count/, "value"],
  ];
  for (const [re, kind] of rules) if (re.test(name)) return kind;
  return undefined;
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

test("detect: every fixture file is recognised by its content", () => {
  let checked = 0;
  for (const p of [...filesUnder(join(fixturesDir, "text")), ...filesUnder(join(fixturesDir, "host"))]) {
    const name = p.slice(p.lastIndexOf("/") + 1);
    const want = expectedKind(name);
    if (!want) continue;
    const text = readFileSync(p, "utf8");
    // the route-get "unreachable" answer alone is one RTNETLINK line: a value, not a table
    if (name === "ip-route-get-unreach.txt") continue;
    assert.equal(detectText(text).kind, want, p);
    checked++;
  }
  assert.ok(checked > 40, `${checked} checked`);
});

test("detect: every host file of the corpus is recognised by its content", { skip: needsShared }, () => {
  const counts: Record<string, number> = {};
  for (const scen of readdirSync(capturesDir).sort()) {
    const host = join(capturesDir, scen, "host");
    let roles: string[];
    try {
      roles = readdirSync(host);
    } catch {
      continue;
    }
    for (const role of roles) {
      for (const f of readdirSync(join(host, role))) {
        const want = expectedKind(f);
        assert.ok(want, `no expectation for ${f}`);
        const d = detectText(readFileSync(join(host, role, f), "utf8"));
        assert.equal(d.kind, want, `${scen}/${role}/${f}`);
        assert.ok(d.confidence > 0.4, `${scen}/${role}/${f}: ${d.confidence}`);
        counts[want] = (counts[want] ?? 0) + 1;
      }
    }
  }
  assert.ok((counts.ss ?? 0) > 200);
  assert.ok((counts.nstat ?? 0) > 80);
});

test("detect: tcpdump text is named as such", { skip: needsShared }, () => {
  assert.equal(detectText(readFileSync(join(capturesDir, "clean", "capture.txt"), "utf8")).kind, "tcpdump");
});

test("detect: empty, binary, garbage and prose are unknown", () => {
  assert.deepEqual(detectText(""), { kind: "unknown", confidence: 0 });
  assert.deepEqual(detectText("   \n\n"), { kind: "unknown", confidence: 0 });
  const bytes = Buffer.from([
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 1, 0, 0, 0,
  ]);
  assert.equal(detectText(bytes.toString("latin1")).kind, "unknown");
  assert.equal(detectText(bytes.toString("utf8")).kind, "unknown");
  let noise = "";
  for (let i = 0; i < 2000; i++) noise += String.fromCharCode((i * 7919) % 256);
  assert.equal(detectText(noise).kind, "unknown");
  assert.equal(
    detectText("Dear operator,\nthe network is slow again since Tuesday.\nPlease help!\n").kind,
    "unknown",
  );
  assert.equal(detectText('{"a": [1, 2, 3]}').kind, "unknown");
});

test("parseHostText: a bare value named by its file name", () => {
  const sys = parseHostText("1\n", "bundle/proc-sys-net-ipv4-tcp_syncookies.txt");
  assert.equal(sys.kind, "sysctl");
  assert.deepEqual(sys.snapshot.sysctls, { "net.ipv4.tcp_syncookies": "1" });
  const fds = parseHostText("5\n", "x/fd-count-server-process.txt");
  assert.equal(fds.kind, "fd-count");
  assert.equal(fds.snapshot.processes?.[0].openFds, 5);
  const ct = parseHostText("20\n", "x/conntrack-C.txt");
  assert.equal(ct.kind, "conntrack");
  assert.equal(ct.snapshot.conntrack?.count, 20);
  const max = parseHostText("262144\n", "x", { nameHint: "proc-sys-net-netfilter-nf_conntrack_max" });
  assert.equal(max.snapshot.conntrack?.max, 262144);
  const anon = parseHostText("42\n", "stdin");
  assert.equal(anon.kind, "value");
  assert.match(anon.warnings[0], /bare value/);
});

test("parseHostText: empty, binary and unknown input give kind unknown and say why", () => {
  assert.deepEqual(parseHostText("", "e.txt"), {
    snapshot: { sources: [{ path: "e.txt", kind: "unknown" }] },
    kind: "unknown",
    warnings: ["e.txt: empty input"],
  });
  const bin = parseHostText("\u0000\u0001PK\u0003\u0004", "b.bin");
  assert.equal(bin.kind, "unknown");
  assert.match(bin.warnings[0], /binary/);
  const prose = parseHostText("hello world\n", "p.txt");
  assert.equal(prose.kind, "unknown");
  assert.equal(prose.warnings.length, 1);
});

test("parseHostText: a paste of several commands is split and each part read", () => {
  const paste = [
    "$ ss -s",
    "Total: 15234",
    "TCP:   12890 (estab 234, closed 45, orphaned 12, timewait 567)",
    "",
    "$ ss -tn state syn-recv | wc -l",
    "8923",
    "$ cat /proc/sys/net/ipv4/tcp_syncookies",
    "1",
    "$ cat /proc/sys/net/ipv4/tcp_max_syn_backlog",
    "1024",
    "$ nstat -az | grep -i syncookies",
    "TcpExtSyncookiesSent            41827          0.0",
    "TcpExtSyncookiesRecv              312          0.0",
    "$ ss -tan state close-wait",
    "Recv-Q Send-Q Local Address:Port Peer Address:Port",
    "0      0      10.0.1.50:45678    10.0.2.100:5432",
    "$ dmesg | grep conntrack",
    "[12345.678] nf_conntrack: table full, dropping packet",
    "$ ip route get 10.0.2.100",
    "10.0.2.100 via 10.0.0.1 dev eth0 src 10.0.1.50 uid 0",
    "    cache expires 588sec mtu 1400",
  ].join("\n");
  const r = parseHostText(paste, "incident.txt");
  assert.equal(r.kind, "mixed");
  const s = r.snapshot;
  assert.deepEqual(s.sources, [{ path: "incident.txt", kind: "mixed" }]);
  assert.equal(s.summary?.estab, 234);
  assert.equal(s.summary?.source?.line, 3);
  assert.deepEqual(s.sysctls, { "net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_max_syn_backlog": "1024" });
  assert.equal(s.sysctlSources?.["net.ipv4.tcp_max_syn_backlog"].line, 10);
  assert.equal(s.counters?.TcpExtSyncookiesSent, 41827);
  assert.equal(s.counterSources?.TcpExtSyncookiesRecv.line, 13);
  assert.equal(s.sockets?.length, 1);
  assert.equal(s.sockets?.[0].state, "CLOSE-WAIT");
  assert.equal(s.sockets?.[0].source?.line, 16);
  assert.equal(s.kernelLog?.[0].kind, "conntrack-full");
  assert.equal(s.kernelLog?.[0].source?.line, 18);
  assert.equal(s.routes?.[0].mtu, 1400);
  assert.ok(r.warnings.some((w) => /wc -l/.test(w)));
});

test("parseHostText: ss -tan saved under a misleading name is still ss", () => {
  const text = readFileSync(join(fixturesDir, "text", "ss", "ss-tan.txt"), "utf8");
  const r = parseHostText(text, "netstat-output.log");
  assert.equal(r.kind, "ss");
  assert.equal(r.snapshot.sockets?.length, 15);
  assert.deepEqual(r.snapshot.socketsHave, { processes: false, info: false, memory: false, timers: false });
});

test("parseHostText: an empty socket table is evidence (nothing listens), a summary is not a table", () => {
  const empty = parseHostText(
    "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n",
    "ss-ltn.txt",
  );
  assert.equal(empty.kind, "ss");
  assert.deepEqual(empty.snapshot.sockets, []);
  const summary = parseHostText(
    readFileSync(join(fixturesDir, "text", "ss", "ss-s.txt"), "utf8"),
    "ss-s.txt",
  );
  assert.equal(summary.snapshot.sockets, undefined);
  assert.equal(summary.snapshot.summary?.total, 16);
});

test("parseHostText: a delta file, by name, becomes counterDeltas", () => {
  const path = join(fixturesDir, "host", "listen-overflow-server", "nstat-delta.txt");
  const r = parseHostText(readFileSync(path, "utf8"), path);
  assert.equal(r.kind, "nstat");
  assert.equal(r.snapshot.counters, undefined);
  assert.equal(r.snapshot.counterDeltas?.values.TcpExtListenOverflows, 32);
  assert.equal(r.snapshot.counterDeltas?.source, path);
});
