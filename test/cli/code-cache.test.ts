// The command line starts from one bundled script with V8's code cache (scripts/bundle.mjs,
// scripts/bin-launcher.cjs). V8 refuses a cache silently when the script or the flags differ from
// those it was made with (a V8 flag set at run time is enough), and every start then pays the
// compile again: the build's cache must be the one used.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cliPath, needsBuild, runCli } from "../fixtures/cli/run-cli.js";
import { fixturesDir } from "../helpers.js";

const cacheFile = join(cliPath, "..", "tcpdoctor-bundle.cache");
const report = { env: { TCPDOCTOR_CODE_CACHE: "report" } };

describe("code cache", { skip: needsBuild }, () => {
  it("is made by the build and used by every kind of run", async () => {
    assert.ok(existsSync(cacheFile), "dist/bin/tcpdoctor-bundle.cache");
    const capture = join(fixturesDir, "conns", "refused.pcap");
    for (const args of [
      ["--version"],
      ["conns", capture],
      ["analyze", "--json", capture],
      ["conns", "/nonexistent"],
    ]) {
      const r = await runCli(args, report);
      assert.match(r.stderr, /^tcpdoctor: code cache used$/m, `${args.join(" ")}: ${r.stderr}`);
    }
  });

  it("is refused, and the command still works, when the flags differ from the build's", async () => {
    const r = await runCli(["conns", join(fixturesDir, "conns", "refused.pcap")], {
      env: { ...report.env, NODE_OPTIONS: "--max-semi-space-size=32" },
    });
    assert.match(r.stderr, /^tcpdoctor: code cache rejected$/m);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /REJ/);
  });
});
