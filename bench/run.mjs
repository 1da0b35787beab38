#!/usr/bin/env node
// Benchmark of the capture reader and of the analysis commands on a real ~1 GB bulk-transfer
// capture, a 1 M-packet capture of many small connections and a flood of 1 M spoofed SYNs, against
// capinfos, tcptrace and tshark on the same files in the same run. Inputs are made on first use
// (bench/make-inputs.mjs).
//
// usage: node bench/run.mjs [--quick] [--runs N] [--ref-runs N] [--only ID[,ID]]
//                           [--inputs bulk,mpps,synflood] [--no-reference] [--no-cli]
//                           [--json FILE] [--strict]
//   --quick         ~100 MB bulk capture, 200 k small packets, 200 k SYNs instead of ~1 GB and 1 M
//   --runs N        runs per entry of ours (default 3); wall time: the best run; CPU: the least;
//                   peak RSS: the largest
//   --ref-runs N    runs per reference tool (default: as --runs), counted the same way
//   --only IDS      only these entries (ids in bench/entries.mjs)
//   --inputs LIST   only these inputs
//   --no-reference  skip capinfos / tcptrace / tshark
//   --no-cli        skip the tcpdoctor commands (conns, packets --json, analyze)
//   --json FILE     where to write the results (default bench/out/results.json)
//   --strict        exit 1 when a target is missed
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { entries, root } from "./entries.mjs";
import { ensureInputs, outDir } from "./make-inputs.mjs";

const TARGET_PPS = 1.5e6;
const TARGET_RSS_MB = 150;
const TARGET_STDIN_RATIO = 1.1; // stdin may take at most 10 % longer than the file
/** `conns` on the bulk capture: at most tcptrace -n's wall time; `packets --json`: twice it. */
const TARGET_CONNS_VS_TCPTRACE = 1;
const TARGET_PACKETS_JSON_VS_TCPTRACE = 2;
/** Peak RSS of `conns` and `analyze` on the SYN flood. */
const TARGET_FLOOD_RSS_MB = 400;
const RUN_TIMEOUT_MS = 15 * 60 * 1000;
const INPUTS = ["bulk", "mpps", "synflood"];

const args = parseArgs(process.argv.slice(2));
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function parseArgs(argv) {
  const out = {
    quick: false,
    runs: 3,
    refRuns: undefined,
    only: undefined,
    inputs: INPUTS,
    reference: true,
    cli: true,
    json: undefined,
    strict: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") out.quick = true;
    else if (a === "--runs") out.runs = Math.max(1, Number(argv[++i]));
    else if (a === "--ref-runs") out.refRuns = Math.max(1, Number(argv[++i]));
    else if (a === "--only") out.only = argv[++i].split(",");
    else if (a === "--inputs") out.inputs = argv[++i].split(",");
    else if (a === "--no-reference") out.reference = false;
    else if (a === "--cli")
      out.cli = true; // the default now; kept for old command lines
    else if (a === "--no-cli") out.cli = false;
    else if (a === "--json") out.json = argv[++i];
    else if (a === "--strict") out.strict = true;
    else {
      console.error(`run.mjs: unknown argument ${a} (see the usage at the top of bench/run.mjs)`);
      process.exit(2);
    }
  }
  for (const name of out.inputs) {
    if (!INPUTS.includes(name)) {
      console.error(`run.mjs: unknown input ${name} (${INPUTS.join(", ")})`);
      process.exit(2);
    }
  }
  out.refRuns ??= out.runs;
  return out;
}

/**
 * The environment every measured command runs in: only what locates programs and files and sets
 * the language. Anything else the shell carries can change how a tool starts, and would then be
 * timed as if it were the tool's own work: NODE_OPTIONS adds flags or preloaded modules to every
 * Node process, and NODE_EXTRA_CA_CERTS makes Node parse a CA bundle at every start (Node 20 reads
 * it while starting, TLS or not). Ours and the reference tools get the same environment.
 */
const KEPT_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"];
const RUN_ENV = Object.fromEntries(
  KEPT_ENV.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]),
);
/** Variables of the caller's environment that change Node's start, reported when set. */
const NODE_START_ENV = ["NODE_OPTIONS", "NODE_EXTRA_CA_CERTS"];

/** Best of three wall times of `node -e 0` in `env`, in seconds. */
function nodeStart(env) {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return best;
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
 * pipe, around the reading end only; `cat` runs beside it). Output not parsed goes to /dev/null.
 */
function runOnce(entry, file) {
  return new Promise((resolve, reject) => {
    const tmp = mkdtempSync(join(tmpdir(), "tdbench-"));
    const timeFile = join(tmp, "time");
    const argv = entry.argv(file);
    const cmd = GNU_TIME ? [GNU_TIME, "-o", timeFile, "-f", "%e %U %S %M", ...argv] : argv;
    // stdin "pipe": a shell pipe from cat, as `tcpdump -w - | tcpdoctor` gives (a fixed script,
    // the file and the command as its arguments); "socket": cat's output as a parent process
    // hands it on (Node's stdio pipes are socket pairs).
    let feeder;
    if (entry.stdin === "socket")
      feeder = spawn("cat", [file], { env: RUN_ENV, stdio: ["ignore", "pipe", "inherit"] });
    const argvRun = entry.stdin === "pipe" ? ["sh", "-c", 'cat -- "$0" | exec "$@"', file, ...cmd] : cmd;
    const started = process.hrtime.bigint();
    const child = spawn(argvRun[0], argvRun.slice(1), {
      cwd: root,
      env: RUN_ENV,
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
      if (!(entry.exits ?? [0]).includes(code)) {
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

async function benchInput(kind, name, file, note) {
  const size = statSync(file).size;
  console.log(`\n== ${name}: ${basename(file)}, ${(size / 1e6).toFixed(0)} MB${note ? ` (${note})` : ""}`);
  const rows = [];
  let packets;
  const measured = [];
  for (const entry of entries) {
    if (entry.inputs && !entry.inputs.includes(kind)) continue;
    if (args.only && !args.only.includes(entry.id)) continue;
    if (entry.group === "reference" && !args.reference) continue;
    if (entry.group === "cli" && !args.cli) continue;
    const why = missing(entry);
    if (why) {
      console.log(`  ${pad(entry.label, 40)} skipped: ${why}`);
      rows.push({ id: entry.id, label: entry.label, skipped: why });
      continue;
    }
    const runs = entry.group === "reference" ? args.refRuns : args.runs;
    measured.push({ entry, runs, best: undefined, cpu: undefined, rssMB: undefined, error: undefined });
  }
  // Round-robin: run i of every entry before run i + 1 of any. The targets are ratios of two
  // entries (stdin against the file, conns against tcptrace); on a machine whose load drifts, runs
  // taken back to back would give one entry a quiet spell and the other a busy one.
  const rounds = Math.max(0, ...measured.map((m) => m.runs));
  for (let i = 0; i < rounds; i++) {
    for (const m of measured) {
      if (i >= m.runs || m.error) continue;
      const r = await runOnce(m.entry, file);
      if (r.error) {
        m.error = r.error;
        continue;
      }
      if (!m.best || r.wall < m.best.wall) m.best = r;
      if (r.cpu !== undefined) m.cpu = Math.min(m.cpu ?? r.cpu, r.cpu);
      if (r.rssMB !== undefined) m.rssMB = Math.max(m.rssMB ?? r.rssMB, r.rssMB);
    }
    if (rounds > 1) process.stderr.write(`  round ${i + 1}/${rounds} done\n`);
  }
  for (const { entry, runs, best, cpu, rssMB, error } of measured) {
    if (!best) {
      console.log(`  ${pad(entry.label, 40)} failed: ${error}`);
      rows.push({ id: entry.id, label: entry.label, error });
      continue;
    }
    if (best.report?.packets) packets ??= best.report.packets;
    const row = {
      id: entry.id,
      label: entry.label,
      group: entry.group,
      primary: Boolean(entry.primary),
      yardstick: Boolean(entry.yardstick),
      runs,
      wall: best.wall,
      cpu,
      rssMB,
      innerSeconds: best.report?.seconds,
      decoderMissing: best.report?.decoderMissing,
      packets: best.report?.packets,
    };
    rows.push(row);
    console.log(
      `  ${pad(entry.label, 40)} ${pad(best.wall.toFixed(2), 7, true)} s` +
        `${cpu !== undefined ? `  cpu ${cpu.toFixed(2)} s` : ""}` +
        `${rssMB !== undefined ? `  rss ${rssMB.toFixed(0)} MB` : ""}` +
        `${row.decoderMissing ? "  (decoder not built: reader alone)" : ""}`,
    );
  }
  packets ??= packetCount(file);
  const primary = rows.find((r) => r.primary && r.wall);
  const yardstick = rows.find((r) => r.yardstick && r.wall);
  console.log(`\n  ${packets?.toLocaleString("en-US") ?? "?"} packets`);
  console.log(
    `  ${pad("what", 40)} ${pad("wall s", 7, true)} ${pad("cpu s", 7, true)} ${pad("packets/s", 10, true)} ` +
      `${pad("MB/s", 6, true)} ${pad("peak RSS", 9, true)} ${pad("vs reader", 9, true)} ${pad("vs tcptrace", 11, true)} ${pad("cpu vs", 7, true)}` +
      `  ${pad("in-process: s", 13, true)} ${pad("packets/s", 10, true)}`,
  );
  for (const r of rows) {
    if (!r.wall) continue;
    r.pps = packets ? packets / r.wall : undefined;
    r.innerPps = packets && r.innerSeconds ? packets / r.innerSeconds : undefined;
    r.ratio = primary ? r.wall / primary.wall : undefined;
    r.vsTcptrace = yardstick ? r.wall / yardstick.wall : undefined;
    r.cpuVsTcptrace = yardstick?.cpu && r.cpu !== undefined ? r.cpu / yardstick.cpu : undefined;
    console.log(
      `  ${pad(r.label, 40)} ${pad(r.wall.toFixed(2), 7, true)} ${pad(r.cpu !== undefined ? r.cpu.toFixed(2) : "?", 7, true)} ` +
        `${pad(r.pps ? fmtRate(r.pps) : "?", 10, true)} ${pad((size / 1e6 / r.wall).toFixed(0), 6, true)} ` +
        `${pad(r.rssMB !== undefined ? `${r.rssMB.toFixed(0)} MB` : "?", 9, true)} ${pad(r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : "", 9, true)} ` +
        `${pad(r.vsTcptrace !== undefined ? `${r.vsTcptrace.toFixed(2)}x` : "", 11, true)} ${pad(r.cpuVsTcptrace !== undefined ? `${r.cpuVsTcptrace.toFixed(2)}x` : "", 7, true)}` +
        (r.innerSeconds
          ? `  ${pad(r.innerSeconds.toFixed(2), 13, true)} ${pad(fmtRate(r.innerPps), 10, true)}`
          : ""),
    );
  }
  console.log(
    `  (wall: best of the runs, whole process, startup included; cpu: user+sys, least of the runs; peak RSS: largest of the runs;\n` +
      "   vs reader / vs tcptrace: wall-time multiples; cpu vs: CPU-time multiple of tcptrace; in-process: from opening the file to the last record)",
  );
  return { kind, name, file: basename(file), bytes: size, packets, rows };
}

/** Packets in a capture, from capinfos (when our reader did not count them). */
function packetCount(file) {
  if (!onPath("capinfos")) return undefined;
  const r = spawnSync("capinfos", ["-M", "-c", file], { encoding: "utf8" });
  const m = /Number of packets:\s+(\d+)/.exec(r.stdout ?? "");
  return m ? Number(m[1]) : undefined;
}

function readerTargets(results) {
  const bulk = results.find((r) => r.kind === "bulk");
  const mpps = results.find((r) => r.kind === "mpps");
  const get = (res, id) => res?.rows.find((r) => r.id === id && r.wall);
  const file = get(bulk, "reader+decoder");
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
      target: `reader peak RSS < ${TARGET_RSS_MB} MB`,
      value: `${file.rssMB.toFixed(0)} MB`,
      met: file.rssMB < TARGET_RSS_MB,
    });
  }
  // The stdin target is the 1-million-packet capture. On the 1 GB bulk file a pipe cannot keep
  // up on two cores: cat's two copies plus ours cost more CPU than the parsing itself, so that
  // ratio is reported for information only.
  for (const [res, isTarget] of [
    [mpps, true],
    [bulk, false],
  ]) {
    const f = get(res, "reader+decoder");
    const stdin = get(res, "reader+decoder-stdin");
    if (!f?.innerSeconds || !stdin?.innerSeconds) continue;
    const ratio = stdin.innerSeconds / f.innerSeconds;
    const what = `stdin (a shell pipe from cat) vs the file on ${res.file} (${res.packets} packets)`;
    out.push(
      isTarget
        ? {
            target: `reader: ${what}, time ratio <= ${TARGET_STDIN_RATIO}`,
            value: `${ratio.toFixed(2)}x`,
            met: ratio <= TARGET_STDIN_RATIO,
          }
        : { target: `reader: ${what}`, value: `${ratio.toFixed(2)}x`, info: true },
    );
    const socket = get(res, "reader+decoder-socket");
    if (socket?.innerSeconds) {
      const r = socket.innerSeconds / f.innerSeconds;
      out.push({
        target: `reader: stdin (a socket pair from cat) vs the file on ${res.file}`,
        value: `${r.toFixed(2)}x`,
        info: true,
      });
    }
    if (isTarget && stdin.rssMB !== undefined) {
      out.push({
        target: `reader peak RSS < ${TARGET_RSS_MB} MB (stdin)`,
        value: `${stdin.rssMB.toFixed(0)} MB`,
        met: stdin.rssMB < TARGET_RSS_MB,
      });
    }
  }
  return out;
}

function analysisTargets(results) {
  const out = [];
  const bulk = results.find((r) => r.kind === "bulk");
  const flood = results.find((r) => r.kind === "synflood");
  const get = (res, id) => res?.rows.find((r) => r.id === id && r.wall);
  for (const [id, limit] of [
    ["conns", TARGET_CONNS_VS_TCPTRACE],
    ["packets-json", TARGET_PACKETS_JSON_VS_TCPTRACE],
  ]) {
    const row = get(bulk, id);
    const tt = get(bulk, "tcptrace");
    if (!row || !tt) continue;
    out.push({
      target: `${row.label} wall <= ${limit === 1 ? "" : `${limit} x `}tcptrace -n wall on the bulk capture`,
      value: `${row.wall.toFixed(2)} s vs ${tt.wall.toFixed(2)} s = ${row.vsTcptrace.toFixed(2)}x (cpu ${row.cpu?.toFixed(2) ?? "?"} s vs ${tt.cpu?.toFixed(2) ?? "?"} s)`,
      met: row.vsTcptrace <= limit,
    });
  }
  for (const id of ["conns", "analyze"]) {
    const row = get(flood, id);
    if (row?.rssMB === undefined) continue;
    out.push({
      target: `${row.label} peak RSS < ${TARGET_FLOOD_RSS_MB} MB on the SYN flood`,
      value: `${row.rssMB.toFixed(0)} MB (wall ${row.wall.toFixed(1)} s, cpu ${row.cpu?.toFixed(1) ?? "?"} s)`,
      met: row.rssMB < TARGET_FLOOD_RSS_MB,
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
    `tcpdoctor benchmark: node ${process.version}, ${cores} cores, load average ${load.toFixed(2)}`,
  );
  if (load > cores / 2) {
    console.log(
      `  note: the machine is busy (load ${load.toFixed(1)} on ${cores} cores): wall times are pessimistic; cpu times hold better`,
    );
  }
  const startEnv = NODE_START_ENV.filter((k) => process.env[k] !== undefined);
  if (startEnv.length) {
    console.log(
      `  note: ${startEnv.join(" and ")} set here; the commands run without (only ${KEPT_ENV.join(", ")} are passed on).` +
        ` Node's start with the caller's environment: ${nodeStart(process.env).toFixed(3)} s, with the commands': ${nodeStart(RUN_ENV).toFixed(3)} s (best of 3, node -e 0)`,
    );
  }
  if (!GNU_TIME)
    console.log(
      "  note: /usr/bin/time not found: wall time only, peak RSS of our runs from the process itself",
    );
  const inputs = await ensureInputs({ quick: args.quick, log: (m) => console.log(m) });
  const results = [];
  const names = { bulk: "bulk transfer", mpps: "many small connections", synflood: "SYN flood" };
  const notes = { bulk: inputs.notes.bulk, mpps: "synthesised", synflood: "synthesised" };
  for (const kind of args.inputs) {
    results.push(await benchInput(kind, names[kind], inputs[kind], notes[kind]));
  }
  const targets = [...readerTargets(results), ...analysisTargets(results)];
  if (targets.length) {
    console.log("\n== targets");
    for (const t of targets)
      console.log(`  ${t.info ? "info  " : t.met ? "met   " : "MISSED"}  ${t.target}: ${t.value}`);
  }
  const jsonPath = args.json ?? join(outDir, "results.json");
  writeFileSync(
    jsonPath,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores, load, env: KEPT_ENV, quick: args.quick, runs: args.runs, refRuns: args.refRuns, results, targets }, null, 2)}\n`,
  );
  console.log(`\nresults: ${jsonPath}`);
  if (args.strict && targets.some((t) => !t.info && !t.met)) process.exit(1);
}

await main();
