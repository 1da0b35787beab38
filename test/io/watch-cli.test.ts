import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../helpers.js";

const notLinux = process.platform === "linux" ? false : "skipped: watch reads Linux's /proc";
const dir = mkdtempSync(join(tmpdir(), "tcpdoctor-watch-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src", "cli", "main.ts"), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
}

/** Collects a stream and resolves when a line matching `re` has appeared (or rejects after ms). */
function collector(stream: NodeJS.ReadableStream) {
  let text = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  stream.on("data", (b: Buffer) => {
    text += b.toString("utf8");
    for (const w of [...waiters]) if (w.re.test(text)) w.resolve();
  });
  return {
    get text() {
      return text;
    },
    waitFor(re: RegExp, ms: number): Promise<void> {
      if (re.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; got:\n${text}`)), ms);
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("tcpdoctor watch (command line)", { skip: notLinux, timeout: 60_000 }, () => {
  it("keeps the old config when a reload fails, and ends on SIGTERM with a summary", async () => {
    const config = join(dir, "watch.yaml");
    writeFileSync(config, "hysteresis:\n  fireAfter: 2\n");
    const child = cli([
      "watch",
      "--interval",
      "1",
      "--config",
      config,
      "--log",
      join(dir, "alerts.jsonl"),
      "--json",
    ]);
    const code = exited(child);
    const err = collector(child.stderr as NodeJS.ReadableStream);
    const out = collector(child.stdout as NodeJS.ReadableStream);
    try {
      await out.waitFor(/"interval":2/, 40_000);
      writeFileSync(config, "hysteresis:\n  fireAfter: often\n");
      child.kill("SIGHUP");
      await err.waitFor(/config reload failed/, 10_000);
      // Still running on the old config: more intervals come.
      const seen = (out.text.match(/"interval":/g) ?? []).length;
      await out.waitFor(new RegExp(`"interval":${seen + 1}\\b`), 10_000);
      writeFileSync(config, "hysteresis:\n  fireAfter: 3\n");
      child.kill("SIGHUP");
      await err.waitFor(/reloaded /, 10_000);
      child.kill("SIGTERM");
      assert.equal(await code, 0);
    } finally {
      child.kill("SIGKILL");
    }
    const lines = err.text.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^tcpdoctor watch: every 1 s, alerts appended to .*alerts\.jsonl/);
    assert.equal(
      lines.filter((l) =>
        /config reload failed, keeping the previous one: .*watch\.yaml:2: bad key hysteresis\.fireAfter/.test(
          l,
        ),
      ).length,
      1,
    );
    assert.match(
      lines[lines.length - 1] ?? "",
      /^tcpdoctor watch: \d+ intervals run, \d+ alerts? fired, \d+ resolved, \d+ still firing/,
    );
    const evaluations = out.text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(evaluations.length >= 3);
    assert.equal(evaluations[1].interval, 2);
    assert.ok(
      evaluations[1].seconds > 0.5 && evaluations[1].seconds < 5,
      `interval ${evaluations[1].seconds} s`,
    );
    for (const e of evaluations) for (const v of Object.values(e.rates)) assert.ok((v as number) >= 0);
  });

  it("--once prints the host findings and exits with the host exit code", async () => {
    const child = cli(["watch", "--once", "--json", "--interval", "1"]);
    const out = collector(child.stdout as NodeJS.ReadableStream);
    const code = await exited(child);
    const report = JSON.parse(out.text);
    assert.ok(Array.isArray(report.findings));
    const bad = report.findings.some((f: { severity: string }) => f.severity !== "info");
    assert.equal(code, bad ? 1 : 0);
    assert.equal(report.inputs[0].format, "host");
  });

  it("refuses a bad --prometheus address before starting", async () => {
    const child = cli(["watch", "--prometheus", "1.2.3.4:99999"]);
    const err = collector(child.stderr as NodeJS.ReadableStream);
    assert.equal(await exited(child), 2);
    assert.match(err.text, /--prometheus: expected \[host:\]port/);
  });
});
