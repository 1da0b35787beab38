// The `packets` renderers (src/report/packets.ts) on analyzer rows: the JSON line shape of
// spec/cli.md and the tcpdump-like text line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PacketAnalysis } from "../../../src/core/tcp/types.js";
import { packetJson, packetLine, tcpdumpFlags } from "../../../src/report/packets.js";

const row: PacketAnalysis = {
  frame: 12,
  time: 0.020341,
  stream: 0,
  src: "10.77.0.1:40001",
  dst: "10.77.0.2:8080",
  flags: "PA",
  seq: 1,
  ack: 1,
  len: 73,
  win: 64256,
  analysis: ["retransmission"],
  fromClient: true,
};

describe("packetJson", () => {
  it("writes the fields of `packets --json` in order, ackRtt only when present", () => {
    const line = packetJson(row);
    assert.equal(
      line,
      '{"frame":12,"time":0.020341,"stream":0,"src":"10.77.0.1:40001","dst":"10.77.0.2:8080","flags":"PA","seq":1,"ack":1,"len":73,"win":64256,"analysis":["retransmission"]}',
    );
    const withRtt = JSON.parse(
      packetJson({ ...row, analysis: [], ackRtt: 0.000019, iRtt: 0.002, dupAckNum: 3 }),
    );
    assert.deepEqual(Object.keys(withRtt), [
      "frame",
      "time",
      "stream",
      "src",
      "dst",
      "flags",
      "seq",
      "ack",
      "len",
      "win",
      "analysis",
      "ackRtt",
    ]);
    assert.equal(withRtt.ackRtt, 0.000019);
    assert.deepEqual(withRtt.analysis, []);
  });

  it("stays valid JSON for IPv6 endpoints and unexpected characters", () => {
    const v6 = JSON.parse(
      packetJson({ ...row, src: "[fd00:77::1]:40001", analysis: ["duplicate_ack", "window_update"] }),
    );
    assert.equal(v6.src, "[fd00:77::1]:40001");
    assert.deepEqual(v6.analysis, ["duplicate_ack", "window_update"]);
    const odd = JSON.parse(packetJson({ ...row, dst: 'a"b\\c\n' }));
    assert.equal(odd.dst, 'a"b\\c\n');
  });
});

describe("packetLine", () => {
  it("reads like tcpdump with the analysis flags in brackets", () => {
    const line = packetLine(row);
    assert.match(line, /^ {2}12 {2}0\.020341 {2}s0 /);
    assert.match(
      line,
      /10\.77\.0\.1:40001 +> 10\.77\.0\.2:8080 +\[P\.\] +seq 1:74 ack 1 win 64256 len 73 {2}\[retransmission\]$/,
    );
  });

  it("omits ack without the ACK bit, the range for empty segments, and the brackets without flags", () => {
    const syn = packetLine({ ...row, flags: "S", seq: 0, ack: 0, len: 0, analysis: [] });
    assert.match(syn, /\[S\] +seq 0 win 64256 len 0$/);
    const dup = packetLine({ ...row, flags: "A", len: 0, analysis: ["duplicate_ack"], dupAckNum: 2 });
    assert.match(dup, /\[duplicate_ack #2\]$/);
  });

  it("aligns the columns of consecutive rows", () => {
    const a = packetLine(row);
    const b = packetLine({ ...row, frame: 1234, src: "10.0.0.2:80", dst: "10.0.0.1:40001", flags: "SA" });
    assert.equal(a.indexOf(" > "), b.indexOf(" > "));
    assert.equal(a.indexOf("seq "), b.indexOf("seq "));
  });
});

describe("tcpdumpFlags", () => {
  it("uses tcpdump's letters and order", () => {
    assert.deepEqual(["S", "SA", "A", "PA", "FA", "FPA", "R", "RA", "AU", "SEC", ""].map(tcpdumpFlags), [
      "S",
      "S.",
      ".",
      "P.",
      "F.",
      "FP.",
      "R",
      "R.",
      ".U",
      "SEW",
      "none",
    ]);
  });
});
