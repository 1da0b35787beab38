// The four traces of the handshake exercise (test/fixtures/explain/trace*.txt, taken from the
// field notes) must be explained with the right answers: the sequence arithmetic of the
// handshake, an absorbed SYN flood, a CLOSE-WAIT leak, and a cwnd held down by loss under CUBIC.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { explainText } from "../../src/explain/index.js";
import type { ExplainedLine } from "../../src/explain/types.js";
import { fixturesDir } from "../helpers.js";

const read = (name: string): string => readFileSync(join(fixturesDir, "explain", name), "utf8");
const notesOf = (lines: ExplainedLine[], lineNo: number): string => lines[lineNo - 1].notes.join("\n");

describe("trace 1: the handshake on the wire", () => {
  const r = explainText(read("trace1-handshake.txt"));
  const all = r.lines.flatMap((l) => l.notes).join("\n");

  it("is read as a tcpdump trace with absolute numbers, each packet annotated", () => {
    assert.equal(r.kind, "tcpdump");
    for (const l of r.lines) assert.ok(l.notes.length > 0, `line ${l.line} has notes`);
  });

  it("SYN: ISN 1000000, the SYN consumes one number, first data byte 1000001", () => {
    const n = notesOf(r.lines, 1);
    assert.match(n, /ISN\) is 1000000/);
    assert.match(n, /consumes one sequence number/);
    assert.match(n, /first data byte will be 1000001/);
  });

  it("SYN-ACK: ack 1000001 confirms the client's SYN (client ISN + 1)", () => {
    const n = notesOf(r.lines, 2);
    assert.match(n, /ISN is 4200000/);
    assert.match(n, /ack 1000001 = the client's ISN 1000000 \+ 1/);
  });

  it("third packet: the bare ACK that completes the handshake, ack = server ISN + 1, no data yet", () => {
    const n = notesOf(r.lines, 3);
    assert.match(n, /three-way handshake is complete/);
    assert.match(n, /ack 4200001 .*= the server's ISN 4200000 \+ 1/);
    assert.match(n, /no data has flowed yet/);
  });

  it("fourth packet: the first application write of 14 bytes at ISN+1, not a retransmission", () => {
    const n = notesOf(r.lines, 4);
    assert.match(n, /14 bytes of data, bytes 1000001–1000014/);
    assert.match(n, /ISN \+ 1 = 1000001/);
    assert.match(n, /SYN consumed sequence number 1000000/);
    assert.match(n, /no reserved data byte/);
    assert.match(n, /not a retransmission/);
    assert.match(n, /PSH/);
    // ack 4200001: the next byte expected from the server; its SYN consumed one number, no data yet
    assert.match(n, /ack 4200001 is still the server's ISN \+ 1/);
    assert.match(n, /sent no data yet/);
    assert.doesNotMatch(all, /^Retransmission|Duplicate ACK/m);
  });
});

describe("trace 2: SYN flood under cookies", () => {
  const r = explainText(read("trace2-syn-flood.txt"));

  it("reads both the SYN trace and the nstat counters of the paste", () => {
    assert.equal(r.kind, "mixed");
    assert.match(notesOf(r.lines, 3), /ack 101 = the client's ISN 100 \+ 1/);
    assert.match(notesOf(r.lines, 5), /ack 201 = the client's ISN 200 \+ 1/);
    assert.match(notesOf(r.lines, 8), /TcpExtSyncookiesSent 41,827/);
    assert.match(notesOf(r.lines, 9), /TcpExtSyncookiesRecv 312/);
  });

  it("names the pattern: half-open handshakes from distinct sources, a flood absorbed by cookies, not a leak", () => {
    const s = r.summary.join("\n");
    assert.match(s, /2 handshakes stopped after the server's SYN-ACK/);
    assert.match(s, /2 distinct source addresses/);
    assert.match(s, /41,827 sent but only 312 came back/);
    assert.match(s, /absorbed, not a leak/);
    assert.match(s, /no memory per SYN/);
    assert.match(s, /keep net\.ipv4\.tcp_syncookies=1/);
  });
});

describe("trace 3: ss during an incident", () => {
  const r = explainText(read("trace3-close-wait.txt"));

  it("turns the wc -l counts into socket counts per state", () => {
    assert.match(notesOf(r.lines, 4), /9,820 sockets in CLOSE-WAIT/);
    assert.match(notesOf(r.lines, 4), /only the application can/);
    assert.match(notesOf(r.lines, 2), /12,383 sockets in ESTAB/);
    assert.match(notesOf(r.lines, 6), /1,247 in TIME-WAIT/);
    assert.match(notesOf(r.lines, 9), /8\.00 GiB/);
  });

  it("concludes: a missing close() in the application; TIME-WAIT is normal; no sysctl fixes it", () => {
    const s = r.summary.join("\n");
    assert.match(s, /9,820 sockets in CLOSE-WAIT/);
    assert.match(s, /missing close\(\) in the application/);
    assert.match(s, /memory keeps climbing/);
    assert.match(s, /No sysctl can clear CLOSE-WAIT/);
    assert.match(s, /TIME-WAIT sockets are normal/);
  });
});

describe("trace 4: ss -tin on a slow transfer", () => {
  const r = explainText(read("trace4-ss-slow-transfer.txt"));
  const n = r.lines.flatMap((l) => l.notes).join("\n");

  it("is read as ss output and every tcp_info field is explained", () => {
    assert.equal(r.kind, "ss");
    assert.match(n, /RTT 148 ms/);
    assert.match(n, /cwnd 11/);
    assert.match(n, /ssthresh 8/);
    assert.match(n, /214 segments retransmitted/);
    assert.match(n, /reordering 12/);
    assert.match(n, /MSS 1448 bytes per segment — the normal value on Ethernet/);
  });

  it("diagnoses cwnd held down by loss on a long path under CUBIC, and names BBR as the change", () => {
    assert.match(
      n,
      /RTT 148 ms, cwnd 11 with ssthresh 8 and 214 retransmissions under cubic: the congestion window is held down by loss on a long path/,
    );
    // the ceiling cwnd × MSS / RTT matches the 780 kbit/s observed
    const ceiling = /cannot exceed about (\d+) kbit\/s/.exec(n);
    assert.ok(ceiling);
    const expected = (11 * 1448 * 8) / 0.1482 / 1000;
    assert.ok(Math.abs(Number(ceiling[1]) - expected) < 5, `${ceiling[1]} vs ${expected}`);
    assert.match(n, /window scale and MSS are not the limit/);
    assert.match(n, /move this traffic to BBR/);
  });
});
