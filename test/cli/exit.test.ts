// The process ends when the work is done. Node 20 can deadlock at exit when a background
// optimising compile waits for a garbage collection while the main thread waits for that compile;
// before the fix this hung 2–9 % of `packets --json` runs on these captures.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { needsBuild, runCli } from "../fixtures/cli/run-cli.js";
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
