// How the live snapshot reads the socket table: ss for the sockets (no -p: its owner lookup grows
// with sockets × descriptors), the owners read from /proc/PID/fd and written in as ss -p prints
// them, `ss -s` and the owner scan run beside the table rather than after it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  gatherHostEvidence,
  SS_ARGS,
  snapshotFromEvidence,
  socketOwners,
  withOwners,
} from "../../src/io/live-host.js";
import type { ExecResult, HostIo } from "../../src/io/proc.js";
import { parseSs } from "../../src/text/ss.js";
import { fakeHost } from "../fixtures/hostrules/fake-host.js";

test("ss arguments: inode, tcp_info, timers and memory, one line each; no -p", () => {
  for (const flag of ["-t", "-a", "-n", "-i", "-e", "-o", "-m", "-O"])
    assert.ok(SS_ARGS.includes(flag), flag);
  assert.ok(!SS_ARGS.includes("-p"));
  assert.ok(
    SS_ARGS.every((a) => /^-[a-zA-Z]$/.test(a)),
    "one flag per argument, no shell text",
  );
});

test("ss -s starts while the socket table is still being read", async () => {
  const h = fakeHost();
  let running = 0;
  let overlapped = false;
  const started: string[][] = [];
  const exec = async (file: string, args: string[]): Promise<ExecResult> => {
    started.push([file, ...args]);
    running++;
    if (file === "ss" && running > 1) overlapped = true;
    // the table takes a while, as on a busy host
    if (file === "ss" && args[0] !== "-s") await new Promise((r) => setTimeout(r, 30));
    try {
      return await h.exec(file, args);
    } finally {
      running--;
    }
  };
  const ev = await gatherHostEvidence({ interval: 0, io: h.io, readFile: h.readFile, exec });
  assert.ok(overlapped, "ss -s ran beside the table");
  assert.deepEqual(started[0], ["ss", ...SS_ARGS]);
  assert.ok(ev.files.some((f) => f.name === "ss-s.txt"));
  const table = ev.files.find((f) => f.name === "ss-tanpie.txt");
  assert.match(table?.from ?? "", new RegExp(`^ss ${SS_ARGS.join(" ")}\\b.*/proc/PID/fd`));
  const snap = snapshotFromEvidence(ev);
  assert.equal(snap.socketsHave?.processes, true);
  assert.ok(snap.summary?.total !== undefined);
});

test("without ss, ss -s adds nothing and the table comes from /proc/net/tcp", async () => {
  const h = fakeHost({ ss: false });
  const ev = await gatherHostEvidence({ interval: 0, io: h.io, readFile: h.readFile, exec: h.exec });
  assert.ok(!ev.files.some((f) => f.name === "ss-s.txt"));
  assert.ok(ev.files.some((f) => f.name === "proc-net-tcp.txt"));
});

/** A /proc with two processes sharing a listener, one also holding a connection, one unreadable. */
function fakeProc(): Pick<HostIo, "readDir" | "readLinks" | "readFile"> {
  const dirs: Record<string, string[]> = { "/proc": ["1", "42", "77", "self", "sys"] };
  const links: Record<string, [string, string][]> = {
    "/proc/42/fd": [
      ["0", "/dev/null"],
      ["3", "socket:[1001]"],
      ["5", "socket:[1002]"],
      ["6", "pipe:[9]"],
    ],
    "/proc/77/fd": [["3", "socket:[1001]"]],
  };
  const files: Record<string, string> = {
    "/proc/42/stat": "42 (nginx: w(x)) S 1 42 42 0 -1\n",
    "/proc/77/stat": "77 (nginx) S 1 77 77 0 -1\n",
  };
  const denied = () => Promise.reject(Object.assign(new Error("denied"), { code: "EACCES" }));
  return {
    readDir: async (p) => dirs[p] ?? denied(),
    readLinks: async (p) => links[p] ?? denied(),
    readFile: async (p) => files[p] ?? denied(),
  };
}

const TABLE = [
  "State  Recv-Q Send-Q Local Address:Port Peer Address:Port",
  "LISTEN 0 511 0.0.0.0:80 0.0.0.0:* ino:1001 sk:1 cgroup:/system.slice <-> skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) cubic cwnd:10",
  "ESTAB 0 0 10.0.0.1:80 10.0.0.2:5000 uid:33 ino:1002 sk:2 <-> ts sack cubic wscale:7,7 rto:204",
  "TIME-WAIT 0 0 10.0.0.1:80 10.0.0.3:5001 timer:(timewait,59sec,0) ino:0 sk:3",
  'ESTAB 0 0 10.0.0.1:80 10.0.0.4:5002 users:(("other",pid=9,fd=9)) ino:1001 sk:4',
  "",
].join("\n");

test("owners from /proc/PID/fd, named from /proc/PID/stat, written where ss -p writes them", async () => {
  const owners = await socketOwners({ ...fakeHost().io, ...fakeProc() } as HostIo);
  assert.deepEqual(owners.get(1001), [
    { name: "nginx: w(x", pid: 42, fd: 3 },
    { name: "nginx", pid: 77, fd: 3 },
  ]);
  assert.deepEqual(owners.get(1002), [{ name: "nginx: w(x", pid: 42, fd: 5 }]);
  assert.equal(owners.size, 2);

  const out = withOwners(TABLE, owners).split("\n");
  const before = TABLE.split("\n");
  // after the peer column, before uid:/ino:; the owner found last first, as ss -p lists them
  assert.equal(
    out[1],
    'LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=77,fd=3),("nginx: w(x",pid=42,fd=3)) ino:1001 sk:1 cgroup:/system.slice <-> skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) cubic cwnd:10',
  );
  assert.match(out[2] ?? "", / 10\.0\.0\.2:5000 users:\(\("nginx: w\(x",pid=42,fd=5\)\) uid:33 ino:1002 /);
  assert.equal(out[3], before[3], "no process holds a TIME-WAIT socket");
  assert.equal(out[4], before[4], "users already named are kept");
  assert.equal(withOwners(TABLE, new Map()), TABLE);

  // read back, the owners are the sockets' processes
  const socks = parseSs(out.join("\n"), "x").sockets;
  assert.deepEqual(
    socks[0]?.processes?.map((p) => p.pid),
    [77, 42],
  );
  assert.equal(socks[1]?.processes?.[0]?.name, "nginx: w(x");
  assert.equal(socks[1]?.uid, 33);
  assert.equal(socks[2]?.processes, undefined);
});

test("no /proc (or none readable): no owners, the table is kept as ss printed it", async () => {
  const owners = await socketOwners(fakeHost().io as HostIo);
  assert.equal(owners.size, 0);
  assert.equal(withOwners(TABLE, owners), TABLE);
});
