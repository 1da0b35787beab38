import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseSysctl, sysctlName } from "../../src/text/sysctl.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

test("sysctl -a: dotted names, tab-separated values collapsed to one space", () => {
  const path = join(fixturesDir, "host", "time-wait-client", "sysctl-net.txt");
  const r = parseSysctl(readFileSync(path, "utf8"), path);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.sysctls["net.ipv4.ip_local_port_range"], "32768 60999");
  assert.equal(r.sysctls["net.ipv4.tcp_syncookies"], "1");
  assert.equal(r.sysctls["net.core.somaxconn"], "4096");
  assert.match(
    r.sources["net.ipv4.ip_local_port_range"].text ?? "",
    /^net\.ipv4\.ip_local_port_range = 32768\s+60999$/,
  );
});

test("names in every spelling", () => {
  assert.equal(sysctlName("proc-sys-net-ipv4-tcp_syncookies.txt"), "net.ipv4.tcp_syncookies");
  assert.equal(sysctlName("/proc/sys/net/ipv4/tcp_syncookies"), "net.ipv4.tcp_syncookies");
  assert.equal(sysctlName("net/core/somaxconn"), "net.core.somaxconn");
  assert.equal(sysctlName("tcp_max_syn_backlog"), "net.ipv4.tcp_max_syn_backlog");
  assert.equal(sysctlName("somaxconn"), "net.core.somaxconn");
  assert.equal(sysctlName("nf_conntrack_max"), "net.netfilter.nf_conntrack_max");
  assert.equal(sysctlName("proc-sys-fs-file-max"), "fs.file-max");
  assert.equal(sysctlName("fd-count-server-process"), undefined);
});

test("bare values: named by the hint, or by the pasted cat/sysctl -n command", () => {
  const one = parseSysctl("1\n", "x", { nameHint: "proc-sys-net-ipv4-tcp_syncookies" });
  assert.deepEqual(one.sysctls, { "net.ipv4.tcp_syncookies": "1" });
  const noName = parseSysctl("1\n", "x");
  assert.deepEqual(noName.sysctls, {});
  assert.match(noName.warnings[0], /bare value/);
  const seed = parseSysctl(
    [
      "$ cat /proc/sys/net/ipv4/tcp_syncookies",
      "1",
      "$ cat /proc/sys/net/ipv4/tcp_max_syn_backlog",
      "1024",
      "$ cat /proc/sys/net/ipv4/tcp_rmem",
      "4096\t131072\t6291456",
      "$ sysctl net.ipv4.ip_local_port_range",
      "net.ipv4.ip_local_port_range = 32768\t60999",
      "$ sysctl -n net.core.somaxconn",
      "4096",
    ].join("\n"),
    "seed",
  );
  assert.deepEqual(seed.sysctls, {
    "net.ipv4.tcp_syncookies": "1",
    "net.ipv4.tcp_max_syn_backlog": "1024",
    "net.ipv4.tcp_rmem": "4096 131072 6291456",
    "net.ipv4.ip_local_port_range": "32768 60999",
    "net.core.somaxconn": "4096",
  });
  assert.equal(seed.sources["net.ipv4.tcp_max_syn_backlog"].line, 4);
});

test("sysctl.d files, grep -r /proc/sys output, errors", () => {
  const r = parseSysctl(
    [
      "# Backlog settings",
      "net.core.somaxconn = 65535",
      "net.ipv4.tcp_rmem = 4096 262144 16777216",
      "; old style comment",
      "/proc/sys/net/ipv4/tcp_fin_timeout:60",
      "sysctl: cannot stat /proc/sys/net/nf_conntrack_max: No such file or directory",
      "sysctl: permission denied on key 'net.core.bpf_jit_harden'",
      "nonsense here",
    ].join("\n"),
    "x",
  );
  assert.equal(r.sysctls["net.core.somaxconn"], "65535");
  assert.equal(r.sysctls["net.ipv4.tcp_rmem"], "4096 262144 16777216");
  assert.equal(r.sysctls["net.ipv4.tcp_fin_timeout"], "60");
  assert.deepEqual(r.unavailable, ["net.nf_conntrack_max", "net.core.bpf_jit_harden"]);
  assert.equal(r.warnings.length, 1);
});

test("corpus: time-wait client port range and conntrack limits of the router", { skip: needsShared }, () => {
  const tw = parseSysctl(
    readFileSync(join(capturesDir, "time-wait/host/client/sysctl-net.txt"), "utf8"),
    "s",
  );
  assert.equal(tw.sysctls["net.ipv4.ip_local_port_range"], "32768 60999");
  assert.ok(Object.keys(tw.sysctls).length > 300);
  assert.deepEqual(tw.warnings, []);
  const router = parseSysctl(
    readFileSync(join(capturesDir, "conntrack-limit/host/router-during/sysctl-net.txt"), "utf8"),
    "s",
  );
  assert.equal(router.sysctls["net.netfilter.nf_conntrack_count"], "20");
});
