import assert from "node:assert/strict";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadBundle } from "../../src/io/bundle.js";
import { parseProcNetCounters } from "../../src/text/procnet.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tcpdoctor-bundle-"));
  made.push(d);
  return d;
}

function copyInto(dir: string, from: string[], as: string): void {
  copyFileSync(join(fixturesDir, ...from), join(dir, as));
}

test("bundle: before/after readings give deltas, after-readings the current values", async () => {
  const dir = tempDir();
  const src = ["host", "listen-overflow-server"];
  for (const f of [
    "proc-net-netstat-before.txt",
    "proc-net-netstat-after.txt",
    "proc-net-snmp-before.txt",
    "proc-net-snmp-after.txt",
  ]) {
    copyInto(dir, [...src, f], f);
  }
  const b = await loadBundle(dir);
  assert.deepEqual(b.warnings, []);
  const s = b.snapshot;
  assert.equal(s.counterDeltas?.values.TcpExtListenOverflows, 32);
  assert.equal(s.counterDeltas?.values.TcpExtListenDrops, 32);
  assert.equal(s.counterDeltas?.values.TcpCurrEstab, undefined);
  assert.match(s.counterDeltas?.source ?? "", /proc-net-netstat-before\.txt → .*proc-net-netstat-after\.txt/);
  // the current value is the after-reading, not the before one
  const afterValue = parseProcNetCounters(
    readFileSync(join(fixturesDir, ...src, "proc-net-netstat-after.txt"), "utf8"),
  ).counters;
  assert.equal(s.counters?.TcpExtListenOverflows, afterValue.TcpExtListenOverflows);
  assert.match(s.counterSources?.TcpExtListenOverflows.file ?? "", /after/);
  assert.deepEqual(
    b.files.map((f) => f.kind),
    ["proc-net-netstat", "proc-net-netstat", "proc-net-snmp", "proc-net-snmp"],
  );
});

test("bundle: manifest names the host and times the readings; a lone before-file is said", async () => {
  const dir = tempDir();
  copyInto(dir, ["host", "listen-overflow-server", "proc-net-netstat-before.txt"], "netstat-before.txt");
  copyInto(dir, ["host", "listen-overflow-server", "proc-net-netstat-after.txt"], "netstat-after.txt");
  copyInto(dir, ["host", "listen-overflow-server", "proc-net-snmp-before.txt"], "snmp-before.txt");
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({
      hostname: "web1",
      kernel: "6.1.0",
      time: "2026-03-08T14:00:05Z",
      version: "0.1.0",
      times: { "netstat-before.txt": "2026-03-08T14:00:00Z", "netstat-after.txt": "2026-03-08T14:00:05Z" },
    }),
  );
  const b = await loadBundle(dir);
  assert.equal(b.snapshot.hostname, "web1");
  assert.equal(b.snapshot.kernel, "6.1.0");
  assert.equal(b.snapshot.time, "2026-03-08T14:00:05Z");
  assert.equal(b.snapshot.counterDeltas?.seconds, 5);
  assert.equal(b.snapshot.counterDeltas?.values.TcpExtListenOverflows, 32);
  assert.ok(b.warnings.some((w) => /snmp-before\.txt: a "before" reading without its "after"/.test(w)));
  assert.equal(b.snapshot.counters?.TcpInSegs, undefined);
});

test("bundle: numbered readings and before/after directories give deltas too", async () => {
  const src = ["host", "listen-overflow-server"];
  const numbered = tempDir();
  copyInto(numbered, [...src, "proc-net-netstat-after.txt"], "netstat-t2.txt");
  copyInto(numbered, [...src, "proc-net-netstat-before.txt"], "netstat-t1.txt");
  const a = await loadBundle(numbered);
  assert.equal(a.snapshot.counterDeltas?.values.TcpExtListenOverflows, 32);
  assert.match(a.snapshot.counterDeltas?.source ?? "", /netstat-t1\.txt → .*netstat-t2\.txt$/);
  const dirs = tempDir();
  mkdirSync(join(dirs, "before"));
  mkdirSync(join(dirs, "after"));
  copyInto(dirs, [...src, "proc-net-netstat-before.txt"], join("before", "netstat.txt"));
  copyInto(dirs, [...src, "proc-net-netstat-after.txt"], join("after", "netstat.txt"));
  const b = await loadBundle(dirs);
  assert.equal(b.snapshot.counterDeltas?.values.TcpExtListenOverflows, 32);
  assert.deepEqual(b.warnings, []);
  // two readings pasted into one file
  const one = tempDir();
  writeFileSync(
    join(one, "counters.txt"),
    readFileSync(join(fixturesDir, ...src, "proc-net-netstat-before.txt"), "utf8") +
      readFileSync(join(fixturesDir, ...src, "proc-net-netstat-after.txt"), "utf8"),
  );
  const c = await loadBundle(one);
  assert.equal(c.snapshot.counterDeltas?.values.TcpExtListenOverflows, 32);
});

test("bundle: the layout tcpdoctor collect writes (manifest with files, interval, unavailable)", async () => {
  const dir = tempDir();
  const src = ["host", "listen-overflow-server"];
  copyInto(dir, [...src, "proc-net-netstat-before.txt"], "proc-net-netstat-before.txt");
  copyInto(dir, [...src, "proc-net-netstat-after.txt"], "proc-net-netstat-after.txt");
  const limits = (pid: number, soft: number) =>
    `$ cat /proc/${pid}/limits\nLimit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 524288               files\n`;
  writeFileSync(join(dir, "limits.txt"), limits(812, 1024) + limits(5386, 4096));
  writeFileSync(join(dir, "proc-812-fd-count.txt"), "1000\n");
  writeFileSync(join(dir, "value-1.txt"), "0\n");
  writeFileSync(join(dir, "dmesg.txt"), "");
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({
      tool: "tcpdoctor",
      version: "0.1.0",
      hostname: "db1",
      time: "2026-03-08T14:00:00.000Z",
      intervalSeconds: 1.5,
      times: {},
      files: [
        { name: "limits.txt", from: "cat /proc/PID/limits" },
        { name: "proc-812-fd-count.txt", from: "ls /proc/812/fd | wc -l" },
        { name: "value-1.txt", from: "/proc/sys/net/ipv4/tcp_syncookies" },
      ],
      unavailable: ["conntrack: not in use"],
    }),
  );
  const b = await loadBundle(dir);
  const s = b.snapshot;
  assert.equal(s.hostname, "db1");
  assert.equal(s.counterDeltas?.seconds, 1.5);
  assert.equal(s.counterDeltas?.values.TcpExtListenOverflows, 32);
  assert.deepEqual(
    s.processes?.map((p) => [p.pid, p.fdLimit, p.openFds]).sort((x, y) => (x[0] ?? 0) - (y[0] ?? 0)),
    [
      [812, 1024, 1000],
      [5386, 4096, undefined],
    ],
  );
  assert.equal(s.sysctls?.["net.ipv4.tcp_syncookies"], "0");
  assert.deepEqual(s.unavailable, ["conntrack: not in use"]);
  assert.equal(b.files.find((f) => f.path.endsWith("dmesg.txt"))?.kind, "empty");
  assert.deepEqual(b.warnings, []);
});

test("bundle: files are detected by content whatever their names; bad files are warnings", async () => {
  const dir = tempDir();
  copyInto(dir, ["text", "ss", "ss-tanpime.txt"], "output1.log");
  copyInto(dir, ["host", "fw-reject-server", "nft-ruleset.txt"], "rules");
  writeFileSync(join(dir, "empty.txt"), "");
  writeFileSync(join(dir, "blob.bin"), Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 9]));
  writeFileSync(join(dir, "notes.txt"), "called the provider, no answer yet\nwill retry tomorrow\n");
  writeFileSync(
    join(dir, "trace.pcap"),
    Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]),
  );
  symlinkSync(join(dir, "does-not-exist"), join(dir, "dangling.txt"));
  mkdirSync(join(dir, "sub", "deeper"), { recursive: true });
  copyInto(dir, ["host", "close-wait-server-t2", "proc-net-sockstat.txt"], join("sub", "sockstat"));
  copyInto(dir, ["host", "close-wait-server-t2", "ss-s.txt"], join("sub", "deeper", "ss-s.txt"));

  const b = await loadBundle(dir);
  const kinds = Object.fromEntries(b.files.map((f) => [f.path.slice(dir.length + 1), f.kind]));
  assert.deepEqual(kinds, {
    "blob.bin": "unknown",
    "empty.txt": "empty",
    "notes.txt": "unknown",
    "output1.log": "ss",
    rules: "nft-ruleset",
    "sub/sockstat": "proc-net-sockstat",
    "trace.pcap": "pcap",
  });
  const w = b.warnings.join("\n");
  assert.match(w, /dangling\.txt: cannot read/);
  assert.match(w, /blob\.bin: binary data/);
  assert.match(w, /notes\.txt: not a known command output/);
  assert.match(w, /trace\.pcap: a capture file/);
  assert.match(w, /deeper: directory nested too deep/);
  const s = b.snapshot;
  assert.equal(s.sockets?.length, 15);
  assert.equal(s.firewall?.[0].verdict, "reject");
  assert.equal(s.sockstat?.tcpInuse, 51);
  assert.equal(s.summary, undefined);
  assert.deepEqual(s.sources.map((x) => x.kind).sort(), ["nft-ruleset", "pcap", "proc-net-sockstat", "ss"]);
});

test("bundle: a directory that cannot be listed is a warning, not a crash", async () => {
  const b = await loadBundle(join(tempDir(), "missing"));
  assert.equal(b.files.length, 0);
  assert.ok(b.warnings.some((w) => /cannot list/.test(w)));
  assert.ok(b.warnings.some((w) => /no host evidence/.test(w)));
});

test(
  "bundle: corpus close-wait server-t2: 50 CLOSE-WAIT of one python3, fd count",
  {
    skip: needsShared,
  },
  async () => {
    const b = await loadBundle(join(capturesDir, "close-wait", "host", "server-t2"));
    const cw = b.snapshot.sockets?.filter((s) => s.state === "CLOSE-WAIT") ?? [];
    assert.equal(cw.length, 50);
    assert.deepEqual(
      [...new Set(cw.map((s) => `${s.processes?.[0].name}/${s.processes?.[0].pid}`))],
      ["python3/5386"],
    );
    assert.equal(b.snapshot.processes?.find((p) => p.openFds !== undefined)?.openFds, 5);
    assert.equal(b.snapshot.summary?.estab, 50);
    assert.equal(b.snapshot.sockstat?.tcpInuse, 51);
    assert.ok(
      b.files.every((f) => f.kind !== "unknown"),
      JSON.stringify(b.files),
    );
  },
);

test(
  "bundle: corpus listen-overflow: overflows in the deltas and on the listener",
  {
    skip: needsShared,
  },
  async () => {
    const server = await loadBundle(join(capturesDir, "listen-overflow", "host", "server"));
    assert.equal(server.snapshot.counterDeltas?.values.TcpExtListenOverflows, 32);
    assert.equal(server.snapshot.counterDeltas?.values.TcpExtListenDrops, 32);
    const during = await loadBundle(join(capturesDir, "listen-overflow", "host", "server-during"));
    const l = during.snapshot.sockets?.find((s) => s.state === "LISTEN");
    assert.ok(l && l.recvQ > l.sendQ);
    assert.ok((during.snapshot.counters?.TcpExtListenOverflows ?? 0) > 0);
  },
);

test("bundle: corpus syn-flood server-during: SYN-RECV and syncookies", { skip: needsShared }, async () => {
  const b = await loadBundle(join(capturesDir, "syn-flood", "host", "server-during"));
  assert.equal(b.snapshot.sockets?.filter((s) => s.state === "SYN-RECV").length, 65);
  assert.ok((b.snapshot.counters?.TcpExtSyncookiesSent ?? 0) > 1000);
  assert.equal(b.snapshot.sysctls?.["net.ipv4.tcp_syncookies"], "1");
  const deltas = await loadBundle(join(capturesDir, "syn-flood", "host", "server"));
  assert.equal(deltas.snapshot.counterDeltas?.values.TcpExtSyncookiesSent, 7295);
});

test(
  "bundle: corpus time-wait client: TIME-WAIT per destination and the port range",
  {
    skip: needsShared,
  },
  async () => {
    const b = await loadBundle(join(capturesDir, "time-wait", "host", "client"));
    const tw = b.snapshot.sockets?.filter((s) => s.state === "TIME-WAIT") ?? [];
    assert.equal(tw.length, 300);
    assert.deepEqual([...new Set(tw.map((s) => `${s.peerIp}:${s.peerPort}`))], ["10.77.0.2:8080"]);
    assert.equal(b.snapshot.sysctls?.["net.ipv4.ip_local_port_range"], "32768 60999");
    assert.equal(b.snapshot.summary?.timewait, 300);
  },
);

test(
  "bundle: corpus fw-reject server: listener, reject rule with a counter, no RST sent by TCP",
  {
    skip: needsShared,
  },
  async () => {
    const b = await loadBundle(join(capturesDir, "fw-reject", "host", "server"));
    const s = b.snapshot;
    assert.ok(s.sockets?.some((x) => x.state === "LISTEN" && x.localPort === 8080));
    const rule = s.firewall?.find((r) => r.verdict === "reject");
    assert.deepEqual([rule?.dports, rule?.packets, rule?.rejectWith], [[8080], 1, "tcp reset"]);
    assert.equal(s.counterDeltas?.values.TcpOutRsts, 0);
  },
);

test(
  "bundle: every host directory of the corpus loads without an unknown file",
  {
    skip: needsShared,
  },
  async () => {
    let dirs = 0;
    for (const scen of readdirSync(capturesDir).sort()) {
      let roles: string[];
      try {
        roles = readdirSync(join(capturesDir, scen, "host"));
      } catch {
        continue;
      }
      for (const role of roles) {
        const b = await loadBundle(join(capturesDir, scen, "host", role));
        assert.ok(
          b.files.every((f) => f.kind !== "unknown"),
          `${scen}/${role}: ${b.files.filter((f) => f.kind === "unknown").map((f) => f.path)}`,
        );
        assert.deepEqual(b.warnings, [], `${scen}/${role}`);
        dirs++;
      }
    }
    assert.ok(dirs > 50);
  },
);
