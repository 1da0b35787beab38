#!/usr/bin/env node
// Reader benchmark: times our capture reader (+ decoder) on a real ~1 GB bulk-transfer capture and
// a 1 M-packet capture of many small connections, from a file and from a pipe, against capinfos,
// tcptrace and tshark on the same files. Inputs are made on first use (bench/make-inputs.mjs).
//
// usage: node bench/run.mjs [--quick] [--runs N] [--only ID[,ID]] [--no-reference] [--cli]
//                           [--json FILE] [--strict]
//   --quick         ~100 MB bulk capture and 200 k small packets instead of ~1 GB and 1 M
//   --runs N        runs per entry of ours (best is kept; default 3; reference tools run once)
//   --only IDS      only these entries (ids in bench/entries.mjs)
//   --no-reference  skip capinfos / tcptrace / tshark
//   --cli           also time the tcpdoctor commands (conns, packets --json)
//   --json FILE     where to write the results (default bench/out/results.json)
//   --strict        exit 1 when a target is missed
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { entries, root } from "./entries.mjs";
import { ensureInputs, outDir } from "./make-inputs.mjs";

const TARGET_PPS = 1.5e6;
const TARGET_RSS_MB = 150;
const TARGET_STDIN_RATIO = 1.1; // stdin may take at most 10 % longer than the file
const RUN_TIMEOUT_MS = 15 * 60 * 1000;

const args = parseArgs(process.argv.slice(2));
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function parseArgs(argv) {
  const out = {
    quick: false,
    runs: 3,
    only: undefined,
    reference: true,
    cli: false,
    json: undefined,
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") out.quick = true;
    else if (a === "--runs") out.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--only") out.only = argv[++i].split(",");
    else if (a === "--no-reference") out.reference = false;
    else if (a === "--cli") out.cli = true;
    else if (a === "--json") out.json = argv[++i];
    else if (a === "--strict") out.strict = true;
    else {
      console.error(`run.mjs: unknown argument ${a} (see the usage at the top of bench/run.mjs)`);
      process.exit(2);
    }
  }
  return out;
}

function onPath(tool) {
  return (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, tool)));
}

/** Why an entry cannot run, or undefined. */
function missing(entry) {
  for (const need of entry.needs ?? []) {
    if (need.includes("/") ? !existsSync(need) : !onPath(need)) {
      return need.includes("/") ? `${need.replace(`${root}/`, "")} not built` : `${need} not installed`;
    }
  }
  return undefined;
}

/**
 * One timed run. Wall, CPU and peak RSS come from GNU time around the measured process (for a
 * pipe, around the reading end only; `cat` runs beside it).
 */
function runOnce(entry, file) {
  return new Promise((resolve, reject) => {
    const tmp = mkdtempSync(join(tmpdir(), "tdbench-"));
    const timeFile = join(tmp, "time");
    const argv = entry.argv(file);
    const cmd = GNU_TIME ? [GNU_TIME, "-o", timeFile, "-f", "%e %U %S %M", ...argv] : argv;
    let feeder;
    if (entry.stdin) feeder = spawn("cat", [file], { stdio: ["ignore", "pipe", "inherit"] });
    const started = process.hrtime.bigint();
    const child = spawn(cmd[0], cmd.slice(1), {
      cwd: root,
      stdio: [feeder ? feeder.stdout : "ignore", entry.json ? "pipe" : "ignore", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b) => {
      stdout += b;
    });
    child.stderr.on("data", (b) => {
      stderr = (stderr + b).slice(-2000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      let timing = { wall, cpu: undefined, rssMB: undefined };
      if (GNU_TIME && existsSync(timeFile)) {
        const last = readFileSync(timeFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
        if (last.length === 4 && last.every(Number.isFinite)) {
          timing = { wall: last[0], cpu: last[1] + last[2], rssMB: last[3] / 1024 };
        }
      }
      rmSync(tmp, { recursive: true, force: true });
      if (code !== 0) {
        resolve({ error: `exit ${code ?? signal}: ${stderr.trim().split("\n").at(-1) ?? ""}` });
        return;
      }
      let report;
      if (entry.json) {
        try {
          report = JSON.parse(stdout.trim().split("\n").at(-1));
        } catch {
          resolve({ error: `no JSON report: ${stdout.slice(0, 200)}` });
          return;
        }
        timing.rssMB ??= report.maxRssMB;
      }
      resolve({ ...timing, report });
    });
  });
}

function fmtRate(pps) {
  return pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M` : `${(pps / 1e3).toFixed(0)} k`;
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}

async function benchInput(name, file, note) {
  const size = statSync(file).size;
  console.log(`\n== ${name}: ${basename(file)}, ${(size / 1e6).toFixed(0)} MB${note ? ` (${note})` : ""}`);
  const rows = [];
  let packets;
  for (const entry of entries) {
    if (args.only && !args.only.includes(entry.id)) continue;
    if (entry.group === "reference" && !args.reference) continue;
    if (entry.group === "cli" && !args.cli) continue;
    const why = missing(entry);
    if (why) {
      console.log(`  ${pad(entry.label, 40)} skipped: ${why}`);
      rows.push({ id: entry.id, label: entry.label, skipped: why });
      continue;
    }
    const runs = entry.group === "ours" ? args.runs : 1;
    let best;
    let error;
    for (let i = 0; i < runs; i++) {
      const r = await runOnce(entry, file);
      if (r.error) {
        error = r.error;
        break;
      }
      if (!best || r.wall < best.wall) best = r;
    }
    if (!best) {
      console.log(`  ${pad(entry.label, 40)} failed: ${error}`);
      rows.push({ id: entry.id, label: entry.label, error });
      continue;
    }
    if (best.report?.packets) packets ??= best.report.packets;
    const row = {
      id: entry.id,
      label: entry.label,
      primary: Boolean(entry.primary),
      wall: best.wall,
      cpu: best.cpu,
      rssMB: best.rssMB,
      innerSeconds: best.report?.seconds,
      decoderMissing: best.report?.decoderMissing,
      packets: best.report?.packets,
    };
    rows.push(row);
    console.log(
      `  ${pad(entry.label, 40)} ${pad(best.wall.toFixed(2), 7, true)} s` +
        `${best.cpu !== undefined ? `  cpu ${best.cpu.toFixed(2)} s` : ""}` +
        `${best.rssMB !== undefined ? `  rss ${best.rssMB.toFixed(0)} MB` : ""}` +
        `${row.decoderMissing ? "  (decoder not built: reader alone)" : ""}`,
    );
  }
  const primary = rows.find((r) => r.primary && r.wall);
  console.log(`\n  ${packets?.toLocaleString("en-US") ?? "?"} packets`);
  console.log(
    `  ${pad("what", 40)} ${pad("process s", 9, true)} ${pad("cpu s", 6, true)} ${pad("packets/s", 10, true)} ` +
      `${pad("MB/s", 6, true)} ${pad("peak RSS", 9, true)} ${pad("vs ours", 8, true)}  ${pad("in-process: s", 13, true)} ${pad("packets/s", 10, true)}`,
  );
  for (const r of rows) {
    if (!r.wall) continue;
    r.pps = packets ? packets / r.wall : undefined;
    r.innerPps = packets && r.innerSeconds ? packets / r.innerSeconds : undefined;
    r.ratio = primary ? r.wall / primary.wall : undefined;
    console.log(
      `  ${pad(r.label, 40)} ${pad(r.wall.toFixed(2), 9, true)} ${pad(r.cpu !== undefined ? r.cpu.toFixed(2) : "?", 6, true)} ` +
        `${pad(r.pps ? fmtRate(r.pps) : "?", 10, true)} ${pad((size / 1e6 / r.wall).toFixed(0), 6, true)} ` +
        `${pad(r.rssMB !== undefined ? `${r.rssMB.toFixed(0)} MB` : "?", 9, true)} ${pad(r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : "", 8, true)}` +
        (r.innerSeconds
          ? `  ${pad(r.innerSeconds.toFixed(2), 13, true)} ${pad(fmtRate(r.innerPps), 10, true)}`
          : ""),
    );
  }
  console.log(
    "  (process s: whole process, startup included, as for the other tools; in-process: from opening the file to the last record)",
  );
  return { name, file: basename(file), bytes: size, packets, rows };
}

function checkTargets(bulk) {
  const get = (id) => bulk.rows.find((r) => r.id === id && r.wall);
  const file = get("reader+decoder");
  const stdin = get("reader+decoder-stdin");
  const out = [];
  if (file?.innerPps) {
    out.push({
      target: `reader+decoder >= ${fmtRate(TARGET_PPS)}packets/s on the bulk capture (in-process)`,
      value: `${fmtRate(file.innerPps)}packets/s (${fmtRate(file.pps)}packets/s with process startup)`,
      met: file.innerPps >= TARGET_PPS,
    });
  }
  if (file?.rssMB !== undefined) {
    out.push({
      target: `peak RSS < ${TARGET_RSS_MB} MB`,
      value: `${file.rssMB.toFixed(0)} MB`,
      met: file.rssMB < TARGET_RSS_MB,
    });
  }
  if (file?.innerSeconds && stdin?.innerSeconds) {
    const ratio = stdin.innerSeconds / file.innerSeconds;
    out.push({
      target: `stdin as fast as the file (time ratio <= ${TARGET_STDIN_RATIO})`,
      value: `${ratio.toFixed(2)}x`,
      met: ratio <= TARGET_STDIN_RATIO,
    });
  }
  if (stdin?.rssMB !== undefined) {
    out.push({
      target: `peak RSS < ${TARGET_RSS_MB} MB (stdin)`,
      value: `${stdin.rssMB.toFixed(0)} MB`,
      met: stdin.rssMB < TARGET_RSS_MB,
    });
  }
  return out;
}

async function main() {
  if (!existsSync(join(root, "dist", "core", "capture", "parser.js"))) {
    console.error("bench: dist/ is missing; run `npm run build` (or `npm run bench`) first");
    process.exit(2);
  }
  const load = loadavg()[0];
  const cores = cpus().length;
  console.log(
    `tcpdoctor reader benchmark: node ${process.version}, ${cores} cores, load average ${load.toFixed(2)}`,
  );
  if (load > cores / 2) {
    console.log(
      `  note: the machine is busy (load ${load.toFixed(1)} on ${cores} cores): wall times are pessimistic; cpu times hold better`,
    );
  }
  if (!GNU_TIME)
    console.log(
      "  note: /usr/bin/time not found: wall time only, peak RSS of our runs from the process itself",
    );
  const inputs = await ensureInputs({ quick: args.quick, log: (m) => console.log(m) });
  const results = [];
  results.push(await benchInput("bulk transfer", inputs.bulk, inputs.notes.bulk));
  results.push(await benchInput("many small connections", inputs.mpps, "synthesised"));
  const targets = checkTargets(results[0]);
  if (targets.length) {
    console.log("\n== targets (bulk capture)");
    for (const t of targets) console.log(`  ${t.met ? "met   " : "MISSED"}  ${t.target}: ${t.value}`);
  }
  const jsonPath = args.json ?? join(outDir, "results.json");
  writeFileSync(
    jsonPath,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores, load, quick: args.quick, results, targets }, null, 2)}\n`,
  );
  console.log(`\nresults: ${jsonPath}`);
  if (args.strict && targets.some((t) => !t.met)) process.exit(1);
}

await main();
