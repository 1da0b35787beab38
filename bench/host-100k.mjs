#!/usr/bin/env node
// Live host snapshot with 100k sockets: builds them in a private network namespace (50k loopback
// connections, both ends held by a few processes), then compares `ss -tanpie -m` alone (the
// yardstick of the "diagnose this host live" goal: at most 2x its time) with the whole snapshot
// (ss + /proc + limits + parse) and with snapshot + diagnose. Also times ss with the snapshot's own
// arguments and parseSs alone on that table (CPU µs per socket). On a shared, loaded machine the
// wall times swing with the load: with /usr/bin/time present, the CPU seconds of ss alone and of
// the whole snapshot + diagnose (its ss and every other child included) are reported too.
// Needs root (ip netns).
// usage: node bench/host-100k.mjs [--connections N] [--runs R]   (defaults: 52500 connections = 105k sockets, 1 run)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

/** Longest any one measured program may run before the bench gives up on it. */
const RUN_LIMIT_MS = 10 * 60_000;

/** GNU time, when installed: user and system CPU of a run and of every child it waited for. */
const TIME_BIN = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const scratch = mkdtempSync(join(tmpdir(), "td-bench-"));
let runNo = 0;

/**
 * Runs a program in the namespace, reading all its output; resolves with the elapsed ms, the CPU
 * ms (user + system, children included; undefined without GNU time) and stdout.
 */
function timed(cmd, cmdArgs) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpuFile = join(scratch, `cpu-${++runNo}.txt`);
    const run = TIME_BIN ? [TIME_BIN, "-f", "%U %S", "-o", cpuFile, cmd, ...cmdArgs] : [cmd, ...cmdArgs];
    // stderr ignored: ss -e complains once per socket on hosts without a cgroup2 mount.
    const child = spawn("ip", ["netns", "exec", ns, ...run], {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
    const chunks = [];
    child.stdout.on("data", (b) => chunks.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${cmd} exited ${code}`));
        return;
      }
      let cpuMs;
      if (TIME_BIN) {
        const [user, sys] = readFileSync(cpuFile, "utf8").trim().split(/\s+/).map(Number);
        cpuMs = Math.round((user + sys) * 1000);
      }
      resolve({ ms: performance.now() - t0, cpuMs, stdout: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

/**
 * Run inside the namespace: ss with the snapshot's own arguments (SS_ARGS) and the owner scan of
 * /proc/PID/fd, each timed alone, then parseSs on the table with its owners three times (the first
 * run includes compiling the parser). Prints one JSON line.
 */
const PARSE_PROBE = `
import { spawnSync } from "node:child_process";
const root = ${JSON.stringify(root)};
const { SS_ARGS, socketOwners, withOwners } = await import(root + "/src/io/live-host.ts");
const { systemIo } = await import(root + "/src/io/proc.ts");
const { parseSs } = await import(root + "/src/text/ss.ts");
const t0 = performance.now();
const ss = spawnSync("ss", SS_ARGS, { encoding: "utf8", maxBuffer: 2 ** 30, stdio: ["ignore", "pipe", "ignore"] });
const ssMs = performance.now() - t0;
const o0 = performance.now();
const oc = process.cpuUsage();
const owners = socketOwners ? await socketOwners(systemIo) : new Map();
const ownersCpu = process.cpuUsage(oc);
const ownersMs = performance.now() - o0;
const text = withOwners ? withOwners(ss.stdout, owners) : ss.stdout;
const runs = [];
let sockets = 0;
for (let i = 0; i < 3; i++) {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  sockets = parseSs(text, "live:ss").sockets.length;
  const cpu = process.cpuUsage(c0);
  runs.push({ wallMs: performance.now() - w0, cpuMs: (cpu.user + cpu.system) / 1000 });
}
const best = runs.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
console.log(JSON.stringify({
  ssArgs: SS_ARGS.join(" "),
  ssMs: Math.round(ssMs),
  ownerScanMs: Math.round(ownersMs),
  ownerScanCpuMs: Math.round((ownersCpu.user + ownersCpu.system) / 1000),
  textBytes: text.length,
  sockets,
  parseRuns: runs.map((r) => ({ wallMs: Math.round(r.wallMs), cpuMs: Math.round(r.cpuMs) })),
  parseUsPerSocketCpu: Math.round((best.cpuMs * 1000 / sockets) * 10) / 10,
  parseUsPerSocketWall: Math.round((best.wallMs * 1000 / sockets) * 10) / 10,
}));
`;

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
  const ssCpu = [];
  let lines = 0;
  for (let i = 0; i < runs; i++) {
    const r = await timed("ss", ["-tanpie", "-m"]);
    ssTimes.push(r.ms);
    ssCpu.push(r.cpuMs);
    lines = r.stdout.split("\n").length;
  }
  const node = process.execPath;
  const entry = [join(root, "scripts/netns/snapshot-diagnose.ts")];
  const snap = [];
  const snapCpu = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const r = await timed(node, ["--import", "tsx", ...entry, "--interval", "0"]);
    last = JSON.parse(r.stdout);
    snap.push(last.timingMs);
    snapCpu.push(r.cpuMs);
  }
  const withInterval = JSON.parse(
    (await timed(node, ["--import", "tsx", ...entry, "--interval", "1"])).stdout,
  ).timingMs;
  const parse = JSON.parse(
    (await timed(node, ["--import", "tsx", "--input-type=module", "-e", PARSE_PROBE])).stdout,
  );

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
    ratioSnapshotAndDiagnoseToSs: Math.round((total / ss) * 100) / 100,
    cpu: TIME_BIN
      ? {
          ssAloneMs: median(ssCpu),
          snapshotAndDiagnoseMs: median(snapCpu),
          ratio: Math.round((median(snapCpu) / median(ssCpu)) * 100) / 100,
        }
      : "unmeasured (no /usr/bin/time)",
    withOneSecondInterval: withInterval,
    snapshotSs: {
      args: parse.ssArgs,
      ms: parse.ssMs,
      ownerScanMs: parse.ownerScanMs,
      ownerScanCpuMs: parse.ownerScanCpuMs,
      textBytes: parse.textBytes,
    },
    parseSs: {
      sockets: parse.sockets,
      runs: parse.parseRuns,
      usPerSocketCpu: parse.parseUsPerSocketCpu,
      usPerSocketWall: parse.parseUsPerSocketWall,
    },
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
  rmSync(scratch, { recursive: true, force: true });
}
