// `tcpdoctor capture` usage errors (one line, exit 2, before any capture starts) and its progress line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { progressLine } from "../../src/cli/commands/capture.js";
import { repoRoot } from "../helpers.js";

const cli = join(repoRoot, "src", "cli", "main.ts");

function tcpdoctor(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { cwd: repoRoot });
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

describe("tcpdoctor capture", () => {
  test("a bad --duration or an unwritable --write: one line, exit 2", async () => {
    const bad = await tcpdoctor(["capture", "--duration", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^tcpdoctor: --duration soon: expected a number above 0\n$/);
    const unwritable = await tcpdoctor([
      "capture",
      "-i",
      "lo",
      "--write",
      "/nonexistent-dir/x.pcap",
      "--duration",
      "1",
    ]);
    assert.equal(unwritable.code, 2);
    assert.match(unwritable.stderr, /^tcpdoctor: --write \/nonexistent-dir\/x\.pcap: no such directory\n$/);
    assert.equal(unwritable.stdout, "");
  });

  test("the progress line: counts, the likely finding, cut to the terminal width", () => {
    const p = {
      seconds: 12.34,
      packets: 1500,
      connections: 1,
      stopping: false,
      top: { id: "connect-refused", text: "3 SYNs answered by RST" },
    };
    assert.equal(
      progressLine(p, "eth0", 200),
      "capturing on eth0: 12 s, 1500 packets, 1 connection — likely connect-refused: 3 SYNs answered by RST",
    );
    const cut = progressLine(p, "eth0", 40);
    assert.equal(cut.length, 39);
    assert.ok(cut.endsWith("…"));
    assert.match(progressLine({ ...p, stopping: true, top: undefined }, "eth0"), /^stopping/);
  });
});
