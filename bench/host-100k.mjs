#!/usr/bin/env node
// Live host snapshot with 100k sockets: builds them in a private network namespace (50k loopback
// connections, both ends held by one process), then compares `ss -tanpie -m` alone with the whole
// snapshot (ss + /proc + limits + parse) and with snapshot + diagnose. Needs root (ip netns).
// usage: node bench/host-100k.mjs [--connections N] [--runs R]   (defaults: 52500 connections = 105k sockets, 1 run)
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const connections = opt("--connections", 52_500);
const runs = opt("--runs", 1);
const ns = `td-bench-${process.pid}`;

if (process.getuid?.() !== 0) {
  console.log("host-100k: skipped (needs root for ip netns)");
  process.exit(0);
}

function sh(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Runs a program in the namespace, reading all its output; resolves with the elapsed ms and stdout. */
function timed(cmd, cmdArgs) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // stderr ignored: ss -e complains once per socket on hosts without a cgroup2 mount.
    const child = spawn("ip", ["netns", "exec", ns, cmd, ...cmdArgs], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const chunks = [];
    child.stdout.on("data", (b) => chunks.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${cmd} exited ${code}`));
      else resolve({ ms: performance.now() - t0, stdout: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Sockets per holder process: both ends of each connection, under the usual 20000 descriptor limit. */
const PER_PROCESS = 7500;
const holders = [];
try {
  sh("ip", ["netns", "add", ns]);
  sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  sh("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535"]);
  // Listener ports out of the ephemeral range, so no client takes one first.
  sh("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_local_reserved_ports=9100-9199"]);
  const processes = Math.ceil(connections / PER_PROCESS);
  for (let k = 0; k < processes; k++) {
    const count = Math.min(PER_PROCESS, connections - k * PER_PROCESS);
    const holder = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        "python3",
        join(root, "scripts/netns/tcpscenario.py"),
        "hold",
        "--listen",
        `127.0.0.1:${9100 + k}`,
        "--count",
        String(count),
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    holders.push(holder);
    await new Promise((resolve, reject) => {
      holder.stdout.on("data", (b) => {
        if (b.toString().includes("ready")) resolve();
      });
      holder.on("close", (c) => reject(new Error(`socket holder exited ${c}`)));
      setTimeout(() => reject(new Error("socket holder not ready after 120 s")), 120_000).unref();
    });
  }

  const ssTimes = [];
  let lines = 0;
  for (let i = 0; i < runs; i++) {
    const r = await timed("ss", ["-tanpie", "-m"]);
    ssTimes.push(r.ms);
    lines = r.stdout.split("\n").length;
  }
  const node = process.execPath;
  const entry = [join(root, "scripts/netns/snapshot-diagnose.ts")];
  const snap = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const r = await timed(node, ["--import", "tsx", ...entry, "--interval", "0"]);
    last = JSON.parse(r.stdout);
    snap.push(last.timingMs);
  }
  const withInterval = JSON.parse(
    (await timed(node, ["--import", "tsx", ...entry, "--interval", "1"])).stdout,
  ).timingMs;

  const ss = median(ssTimes);
  const gather = median(snap.map((t) => t.gather));
  const snapshot = median(snap.map((t) => t.gather + t.parse));
  const total = median(snap.map((t) => t.total));
  const result = {
    bench: "host-100k",
    sockets: last.sockets,
    ssLines: lines,
    ssAloneMs: Math.round(ss),
    gatherMs: gather,
    snapshotMs: snapshot,
    snapshotAndDiagnoseMs: total,
    ratioSnapshotToSs: Math.round((snapshot / ss) * 100) / 100,
    withOneSecondInterval: withInterval,
    findings: last.findings.map((f) => `${f.id}:${f.severity}`),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const h of holders) {
    if (h.exitCode !== null) continue;
    h.stdin.end();
    h.kill("SIGTERM");
  }
  await new Promise((r) => setTimeout(r, 500));
  spawnSync("ip", ["netns", "del", ns]);
}
