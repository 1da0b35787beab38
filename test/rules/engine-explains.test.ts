import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeFinding } from "../../src/rules/catalogue.js";
import { diagnose } from "../../src/rules/engine.js";
import type { Finding, Rule } from "../../src/rules/types.js";
import { conn, facts } from "../fixtures/rules/connections.js";

function emits(id: string, finding: () => Finding): Rule {
  return { id, needs: ["connections"], evaluate: () => [finding()] };
}

describe("a root cause demotes the symptoms on its own connections", () => {
  const f = facts([conn()]);

  function run(rootStreams: number[], symptoms: Record<string, number[]>): Finding[] {
    // Built by hand: a finding's streams need not come sorted from every producer.
    const root: Finding = { ...makeFinding("syn-flood", { severity: "critical" }), streams: rootStreams };
    const rules = [
      emits("syn-flood", () => root),
      ...Object.entries(symptoms).map(([id, streams]) =>
        emits(id, () => makeFinding(id, { severity: "warning", streams })),
      ),
    ];
    return diagnose(f, { rules });
  }

  it("when every stream of the symptom is among the root's, in whatever order the root lists them", () => {
    for (const rootStreams of [
      [9, 1, 5, 3],
      [1, 3, 5, 9],
      [9, 9, 5, 3, 1, 1],
    ]) {
      const out = run(rootStreams, {
        "connect-timeout": [3, 9],
        "handshake-incomplete": [3, 4],
        "intermittent-connect-failure": [1],
      });
      const by = (id: string) => out.find((x) => x.id === id)!;
      assert.equal(by("connect-timeout").severity, "info", JSON.stringify(rootStreams));
      assert.equal(by("connect-timeout").evidence.explainedBy, "syn-flood");
      assert.equal(by("intermittent-connect-failure").severity, "info");
      assert.equal(by("handshake-incomplete").severity, "warning", "stream 4 is not the flood's");
    }
  });

  it("among a million streams of a flood", () => {
    const many = Array.from({ length: 1_000_000 }, (_, i) => 2 * i);
    const out = run(many, { "connect-timeout": [0, 1_999_998, 777_776], "handshake-incomplete": [777_777] });
    assert.equal(out.find((x) => x.id === "connect-timeout")?.severity, "info");
    assert.equal(out.find((x) => x.id === "handshake-incomplete")?.severity, "warning");
  });
});
