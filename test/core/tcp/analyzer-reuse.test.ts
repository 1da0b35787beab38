// reuseRows: one row object for every packet, holding what a fresh row would hold.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { TcpAnalyzer } from "../../../src/core/tcp/analyzer.js";
import type { DecodedPacket } from "../../../src/core/types.js";
import { readCaptureFile } from "../../../src/io/capture-source.js";
import { fixturesDir } from "../../helpers.js";

async function packetsOf(name: string): Promise<DecodedPacket[]> {
  const out: DecodedPacket[] = [];
  await readCaptureFile(join(fixturesDir, "conns", name), (rec) => {
    out.push(decodePacket(rec));
  });
  return out;
}

describe("TcpAnalyzer reuseRows", () => {
  for (const name of ["slow-server.pcap", "keepalive-dead.pcap", "refused.pcap"]) {
    it(`${name}: the same object every time, with the fields of a fresh row`, async () => {
      const pkts = await packetsOf(name);
      const fresh = new TcpAnalyzer();
      const reusing = new TcpAnalyzer({ reuseRows: true });
      let first: object | undefined;
      let rows = 0;
      for (const p of pkts) {
        const expected = fresh.push(p);
        const got = reusing.push(p);
        assert.equal(got === undefined, expected === undefined, `frame ${p.frame}`);
        if (!got || !expected) continue;
        rows++;
        first ??= got;
        assert.equal(got, first, `frame ${p.frame}: a new object`);
        assert.deepEqual({ ...got }, { ...expected }, `frame ${p.frame}`);
      }
      assert.ok(rows >= 2, `${name}: ${rows} TCP rows`);
    });
  }

  it("without the option, every row is a new object", async () => {
    const pkts = await packetsOf("slow-server.pcap");
    const an = new TcpAnalyzer();
    const rows = pkts.map((p) => an.push(p)).filter((r) => r !== undefined);
    assert.equal(new Set(rows).size, rows.length);
  });
});
