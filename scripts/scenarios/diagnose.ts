// Prints what the diagnosis pipeline makes of each scenario fixture, one line per finding, beside
// the expectations of its truth.json. A developer aid for make-scenarios.sh (the tests are the check).
//   npx tsx scripts/scenarios/diagnose.ts [test/fixtures/scenarios/NAME ...]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadEvidence } from "../../src/io/evidence.js";
import { diagnose } from "../../src/rules/engine.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures", "scenarios");
const args = process.argv.slice(2);
const dirs = args.length
  ? args.map((d) => resolve(d))
  : readdirSync(root)
      .map((d) => join(root, d))
      .filter((d) => existsSync(join(d, "truth.json")));

for (const dir of dirs) {
  const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8"));
  for (const c of truth.expect?.cases ?? []) {
    const ev = await loadEvidence(c.inputs.map((i: string) => join(dir, i)));
    const findings = diagnose({ connections: ev.connections, capture: ev.capture, host: ev.host });
    const want = JSON.stringify({ top: c.top, include: c.include, exclude: c.exclude, healthy: c.healthy });
    console.log(`== ${truth.scenario} [${c.inputs.join(" ")}] expects ${want}`);
    for (const f of findings) console.log(`   ${f.severity.padEnd(8)} ${f.id.padEnd(28)} ${f.summary}`);
    if (findings.length === 0) console.log("   (no findings)");
  }
}
