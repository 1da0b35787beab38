import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { DocumentedRule } from "../../src/rules/capture/common.js";
import { captureRules } from "../../src/rules/capture/index.js";
import { catalogue, diagnosisIds, fillPlaceholders, makeFinding } from "../../src/rules/catalogue.js";
import {
  allRules,
  diagnose,
  exitCodeFor,
  listRules,
  mergeFindings,
  rank,
  rankScore,
} from "../../src/rules/engine.js";
import type { Facts, Finding, Rule } from "../../src/rules/types.js";
import { conn, facts } from "../fixtures/rules/connections.js";
import { needsShared, sharedDir } from "../helpers.js";

function rule(id: string, needs: Rule["needs"], make: (f: Facts) => Finding[]): Rule {
  return { id, needs, evaluate: (f) => make(f) };
}

describe("catalogue", () => {
  it("has every id of spec/diagnoses.md, each with its texts", { skip: needsShared }, () => {
    const spec = readFileSync(join(sharedDir, "spec", "diagnoses.md"), "utf8");
    const ids = [...spec.matchAll(/^\| `([a-z0-9-]+)`(?: \/ `([a-z0-9-]+)`)? \|/gm)]
      .flatMap((m) => [m[1], m[2]])
      .filter(Boolean);
    assert.ok(ids.length > 40, `spec ids parsed: ${ids.length}`);
    for (const id of ids) assert.ok(catalogue[id], `catalogue entry for ${id}`);
  });

  it("gives every entry a cause, a fix, ordered alternatives and confirm commands", () => {
    for (const id of diagnosisIds) {
      const e = catalogue[id];
      assert.equal(e.id, id);
      assert.ok(e.title.length > 10 && e.cause.length > 60 && e.fix.length > 30, id);
      assert.ok(e.alternatives.length >= 1, `${id} alternatives`);
      assert.ok(e.confirm.length >= 1, `${id} confirm`);
      assert.ok(e.weight >= 0 && e.weight <= 100, `${id} weight`);
      for (const x of e.explains ?? []) assert.ok(catalogue[x], `${id} explains unknown ${x}`);
    }
  });

  it("ranks root causes above the symptoms they explain", () => {
    for (const id of diagnosisIds) {
      for (const x of catalogue[id].explains ?? []) {
        if (catalogue[x].severity === catalogue[id].severity) {
          assert.ok(
            catalogue[id].weight > catalogue[x].weight,
            `${id} (${catalogue[id].weight}) should outweigh ${x} (${catalogue[x].weight})`,
          );
        }
      }
    }
  });

  it("says a capture alone can produce an id exactly when a capture rule produces it", () => {
    for (const id of diagnosisIds) {
      const e = catalogue[id];
      for (const kind of e.supportOnly ?? [])
        assert.ok(e.evidence.includes(kind), `${id} supportOnly ${kind}`);
      assert.ok(
        e.evidence.some((kind) => !e.supportOnly?.includes(kind)),
        `${id}: some evidence must be enough on its own`,
      );
      const alone = e.evidence.includes("capture") && !e.supportOnly?.includes("capture");
      const produced = captureRules.some(
        (r) => r.id === id || ((r as DocumentedRule).produces ?? []).includes(id),
      );
      assert.equal(
        alone,
        produced,
        `${id}: the catalogue says a capture alone ${alone ? "can" : "cannot"} produce it`,
      );
    }
  });

  it("makeFinding fills defaults and placeholders, and refuses unknown ids", () => {
    const f = makeFinding("connect-refused", {
      vars: { server: "192.0.2.7:443", serverIp: "192.0.2.7", serverPort: 443 },
    });
    assert.equal(f.severity, "critical");
    assert.match(f.fix, /192\.0\.2\.7:443/);
    assert.ok(f.confirm.some((c) => c.includes("sport = :443")));
    assert.doesNotMatch(`${f.fix}${f.confirm.join("")}`, /\{server|\{serverPort/);
    const generic = makeFinding("connect-refused");
    assert.match(generic.fix, /SERVER_IP:PORT/);
    assert.throws(() => makeFinding("no-such-thing"), /no catalogue entry/);
    assert.equal(fillPlaceholders("{a} and {b}", { a: "x" }), "x and {b}");
  });
});

describe("diagnose", () => {
  it("runs only rules whose evidence is present and passes configured thresholds", () => {
    const seen: number[] = [];
    const onHost = rule("close-wait-leak", ["host"], () => {
      throw new Error("must not run without host evidence");
    });
    const onConns: Rule = {
      id: "packet-loss",
      needs: ["connections"],
      evaluate(_f, ctx) {
        seen.push(ctx.threshold("minLossRate", 0.01), ctx.threshold("other", 7));
        return [];
      },
    };
    diagnose(facts([conn()]), {
      rules: [onHost, onConns],
      thresholds: { "packet-loss": { minLossRate: 0.05 } },
    });
    assert.deepEqual(seen, [0.05, 7]);
  });

  it("merges findings with the same id into one that cites every stream, and raises confidence when rules agree", () => {
    const a = rule("close-wait-leak", ["connections"], () => [
      makeFinding("close-wait-leak", { confidence: "medium", streams: [3, 1], evidence: { halfClosed: 2 } }),
    ]);
    const b: Rule = {
      id: "close-wait-leak",
      needs: ["host"],
      evaluate: () => [
        makeFinding("close-wait-leak", {
          confidence: "medium",
          sockets: ["CLOSE-WAIT 0 0 10.0.0.2:8080 10.0.0.1:40000"],
          evidence: { closeWait: 40 },
        }),
      ],
    };
    const both = { ...facts([conn()]), host: { sources: [{ path: "ss.txt", kind: "ss" }] } };
    const [f, ...rest] = diagnose(both, { rules: [a, b] });
    assert.equal(rest.length, 0);
    assert.deepEqual(f.streams, [1, 3]);
    assert.equal(f.sockets?.length, 1);
    assert.equal(f.confidence, "high");
    assert.equal(f.evidence.halfClosed, 2);
    assert.equal(f.evidence.closeWait, 40);
  });

  it("keeps colliding evidence of merged findings under evidence.more", () => {
    const merged = mergeFindings([
      {
        finding: makeFinding("connect-refused", { streams: [0], evidence: { server: "a:1" } }),
        rule: "r",
        source: "capture",
      },
      {
        finding: makeFinding("connect-refused", { streams: [1], evidence: { server: "b:2" } }),
        rule: "r",
        source: "capture",
      },
    ]);
    // Two findings of the same kind of evidence do not corroborate each other.
    assert.equal(merged[0].confidence, "medium");
    assert.equal(merged.length, 1);
    assert.equal(merged[0].evidence.server, "a:1");
    assert.deepEqual(
      (merged[0].evidence.more as { server: string }[]).map((m) => m.server),
      ["b:2"],
    );
  });

  it("ranks by severity, then by root-cause weight and evidence strength", () => {
    const findings = [
      makeFinding("slow-handshake", { severity: "warning", score: 100 }),
      makeFinding("pmtu-reduced"),
      makeFinding("connect-timeout", { score: 50 }),
      makeFinding("intermittent-connect-failure", { severity: "critical", score: 50 }),
    ].map((f) => ({ ...f, score: rankScore(f) }));
    assert.deepEqual(
      rank(findings).map((f) => f.id),
      ["connect-timeout", "intermittent-connect-failure", "slow-handshake", "pmtu-reduced"],
    );
  });

  it("demotes a symptom to info when its root cause covers the same connections", () => {
    const rules = [
      rule("bandwidth-bottleneck", ["connections"], () => [
        makeFinding("bandwidth-bottleneck", { streams: [0] }),
      ]),
      rule("packet-loss", ["connections"], () => [makeFinding("packet-loss", { streams: [0] })]),
      rule("window-limited", ["connections"], () => [makeFinding("window-limited", { streams: [0, 5] })]),
    ];
    const out = diagnose(facts([conn()]), { rules });
    const byId = Object.fromEntries(out.map((f) => [f.id, f]));
    assert.equal(out[0].id, "bandwidth-bottleneck");
    assert.equal(byId["packet-loss"].severity, "info");
    assert.equal(byId["packet-loss"].evidence.explainedBy, "bandwidth-bottleneck");
    // Stream 5 is not covered by the bottleneck: stays a problem of its own.
    assert.equal(byId["window-limited"].severity, "warning");
  });

  it("lowers the confidence of loss findings when the capture itself lost packets", () => {
    const rules = [
      rule("packet-loss", ["connections"], () => [
        makeFinding("packet-loss", { confidence: "high", streams: [0] }),
      ]),
      rule("connect-refused", ["connections"], () => [
        makeFinding("connect-refused", { confidence: "high", streams: [0] }),
      ]),
    ];
    const f = facts([conn()], {
      files: [{ path: "x.pcap", format: "pcap", packets: 10, linkTypes: [1], droppedByKernel: 120 }],
    });
    const out = Object.fromEntries(diagnose(f, { rules }).map((x) => [x.id, x]));
    assert.equal(out["packet-loss"].confidence, "medium");
    assert.match(String(out["packet-loss"].evidence.confidenceLoweredBecause), /120 packets dropped/);
    assert.equal(out["connect-refused"].confidence, "high");
  });

  it("lowers confidence for findings on one-sided connections and timing findings from text", () => {
    const oneSided = conn({ stream: 0, oneSided: true, packets: { server: 0 } });
    const rules = [
      rule("reset-by-server", ["connections"], () => [
        makeFinding("reset-by-server", { confidence: "high", streams: [0] }),
      ]),
      rule("slow-server-response", ["connections"], () => [
        makeFinding("slow-server-response", { confidence: "high", streams: [1] }),
      ]),
    ];
    const out = Object.fromEntries(
      diagnose(facts([oneSided, conn({ stream: 1 })], { fromText: true }), { rules }).map((x) => [x.id, x]),
    );
    assert.equal(out["reset-by-server"].confidence, "medium");
    assert.equal(out["slow-server-response"].confidence, "medium");
  });

  it("drops disabled ids and names a failing rule", () => {
    const rules = [rule("connect-refused", ["connections"], () => [makeFinding("connect-refused")])];
    assert.equal(diagnose(facts([conn()]), { rules, disable: ["connect-refused"] }).length, 0);
    const broken = rule("broken-rule", ["connections"], () => {
      throw new Error("boom");
    });
    assert.throws(() => diagnose(facts([conn()]), { rules: [broken] }), /broken-rule failed: boom/);
  });

  it("exit code is 1 only with a warning or critical finding", () => {
    assert.equal(exitCodeFor([]), 0);
    assert.equal(exitCodeFor([makeFinding("pmtu-reduced")]), 0);
    assert.equal(exitCodeFor([makeFinding("pmtu-reduced"), makeFinding("reordering")]), 1);
  });
});

describe("listRules", () => {
  it("lists every catalogued id with the registered rules and their thresholds", () => {
    const list = listRules();
    assert.deepEqual(
      list.map((r) => r.id),
      diagnosisIds,
    );
    const loss = list.find((r) => r.id === "packet-loss");
    assert.ok(loss?.rules.some((r) => r.thresholds.minLossRate === 0.01));
    for (const r of allRules)
      assert.ok(
        catalogue[r.id] || (r as { produces?: string[] }).produces,
        `rule ${r.id} has a catalogue id`,
      );
  });

  it("capture rules read only the thresholds they document", () => {
    const many = facts([
      conn({ stream: 0 }),
      conn({ stream: 1, state: "RSTR", close: { firstRst: "server", rstAt: 0.12 } }),
    ]);
    for (const r of captureRules as DocumentedRule[]) {
      const asked: string[] = [];
      r.evaluate(many, {
        threshold(name, fallback) {
          asked.push(name);
          return fallback;
        },
      });
      assert.ok(r.description.length > 20, `${r.id} description`);
      for (const name of asked)
        assert.ok(name in r.thresholds, `${r.id} reads undocumented threshold ${name}`);
    }
  });
});
