// Test and benchmark entry: takes the live snapshot of the host (or namespace) it runs in, diagnoses
// it, and prints one JSON object: timings, what the snapshot holds, and the ranked findings.
// usage: node --import tsx scripts/netns/snapshot-diagnose.ts [--interval S] [--collect DIR]
import { writeBundle } from "../../src/io/collect.js";
import { gatherHostEvidence, snapshotFromEvidence } from "../../src/io/live-host.js";
import { diagnose } from "../../src/rules/engine.js";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const interval = Number(opt("--interval") ?? "1");
const collectDir = opt("--collect");

const t0 = performance.now();
const evidence = await gatherHostEvidence({ interval });
const t1 = performance.now();
const host = snapshotFromEvidence(evidence);
const t2 = performance.now();
const findings = diagnose({ connections: [], host });
const t3 = performance.now();
if (collectDir) await writeBundle(collectDir, evidence);

const states: Record<string, number> = {};
for (const s of host.sockets ?? []) states[s.state] = (states[s.state] ?? 0) + 1;
process.stdout.write(
  `${JSON.stringify({
    timingMs: {
      gather: Math.round(t1 - t0),
      parse: Math.round(t2 - t1),
      diagnose: Math.round(t3 - t2),
      total: Math.round(t3 - t0),
    },
    sockets: host.sockets?.length ?? 0,
    states,
    socketsHave: host.socketsHave,
    processes: host.processes?.length ?? 0,
    intervalSeconds: evidence.intervalSeconds,
    unavailable: host.unavailable ?? [],
    findings: findings.map((f) => ({
      id: f.id,
      severity: f.severity,
      confidence: f.confidence,
      summary: f.summary,
      evidence: f.evidence,
    })),
  })}\n`,
);
