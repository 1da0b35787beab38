// The analyzer against tshark's own analysis of small crafted captures kept in the repository
// (test/fixtures/tcp, made by make-fixtures.py): every rule of Wireshark's TCP sequence analysis
// reproduced on purpose, and randomised conversations. No ../shared and no tshark needed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeFile, compare, f1, flagTable, readOracle } from "../../fixtures/tcp/compare.js";
import { fixturesDir } from "../../helpers.js";

const dir = join(fixturesDir, "tcp");

describe("TcpAnalyzer matches tshark on the crafted fixtures", () => {
  for (const name of ["rules", "fuzz"]) {
    it(`${name}.pcap.gz: every frame, flag, window, duplicate ACK number and ack_rtt`, async (t) => {
      const oracle = readOracle(join(dir, `${name}.tsv.gz`));
      const ours = await analyzeFile(join(dir, `${name}.pcap.gz`));
      const c = compare(ours, oracle);
      for (const line of flagTable(c.perFlag)) t.diagnostic(line);
      assert.ok(c.frames > 300, `the fixture has frames (${c.frames})`);
      assert.ok(c.rttChecked > 50, "the fixture has ack_rtt values to check");
      assert.deepEqual(c.hard, [], "stream / relative seq / relative ack");
      assert.deepEqual(c.soft, [], "flags, windows, duplicate ACK numbers, ack_rtt");
      for (const [flag, counts] of c.perFlag) assert.equal(f1(counts), 1, flag);
    });
  }

  it("the fixtures exercise every flag", () => {
    const seen = new Set<string>();
    let flags: string[] = [];
    for (const name of ["rules", "fuzz"]) {
      const oracle = readOracle(join(dir, `${name}.tsv.gz`));
      flags = oracle.flags;
      for (const e of oracle.frames.values()) for (const f of e.flags) seen.add(f);
    }
    assert.equal(flags.length, 15, "every tcp.analysis flag has a column");
    for (const f of flags) assert.ok(seen.has(f), `${f} occurs in the fixtures`);
  });
});
