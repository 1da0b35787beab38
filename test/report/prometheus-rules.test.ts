import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import rulesCommand from "../../src/cli/commands/rules.js";
import { prometheusRuleGroups, prometheusRulesYaml } from "../../src/report/prometheus-rules.js";
import { catalogue } from "../../src/rules/catalogue.js";
import { fixturesDir, repoRoot, which } from "../helpers.js";

const promtool = which("promtool");
const needsPromtool = promtool ? false : "skipped: promtool not installed (Debian package prometheus)";
const work = mkdtempSync(join(tmpdir(), "tcpdoctor-rules-"));
after(() => rmSync(work, { recursive: true, force: true }));

function runPromtool(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(promtool as string, args, { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("prometheus alerting rules", () => {
  const groups = prometheusRuleGroups();
  const rules = groups.flatMap((g) => g.rules);

  it("names a severity, a catalogued diagnosis and the fix in every rule", () => {
    assert.ok(rules.length > 20);
    const names = new Set<string>();
    for (const r of rules) {
      assert.ok(!names.has(r.alert), `alert names are unique: ${r.alert}`);
      names.add(r.alert);
      assert.ok(catalogue[r.labels.diagnosis], `${r.alert}: diagnosis ${r.labels.diagnosis}`);
      assert.match(r.labels.severity, /^(warning|critical|\{\{ \$labels\.severity \}\})$/);
      assert.ok(r.annotations.summary.length > 0);
      assert.match(r.annotations.description, /Fix: /);
      assert.ok(!/SERVER_IP|CLIENT_IP/.test(r.annotations.description), `${r.alert}: no stand-in left`);
    }
    // The diagnoses usual node_exporter rule sets lack are all there.
    for (const a of [
      "TcpRetransmissionRatioHigh",
      "TcpListenOverflows",
      "TcpSynCookiesFlood",
      "TcpTimeWaitPortRangeUse",
      "TcpCloseWaitGrowing",
      "TcpConntrackNearFull",
      "TcpProcessFdNearLimit",
      "TcpdoctorCloseWaitLeak",
    ])
      assert.ok(names.has(a), a);
  });

  it("takes thresholds from a config", () => {
    const expr = (g: ReturnType<typeof prometheusRuleGroups>, alert: string) =>
      g.flatMap((x) => x.rules).find((r) => r.alert === alert)?.expr ?? "";
    assert.match(expr(groups, "TcpCloseWaitHigh"), />= 100$/);
    const tuned = prometheusRuleGroups({
      thresholds: { "close-wait-leak": { critical: 40 }, "packet-loss": { ratio: 0.002 } },
    });
    assert.match(expr(tuned, "TcpCloseWaitHigh"), />= 40$/);
    assert.match(expr(tuned, "TcpRetransmissionRatioHigh"), />= 0\.002 and/);
  });

  it("is what `tcpdoctor rules --prometheus` prints, and what docs/prometheus holds", async () => {
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => {
      chunks.push(String(s));
      return true;
    }) as typeof process.stdout.write;
    try {
      assert.equal(await rulesCommand({ prometheus: true }), 0);
    } finally {
      process.stdout.write = write;
    }
    const text = chunks.join("");
    assert.equal(text, prometheusRulesYaml());
    assert.deepEqual(parse(text), { groups: JSON.parse(JSON.stringify(groups)) });
    assert.equal(readFileSync(join(repoRoot, "docs", "prometheus", "tcpdoctor-rules.yml"), "utf8"), text);
  });

  it("passes promtool check rules", { skip: needsPromtool }, () => {
    const file = join(work, "check.yml");
    writeFileSync(file, prometheusRulesYaml());
    const r = runPromtool(["check", "rules", file], work);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it("fires each alert on synthetic series (promtool test rules)", { skip: needsPromtool }, () => {
    // Annotations are rendered text; the unit tests compare labels only.
    const bare = {
      groups: groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _a, ...r }) => r) })),
    };
    writeFileSync(join(work, "tcpdoctor-rules.yml"), stringify(bare));
    copyFileSync(join(fixturesDir, "watch", "rules-unit.yml"), join(work, "rules-unit.yml"));
    const r = runPromtool(["test", "rules", "rules-unit.yml"], work);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });
});
