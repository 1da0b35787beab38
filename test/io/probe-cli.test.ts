// `tcpdoctor probe` as a user runs it, on loopback: one line per attempt, the per-address summary,
// the findings, the exit status; usage errors in one line with status 2.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { repoRoot } from "../helpers.js";

const cli = join(repoRoot, "src", "cli", "main.ts");

function tcpdoctor(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("tcpdoctor probe", () => {
  let server: Server;
  let port = 0;
  let closed = 0;

  before(async () => {
    server = createServer((s) => s.end());
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as { port: number }).port;
    const tmp = createServer();
    tmp.listen(0, "127.0.0.1");
    await once(tmp, "listening");
    closed = (tmp.address() as { port: number }).port;
    tmp.close();
    await once(tmp, "close");
  });

  after(() => server?.close());

  test("a series against a listener: a line per attempt, percentiles, exit 0", async () => {
    const r = await tcpdoctor([
      "probe",
      `127.0.0.1:${port}`,
      "--count",
      "3",
      "--interval",
      "0.05",
      "--timeout",
      "2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const attemptLines = r.stdout.split("\n").filter((l) => /^\s+127\.0\.0\.1:\d+\s+#\d/.test(l));
    assert.equal(attemptLines.length, 3);
    for (const l of attemptLines) assert.match(l, /connected\s+[\d.]+ (µs|ms)/);
    assert.match(
      r.stdout,
      /3 attempts: 3 connected \(100% connect\); connect p50 [\d.]+ (µs|ms), p90 .*, max /,
    );
    assert.match(r.stdout, /OK: no problem found/);
  });

  test("a closed port: refused with its errno, the finding, exit 1", async () => {
    const r = await tcpdoctor(["probe", `127.0.0.1:${closed}`, "--timeout", "2"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /refused\s+\S+ (µs|ms)\s+ECONNREFUSED/);
    assert.match(r.stdout, /\[no-listener/);
    assert.match(r.stdout, /nothing listens on port/);
  });

  test("usage errors: one line, exit 2", async () => {
    for (const args of [
      ["probe", "localhost"],
      ["probe", "127.0.0.1:80", "--count", "0"],
    ]) {
      const r = await tcpdoctor(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^tcpdoctor: /);
      assert.equal(r.stdout, "");
    }
  });
});
