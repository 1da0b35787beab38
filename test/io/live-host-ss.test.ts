// How the live snapshot asks ss for the socket table: what the host rules read and nothing that
// costs a per-socket lookup, with `ss -s` run beside the table rather than after it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gatherHostEvidence, SS_ARGS, snapshotFromEvidence } from "../../src/io/live-host.js";
import type { ExecResult } from "../../src/io/proc.js";
import { fakeHost } from "../fixtures/hostrules/fake-host.js";

test("ss arguments: owners, tcp_info, timers and memory, one line each; no -e", () => {
  for (const flag of ["-t", "-a", "-n", "-p", "-i", "-o", "-m", "-O"])
    assert.ok(SS_ARGS.includes(flag), flag);
  // -e adds uid, inode and cgroup (read by no rule) and resolves a cgroup per socket
  assert.ok(!SS_ARGS.includes("-e"));
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
  assert.equal(table?.from, `ss ${SS_ARGS.join(" ")}`);
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
