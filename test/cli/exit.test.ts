// The process ends when the work is done. Node 20 can deadlock at exit when a background
// optimising compile waits for a garbage collection while the main thread waits for that compile;
// before the fix this hung 2–9 % of `packets --json` runs on these captures.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { pcapFile } from "../fixtures/capture/builders.js";
import { cliEnv, cliPath, needsBuild, runCli } from "../fixtures/cli/run-cli.js";
import { ipv4, tcp } from "../fixtures/decode/frames.js";
import { capturesDir, needsShared } from "../helpers.js";

const RUNS = 24;

describe("exit", { skip: needsShared || needsBuild }, () => {
  it(`ends every one of ${RUNS} runs of packets --json on multi-megabyte captures`, async () => {
    const captures = ["reorder-real/capture.pcap", "loss-cubic/capture.pcapng"].map((c) =>
      join(capturesDir, c),
    );
    const hung: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const file = captures[i % captures.length];
      const r = await runCli(["packets", file, "--json"], { timeoutMs: 20_000 });
      if (r.timedOut) hung.push(`run ${i + 1} (${file})`);
      else assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(hung, [], "runs that did not end");
  });
});

describe("exit after the output", { skip: needsBuild }, () => {
  it("hands every byte to a reader that starts reading only after the work is done", async (t) => {
    // ~1.5 MB of JSON lines, more than the socket pair under a child's stdout holds: most of it
    // still waits in the process when the command returns, and the process must not end first.
    const dir = mkdtempSync(join(tmpdir(), "tcpdoctor-exit-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "many.pcap");
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      sec: 1_700_000_000 + Math.floor(i / 1000),
      frac: (i % 1000) * 1000,
      data: ipv4({}, tcp({ seq: 1000 + i * 100, flags: 0x18 }, new Uint8Array(100))),
    }));
    writeFileSync(file, pcapFile({ linkTypeField: 101 }, records));
    const expected = await runCli(["packets", file, "--json"]);
    assert.equal(expected.code, 0, expected.stderr);
    assert.ok(expected.stdout.length > 1_000_000, `${expected.stdout.length} bytes`);
    const child = spawn(process.execPath, [cliPath, "packets", file, "--json"], {
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b));
    let exitedAt = 0;
    child.on("exit", () => (exitedAt = Date.now()));
    // No reader on stdout for 1.5 s: the pipe and the stream's buffer fill, the rest waits in the process.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const readFrom = Date.now();
    assert.equal(exitedAt, 0, "ended before its output was read");
    const chunks: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => chunks.push(b));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr);
    assert.ok(exitedAt >= readFrom);
    assert.equal(Buffer.concat(chunks).toString(), expected.stdout);
  });
});
