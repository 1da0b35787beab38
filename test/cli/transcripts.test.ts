// `tcpdoctor analyze` on pasted shell transcripts ("$ command" lines and their outputs): the four
// seed exercises reach the exercise's answers, a transcript reaches the same diagnoses as its
// parts given as separate inputs, and every finding cites the transcript lines it came from.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type CliResult, linesOf, needsBuild, runCli } from "../fixtures/cli/run-cli.js";
import { fixturesDir } from "../helpers.js";

const seedPath = (name: string) => join(fixturesDir, "explain", name);
const trace1 = seedPath("trace1-handshake.txt");
const trace2 = seedPath("trace2-syn-flood.txt");
const trace3 = seedPath("trace3-close-wait.txt");
const trace4 = seedPath("trace4-ss-slow-transfer.txt");

const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-cli-transcripts-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Source {
  file: string;
  line?: number;
  text?: string;
}
interface Finding {
  id: string;
  severity: string;
  confidence: string;
  summary: string;
  fix: string;
  sources?: Source[];
}
interface Report {
  inputs: { path: string; format: string; packets?: number; warnings: string[] }[];
  findings: Finding[];
}

function report(r: CliResult): Report {
  assert.equal(r.timedOut, false);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

const problems = (j: Report) => j.findings.filter((f) => f.severity !== "info");

/** Every cited source names the input and a line whose text is that line of the input. */
function assertCitesLines(f: Finding, path: string, name = path): void {
  assert.ok(f.sources?.length, `${f.id} cites its lines`);
  const lines = linesOf(readFileSync(path, "utf8"));
  for (const s of f.sources ?? []) {
    assert.equal(s.file, name);
    assert.ok(s.line !== undefined && s.line >= 1, `${f.id}: a line number`);
    assert.equal(s.text, lines[(s.line ?? 0) - 1]?.trim(), `${f.id}: line ${s.line} is quoted as it is`);
  }
}

/** 1-based number of the line of `path` that equals `text` after trimming. */
function lineOf(path: string, text: string): number {
  return linesOf(readFileSync(path, "utf8")).findIndex((l) => l.trim() === text) + 1;
}

describe("analyze: pasted transcripts", { skip: needsBuild, concurrency: 3 }, () => {
  test("trace1, a healthy handshake: OK, exit 0", async () => {
    const [human, json] = await Promise.all([
      runCli(["analyze", trace1]),
      runCli(["analyze", "--json", trace1]),
    ]);
    const j = report(json);
    assert.deepEqual(problems(j), []);
    assert.equal(json.code, 0);
    assert.equal(human.code, 0);
    assert.match(linesOf(human.stdout)[0] ?? "", /^OK: /);
  });

  test("trace2, SYNs then nstat: syn-flood from the cookie counters, citing their lines", async () => {
    const r = await runCli(["analyze", "--json", trace2]);
    const j = report(r);
    assert.equal(r.code, 1);
    assert.equal(j.inputs.length, 1);
    assert.match(j.inputs[0]?.format ?? "", /^tcpdump-text\+nstat$/);
    assert.equal(j.inputs[0]?.packets, 4, "the trace part is still read as packets");
    assert.deepEqual(j.inputs[0]?.warnings, []);
    const f = j.findings.find((x) => x.id === "syn-flood");
    assert.ok(f, `syn-flood among ${j.findings.map((x) => x.id)}`);
    assert.equal(j.findings[0]?.id, "syn-flood");
    assert.equal(f.severity, "warning");
    assert.equal(f.confidence, "low", "counters since boot, no interval");
    assert.match(f.summary, /41827 SYN cookies sent but only 312 came back/);
    assertCitesLines(f, trace2);
    assert.deepEqual(
      f.sources?.map((s) => s.line),
      [
        lineOf(trace2, "TcpExtSyncookiesSent            41827"),
        lineOf(trace2, "TcpExtSyncookiesRecv              312"),
      ],
    );
  });

  test("trace3, wc -l counts: a critical close-wait-leak that says how to find the process", async () => {
    const r = await runCli(["analyze", "--json", trace3]);
    const j = report(r);
    assert.equal(r.code, 1);
    const f = j.findings[0];
    assert.equal(f?.id, "close-wait-leak");
    assert.equal(f.severity, "critical");
    assert.match(f.summary, /CLOSE-WAIT/);
    assert.match(f.summary, /9821/, "the number the operator pasted");
    assert.match(`${f.summary} ${f.fix}`, /ss -tanp state close-wait/);
    assertCitesLines(f, trace3);
    assert.deepEqual(
      f.sources?.map((s) => s.line),
      [lineOf(trace3, "$ ss -tan state close-wait | wc -l"), lineOf(trace3, "9821")],
    );
  });

  test("trace4, an ss -tin line: packet loss and a loss-bound congestion window", async () => {
    const r = await runCli(["analyze", "--json", trace4]);
    const j = report(r);
    assert.equal(r.code, 1);
    const ids = j.findings.map((f) => f.id);
    for (const id of ["packet-loss", "cwnd-limited-lossy-path"]) {
      const f = j.findings.find((x) => x.id === id);
      assert.ok(f, `${id} among ${ids}`);
      assertCitesLines(f, trace4);
    }
  });

  test("a transcript reaches the same diagnoses as its parts given as separate inputs", async () => {
    const lines = linesOf(readFileSync(trace2, "utf8"));
    const cut = lines.findIndex((l) => l.startsWith("$ nstat"));
    const tracePart = join(tmp, "trace2-tcpdump.txt");
    const countersPart = join(tmp, "trace2-nstat.txt");
    writeFileSync(tracePart, `${lines.slice(0, cut).join("\n")}\n`);
    writeFileSync(countersPart, `${lines.slice(cut).join("\n")}\n`);
    const [whole, parts] = await Promise.all([
      runCli(["analyze", "--json", trace2]),
      runCli(["analyze", "--json", tracePart, countersPart]),
    ]);
    const verdict = (j: Report) => j.findings.map((f) => `${f.id}/${f.severity}/${f.confidence}`);
    assert.ok(verdict(report(whole)).includes("syn-flood/warning/low"), verdict(report(whole)).join());
    assert.deepEqual(verdict(report(whole)), verdict(report(parts)));
    assert.equal(whole.code, parts.code);
  });

  test("several exercises pasted together: each diagnosis cites its own lines of the one paste", async () => {
    const paste = join(tmp, "incident.txt");
    writeFileSync(paste, [trace1, trace2, trace3].map((p) => readFileSync(p, "utf8")).join(""));
    const r = await runCli(["analyze", "--json", paste]);
    const j = report(r);
    assert.equal(r.code, 1);
    assert.equal(j.inputs[0]?.packets, 8, "both traces' packets");
    const byId = new Map(j.findings.map((f) => [f.id, f]));
    const flood = byId.get("syn-flood");
    const leak = byId.get("close-wait-leak");
    assert.ok(flood && leak, `both diagnoses: ${[...byId.keys()]}`);
    assert.equal(j.findings[0]?.id, "close-wait-leak", "the critical one first");
    assertCitesLines(flood, paste);
    assertCitesLines(leak, paste);
    assert.ok(leak.sources?.some((s) => s.line === lineOf(paste, "9821")));
  });

  test("from stdin: the same findings, cited as stdin", async () => {
    const [file, piped] = await Promise.all([
      runCli(["analyze", "--json", trace3]),
      runCli(["analyze", "--json", "-"], { stdin: readFileSync(trace3) }),
    ]);
    const a = report(file);
    const b = report(piped);
    assert.deepEqual(
      b.findings.map((f) => f.id),
      a.findings.map((f) => f.id),
    );
    assert.ok(b.findings[0]?.sources?.every((s) => s.file === "stdin"));
  });

  test("conns still lists the connections of a transcript's trace", async () => {
    const r = await runCli(["conns", "--json", trace2]);
    assert.equal(r.code, 0, r.stderr);
    const conns = JSON.parse(r.stdout) as { server: string }[];
    assert.equal(conns.length, 2);
    assert.ok(conns.every((c) => c.server === "198.51.100.10:443"));
  });
});
