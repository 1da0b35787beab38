// Live snapshots of real TCP situations built in private network namespaces: a client namespace and
// a server namespace joined by a veth pair, a situation made by scripts/netns/tcpscenario.py, then
// scripts/netns/snapshot-diagnose.ts run inside a namespace (snapshotHost + diagnose). Needs root;
// namespaces are named td-test-* and always deleted; traffic never leaves them.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isRoot, repoRoot, which } from "../helpers.js";

const SCENARIO = join(repoRoot, "scripts/netns/tcpscenario.py");
const ENTRY = join(repoRoot, "scripts/netns/snapshot-diagnose.ts");

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")}: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout;
}

/** Why these tests cannot run here, or false. */
function netnsUnavailable(): string | false {
  if (!isRoot) return "skipped: needs root (ip netns)";
  if (!which("ip")) return "skipped: ip (iproute2) not installed";
  if (!which("python3")) return "skipped: python3 not installed";
  const probe = `td-test-${process.pid}-probe`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (r.status !== 0) return `skipped: ip netns add failed (${(r.stderr || "").trim()})`;
  spawnSync("ip", ["netns", "del", probe]);
  return false;
}

const skip = netnsUnavailable();
const started: ChildProcess[] = [];
const namespaces: string[] = [];
let pairs = 0;

after(() => {
  for (const p of started) {
    if (p.exitCode === null && p.signalCode === null) {
      p.stdin?.end();
      p.kill("SIGKILL");
    }
  }
  for (const ns of namespaces) spawnSync("ip", ["netns", "del", ns]);
});

interface Pair {
  client: string;
  server: string;
  clientIp: string;
  serverIp: string;
}

/** Two fresh namespaces joined by a veth pair (fresh counters for every situation). */
function makePair(): Pair {
  const n = ++pairs;
  const client = `td-test-${process.pid}-${n}c`;
  const server = `td-test-${process.pid}-${n}s`;
  const clientIp = `10.99.${n}.1`;
  const serverIp = `10.99.${n}.2`;
  for (const ns of [client, server]) {
    sh("ip", ["netns", "add", ns]);
    namespaces.push(ns);
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  }
  sh("ip", [
    "link",
    "add",
    "name",
    `tdc${n}`,
    "netns",
    client,
    "type",
    "veth",
    "peer",
    "name",
    `tds${n}`,
    "netns",
    server,
  ]);
  sh("ip", ["-n", client, "addr", "add", `${clientIp}/24`, "dev", `tdc${n}`]);
  sh("ip", ["-n", server, "addr", "add", `${serverIp}/24`, "dev", `tds${n}`]);
  sh("ip", ["-n", client, "link", "set", `tdc${n}`, "up"]);
  sh("ip", ["-n", server, "link", "set", `tds${n}`, "up"]);
  // Replies to spoofed sources go back over the veth (and die in the client namespace).
  sh("ip", ["-n", server, "route", "add", "default", "via", clientIp]);
  return { client, server, clientIp, serverIp };
}

function sysctlIn(ns: string, setting: string): void {
  sh("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", setting]);
}

/** Starts a tcpscenario.py mode in a namespace and waits for its "ready". */
async function situation(ns: string, args: string[], timeoutMs = 60_000): Promise<ChildProcess> {
  const p = spawn("ip", ["netns", "exec", ns, "python3", SCENARIO, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  started.push(p);
  let err = "";
  p.stderr?.on("data", (b: Buffer) => {
    err += b.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args[0]} not ready after ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    p.stdout?.on("data", (b: Buffer) => {
      if (b.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited ${code}: ${err}`));
    });
  });
  return p;
}

interface Verdict {
  sockets: number;
  states: Record<string, number>;
  findings: { id: string; severity: string; summary: string; evidence: Record<string, unknown> }[];
  unavailable: string[];
}

/** snapshotHost + diagnose inside the namespace. */
function diagnoseIn(ns: string): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      "ip",
      ["netns", "exec", ns, process.execPath, "--import", "tsx", ENTRY, "--interval", "1"],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    p.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    p.stderr.on("data", (b: Buffer) => {
      if (err.length < 4000) err += b.toString();
    });
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`snapshot in ${ns} exited ${code}: ${err.slice(0, 500)}`));
      else resolve(JSON.parse(out) as Verdict);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const problems = (v: Verdict) => v.findings.filter((f) => f.severity !== "info").map((f) => f.id);

describe("live host snapshot in network namespaces", { skip, concurrency: false }, () => {
  it("a clean exchange comes out healthy on both sides", async () => {
    const p = makePair();
    await situation(p.server, ["server", "--listen", `${p.serverIp}:8080`, "--close-on-eof"]);
    await situation(p.client, ["churn", "--connect", `${p.serverIp}:8080`, "--count", "3"]);
    const [s, c] = await Promise.all([diagnoseIn(p.server), diagnoseIn(p.client)]);
    assert.deepEqual(problems(s), [], JSON.stringify(s.findings));
    assert.deepEqual(problems(c), [], JSON.stringify(c.findings));
    assert.ok((s.states.LISTEN ?? 0) >= 1);
  });

  it("CLOSE-WAIT piled up by a server that never closes", async () => {
    const p = makePair();
    await situation(p.server, ["server", "--listen", `${p.serverIp}:8080`]);
    await situation(p.client, ["churn", "--connect", `${p.serverIp}:8080`, "--count", "30"]);
    await sleep(1500); // older than the rule's 1 s: stuck, not closing
    const v = await diagnoseIn(p.server);
    assert.equal(v.states["CLOSE-WAIT"], 30);
    assert.equal(v.findings[0]?.id, "close-wait-leak", JSON.stringify(v.findings.map((f) => f.id)));
    const owners = v.findings[0]?.evidence.owners as { process: string; count: number; openFds?: number }[];
    assert.equal(owners[0]?.process, "python3");
    assert.equal(owners[0]?.count, 30);
    assert.ok((owners[0]?.openFds ?? 0) >= 30);
  });

  it("TIME-WAIT churn against a narrowed ephemeral port range", async () => {
    const p = makePair();
    sysctlIn(p.client, "net.ipv4.ip_local_port_range=40000 40999");
    await situation(p.server, ["server", "--listen", `${p.serverIp}:8080`, "--close-on-eof"]);
    await situation(p.client, ["churn", "--connect", `${p.serverIp}:8080`, "--count", "700"], 120_000);
    const v = await diagnoseIn(p.client);
    assert.ok((v.states["TIME-WAIT"] ?? 0) >= 650, JSON.stringify(v.states));
    const ids = problems(v);
    assert.equal(ids[0], "time-wait-port-exhaustion", JSON.stringify(ids));
    assert.ok(ids.includes("connection-churn"));
  });

  it("a listen queue overflowing (backlog 1, never accepting)", async () => {
    const p = makePair();
    await situation(p.server, ["server", "--listen", `${p.serverIp}:8080`, "--backlog", "1", "--no-accept"]);
    await situation(p.client, ["open", "--connect", `${p.serverIp}:8080`, "--count", "8"]);
    await sleep(1500); // the clients retry their SYNs while the snapshot samples the counters
    const v = await diagnoseIn(p.server);
    assert.equal(v.findings[0]?.id, "listen-overflow", JSON.stringify(v.findings.map((f) => f.id)));
    assert.equal(v.findings[0]?.evidence.backlog, 1);
  });

  it(
    "SYN cookies under a bounded spoofed SYN burst",
    {
      skip: which("hping3") ? false : "skipped: hping3 not installed",
    },
    async () => {
      const p = makePair();
      sysctlIn(p.server, "net.ipv4.tcp_syncookies=1");
      sysctlIn(p.server, "net.ipv4.tcp_max_syn_backlog=64");
      await situation(p.server, [
        "server",
        "--listen",
        `${p.serverIp}:8080`,
        "--backlog",
        "64",
        "--close-on-eof",
      ]);
      // 4000 SYNs from random sources over about 4 s, bounded by -c.
      const flood = spawn(
        "ip",
        [
          "netns",
          "exec",
          p.client,
          "hping3",
          "-q",
          "-S",
          "-p",
          "8080",
          "--rand-source",
          "-c",
          "4000",
          "-i",
          "u1000",
          p.serverIp,
        ],
        { stdio: "ignore" },
      );
      started.push(flood);
      await sleep(1000);
      const v = await diagnoseIn(p.server);
      flood.kill("SIGKILL");
      assert.equal(v.findings[0]?.id, "syn-flood", JSON.stringify(v.findings.map((f) => [f.id, f.summary])));
      assert.ok((v.findings[0]?.evidence.syncookiesSent as number) > 100);
    },
  );

  it("a receiver that stops reading: Recv-Q on its side, Send-Q stalled on the sender", async () => {
    const p = makePair();
    await situation(p.server, ["server", "--listen", `${p.serverIp}:5001`, "--no-read", "--rcvbuf", "16384"]);
    await situation(p.client, ["send", "--connect", `${p.serverIp}:5001`, "--bytes", "4000000"]);
    await sleep(1500); // the sender's persist timer is running
    const [s, c] = await Promise.all([diagnoseIn(p.server), diagnoseIn(p.client)]);
    assert.equal(s.findings[0]?.id, "recv-queue-backlog", JSON.stringify(s.findings.map((f) => f.id)));
    assert.equal(c.findings[0]?.id, "send-queue-stall", JSON.stringify(c.findings.map((f) => f.id)));
    assert.equal(c.findings[0]?.evidence.reason, "zero-window");
  });
});
