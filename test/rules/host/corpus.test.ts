// The corpus cases that include host evidence (truth.json expect.cases with a host/ input), run
// through the same loading and diagnosis as `analyze`, scored like ../shared/tools/eval-corpus.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadEvidence } from "../../../src/io/evidence.js";
import { diagnose } from "../../../src/rules/engine.js";
import { capturesDir, needsShared, scenarios } from "../../helpers.js";

interface Case {
  inputs: string[];
  healthy?: boolean;
  top?: string[];
  include?: string[];
  exclude?: string[];
}

const BAD = new Set(["warning", "critical"]);

function hostCases(): [string, Case][] {
  const out: [string, Case][] = [];
  for (const s of scenarios()) {
    const truth = JSON.parse(readFileSync(join(capturesDir, s, "truth.json"), "utf8"));
    for (const c of (truth.expect?.cases ?? []) as Case[]) {
      if (c.inputs.some((i) => i.startsWith("host/"))) out.push([s, c]);
    }
  }
  return out;
}

describe("corpus: host evidence", { skip: needsShared }, () => {
  const cases = hostCases();
  it("has host cases to check", () => {
    assert.ok(cases.length >= 12, `only ${cases.length} host cases found`);
  });
  for (const [scenario, c] of cases) {
    it(`${scenario}: ${c.inputs.join(" + ")}`, async () => {
      const ev = await loadEvidence(c.inputs.map((i) => join(capturesDir, scenario, i)));
      const findings = diagnose({ connections: ev.connections, capture: ev.capture, host: ev.host });
      const ids = findings.map((f) => f.id);
      const bad = findings.filter((f) => BAD.has(f.severity)).map((f) => f.id);
      if (c.healthy) assert.deepEqual(bad, [], `healthy case, but reported ${bad.join(", ")}`);
      if (c.top)
        assert.ok(
          c.top.includes(ids[0] ?? ""),
          `first finding ${ids[0]}; expected one of ${c.top} (all: ${ids})`,
        );
      for (const i of c.include ?? []) assert.ok(ids.includes(i), `missing ${i}`);
      for (const x of c.exclude ?? []) assert.ok(!bad.includes(x), `reported excluded ${x}`);
      // Host findings cite where their numbers come from.
      for (const f of findings.filter((x) => BAD.has(x.severity))) {
        assert.ok((f.sources?.length ?? 0) > 0, `${f.id} cites no source line`);
      }
    });
  }
});
