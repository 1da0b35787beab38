// `packets --json` written as bytes: exactly packetJson()'s text, a line per row.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { decodePacket } from "../../src/core/decode/index.js";
import { TcpAnalyzer } from "../../src/core/tcp/analyzer.js";
import type { PacketAnalysis } from "../../src/core/tcp/types.js";
import { readCaptureFile } from "../../src/io/capture-source.js";
import { PacketJsonWriter, packetJson } from "../../src/report/packets.js";
import { fixturesDir } from "../helpers.js";

const rows: PacketAnalysis[] = [];

before(async () => {
  for (const name of ["refused.pcap", "slow-server.pcap", "keepalive-dead.pcap", "pmtu-ok-head-s96.pcap"]) {
    const analyzer = new TcpAnalyzer();
    await readCaptureFile(join(fixturesDir, "conns", name), (r) => {
      const pa = analyzer.push(decodePacket(r));
      if (pa) rows.push(pa);
    });
  }
});

/** Everything a writer with `chunkBytes` hands over for the rows, as text. */
function written(pas: PacketAnalysis[], chunkBytes?: number): { text: string; chunks: number } {
  const parts: Uint8Array[] = [];
  const w = new PacketJsonWriter((b) => parts.push(b), chunkBytes);
  for (const pa of pas) w.write(pa);
  w.flush();
  return { text: Buffer.concat(parts).toString("utf8"), chunks: parts.length };
}

const expected = (pas: PacketAnalysis[]) => pas.map((pa) => `${packetJson(pa)}\n`).join("");

function row(o: Partial<PacketAnalysis>): PacketAnalysis {
  return {
    frame: 1,
    time: 0,
    stream: 0,
    src: "10.0.0.1:40000",
    dst: "10.0.0.2:80",
    flags: "PA",
    seq: 1,
    ack: 1,
    len: 100,
    win: 64256,
    analysis: [],
    fromClient: true,
    ...o,
  };
}

describe("PacketJsonWriter", () => {
  it("writes the rows of real captures as packetJson does", () => {
    assert.ok(rows.length > 50);
    assert.equal(written(rows).text, expected(rows));
  });

  it("hands over full buffers and never rewrites one", () => {
    const { text, chunks } = written(rows, 2048);
    assert.ok(chunks > 3, `${chunks} chunks`);
    assert.equal(text, expected(rows));
  });

  it("writes times and RTTs exactly as String() does", () => {
    const times = [
      0,
      1e-9,
      5e-7,
      1e-6,
      0.000037,
      0.1 + 0.2,
      1 / 3,
      0.5,
      1,
      12.345678901,
      27.955328,
      999999.999999999,
      1e6,
      123456789.123,
      1.7e9 + 0.25,
    ];
    const pas = times.map((t, i) => row({ frame: i + 1, time: t, ackRtt: t / 7 }));
    assert.equal(written(pas).text, expected(pas));
    const ns = Array.from({ length: 2000 }, (_, i) =>
      row({ time: (i * 7919 * 104729 + 1) / 1e9, ackRtt: i / 1e9 }),
    );
    assert.equal(written(ns).text, expected(ns));
  });

  it("writes every integer, analysis flags and odd strings as packetJson does", () => {
    const pas = [
      row({ frame: 2 ** 40, seq: 4294967295, ack: 0, win: 0, len: 0 }),
      row({ stream: 123456, seq: 4294967296 + 5, win: 1073725440 }),
      row({ analysis: ["retransmission", "duplicate_ack", "window_full"], dupAckNum: 3 }),
      row({ src: '[fe80::1%"x\\]:443', dst: "ünïcode:1", flags: "" }),
      row({ flags: "SÄ", analysis: ["wéird"] as unknown as PacketAnalysis["analysis"] }),
      row({ time: Number.NaN, ackRtt: Number.POSITIVE_INFINITY, seq: -1 }),
    ];
    assert.equal(written(pas).text, expected(pas));
  });

  it("keeps rows of interleaved connections apart", () => {
    const pas: PacketAnalysis[] = [];
    for (let i = 0; i < 200; i++) {
      const s = i % 37;
      pas.push(
        row({
          frame: i,
          stream: s,
          src: `10.0.${s}.1:${40000 + s}`,
          dst: "10.0.0.2:80",
          fromClient: i % 2 === 0,
          flags: i % 5 === 0 ? "A" : "PA",
        }),
      );
    }
    assert.equal(written(pas).text, expected(pas));
  });
});
