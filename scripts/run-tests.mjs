#!/usr/bin/env node
// Runs every test/**/*.test.ts through node:test with tsx, as an explicit file list:
// Node 20's `node --test DIR` or a glob silently finds no TypeScript test and still passes.
// Exits non-zero when the runner executed zero tests.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filter = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

let files = walk(join(root, "test"), []);
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
);
let tail = "";
child.stdout.on("data", (b) => {
  process.stdout.write(b);
  tail = (tail + b.toString()).slice(-4000);
});
child.on("close", (code) => {
  const num = (k) => Number((tail.match(new RegExp(`ℹ ${k} (\\d+)`)) ?? [])[1] ?? 0);
  const tests = num("tests");
  const pass = num("pass");
  const fail = num("fail");
  const skipped = num("skipped");
  if (tests === 0) {
    console.error("run-tests: the runner executed zero tests");
    process.exit(1);
  }
  console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
  process.exit(code ?? 1);
});
