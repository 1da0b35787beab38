// The byte sources of the capture reader: files, gzip, stdin (file and pipe), and their errors.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { recordBytes } from "../../src/core/capture/parser.js";
import type { PacketRecord, ReaderWarning } from "../../src/core/types.js";
import { HEAD_BYTES, openInput, readCaptureFile } from "../../src/io/capture-source.js";
import { payload, pcapFile } from "../fixtures/capture/builders.js";
import { repoRoot } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-source-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

// ~300 KB: larger than the sniffing window, several read chunks once gzip'd and decompressed.
const records = Array.from({ length: 300 }, (_, i) => ({
  sec: 1700000000 + i,
  frac: i * 1000,
  data: payload(900 + (i % 200), i),
}));
const plain = pcapFile({}, records);
const plainPath = join(tmp, "bulk.pcap");
const gzPath = join(tmp, "bulk.bin"); // content, not the name, says gzip
writeFileSync(plainPath, plain);
writeFileSync(gzPath, gzipSync(plain));

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

async function readAll(path: string, onWarning?: (w: ReaderWarning) => void) {
  const recs: PacketRecord[] = [];
  const info = await readCaptureFile(path, (r) => recs.push(r), { onWarning });
  return { recs, info };
}

function summary(recs: PacketRecord[]): string[] {
  return recs.map(
    (r) => `${r.frame} ${r.tsSec}.${r.tsNsec} ${r.capLen} ${Buffer.from(recordBytes(r)).toString("base64")}`,
  );
}

async function readError(path: string): Promise<Error> {
  try {
    await readAll(path);
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail("expected an error");
}

describe("openInput", () => {
  it("hands out the first 64 KiB as head and replays every byte", async () => {
    const input = await openInput(plainPath);
    assert.equal(input.gzip, false);
    assert.equal(input.head.length, HEAD_BYTES);
    assert.ok(Buffer.from(input.head).equals(plain.subarray(0, HEAD_BYTES)));
    assert.ok((await collect(input.chunks)).equals(plain));
  });

  it("gives a small file whole as head", async () => {
    const path = join(tmp, "small.pcap");
    const small = pcapFile({}, records.slice(0, 3));
    writeFileSync(path, small);
    const input = await openInput(path);
    assert.ok(Buffer.from(input.head).equals(small));
    assert.ok((await collect(input.chunks)).equals(small));
  });

  it("reads a file of several read chunks, not a multiple of the chunk size, byte for byte", async () => {
    // Positioned reads run two at a time: their order and the short last one must not show.
    const path = join(tmp, "big.bin");
    const big = Buffer.alloc(3 * 1024 * 1024 + 12345);
    for (let i = 0; i + 4 <= big.length; i += 4) big.writeUInt32LE(i, i);
    writeFileSync(path, big);
    assert.ok((await collect((await openInput(path)).chunks)).equals(big));
  });

  it("goes on from the end of a file that grows while it is read, skipping nothing", async () => {
    const path = join(tmp, "growing.bin");
    const first = Buffer.alloc(1024 * 1024 + 777, 1);
    const more = Buffer.alloc(2 * 1024 * 1024 + 5, 2);
    writeFileSync(path, first);
    const input = await openInput(path);
    const parts: Uint8Array[] = [];
    let appended = false;
    for await (const c of input.chunks) {
      parts.push(c);
      // The reads past the first end were issued (and came back short or empty) before this.
      if (!appended) {
        appended = true;
        await new Promise((r) => setTimeout(r, 20));
        writeFileSync(path, more, { flag: "a" });
      }
    }
    const got = Buffer.concat(parts);
    assert.equal(got.length, first.length + more.length);
    assert.ok(got.equals(Buffer.concat([first, more])));
  });

  it("reads a growing file into reused buffers without losing or overwriting a byte", async () => {
    const path = join(tmp, "growing-reused.bin");
    // Bytes that differ from position to position, so a chunk overwritten too early shows.
    const all = Buffer.alloc(6 * 1024 * 1024 + 123);
    for (let i = 0; i < all.length; i++) all[i] = (Math.imul(i, 2654435761) >>> 24) & 255;
    const cuts = [1024 * 1024 + 777, 2 * 1024 * 1024 + 5, 4 * 1024 * 1024 + 99, all.length];
    writeFileSync(path, all.subarray(0, cuts[0]));
    const input = await openInput(path);
    input.reuseBuffers();
    const parts: Uint8Array[] = [];
    let written = 1;
    for await (const c of input.chunks) {
      parts.push(c.slice());
      if (written < cuts.length) {
        await new Promise((r) => setTimeout(r, 20));
        writeFileSync(path, all.subarray(cuts[written - 1], cuts[written]), { flag: "a" });
        written++;
      }
    }
    const got = Buffer.concat(parts);
    assert.equal(got.length, all.length);
    assert.ok(got.equals(all), "the bytes read differ from the file");
  });

  it("decompresses gzip detected from content", async () => {
    const input = await openInput(gzPath);
    assert.equal(input.gzip, true);
    assert.ok(Buffer.from(input.head).equals(plain.subarray(0, HEAD_BYTES)));
    assert.ok((await collect(input.chunks)).equals(plain));
  });

  it("reports an empty file with an empty head", async () => {
    const path = join(tmp, "empty");
    writeFileSync(path, "");
    const input = await openInput(path);
    assert.equal(input.head.length, 0);
    assert.equal((await collect(input.chunks)).length, 0);
  });

  it("throws Node's own error for a missing file", async () => {
    await assert.rejects(openInput(join(tmp, "missing.pcap")), { code: "ENOENT" });
  });
});

describe("readCaptureFile", () => {
  it("reads plain and gzip'd files to the same records", async () => {
    const a = await readAll(plainPath);
    const b = await readAll(gzPath);
    assert.equal(a.recs.length, 300);
    assert.deepEqual(summary(b.recs), summary(a.recs));
    assert.equal(a.info.gzip, false);
    assert.equal(b.info.gzip, true);
    assert.equal(b.info.packets, 300);
    assert.deepEqual([...recordBytes(a.recs[299])], [...payload(900 + (299 % 200), 299)]);
  });

  it("keeps what decompressed from a gzip stream that ends early, with warnings", async () => {
    const gz = gzipSync(plain);
    const path = join(tmp, "cut.gz");
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const warnings: ReaderWarning[] = [];
    const { recs, info } = await readAll(path, (w) => warnings.push(w));
    assert.ok(recs.length > 50 && recs.length < 300, `${recs.length} records`);
    assert.deepEqual(summary(recs), summary((await readAll(plainPath)).recs).slice(0, recs.length));
    assert.ok(warnings.some((w) => w.code === "GZIP_TRUNCATED"));
    assert.ok(info.warnings.some((m) => /gzip stream ends early/.test(m)));
    assert.ok(info.truncatedAt === undefined || info.truncatedAt > 0);
  });

  it("fails on corrupt gzip data with a one-line message naming the path and offset", async () => {
    const gz = gzipSync(plain);
    const badBlock = Buffer.from(gz);
    badBlock[10] = 0xff; // first deflate block: reserved block type
    const badCrc = Buffer.from(gz);
    badCrc[gz.length - 6] ^= 0xff; // CRC-32 of the trailer
    for (const [name, bytes] of [
      ["bad-block.gz", badBlock],
      ["bad-crc.gz", badCrc],
    ] as const) {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      const err = await readError(path);
      assert.match(
        err.message,
        new RegExp(`^${path.replace(/[.]/g, "\\.")}: corrupt gzip data .* at byte \\d+$`),
      );
    }
  });

  it("fails on a non-capture with `<path>: <what> at byte <offset>`", async () => {
    const path = join(tmp, "notes.txt");
    writeFileSync(path, "hello, this is not a capture\n");
    const err = await readError(path);
    assert.match(
      err.message,
      new RegExp(`^${path.replace(/[.]/g, "\\.")}: not a capture file \\(text.* at byte 0$`),
    );
    assert.equal(err.message.includes("\n"), false);
  });

  it("fails on a broken record frame at its offset", async () => {
    const bad = plain.slice();
    const at = 24 + 16 + records[0].data.length; // second record
    new DataView(bad.buffer).setUint32(at + 8, 0xfffffff0, true);
    const path = join(tmp, "bad.pcap");
    writeFileSync(path, bad);
    const err = await readError(path);
    assert.match(err.message, new RegExp(`: impossible pcap record.* at byte ${at}$`));
  });

  it("gives the same records with transient records (reused read buffers) on a file of many chunks", async () => {
    // ~7 MB: more 1 MiB reads than the reader has reused buffers, so each is overwritten in turn.
    const many = Array.from({ length: 5000 }, (_, i) => ({
      sec: 1700000000,
      frac: i,
      data: payload(1200 + (i % 300), i),
    }));
    const path = join(tmp, "many.pcap");
    writeFileSync(path, pcapFile({}, many));
    const kept: PacketRecord[] = [];
    const info = await readCaptureFile(
      path,
      (r) => kept.push({ ...r, bytes: recordBytes(r).slice(), start: 0 }),
      {
        transientRecords: true,
      },
    );
    assert.equal(info.packets, 5000);
    assert.deepEqual(summary(kept), summary((await readAll(path)).recs));
  });

  it("says which file is missing, and when a directory is given", async () => {
    const path = join(tmp, "missing.pcap");
    assert.equal((await readError(path)).message, `${path}: no such file`);
    assert.equal((await readError(tmp)).message, `${tmp}: is a directory, expected a capture file`);
  });

  it("stops reading when the consumer throws", async () => {
    await assert.rejects(
      readCaptureFile(plainPath, (r) => {
        if (r.frame === 10) throw new Error("consumer gave up");
      }),
      { message: "consumer gave up" },
    );
  });
});

/**
 * How the child's stdin is given: a file; a socket pair (what a parent process's "pipe" is),
 * written in small pieces; a shell pipe from `cat`; a socket pair that the child has made
 * non-blocking (by making process.stdin) before the first byte arrives.
 */
type StdinMode = "file" | "socket" | "pipe" | "non-blocking";

/** Runs readCaptureFile("-") in a child process with the given stdin; returns its JSON summary. */
function readStdinInChild(
  stdin: StdinMode,
  path: string,
  transient = false,
): Promise<{ summary: string[]; gzip: boolean }> {
  const script = `
    import { readCaptureFile } from ${JSON.stringify(join(repoRoot, "src/io/capture-source.ts"))};
    import { recordBytes } from ${JSON.stringify(join(repoRoot, "src/core/capture/parser.ts"))};
    if (${stdin === "non-blocking"}) void process.stdin.isTTY;
    const recs = [];
    const info = await readCaptureFile("-", (r) => recs.push(r.frame + " " + r.tsSec + "." + r.tsNsec + " " + r.capLen + " " + Buffer.from(recordBytes(r)).toString("base64")), { transientRecords: ${transient} });
    process.stdout.write(JSON.stringify({ summary: recs, gzip: info.gzip }));
  `;
  const node = [process.execPath, "--import", "tsx", "--input-type=module", "-e", script];
  return new Promise((resolve, reject) => {
    const fd = stdin === "file" ? openSync(path, "r") : undefined;
    // The shell pipe: a fixed script, the file and the command as its arguments.
    const argv = stdin === "pipe" ? ["sh", "-c", 'cat -- "$0" | "$@"', path, ...node] : node;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: repoRoot,
      stdio: [fd ?? (stdin === "pipe" ? "ignore" : "pipe"), "pipe", "pipe"],
    });
    if (fd !== undefined) closeSync(fd);
    let out = "";
    let err = "";
    child.stdout!.on("data", (b) => {
      out += b;
    });
    child.stderr!.on("data", (b) => {
      err += b;
    });
    if (stdin === "socket" || stdin === "non-blocking") {
      // Write in small pieces so the reader sees many short reads.
      const bytes = Buffer.from(bytesOf(path));
      let at = 0;
      const pump = () => {
        while (at < bytes.length) {
          const ok = child.stdin!.write(bytes.subarray(at, at + 4096));
          at += 4096;
          if (!ok) return child.stdin!.once("drain", pump);
        }
        child.stdin!.end();
      };
      // Late enough that the child's first read finds nothing there yet.
      if (stdin === "non-blocking") setTimeout(pump, 1500);
      else pump();
    }
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

function bytesOf(path: string): Uint8Array {
  return path === gzPath ? gzipSync(plain) : plain;
}

describe("stdin", () => {
  for (const mode of ["file", "socket", "pipe"] as const) {
    for (const path of [plainPath, gzPath]) {
      for (const transient of [false, true]) {
        const what = `${mode}${path === gzPath ? " (gzip)" : ""}${transient ? ", records transient" : ""}`;
        it(`reads "-" from a ${what}`, async () => {
          const expected = summary((await readAll(plainPath)).recs);
          const got = await readStdinInChild(mode, path, transient);
          assert.deepEqual(got.summary, expected);
          assert.equal(got.gzip, path === gzPath);
        });
      }
    }
  }

  it("reads a named pipe (FIFO) given as the path, with fresh and with transient records", async () => {
    const expected = summary((await readAll(plainPath)).recs);
    for (const transient of [false, true]) {
      const fifo = join(tmp, `capture-${transient}.fifo`);
      const made = spawnSync("mkfifo", [fifo]);
      if (made.status !== 0) return void console.log(`# skipped: mkfifo failed (${made.stderr})`);
      const writer = spawn("sh", ["-c", 'cat -- "$0" > "$1"', plainPath, fifo], { stdio: "ignore" });
      // Listened for from the start: the reads leave the event loop running, so the writer may
      // be gone before the last record is read.
      const writerDone = new Promise((resolve) => writer.once("close", resolve));
      const got: string[] = [];
      await readCaptureFile(fifo, (r) => got.push(summary([r])[0]), { transientRecords: transient });
      await writerDone;
      assert.deepEqual(got, expected, `transient ${transient}`);
    }
  });

  it("reads a stdin that was made non-blocking before any byte came", async () => {
    const expected = summary((await readAll(plainPath)).recs);
    const got = await readStdinInChild("non-blocking", plainPath, true);
    assert.deepEqual(got.summary, expected);
  });
});
