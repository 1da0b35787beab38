// Every tcpdump text of the shared corpus (capture*.txt: `tcpdump -nn -tt -r`, capture*-v.txt:
// `tcpdump -nn -tt -v -S -r`) against its pcap: the same TCP and ICMP packets, and after the same
// TCP analysis the same streams, relative numbers, lengths, flags and analysis flags.
//
// What text cannot carry is allowed for, and counted: tcpdump prints no sequence number on pure
// ACKs (the parser infers it; it is unknowable when the sender's data never reached the capture
// point), no acknowledgment field without the ACK flag, and no quoted packet of an ICMP error
// without -v.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket } from "../../src/core/decode/index.js";
import { TcpAnalyzer } from "../../src/core/tcp/analyzer.js";
import type { PacketAnalysis } from "../../src/core/tcp/types.js";
import { type DecodedPacket, TcpFlag } from "../../src/core/types.js";
import { readCaptureFile } from "../../src/io/capture-source.js";
import { parseTcpdump } from "../../src/text/tcpdump.js";
import { capturesDir, needsShared, scenarios } from "../helpers.js";

interface Pair {
  scenario: string;
  text: string;
  pcap: string;
}

function pairs(): Pair[] {
  const out: Pair[] = [];
  for (const s of scenarios()) {
    const dir = join(capturesDir, s);
    for (const f of readdirSync(dir).sort()) {
      if (!/^capture.*\.txt$/.test(f)) continue;
      const pcap = join(dir, f.replace(/(-v)?\.txt$/, ".pcap"));
      if (existsSync(pcap)) out.push({ scenario: s, text: join(dir, f), pcap });
    }
  }
  return out;
}

async function analysePcap(
  path: string,
): Promise<{ packets: DecodedPacket[]; rows: Map<number, PacketAnalysis> }> {
  const analyzer = new TcpAnalyzer();
  const rows = new Map<number, PacketAnalysis>();
  const packets: DecodedPacket[] = [];
  await readCaptureFile(path, (r) => {
    const p = decodePacket(r);
    if (p.tcp || p.ip?.protocol === 1 || p.ip?.protocol === 58) packets.push(p);
    const a = analyzer.push(p);
    if (a) rows.set(a.frame, a);
  });
  return { packets, rows };
}

/** Pure ACK: no payload, no SYN/FIN/RST — tcpdump prints no sequence number for it. */
function pureAck(p: DecodedPacket | undefined): boolean {
  const t = p?.tcp;
  return !!t && t.payloadLen === 0 && (t.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
}

describe("corpus tcpdump texts agree with their pcaps", { skip: needsShared }, () => {
  let totals = { rows: 0, inferredSeqMisses: 0, flagDiffs: 0 };
  for (const pair of needsShared ? [] : pairs()) {
    const name = `${pair.scenario}/${pair.text.split("/").pop()}`;
    it(name, async () => {
      const bin = await analysePcap(pair.pcap);
      const verbose = pair.text.endsWith("-v.txt");
      const parsed = parseTcpdump(readFileSync(pair.text, "utf8"));
      assert.equal(parsed.packets.length, bin.packets.length, "TCP + ICMP packets");
      assert.equal(parsed.format.timestamps, "tt");
      assert.equal(parsed.format.verbose, verbose);
      const analyzer = new TcpAnalyzer();
      const textRows = new Map<number, PacketAnalysis>();
      const textPkt = new Map<number, DecodedPacket>();
      for (const p of parsed.packets) {
        textPkt.set(p.frame, p);
        const a = analyzer.push(p);
        if (a) textRows.set(a.frame, a);
      }
      let inferredSeqMisses = 0;
      let flagDiffs = 0;
      for (const [frame, b] of bin.rows) {
        const t = textRows.get(frame);
        assert.ok(t, `frame ${frame}: no analysis row from the text`);
        const at = `frame ${frame}`;
        const pkt = textPkt.get(frame);
        assert.equal(t.stream, b.stream, `${at}: stream`);
        if (pkt?.icmp) {
          if (verbose && b.seq !== 0) assert.equal(t.seq, b.seq, `${at}: quoted seq`);
          continue;
        }
        assert.equal(t.flags, b.flags, `${at}: flags`);
        assert.equal(t.len, b.len, `${at}: len`);
        if (b.flags.includes("A")) assert.equal(t.ack, b.ack, `${at}: ack`);
        if (t.seq !== b.seq) {
          assert.ok(pureAck(pkt), `${at}: seq ${t.seq} vs ${b.seq} on a packet that prints its seq`);
          inferredSeqMisses++;
        }
        if (t.analysis.join() !== b.analysis.join()) flagDiffs++;
      }
      // a pure ACK's sequence number is only unknowable when its sender's data never reached the
      // capture point; that happens to a handful of packets, not to whole connections
      assert.ok(inferredSeqMisses <= 2, `${inferredSeqMisses} inferred pure-ACK sequence numbers differ`);
      assert.ok(flagDiffs <= inferredSeqMisses, `${flagDiffs} packets with different analysis flags`);
      totals = {
        rows: totals.rows + bin.rows.size,
        inferredSeqMisses: totals.inferredSeqMisses + inferredSeqMisses,
        flagDiffs: totals.flagDiffs + flagDiffs,
      };
    });
  }
  it("overall agreement", { skip: needsShared }, () => {
    assert.ok(totals.rows > 60000, `${totals.rows} rows compared`);
    assert.ok(totals.inferredSeqMisses / totals.rows < 0.001, JSON.stringify(totals));
  });
});
