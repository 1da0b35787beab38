// Reading a capture from a pipe: the pipe enlarged for a bulk writer (the adapter itself on a
// named pipe, and the reader doing it on stdin but not for a few bytes), leaving a pipe early,
// and a live writer whose packets must come out as they arrive.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  open,
  openSync,
  readFileSync,
  rmSync,
  write,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HEAD_BYTES, openInput } from "../../src/io/capture-source.js";
import { DEFAULT_PIPE_BYTES, enlargePipe, PIPE_BYTES } from "../../src/io/pipe-size.js";
import { cliPath } from "../fixtures/cli/run-cli.js";
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

describe("leaving a pipe early", { skip }, () => {
  it("ends the process at once although the writer stays open and silent", async () => {
    // A valid start longer than the reader's 64 KiB look-ahead, then a record header no capture
    // has: the reader stops there, with a read of the next bytes already waiting on the pipe.
    const good = pcapFile(
      {},
      Array.from({ length: 160 }, (_, i) => ({ sec: 1700000000, frac: i, data: payload(600, i) })),
    );
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setUint32(8, 0x7fffffff, true);
    const fifo = join(tmp, "silent.fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    // Read-write: the test holds the pipe open for writing, and writes nothing more nor closes it
    // while the reader runs.
    const fd = openSync(fifo, "r+");
    const script = `
      import { readCaptureFile } from ${JSON.stringify(join(repoRoot, "src/io/capture-source.ts"))};
      try { await readCaptureFile("-", () => {}); } catch (err) { process.stdout.write(err.message); }
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      stdio: [fd, "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (b) => {
      out += b;
    });
    // More than a pipe holds: written from the thread pool while the child reads.
    for (const bytes of [good, bad]) {
      await new Promise<void>((resolve, reject) =>
        write(fd, bytes, (err) => (err ? reject(err) : resolve())),
      );
    }
    // Bounded: a reader that hangs is killed after 10 s and the test fails.
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exitOf(child);
    clearTimeout(timer);
    closeSync(fd);
    assert.equal(code, 0);
    assert.match(out, /impossible pcap record/);
    assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
  });
});

describe("a live writer (the pipe stays open, a few packets at a time)", { skip }, () => {
  // What `tcpdump -U -w -` has written after its first two packets: the file header and them
  // (a SYN and its SYN-ACK, from the example capture).
  const example = readFileSync(join(repoRoot, "examples", "zero-window.pcap"));
  const firstPackets = example.subarray(0, recordsEnd(example, 2));

  it("openInput hands out the head without waiting for 64 KiB, then the rest as it comes", async () => {
    const fifo = join(tmp, "live.fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const writer = openSync(fifo, "r+");
    try {
      writeSync(writer, firstPackets);
      const opened = await withTimeout(openInput(fifo), 5_000, "openInput waited for more bytes");
      assert.ok(opened.head.length < HEAD_BYTES);
      assert.deepEqual(Buffer.from(opened.head), Buffer.from(firstPackets.subarray(0, opened.head.length)));
      const more = payload(300, 9);
      writeSync(writer, more);
      closeSync(writer);
      const parts: Uint8Array[] = [];
      for await (const c of opened.chunks) parts.push(Buffer.from(c));
      assert.deepEqual(Buffer.concat(parts), Buffer.concat([firstPackets, more]));
    } catch (err) {
      try {
        closeSync(writer);
      } catch {
        // closed already
      }
      throw err;
    }
  });

  for (const json of [false, true]) {
    it(`\`packets -${json ? " --json" : ""}\` prints the first packets while the writer is still open`, async () => {
      const cli = await packetsFromFifo(`live-cli-${json}.fifo`, json ? ["--json"] : []);
      writeSync(cli.writer, firstPackets);
      try {
        await withTimeout(
          cli.twoRows,
          5_000,
          `no rows while the writer is open (got ${JSON.stringify(cli.out)})`,
        );
      } finally {
        closeSync(cli.writer);
        await exitOf(cli.child);
      }
      const rows = cli.out.trim().split("\n");
      assert.equal(rows.length, 2);
      if (json)
        assert.deepEqual(
          rows.map((r) => JSON.parse(r).frame),
          [1, 2],
        );
      else assert.match(rows[0], /^1\s/);
    });
  }
});

describe("Ctrl-C while a pipe is read", { skip }, () => {
  it("ends the input, not the process: what was read is reported and the exit status is normal", async () => {
    const cli = await packetsFromFifo("interrupt.fifo", []);
    const example = readFileSync(join(repoRoot, "examples", "zero-window.pcap"));
    writeSync(cli.writer, example.subarray(0, recordsEnd(example, 2)));
    try {
      // The rows of what the writer sent show that the reading is under way.
      await withTimeout(cli.twoRows, 5_000, `no rows (got ${JSON.stringify(cli.out)})`);
      // The writer stays open: only the interrupt can end this input.
      cli.child.kill("SIGINT");
      const timer = setTimeout(() => cli.child.kill("SIGKILL"), 10_000);
      const code = await exitOf(cli.child);
      clearTimeout(timer);
      assert.equal(code, 0);
      assert.match(cli.err, /interrupted: reporting what was read/);
      assert.equal(cli.out.trim().split("\n").length, 2);
    } finally {
      closeSync(cli.writer);
    }
  });
});

/**
 * `tcpdoctor packets - <extra>` reading a new named pipe as its stdin: the shell opens the pipe
 * (blocking, as tcpdump's pipe is), then the test opens the writing end and keeps it open.
 * `twoRows` settles once two rows are out.
 */
async function packetsFromFifo(name: string, extra: string[]) {
  const fifo = join(tmp, name);
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  const argv = [process.execPath, cliPath, "packets", "-", ...extra];
  const child = spawn("sh", ["-c", 'exec "$@" < "$0"', fifo, ...argv], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const writer = await new Promise<number>((resolve, reject) =>
    open(fifo, "w", (err, fd) => (err ? reject(err) : resolve(fd))),
  );
  const cli = { child, writer, out: "", err: "", twoRows: Promise.resolve() };
  child.stderr.on("data", (b) => {
    cli.err += b;
  });
  cli.twoRows = new Promise<void>((resolve) =>
    child.stdout.on("data", (b) => {
      cli.out += b;
      if (cli.out.split("\n").length > 2) resolve();
    }),
  );
  return cli;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Where the first `n` records of a little-endian classic pcap file end. */
function recordsEnd(file: Uint8Array, n: number): number {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal(dv.getUint32(0, true), 0xa1b2c3d4);
  let at = 24;
  for (let i = 0; i < n; i++) at += 16 + dv.getUint32(at + 8, true);
  return at;
}
