// `tcpdoctor analyze` end to end: every kind of input, the --json contract, exit codes and the
// verdict line, as a user meets them from a shell.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { type CliResult, linesOf, needsBuild, runCli } from "../fixtures/cli/run-cli.js";
import { capturesDir, fixturesDir, needsShared, repoRoot } from "../helpers.js";

const zeroWindowPcap = join(repoRoot, "examples", "zero-window.pcap");
const cleanPcap = join(fixturesDir, "decode", "clean-v6.pcap");
const lossPcapng = join(fixturesDir, "decode", "loss-cubic-s96-sack.pcapng");
const refusedPcap = join(fixturesDir, "conns", "refused.pcap");
const tcpdumpText = join(fixturesDir, "tcpdump", "clean-none.txt");
const ssCloseWait = join(fixturesDir, "hostrules", "ss-close-wait.txt");
const closeWaitBundle = join(fixturesDir, "host", "close-wait-server-t2");
const fwRejectServerBundle = join(fixturesDir, "host", "fw-reject-server");

const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-cli-analyze-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TOP_KEYS = new Set(["inputs", "findings", "connections", "host"]);
const SEVERITIES = new Set(["critical", "warning", "info"]);
const CONFIDENCES = new Set(["high", "medium", "low"]);

interface JsonFinding {
  id: string;
  severity: string;
  confidence: string;
  [k: string]: unknown;
}
interface AnalyzeJson {
  inputs: { path: string; format: string; packets?: number; warnings: string[] }[];
  findings: JsonFinding[];
  connections?: { stream: number }[];
  host?: Record<string, unknown>;
}

/** Parses stdout as exactly one JSON object and checks the documented shape of every part. */
function parseAnalyzeJson(r: CliResult): AnalyzeJson {
  assert.equal(r.timedOut, false);
  let doc: unknown;
  assert.doesNotThrow(
    () => {
      doc = JSON.parse(r.stdout);
    },
    `stdout is one JSON document (exit ${r.code}, stderr: ${r.stderr}):\n${r.stdout.slice(0, 500)}`,
  );
  assert.ok(doc && typeof doc === "object" && !Array.isArray(doc), "a JSON object");
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) assert.ok(TOP_KEYS.has(k), `unexpected top-level key ${k}`);
  assert.ok(Array.isArray(o.inputs), "inputs is an array");
  assert.ok(Array.isArray(o.findings), "findings is an array");
  for (const i of o.inputs as Record<string, unknown>[]) {
    assert.equal(typeof i.path, "string");
    assert.equal(typeof i.format, "string");
    assert.ok(Array.isArray(i.warnings), "every input has a warnings array");
    if ("packets" in i) assert.equal(typeof i.packets, "number");
  }
  for (const f of o.findings as Record<string, unknown>[]) {
    assert.match(String(f.id), /^[a-z0-9]+(-[a-z0-9]+)*$/, "id is kebab-case");
    assert.ok(SEVERITIES.has(String(f.severity)), `severity ${f.severity}`);
    assert.ok(CONFIDENCES.has(String(f.confidence)), `confidence ${f.confidence}`);
    for (const k of ["title", "summary", "cause", "fix"]) {
      assert.equal(typeof f[k], "string", `${f.id}.${k} is a string`);
      assert.ok((f[k] as string).length > 0, `${f.id}.${k} is not empty`);
    }
    assert.ok(f.evidence && typeof f.evidence === "object" && !Array.isArray(f.evidence), "evidence object");
    assert.ok(Array.isArray(f.alternatives), `${f.id}.alternatives is an array`);
    assert.ok(Array.isArray(f.confirm), `${f.id}.confirm is an array`);
    if ("streams" in f) assert.ok(Array.isArray(f.streams) && f.streams.every((s) => Number.isInteger(s)));
    if ("sockets" in f) assert.ok(Array.isArray(f.sockets));
  }
  if ("connections" in o) assert.ok(Array.isArray(o.connections));
  if ("host" in o) assert.ok(o.host && typeof o.host === "object");
  return o as unknown as AnalyzeJson;
}

const hasProblem = (j: AnalyzeJson) => j.findings.some((f) => f.severity !== "info");

/** Exit status follows the findings: 1 with a warning/critical one, else 0. */
function assertExitMatchesFindings(r: CliResult, j: AnalyzeJson): void {
  assert.equal(r.code, hasProblem(j) ? 1 : 0, `exit ${r.code} with findings ${j.findings.map((f) => f.id)}`);
}

describe("analyze", { skip: needsBuild, concurrency: 3 }, () => {
  test("a healthy pcap: no problem, exit 0, OK verdict first", async () => {
    const [human, json] = await Promise.all([
      runCli(["analyze", cleanPcap]),
      runCli(["analyze", "--json", cleanPcap]),
    ]);
    const j = parseAnalyzeJson(json);
    assert.equal(json.code, 0);
    assert.equal(hasProblem(j), false);
    assert.deepEqual(
      j.inputs.map((i) => i.format),
      ["pcap"],
    );
    assert.equal(j.inputs[0].packets, 18, "clean-v6.pcap holds 18 frames (capinfos)");
    assert.ok(j.connections && j.connections.length === 1, "one connection");
    assert.equal(human.code, 0);
    assert.match(linesOf(human.stdout)[0], /^OK: no problem found/);
    assert.equal(human.stderr, "");
  });

  test("a faulty pcap: exit 1, the verdict line names the first problem of --json", async () => {
    const [human, json] = await Promise.all([
      runCli(["analyze", zeroWindowPcap]),
      runCli(["analyze", "--json", zeroWindowPcap]),
    ]);
    const j = parseAnalyzeJson(json);
    assert.equal(json.code, 1);
    assert.ok(
      j.findings.some((f) => f.id === "receiver-zero-window"),
      "the example's zero window is found",
    );
    const top = j.findings.find((f) => f.severity !== "info");
    assert.ok(top);
    assert.equal(human.code, 1);
    const first = linesOf(human.stdout)[0];
    assert.match(first, /^(WARNING|CRITICAL): /);
    assert.ok(first.startsWith(top.severity.toUpperCase()), first);
    assert.ok(first.includes(`[${top.id}]`), `verdict names ${top.id}: ${first}`);
  });

  test("pcapng is read (format detected from content)", async () => {
    const r = await runCli(["analyze", "--json", lossPcapng]);
    const j = parseAnalyzeJson(r);
    assert.equal(j.inputs[0].format, "pcapng");
    assert.equal(j.inputs[0].packets, 12);
    assertExitMatchesFindings(r, j);
  });

  test("a gzip'd pcap with a misleading name reads like the plain file", async () => {
    const gz = join(tmp, "capture.txt");
    writeFileSync(gz, gzipSync(readFileSync(zeroWindowPcap)));
    const [plain, zipped] = await Promise.all([
      runCli(["analyze", "--json", zeroWindowPcap]),
      runCli(["analyze", "--json", gz]),
    ]);
    const a = parseAnalyzeJson(plain);
    const b = parseAnalyzeJson(zipped);
    assert.equal(b.inputs[0].format, "pcap+gzip");
    assert.equal(b.inputs[0].packets, a.inputs[0].packets);
    assert.deepEqual(
      b.findings.map((f) => f.id),
      a.findings.map((f) => f.id),
    );
    assert.equal(zipped.code, plain.code);
  });

  test("a gzip stream cut short: the packets before the cut, a warning naming the offset, not exit 2", async () => {
    const full = gzipSync(readFileSync(zeroWindowPcap));
    const cut = join(tmp, "cut.pcap.gz");
    writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2)));
    const r = await runCli(["analyze", "--json", cut]);
    const j = parseAnalyzeJson(r);
    assert.ok((j.inputs[0].packets ?? 0) > 0, "packets before the cut are analysed");
    assert.match(r.stderr, /^tcpdoctor: warning: .*cut\.pcap\.gz: .*gzip.*byte \d+/m);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}`);
  });

  test("tcpdump text is analysed as a capture", async () => {
    const r = await runCli(["analyze", "--json", tcpdumpText]);
    const j = parseAnalyzeJson(r);
    assert.equal(j.inputs[0].format, "tcpdump-text");
    assert.ok((j.inputs[0].packets ?? 0) > 0);
    assert.ok(j.connections && j.connections.length >= 1);
    assertExitMatchesFindings(r, j);
  });

  test("a host text file (ss output) is analysed as host evidence", async () => {
    const r = await runCli(["analyze", "--json", ssCloseWait]);
    const j = parseAnalyzeJson(r);
    assert.equal(j.inputs[0].format, "ss");
    assert.equal(j.inputs[0].packets, undefined, "host text has no packets");
    assert.ok(j.host, "host part present");
    assert.equal(j.connections, undefined, "no capture, no connections");
    // The fixture holds dozens of CLOSE-WAIT sockets owned by one process.
    assert.ok(j.findings.some((f) => f.id === "close-wait-leak" && f.severity !== "info"));
    assert.equal(r.code, 1);
  });

  test("a bundle directory is analysed as one host", async () => {
    const r = await runCli(["analyze", "--json", closeWaitBundle]);
    const j = parseAnalyzeJson(r);
    assert.deepEqual(
      j.inputs.map((i) => i.format),
      ["bundle"],
    );
    assert.ok(j.host);
    assert.ok(j.findings.some((f) => f.id === "close-wait-leak"));
    assertExitMatchesFindings(r, j);
  });

  test("stdin: a pcap through a pipe and through a redirect, a text through a pipe", async () => {
    const bytes = readFileSync(zeroWindowPcap);
    const [file, piped, redirected, text] = await Promise.all([
      runCli(["analyze", "--json", zeroWindowPcap]),
      runCli(["analyze", "--json", "-"], { stdin: bytes }),
      runCli(["analyze", "--json", "-"], { stdinFile: zeroWindowPcap }),
      runCli(["analyze", "--json", "-"], { stdin: readFileSync(tcpdumpText) }),
    ]);
    const ref = parseAnalyzeJson(file);
    for (const r of [piped, redirected]) {
      const j = parseAnalyzeJson(r);
      assert.equal(j.inputs[0].path, "stdin");
      assert.equal(j.inputs[0].format, "pcap");
      assert.equal(j.inputs[0].packets, ref.inputs[0].packets);
      assert.deepEqual(
        j.findings.map((f) => f.id),
        ref.findings.map((f) => f.id),
      );
      assert.equal(r.code, file.code);
    }
    const t = parseAnalyzeJson(text);
    assert.equal(t.inputs[0].format, "tcpdump-text");
  });

  test("several inputs at once: a capture and a host directory make one report", async () => {
    const r = await runCli(["analyze", "--json", refusedPcap, fwRejectServerBundle]);
    const j = parseAnalyzeJson(r);
    assert.deepEqual(
      j.inputs.map((i) => [i.path, i.format]),
      [
        [refusedPcap, "pcap"],
        [fwRejectServerBundle, "bundle"],
      ],
    );
    assert.ok(j.connections && j.connections.length > 0, "connections from the capture");
    assert.ok(j.host, "host from the directory");
    // The SYN went to a port nobody listens on (the bundle's listener is elsewhere): refused.
    assert.ok(j.findings.some((f) => f.id === "connect-refused"));
    assert.equal(r.code, 1);
  });

  test(
    "corpus: fw-reject capture with the server's host directory follows truth.json",
    {
      skip: needsShared,
    },
    async () => {
      const dir = join(capturesDir, "fw-reject");
      const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as {
        expect: { cases: { inputs: string[]; top?: string[]; include?: string[]; healthy?: boolean }[] };
      };
      const both = truth.expect.cases.find((c) => c.inputs.length === 2);
      assert.ok(both, "truth.json has a two-input case");
      const r = await runCli(["analyze", "--json", ...both.inputs.map((i) => join(dir, i))]);
      const j = parseAnalyzeJson(r);
      assert.equal(j.inputs.length, 2);
      if (both.top) assert.ok(both.top.includes(j.findings[0]?.id), `top ${j.findings[0]?.id}`);
      for (const id of both.include ?? [])
        assert.ok(
          j.findings.some((f) => f.id === id),
          `includes ${id}`,
        );
      if (both.healthy !== undefined) assert.equal(hasProblem(j), !both.healthy);
      assertExitMatchesFindings(r, j);
    },
  );

  test("a truncated pcap is analysed up to the break: warning with the offset, exit by findings", async () => {
    const bytes = readFileSync(zeroWindowPcap);
    const cut = join(tmp, "truncated.pcap");
    // Cut inside a record: half the file plus a few bytes lands past a record header.
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2) + 7));
    const [human, json] = await Promise.all([runCli(["analyze", cut]), runCli(["analyze", "--json", cut])]);
    const j = parseAnalyzeJson(json);
    assert.ok((j.inputs[0].packets ?? 0) > 0);
    assert.ok(
      j.inputs[0].warnings.some((w) => /byte \d+/.test(w)),
      "the input's warning names the offset",
    );
    for (const r of [human, json]) {
      assert.notEqual(r.code, 2);
      assertExitMatchesFindings(r, j);
      const warnings = linesOf(r.stderr);
      assert.ok(warnings.length >= 1);
      for (const w of warnings) assert.match(w, /^tcpdoctor: warning: .*truncated\.pcap: /);
      assert.match(r.stderr, /byte \d+/);
    }
    assert.match(linesOf(human.stdout)[0], /^(OK|WARNING|CRITICAL): /);
  });

  test("warnings go to stderr, one per line, naming the input once", async () => {
    // a transcript with a `| wc -l` count and a ps listing: both skipped with a warning
    const path = join(fixturesDir, "explain", "trace3-close-wait.txt");
    const r = await runCli(["analyze", "--json", path]);
    const j = parseAnalyzeJson(r);
    const lines = linesOf(r.stderr);
    assert.equal(lines.length, j.inputs[0].warnings.length);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.match(line, /^tcpdoctor: warning: /);
      assert.equal(line.split(path).length - 1, 1, `the path once: ${line}`);
    }
  });

  test("--config with a valid file changes nothing else", async () => {
    const cfg = join(tmp, "ok.yaml");
    writeFileSync(cfg, "disable:\n  - receiver-zero-window\n");
    const r = await runCli(["analyze", "--json", "--config", cfg, zeroWindowPcap]);
    const j = parseAnalyzeJson(r);
    assert.ok(!j.findings.some((f) => f.id === "receiver-zero-window"), "the disabled id is gone");
    assertExitMatchesFindings(r, j);
  });
});
