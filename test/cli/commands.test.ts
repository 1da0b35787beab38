// The machine outputs of packets, conns and rules, explain end to end, help and version, and the
// live host diagnosis, as the command line prints them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { platform, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { diagnosisIds } from "../../src/rules/catalogue.js";
import { cliEnv, cliPath, linesOf, needsBuild, runCli, runCommand } from "../fixtures/cli/run-cli.js";
import { fixturesDir, repoRoot, sharedDir, which } from "../helpers.js";

const zeroWindowPcap = join(repoRoot, "examples", "zero-window.pcap");
const slowAndRefused = join(repoRoot, "examples", "slow-and-refused.pcap");
const cleanV6 = join(fixturesDir, "decode", "clean-v6.pcap");
const pmtuIcmp = join(fixturesDir, "decode", "pmtu-ok-icmp.pcapng");
const handshakeOk = join(fixturesDir, "scenarios", "handshake-ok", "capture.pcap");
const explainDir = join(fixturesDir, "explain");

const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-cli-commands-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tshark = which("tshark");
const VERDICT = /^(OK: no problem found|WARNING: .* \[[a-z0-9-]+\]|CRITICAL: .* \[[a-z0-9-]+\])/;

// ---- packets --------------------------------------------------------------------------------------

const PACKET_KEYS = [
  "frame",
  "time",
  "stream",
  "src",
  "dst",
  "flags",
  "seq",
  "ack",
  "len",
  "win",
  "analysis",
];
const ANALYSIS_FLAGS = [
  "retransmission",
  "fast_retransmission",
  "spurious_retransmission",
  "out_of_order",
  "lost_segment",
  "ack_lost_segment",
  "duplicate_ack",
  "zero_window",
  "zero_window_probe",
  "zero_window_probe_ack",
  "window_full",
  "window_update",
  "keep_alive",
  "keep_alive_ack",
  "reused_ports",
];

interface PacketRow {
  frame: number;
  time: number;
  stream: number;
  src: string;
  dst: string;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win?: number;
  analysis: string[];
  ackRtt?: number;
}

function parsePacketLines(stdout: string): PacketRow[] {
  return linesOf(stdout).map((line, i) => {
    let row: unknown;
    assert.doesNotThrow(
      () => {
        row = JSON.parse(line);
      },
      `line ${i + 1} is one JSON object: ${line}`,
    );
    const o = row as Record<string, unknown>;
    const keys = Object.keys(o);
    for (const k of keys) assert.ok(PACKET_KEYS.includes(k) || k === "ackRtt", `unexpected field ${k}`);
    for (const k of PACKET_KEYS) if (k !== "win") assert.ok(k in o, `field ${k} present in ${line}`);
    assert.ok(Number.isInteger(o.frame) && (o.frame as number) >= 1);
    assert.ok(Number.isInteger(o.stream) && (o.stream as number) >= 0);
    assert.ok(typeof o.time === "number" && o.time >= 0);
    assert.match(String(o.src), /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/);
    assert.match(String(o.dst), /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/);
    assert.match(String(o.flags), /^[SAPFRUEC]*$/);
    for (const k of ["seq", "ack", "len"]) assert.ok(Number.isInteger(o[k]) && (o[k] as number) >= 0);
    assert.ok(Array.isArray(o.analysis));
    for (const f of o.analysis as string[]) assert.ok(ANALYSIS_FLAGS.includes(f), `analysis flag ${f}`);
    if ("ackRtt" in o) assert.ok(typeof o.ackRtt === "number" && o.ackRtt >= 0);
    return o as unknown as PacketRow;
  });
}

/**
 * 1-based numbers of the records of an Ethernet pcap that carry TCP directly over IPv4 or IPv6,
 * read here byte by byte so the frame numbers are checked against the file, not against ourselves.
 */
function tcpFramesOf(path: string): { total: number; tcp: number[] } {
  const b = readFileSync(path);
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, "a little-endian microsecond pcap");
  assert.equal(b.readUInt32LE(20) & 0xffff, 1, "Ethernet");
  const tcp: number[] = [];
  let at = 24;
  let n = 0;
  while (at + 16 <= b.length) {
    const caplen = b.readUInt32LE(at + 8);
    const frame = b.subarray(at + 16, at + 16 + caplen);
    n++;
    const etherType = frame.readUInt16BE(12);
    if (etherType === 0x0800 && frame[14 + 9] === 6) tcp.push(n);
    if (etherType === 0x86dd && frame[14 + 6] === 6) tcp.push(n);
    at += 16 + caplen;
  }
  return { total: n, tcp };
}

/** Wireshark's reading of every TCP frame: the same columns as `packets --json`. */
async function tsharkRows(path: string): Promise<string[][]> {
  const fields = [
    "frame.number",
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.window_size",
    "frame.time_relative",
    "tcp.analysis.ack_rtt",
    ...ANALYSIS_FLAGS.map((f) => `tcp.analysis.${f}`),
  ];
  const args = ["-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=/t"];
  for (const f of fields) args.push("-e", f);
  const r = await runCommand(tshark as string, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return linesOf(r.stdout).map((l) => l.split("\t"));
}

/** A large pcap made of the example's records repeated, for output that outruns a pipe. */
function bigPcap(): string {
  const src = readFileSync(zeroWindowPcap);
  const p = join(tmp, "big.pcap");
  writeFileSync(p, Buffer.concat([src, ...Array.from({ length: 15 }, () => src.subarray(24))]));
  return p;
}

/** Runs the command, reads until the first line, then closes the pipe like `| head -1`. */
function firstLineThenClose(args: string[]): Promise<{ line: string; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: repoRoot,
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    let line: string | undefined;
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (b: Buffer) => {
      if (line !== undefined) return;
      text += b.toString("utf8");
      const nl = text.indexOf("\n");
      if (nl >= 0) {
        line = text.slice(0, nl);
        child.stdout.destroy();
      }
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ line: line ?? "", code, stderr });
    });
  });
}

describe("packets", { skip: needsBuild, concurrency: 3 }, () => {
  test("--json: one object per TCP packet with exactly the documented fields", async () => {
    const r = await runCli(["packets", "--json", zeroWindowPcap]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const rows = parsePacketLines(r.stdout);
    assert.equal(rows.length, tcpFramesOf(zeroWindowPcap).tcp.length);
    assert.equal(rows[0].time, 0, "times count from the first packet");
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i].frame > rows[i - 1].frame, "capture order");
    assert.ok(
      rows.some((p) => p.analysis.includes("zero_window")),
      "the example's zero window is flagged",
    );
  });

  test("--json: frame numbers count the non-TCP packets too", async () => {
    const r = await runCli(["packets", "--json", cleanV6]);
    assert.equal(r.code, 0, r.stderr);
    const rows = parsePacketLines(r.stdout);
    const file = tcpFramesOf(cleanV6);
    assert.ok(file.total > file.tcp.length, "the fixture holds non-TCP frames (neighbour discovery)");
    assert.deepEqual(
      rows.map((p) => p.frame),
      file.tcp,
    );
  });

  test(
    "--json: the same numbers as Wireshark, frame by frame",
    {
      skip: tshark ? false : "skipped: tshark not installed",
    },
    async () => {
      for (const path of [zeroWindowPcap, cleanV6, slowAndRefused]) {
        const [ours, theirs] = await Promise.all([runCli(["packets", "--json", path]), tsharkRows(path)]);
        const rows = parsePacketLines(ours.stdout);
        assert.equal(rows.length, theirs.length, path);
        for (let i = 0; i < rows.length; i++) {
          const p = rows[i];
          const t = theirs[i];
          const where = `${path} frame ${t[0]}`;
          assert.equal(p.frame, Number(t[0]), where);
          assert.equal(p.stream, Number(t[1]), where);
          assert.equal(p.seq, Number(t[2]), where);
          assert.equal(p.ack, Number(t[3]), where);
          assert.equal(p.len, Number(t[4]), where);
          if (t[5] !== "") assert.equal(p.win, Number(t[5]), where);
          assert.ok(Math.abs(p.time - Number(t[6])) < 2e-6, `${where}: time ${p.time} vs ${t[6]}`);
          if (t[7] === "") assert.equal(p.ackRtt, undefined, where);
          else assert.ok(Math.abs((p.ackRtt ?? -1) - Number(t[7])) < 2e-6, `${where}: ackRtt`);
          const flags = ANALYSIS_FLAGS.filter((_, k) => t[8 + k] !== "");
          assert.deepEqual([...p.analysis].sort(), flags.sort(), where);
        }
      }
    },
  );

  test("text output and pcapng: one line per TCP packet, ICMP-quoted TCP included like tshark", async () => {
    const [text, json] = await Promise.all([
      runCli(["packets", slowAndRefused]),
      runCli(["packets", "--json", pmtuIcmp]),
    ]);
    assert.equal(text.code, 0);
    assert.equal(linesOf(text.stdout).length, tcpFramesOf(slowAndRefused).tcp.length);
    assert.equal(json.code, 0);
    // four frames: two TCP segments, two ICMP "fragmentation needed" quoting them
    assert.deepEqual(
      parsePacketLines(json.stdout).map((p) => p.frame),
      [1, 2, 3, 4],
    );
  });

  test("`packets x | head -1` stops quietly: exit 0, nothing on stderr", async () => {
    const big = bigPcap();
    for (const args of [
      ["packets", big],
      ["packets", "--json", big],
    ]) {
      const r = await firstLineThenClose(args);
      assert.ok(r.line.length > 0, "a first line arrived");
      assert.equal(r.stderr, "", `no EPIPE report: ${r.stderr}`);
      assert.equal(r.code, 0);
    }
  });

  test("stdin reads like the file", async () => {
    const [file, piped] = await Promise.all([
      runCli(["packets", "--json", zeroWindowPcap]),
      runCli(["packets", "--json", "-"], { stdin: readFileSync(zeroWindowPcap) }),
    ]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, file.stdout);
  });
});

// ---- conns ----------------------------------------------------------------------------------------

const ZEEK_STATES = new Set([
  "S0",
  "S1",
  "SF",
  "REJ",
  "S2",
  "S3",
  "RSTO",
  "RSTR",
  "RSTOS0",
  "RSTRH",
  "SH",
  "SHR",
  "OTH",
]);

describe("conns", { skip: needsBuild, concurrency: 3 }, () => {
  test("--json: an array ordered by stream with the documented keys, agreeing with packets", async () => {
    for (const path of [handshakeOk, slowAndRefused, zeroWindowPcap]) {
      const [conns, packets] = await Promise.all([
        runCli(["conns", "--json", path]),
        runCli(["packets", "--json", path]),
      ]);
      assert.equal(conns.code, 0, conns.stderr);
      const list = JSON.parse(conns.stdout) as Record<string, unknown>[];
      assert.ok(Array.isArray(list));
      const rows = parsePacketLines(packets.stdout);
      const streams = [...new Set(rows.map((p) => p.stream))].sort((a, b) => a - b);
      assert.deepEqual(
        list.map((c) => c.stream),
        streams,
        `${path}: one object per stream, ordered`,
      );
      for (const c of list) {
        const where = `${path} stream ${c.stream}`;
        for (const k of ["client", "server"])
          assert.match(String(c[k]), /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/);
        for (const k of [
          "start",
          "duration",
          "retransmissions",
          "duplicateAcks",
          "outOfOrder",
          "zeroWindows",
        ])
          assert.equal(typeof c[k], "number", `${where}: ${k}`);
        assert.ok(ZEEK_STATES.has(String(c.state)), `${where}: state ${c.state}`);
        assert.match(String(c.history), /^[A-Za-z^]*$/, `${where}: history`);
        const pk = c.packets as { client: number; server: number };
        const by = c.bytes as { client: number; server: number };
        assert.equal(typeof pk.client, "number");
        assert.equal(typeof by.server, "number");
        if ("handshakeRtt" in c) assert.equal(typeof c.handshakeRtt, "number");
        const mine = rows.filter((p) => p.stream === c.stream);
        // the client is whoever sent the first SYN, else the first packet
        const firstSyn = mine.find((p) => p.flags === "S");
        assert.equal(c.client, (firstSyn ?? mine[0]).src, `${where}: client`);
        assert.equal(pk.client + pk.server, mine.length, `${where}: packet count`);
        assert.equal(
          by.client,
          mine.filter((p) => p.src === c.client).reduce((n, p) => n + p.len, 0),
          `${where}: client bytes`,
        );
      }
    }
  });

  test("several captures: streams numbered on across files", async () => {
    const r = await runCli(["conns", "--json", slowAndRefused, zeroWindowPcap]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { stream: number }[];
    assert.deepEqual(
      list.map((c) => c.stream),
      [0, 1, 2],
    );
  });
});

// ---- explain --------------------------------------------------------------------------------------

describe("explain", { skip: needsBuild, concurrency: 3 }, () => {
  const traces = [
    "trace1-handshake.txt",
    "trace2-syn-flood.txt",
    "trace3-close-wait.txt",
    "trace4-ss-slow-transfer.txt",
  ];
  for (const name of traces) {
    test(`${name}: every line, annotated, then the findings; exit as analyze`, async () => {
      const path = join(explainDir, name);
      const [ex, an] = await Promise.all([runCli(["explain", path]), runCli(["analyze", path])]);
      assert.equal(ex.code, an.code, `explain exit ${ex.code}, analyze exit ${an.code}`);
      assert.ok(ex.code === 0 || ex.code === 1, ex.stderr);
      const out = linesOf(ex.stdout);
      // the input's lines come back in order, each with annotations under it
      let at = 0;
      for (const line of linesOf(readFileSync(path, "utf8")).filter((l) => l.trim())) {
        const found = out.indexOf(line, at);
        assert.ok(found >= 0, `input line printed: ${line}`);
        at = found + 1;
      }
      assert.ok(
        out.some((l) => /^\s+↳ /.test(l)),
        "annotations present",
      );
      // the findings follow the annotations, headed by analyze's own verdict line
      const verdictAt = out.findIndex((l) => VERDICT.test(l));
      assert.ok(verdictAt >= at, "the verdict comes after the annotated lines");
      assert.equal(out[verdictAt], linesOf(an.stdout)[0]);
    });
  }

  test("a pcap: packets in words, then the findings; exit 1 on a faulty capture", async () => {
    const [ex, an] = await Promise.all([
      runCli(["explain", slowAndRefused]),
      runCli(["analyze", slowAndRefused]),
    ]);
    assert.equal(an.code, 1);
    assert.equal(ex.code, 1);
    const out = linesOf(ex.stdout);
    assert.ok(out.filter((l) => /^\s+↳ /.test(l)).length >= tcpFramesOf(slowAndRefused).tcp.length);
    assert.ok(
      out.some((l) => /Flags \[R\.\]/.test(l)),
      "the refusing RST is shown",
    );
    assert.ok(out.includes(linesOf(an.stdout)[0]), "analyze's verdict line is printed");
  });

  test("stdin is the default input", async () => {
    const path = join(explainDir, "trace1-handshake.txt");
    const [file, piped] = await Promise.all([
      runCli(["explain", path]),
      runCli(["explain"], { stdin: readFileSync(path) }),
    ]);
    assert.equal(piped.code, file.code);
    assert.equal(piped.stdout.replaceAll(path, "stdin"), file.stdout.replaceAll(path, "stdin"));
  });
});

// ---- rules ----------------------------------------------------------------------------------------

/** Ids of the spec's tables (`| \`id\` | ...` and `| \`a\` / \`b\` | ...`), when the spec is beside us. */
function specIds(): string[] | undefined {
  const spec = join(sharedDir, "spec", "diagnoses.md");
  if (!existsSync(spec)) return undefined;
  const ids: string[] = [];
  for (const line of readFileSync(spec, "utf8").split("\n")) {
    const cell = /^\|\s*(`[^|]+)\|/.exec(line);
    if (!cell) continue;
    for (const m of cell[1].matchAll(/`([a-z0-9-]+)`/g)) ids.push(m[1]);
  }
  return ids;
}

describe("rules", { skip: needsBuild, concurrency: 3 }, () => {
  test("lists every id of the diagnoses contract, in text and JSON", async () => {
    const expected = specIds() ?? diagnosisIds;
    assert.ok(expected.length >= 30, `ids to check: ${expected.length}`);
    const [text, json] = await Promise.all([runCli(["rules"]), runCli(["rules", "--json"])]);
    assert.equal(text.code, 0);
    assert.equal(json.code, 0);
    const rows = JSON.parse(json.stdout) as { id: string; severity: string; title: string }[];
    const ids = rows.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, "ids are unique");
    for (const id of expected) {
      assert.ok(ids.includes(id), `--json lists ${id}`);
      assert.match(text.stdout, new RegExp(`^\\s+${id}\\s`, "m"), `text lists ${id}`);
    }
    for (const r of rows) {
      assert.ok(["critical", "warning", "info"].includes(r.severity), `${r.id} severity`);
      assert.ok(r.title.length > 0);
    }
  });
});

// ---- colour ---------------------------------------------------------------------------------------

const ESC = "\u001b[";
const hasAnsi = (s: string) => s.includes(ESC);

describe("colour", { skip: needsBuild, concurrency: 3 }, () => {
  const human: [string, string[]][] = [
    ["analyze", ["analyze", zeroWindowPcap]],
    ["conns", ["conns", zeroWindowPcap]],
    ["rules", ["rules"]],
    ["explain", ["explain", slowAndRefused]],
  ];
  for (const [name, args] of human) {
    test(`${name}: plain on a pipe, NO_COLOR and --no-color; coloured with FORCE_COLOR=1`, async () => {
      const [pipe, forced, noColor, flag, globalFlag] = await Promise.all([
        runCli(args),
        runCli(args, { env: { FORCE_COLOR: "1" } }),
        runCli(args, { env: { FORCE_COLOR: "1", NO_COLOR: "1" } }),
        runCli([...args, "--no-color"], { env: { FORCE_COLOR: "1" } }),
        runCli(["--no-color", ...args], { env: { FORCE_COLOR: "1" } }),
      ]);
      assert.equal(hasAnsi(pipe.stdout), false, "not a TTY: no escapes");
      assert.equal(hasAnsi(forced.stdout), true, "FORCE_COLOR=1: escapes");
      assert.equal(hasAnsi(noColor.stdout), false, "NO_COLOR wins");
      assert.equal(hasAnsi(flag.stdout), false, "--no-color after the command");
      assert.equal(hasAnsi(globalFlag.stdout), false, "--no-color before the command");
      // colour never changes the words
      assert.equal(forced.stdout.replace(/\u001b\[[0-9;]*m/g, ""), pipe.stdout);
    });
  }

  test("--json and packets are never coloured", async () => {
    const env = { FORCE_COLOR: "1" };
    const outs = await Promise.all([
      runCli(["analyze", "--json", zeroWindowPcap], { env }),
      runCli(["conns", "--json", zeroWindowPcap], { env }),
      runCli(["packets", "--json", zeroWindowPcap], { env }),
      runCli(["rules", "--json"], { env }),
    ]);
    for (const r of outs) assert.equal(hasAnsi(r.stdout), false);
  });

  const python = which("python3");
  test(
    "on a terminal: coloured, unless NO_COLOR or --no-color",
    {
      skip: python ? false : "skipped: python3 (used for a pseudo-terminal) not installed",
    },
    async () => {
      // python's pty module gives the command a real terminal on stdout; no shell involved
      const pty = [
        "-c",
        "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)",
        process.execPath,
        cliPath,
      ];
      const [tty, noColor, flag] = await Promise.all([
        runCommand(python as string, [...pty, "rules"]),
        runCommand(python as string, [...pty, "rules"], { env: { NO_COLOR: "1" } }),
        runCommand(python as string, [...pty, "rules", "--no-color"]),
      ]);
      for (const r of [tty, noColor, flag]) assert.equal(r.code, 0, r.stderr);
      assert.equal(hasAnsi(tty.stdout), true, "a TTY gets colour");
      assert.equal(hasAnsi(noColor.stdout), false, "NO_COLOR on a TTY");
      assert.equal(hasAnsi(flag.stdout), false, "--no-color on a TTY");
    },
  );
});

// ---- help, version, host --------------------------------------------------------------------------

describe("help and version", { skip: needsBuild, concurrency: 3 }, () => {
  test("--help and help <command> exit 0 on stdout", async () => {
    const [help, sub, helpCmd] = await Promise.all([
      runCli(["--help"]),
      runCli(["analyze", "--help"]),
      runCli(["help", "packets"]),
    ]);
    for (const r of [help, sub, helpCmd]) {
      assert.equal(r.code, 0);
      assert.equal(r.stderr, "");
    }
    assert.match(help.stdout, /^Usage: tcpdoctor /);
    for (const cmd of [
      "analyze",
      "host",
      "collect",
      "capture",
      "probe",
      "watch",
      "conns",
      "packets",
      "explain",
      "tune",
      "rules",
    ])
      assert.match(help.stdout, new RegExp(`^\\s+${cmd}\\b`, "m"), `--help lists ${cmd}`);
    assert.match(sub.stdout, /^Usage: tcpdoctor analyze /);
    assert.match(helpCmd.stdout, /^Usage: tcpdoctor packets /);
  });

  test("--version and -V print the package version, exit 0", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), pkg.version);
    }
  });
});

describe("live host", { skip: needsBuild || (platform() !== "linux" && "skipped: not Linux") }, () => {
  test("host --interval 0 --json: the analyze shape with a host part and a findings list", async () => {
    const r = await runCli(["host", "--interval", "0", "--json"]);
    assert.equal(r.timedOut, false);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of Object.keys(doc)) assert.ok(["inputs", "findings", "connections", "host"].includes(k), k);
    assert.ok(Array.isArray(doc.findings));
    assert.ok(doc.host && typeof doc.host === "object");
    const inputs = doc.inputs as { format: string }[];
    assert.equal(inputs[0].format, "host");
    const bad = (doc.findings as { severity: string }[]).some((f) => f.severity !== "info");
    assert.equal(r.code, bad ? 1 : 0);
    // what could not be read is said on stderr as warnings, never as a failure
    for (const line of linesOf(r.stderr)) assert.match(line, /^tcpdoctor: warning: /);
  });

  test("no command: diagnoses this host, verdict first", async () => {
    const r = await runCli([], { timeoutMs: 30_000 });
    assert.equal(r.timedOut, false);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    assert.match(linesOf(r.stdout)[0], VERDICT);
  });
});
