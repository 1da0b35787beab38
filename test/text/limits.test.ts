import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseLimits, pidFromName } from "../../src/text/limits.js";
import { fixturesDir } from "../helpers.js";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

test("/proc/PID/limits: Max open files, pid from the command or the name", () => {
  const r = parseLimits(`$ cat /proc/5678/limits\n${LIMITS}`, "paste");
  assert.deepEqual(
    r.processes.map(({ source: _s, ...p }) => p),
    [{ pid: 5678, fdLimit: 1024, fdHardLimit: 524288 }],
  );
  assert.equal(r.processes[0].source?.line, 4);
  assert.equal(parseLimits(LIMITS, "bundle/proc-4321-limits.txt").processes[0].pid, 4321);
  assert.equal(parseLimits(LIMITS, "x").processes[0].pid, 0);
  assert.deepEqual(parseLimits(LIMITS, "x").warnings, []);
});

test("fd counts: the corpus's bare number, ls | wc -l and an ls -l listing", () => {
  const fd = parseLimits(
    readFileSync(join(fixturesDir, "host", "close-wait-server-t2", "fd-count-server-process.txt"), "utf8"),
    "f",
    {
      valueIs: "fds",
    },
  );
  assert.equal(fd.processes[0].openFds, 5);
  assert.equal(fd.processes[0].pid, 0);
  const wc = parseLimits("$ ls -la /proc/5678/fd | wc -l\n4567\n", "seed");
  assert.deepEqual(
    wc.processes.map((p) => [p.pid, p.openFds]),
    [[5678, 4567]],
  );
  const ls = parseLimits(
    [
      "$ ls -l /proc/812/fd",
      "total 0",
      "lr-x------ 1 root root 64 Mar  8 14:00 0 -> /dev/null",
      "lrwx------ 1 root root 64 Mar  8 14:00 3 -> socket:[31337]",
      "lrwx------ 1 root root 64 Mar  8 14:00 4 -> socket:[31338]",
    ].join("\n"),
    "x",
  );
  assert.deepEqual(
    ls.processes.map((p) => [p.pid, p.openFds]),
    [[812, 3]],
  );
});

test("ulimit -n and ulimit -a", () => {
  assert.equal(parseLimits("$ ulimit -n\n65535\n", "x").ulimitNofile, 65535);
  assert.equal(parseLimits("1024\n", "x", { valueIs: "ulimit" }).ulimitNofile, 1024);
  const a = parseLimits(
    "core file size          (blocks, -c) 0\nopen files                      (-n) 4096\nmax user processes              (-u) 63422\n",
    "x",
  );
  assert.equal(a.ulimitNofile, 4096);
  assert.deepEqual(a.warnings, []);
  const bare = parseLimits("7\n", "x");
  assert.equal(bare.processes.length, 0);
  assert.match(bare.warnings[0], /bare number/);
});

test("pids in names", () => {
  assert.equal(pidFromName("/proc/1234/fd"), 1234);
  assert.equal(pidFromName("proc-99-limits"), 99);
  assert.equal(pidFromName("fd-count-server-process"), undefined);
});
