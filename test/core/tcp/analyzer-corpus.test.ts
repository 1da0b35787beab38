// The analyzer against Wireshark on every capture of the shared corpus: each frame's stream number
// and relative seq/ack must match tshark exactly, ack_rtt within 1e-6 + 1e-3 * rtt, and every
// analysis flag must reach F1 >= 0.995 summed over the corpus (the bar of eval-corpus.py).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { AnalysisFlag } from "../../../src/core/tcp/types.js";
import { addCounts, analyzeFile, compare, f1, flagTable, readOracle } from "../../fixtures/tcp/compare.js";
import { capturesDir, corpusCaptures, needsShared } from "../../helpers.js";

/** capture.pcap <-> oracle/tshark-flags.tsv, capture-X.pcap <-> oracle/capture-X/tshark-flags.tsv. */
function oracleOf(scenario: string, file: string): string | undefined {
  const stem = file.split(".")[0];
  if (stem === "capture" && file !== "capture.pcap") return undefined; // format variants of capture.pcap
  const tsv =
    stem === "capture"
      ? join(capturesDir, scenario, "oracle", "tshark-flags.tsv")
      : join(capturesDir, scenario, "oracle", stem, "tshark-flags.tsv");
  return existsSync(tsv) ? tsv : undefined;
}

describe("TcpAnalyzer matches tshark on the shared corpus", { skip: needsShared }, () => {
  const total = new Map<AnalysisFlag, [number, number, number]>();
  const pairs = corpusCaptures()
    .map(([scenario, file, path]) => ({ name: `${scenario}/${file}`, path, tsv: oracleOf(scenario, file) }))
    .filter((p) => p.tsv !== undefined);

  it("finds captures with a tshark oracle", () => {
    assert.ok(pairs.length >= 20, `${pairs.length} captures with an oracle`);
  });

  for (const p of pairs) {
    it(p.name, async (t) => {
      const c = compare(await analyzeFile(p.path), readOracle(p.tsv!));
      addCounts(total, c);
      t.diagnostic(`${c.frames} frames, ${c.rttChecked} ack_rtt, ${c.soft.length} other differences`);
      for (const s of c.soft.slice(0, 5)) t.diagnostic(s);
      assert.deepEqual(
        c.hard.slice(0, 10),
        [],
        "every frame present with tshark's stream and relative seq/ack",
      );
      const rtt = c.soft.filter((s) => s.includes("ack_rtt"));
      assert.deepEqual(rtt.slice(0, 10), [], "ack_rtt");
    });
  }

  it("every flag reaches F1 >= 0.995 over the corpus", (t) => {
    for (const line of flagTable(total)) t.diagnostic(line);
    assert.ok(total.size > 0, "flags were compared");
    for (const [flag, counts] of total)
      assert.ok(f1(counts) >= 0.995, `${flag}: F1 ${f1(counts).toFixed(4)}`);
  });
});
