// The decoder against Wireshark on real captures: small copies kept in test/fixtures/decode with
// tshark's output beside them, and (when ../shared is present and tshark installed) every capture
// of the corpus, field by field for every frame.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { decodePacket } from "../../../src/core/decode/index.js";
import type { DecodedPacket } from "../../../src/core/types.js";
import { readCaptureFile } from "../../../src/io/capture-source.js";
import {
  compareWithTshark,
  parseTsharkFields,
  type TsharkRow,
  tsharkArgs,
} from "../../fixtures/decode/tshark.js";
import { corpusCaptures, fixturesDir, needsShared, which } from "../../helpers.js";

const run = promisify(execFile);

async function decodeFile(path: string): Promise<DecodedPacket[]> {
  const out: DecodedPacket[] = [];
  await readCaptureFile(path, (rec) => out.push(decodePacket(rec)));
  return out;
}

function assertAgree(rows: TsharkRow[], packets: DecodedPacket[]): void {
  assert.equal(packets.length, rows.length, "frame count");
  const diffs: string[] = [];
  for (let i = 0; i < rows.length; i++) diffs.push(...compareWithTshark(rows[i], packets[i]));
  assert.deepEqual(diffs.slice(0, 20), [], `${diffs.length} differences from tshark`);
}

describe("real captures kept as fixtures, against tshark's recorded output", () => {
  const dir = join(fixturesDir, "decode");
  const cases: [string, (p: DecodedPacket[]) => void][] = [
    ["refused-sll.pcap", (p) => assert.ok(p.some((x) => x.tcp))],
    ["refused-sll2.pcap", (p) => assert.ok(p.some((x) => x.tcp))],
    ["refused-raw.pcap", (p) => assert.ok(p.every((x) => x.tcp))],
    ["clean-v6.pcap", (p) => assert.ok(p.some((x) => x.ip?.version === 6 && x.tcp))],
    ["pmtu-ok-icmp.pcapng", (p) => assert.ok(p.some((x) => x.icmp?.kind === "frag-needed"))],
    [
      "loss-cubic-s96-sack.pcapng",
      (p) => {
        assert.ok(p.some((x) => x.tcp?.options.sack));
        // Snaplen 96: the payload length still comes from the IP header.
        assert.ok(p.some((x) => x.tcp && x.tcp.capturedPayloadLen < x.tcp.payloadLen));
      },
    ],
  ];
  for (const [file, extra] of cases) {
    it(file, async () => {
      const rows = parseTsharkFields(
        readFileSync(join(dir, file.replace(/\.pcap(ng)?$/, ".tshark.tsv")), "utf8"),
      );
      const packets = await decodeFile(join(dir, file));
      assertAgree(rows, packets);
      extra(packets);
    });
  }
});

const tshark = which("tshark");
const skipCorpus = needsShared || (tshark ? false : "skipped: tshark is not installed");

describe("every corpus capture against tshark", { skip: skipCorpus }, () => {
  for (const [scenario, file, path] of corpusCaptures()) {
    it(`${scenario}/${file}`, async () => {
      const [{ stdout }, packets] = await Promise.all([
        run(tshark ?? "tshark", tsharkArgs(path), { maxBuffer: 256 << 20, timeout: 120_000 }),
        decodeFile(path),
      ]);
      assertAgree(parseTsharkFields(stdout), packets);
    });
  }
});
