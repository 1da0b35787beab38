// The real captures of test/fixtures/scenarios (made by scripts/scenarios/make-scenarios.sh) through
// the whole pipeline — loadEvidence, then diagnose — checked against their truth.json the way
// ../shared/tools/eval-corpus.py checks `analyze --json`; and the coverage of the capture-side
// diagnosis ids by committed real captures: each must be raised by at least one of them and by none
// of the healthy ones.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { loadEvidence } from "../../src/io/evidence.js";
import { catalogue, diagnosisIds } from "../../src/rules/catalogue.js";
import { diagnose } from "../../src/rules/engine.js";
import type { Finding } from "../../src/rules/types.js";
import { capturesDir, corpusCaptures, fixturesDir, hasShared, repoRoot, scenarios } from "../helpers.js";

interface Case {
  inputs: string[];
  healthy?: boolean;
  top?: string[];
  include?: string[];
  exclude?: string[];
}

interface Truth {
  scenario: string;
  expect?: { cases?: Case[] };
}

const BAD = new Set(["warning", "critical"]);
const scenariosDir = join(fixturesDir, "scenarios");

/**
 * Cases the capture rules do not get right yet, with the reason; they run as todo (reported, not
 * failing) until the rule is fixed — then the entry goes.
 */
const KNOWN_RULE_GAPS: Record<string, string> = {};

function readTruth(dir: string): Truth {
  return JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as Truth;
}

function fixtureScenarios(): string[] {
  if (!existsSync(scenariosDir)) return [];
  return readdirSync(scenariosDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(scenariosDir, d.name, "truth.json")))
    .map((d) => d.name)
    .sort();
}

const cache = new Map<string, Promise<Finding[]>>();

/** The findings `analyze` would report for these inputs (same pipeline, default thresholds). */
function findingsOf(paths: string[]): Promise<Finding[]> {
  const key = paths.join("\0");
  let f = cache.get(key);
  if (!f) {
    f = loadEvidence(paths).then((ev) =>
      diagnose({ connections: ev.connections, capture: ev.capture, host: ev.host }),
    );
    cache.set(key, f);
  }
  return f;
}

/** eval-corpus.py's check_case on our findings: undefined when the case passes, else why not. */
function checkCase(findings: Finding[], c: Case): string | undefined {
  const ids = findings.map((f) => f.id);
  const bad = findings.filter((f) => BAD.has(f.severity)).map((f) => f.id);
  if (c.healthy && bad.length) return `healthy case, but reported ${bad.join(", ")}`;
  if (c.top?.length) {
    if (!findings.length) return `no finding; expected one of ${c.top.join(", ")}`;
    if (!c.top.includes(ids[0]))
      return `first finding ${ids[0]}; expected one of ${c.top.join(", ")} (all: ${ids.join(", ")})`;
  }
  for (const i of c.include ?? []) if (!ids.includes(i)) return `missing ${i} (all: ${ids.join(", ")})`;
  for (const x of c.exclude ?? []) if (bad.includes(x)) return `reported excluded ${x}`;
  return undefined;
}

const caseName = (scenario: string, c: Case) => `${scenario} [${c.inputs.join(" ")}]`;

describe("checkCase agrees with eval-corpus.py", () => {
  const f = (id: string, severity: Finding["severity"]) => ({ id, severity }) as Finding;
  const found = [f("window-limited", "warning"), f("capture-incomplete", "info")];
  it("top looks at the first finding only", () => {
    assert.equal(checkCase(found, { inputs: [], top: ["window-limited"] }), undefined);
    assert.match(checkCase(found, { inputs: [], top: ["capture-incomplete"] }) ?? "", /first finding/);
    assert.match(checkCase([], { inputs: [], top: ["dead-peer"] }) ?? "", /no finding/);
  });
  it("healthy and exclude count warning/critical only; include counts any severity", () => {
    assert.match(checkCase(found, { inputs: [], healthy: true }) ?? "", /window-limited/);
    assert.equal(checkCase([found[1]], { inputs: [], healthy: true }), undefined);
    assert.equal(checkCase(found, { inputs: [], exclude: ["capture-incomplete"] }), undefined);
    assert.match(checkCase(found, { inputs: [], exclude: ["window-limited"] }) ?? "", /excluded/);
    assert.equal(checkCase(found, { inputs: [], include: ["capture-incomplete"] }), undefined);
    assert.match(checkCase(found, { inputs: [], include: ["dead-peer"] }) ?? "", /missing dead-peer/);
  });
});

describe("real scenario captures against their truth.json", () => {
  const names = fixtureScenarios();
  it("the scenario fixtures are present, small and well formed", () => {
    assert.ok(names.length >= 6, `scenario fixtures in ${scenariosDir}: ${names.join(", ")}`);
    for (const n of names) {
      const truth = readTruth(join(scenariosDir, n));
      assert.equal(truth.scenario, n);
      const cases = truth.expect?.cases ?? [];
      assert.ok(cases.length > 0, `${n}: truth.json has expect.cases`);
      for (const c of cases) {
        assert.ok(c.top?.length || c.include?.length || c.exclude?.length || c.healthy, `${n}: empty case`);
        for (const i of c.inputs) {
          const p = join(scenariosDir, n, i);
          assert.ok(existsSync(p), `${n}: ${i} exists`);
          assert.ok(readFileSync(p).length < 200 * 1024, `${n}: ${i} is under 200 KiB`);
        }
      }
    }
  });

  for (const n of names) {
    const dir = join(scenariosDir, n);
    for (const c of readTruth(dir).expect?.cases ?? []) {
      const name = caseName(n, c);
      const todo = KNOWN_RULE_GAPS[name];
      it(name, todo ? { todo } : {}, async () => {
        const err = checkCase(await findingsOf(c.inputs.map((i) => join(dir, i))), c);
        assert.equal(err, undefined, err);
      });
    }
  }
});

// ---------------------------------------------------------------------------- coverage

interface Source {
  /** Shown in messages: relative to the repository, or "corpus:<scenario>/<file>". */
  label: string;
  path: string;
  /** A truth.json case says this capture alone is healthy. */
  healthy: boolean;
}

const isCapture = (name: string) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(name);

function walkCaptures(dir: string, out: string[]): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) walkCaptures(p, out);
    else if (isCapture(d.name)) out.push(p);
  }
  return out;
}

/** Single capture files that truth.json cases of this directory call healthy. */
function healthyInputs(dir: string): Set<string> {
  const out = new Set<string>();
  for (const c of readTruth(dir).expect?.cases ?? []) {
    if (c.healthy && c.inputs.length === 1 && isCapture(c.inputs[0])) out.add(join(dir, c.inputs[0]));
  }
  return out;
}

/** Every committed real capture: the fixtures of all tests, and the shared corpus when it is beside us. */
function captureSources(): Source[] {
  const healthy = new Set<string>();
  for (const n of fixtureScenarios()) for (const p of healthyInputs(join(scenariosDir, n))) healthy.add(p);
  const out: Source[] = walkCaptures(fixturesDir, [])
    .sort()
    .map((path) => ({ label: relative(repoRoot, path), path, healthy: healthy.has(path) }));
  if (hasShared) {
    for (const s of scenarios()) for (const p of healthyInputs(join(capturesDir, s))) healthy.add(p);
    for (const [s, f, path] of corpusCaptures())
      out.push({ label: `corpus:${s}/${f}`, path, healthy: healthy.has(path) });
  }
  return out;
}

/** Ids a catalogue entry says a capture can produce on its own (not only beside other evidence). */
const captureSideIds = diagnosisIds.filter(
  (id) => catalogue[id].evidence.includes("capture") && !catalogue[id].supportOnly?.includes("capture"),
);

/** Ids the scenario fixtures are built to produce (top/include of their truth.json). */
function idsMeantByScenarios(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of fixtureScenarios()) {
    for (const c of readTruth(join(scenariosDir, n)).expect?.cases ?? []) {
      for (const id of [...(c.top ?? []), ...(c.include ?? [])]) out.set(id, [...(out.get(id) ?? []), n]);
    }
  }
  return out;
}

/** A finding counts as the id being triggered when it is a problem, or at all for info-only ids. */
function triggers(f: Finding): boolean {
  return BAD.has(f.severity) || catalogue[f.id]?.severity === "info";
}

interface Coverage {
  /** id -> labels of the non-healthy captures that trigger it. */
  by: Map<string, string[]>;
  /** id -> labels of healthy captures that raise it as a problem. */
  onHealthy: Map<string, string[]>;
  unreadable: string[];
  captures: number;
}

let coverage: Promise<Coverage> | undefined;

function coverageOf(): Promise<Coverage> {
  coverage ??= (async () => {
    const cov: Coverage = { by: new Map(), onHealthy: new Map(), unreadable: [], captures: 0 };
    for (const src of captureSources()) {
      let findings: Finding[];
      try {
        findings = await findingsOf([src.path]);
      } catch (err) {
        // Decoder fixtures include deliberately odd files; they are not evidence of a diagnosis.
        cov.unreadable.push(`${src.label}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      cov.captures++;
      for (const f of findings) {
        if (src.healthy) {
          if (BAD.has(f.severity)) cov.onHealthy.set(f.id, [...(cov.onHealthy.get(f.id) ?? []), src.label]);
        } else if (triggers(f)) {
          cov.by.set(f.id, [...(cov.by.get(f.id) ?? []), src.label]);
        }
      }
    }
    return cov;
  })();
  return coverage;
}

describe("capture-side ids are triggered by real captures, and not by healthy ones", () => {
  const meant = idsMeantByScenarios();

  it("every id a scenario fixture is built for is a capture-side id of the catalogue", () => {
    for (const [id, by] of meant) assert.ok(captureSideIds.includes(id), `${id} (from ${by.join(", ")})`);
  });

  for (const id of captureSideIds) {
    const mine = meant.get(id);
    it(`${id}${mine ? ` (scenario fixtures: ${mine.join(", ")})` : ""}`, async (t) => {
      const cov = await coverageOf();
      const healthyHits = cov.onHealthy.get(id) ?? [];
      assert.deepEqual(healthyHits, [], `${id} is raised as a problem on healthy captures`);
      const hits = cov.by.get(id) ?? [];
      if (hits.length) {
        t.diagnostic(
          `triggered by ${hits.length}: ${hits.slice(0, 4).join(", ")}${hits.length > 4 ? ", ..." : ""}`,
        );
        return;
      }
      const where = hasShared
        ? "committed fixtures and the shared corpus"
        : "committed fixtures (no ../shared)";
      assert.ok(!mine, `${id} is not triggered by any of ${cov.captures} captures (${where})`);
      t.todo(`no real capture triggers ${id} yet (${cov.captures} captures: ${where})`);
    });
  }

  it("reports the captures it could not read", async (t) => {
    const cov = await coverageOf();
    assert.ok(cov.captures > 0, "some captures were analysed");
    for (const u of cov.unreadable) t.diagnostic(`not analysed: ${u}`);
  });
});
