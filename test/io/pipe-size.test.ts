// Enlarging the pipe a capture is read from: the adapter itself on a named pipe, and the reader
// doing it for a bulk writer on stdin but not for a few bytes.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DEFAULT_PIPE_BYTES, enlargePipe, PIPE_BYTES } from "../../src/io/pipe-size.js";
import { payload, pcapFile } from "../fixtures/capture/builders.js";
import { repoRoot } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-pipe-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Why these tests cannot run here, or undefined. */
function cannotRun(): string | undefined {
  if (process.platform !== "linux") return "pipe sizes are Linux only";
  if (spawnSync("perl", ["-e", "1"]).status !== 0) return "perl is not installed";
  if (spawnSync("mkfifo", [join(tmp, "probe.fifo")]).status !== 0) return "mkfifo failed";
  return undefined;
}
const skip = cannotRun();
if (skip) console.log(`# skipped: pipe-size tests: ${skip}`);

/** The capacity of the pipe on `fd` (F_GETPIPE_SZ), asked by a child that gets it as stdin. */
function pipeSize(fd: number): number {
  const r = spawnSync("perl", ["-e", "print fcntl(STDIN, 1032, 0)"], { stdio: [fd, "pipe", "pipe"] });
  return Number(r.stdout.toString());
}

/** A named pipe opened read-write (no waiting for the other end on Linux). */
function openFifo(name: string): number {
  const path = join(tmp, name);
  assert.equal(spawnSync("mkfifo", [path]).status, 0);
  return openSync(path, "r+");
}

/** The child's exit code, null when it never ran; the child is let keep the test alive meanwhile. */
function exitOf(child: ChildProcess): Promise<number | null> {
  child.ref();
  return new Promise((resolve) => {
    child.once("error", () => resolve(null));
    child.once("exit", (code) => resolve(code));
  });
}

describe("enlargePipe", { skip }, () => {
  it("makes a 64 KiB pipe hold 1 MiB", async () => {
    const fd = openFifo("grow.fifo");
    try {
      assert.equal(pipeSize(fd), DEFAULT_PIPE_BYTES);
      const child = enlargePipe(fd);
      assert.ok(child);
      assert.equal(await exitOf(child), 0);
      assert.equal(pipeSize(fd), PIPE_BYTES);
    } finally {
      closeSync(fd);
    }
  });

  it("leaves the pipe as it was, without an error, when perl is missing", async () => {
    const fd = openFifo("noperl.fifo");
    try {
      const child = enlargePipe(fd, PIPE_BYTES, join(tmp, "no-such-perl"));
      assert.ok(child);
      assert.equal(await exitOf(child), null);
      assert.equal(pipeSize(fd), DEFAULT_PIPE_BYTES);
    } finally {
      closeSync(fd);
    }
  });
});

describe("reading a capture from a stdin pipe", { skip }, () => {
  /**
   * Reads `capture` as "-" through `cat | node`, then reports the capacity of its stdin pipe once
   * it stops changing (the resize runs alongside the reads; bounded wait).
   */
  function readThroughPipe(capture: string): Promise<{ packets: number; pipeBytes: number }> {
    const script = `
      import { spawnSync } from "node:child_process";
      import { readCaptureFile } from ${JSON.stringify(join(repoRoot, "src/io/capture-source.ts"))};
      let packets = 0;
      await readCaptureFile("-", () => packets++);
      const size = () => Number(spawnSync("perl", ["-e", "print fcntl(STDIN, 1032, 0)"], { stdio: [0, "pipe", "ignore"] }).stdout);
      let pipeBytes = size();
      for (let i = 0; i < 20 && pipeBytes !== ${PIPE_BYTES}; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pipeBytes = size();
      }
      process.stdout.write(JSON.stringify({ packets, pipeBytes }));
    `;
    const node = [process.execPath, "--import", "tsx", "--input-type=module", "-e", script];
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", 'cat -- "$0" | "$@"', capture, ...node], {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (b) => {
        out += b;
      });
      child.stderr.on("data", (b) => {
        err += b;
      });
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(err))));
    });
  }

  function capture(name: string, packets: number): string {
    const path = join(tmp, name);
    const recs = Array.from({ length: packets }, (_, i) => ({
      sec: 1700000000,
      frac: i,
      data: payload(1400, i),
    }));
    writeFileSync(path, pcapFile({}, recs));
    return path;
  }

  it("enlarges the pipe once a read finds it full", async () => {
    // ~570 KB: many times a default pipe.
    const got = await readThroughPipe(capture("bulk.pcap", 400));
    assert.equal(got.packets, 400);
    assert.equal(got.pipeBytes, PIPE_BYTES);
  });

  it("leaves the pipe alone for a capture smaller than a default pipe", async () => {
    // ~14 KB: no read can find 64 KiB waiting.
    const got = await readThroughPipe(capture("small.pcap", 10));
    assert.equal(got.packets, 10);
    assert.equal(got.pipeBytes, DEFAULT_PIPE_BYTES);
  });
});
