// explainTrace / explainText on real traces whose ground truth is known (how the fault was built,
// from the corpus' truth.json): the words must name what really happened.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket } from "../../src/core/decode/index.js";
import type { DecodedPacket } from "../../src/core/types.js";
import { explainText, explainTrace } from "../../src/explain/index.js";
import { readCaptureFile } from "../../src/io/capture-source.js";
import { parseTcpdump } from "../../src/text/tcpdump.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const fixture = (name: string): string => readFileSync(join(fixturesDir, "tcpdump", name), "utf8");
const corpus = (scenario: string, file = "capture.txt"): string =>
  readFileSync(join(capturesDir, scenario, file), "utf8");
const allNotes = (text: string): string => {
  const r = explainText(text);
  return [...r.lines.flatMap((l) => l.notes), ...r.summary].join("\n");
};

describe("explain: traces in the repository", () => {
  it("clean (relative numbers): handshake, data at ISN+1, orderly close with TIME-WAIT on the side that closed first", () => {
    const r = explainText(fixture("clean-clock.txt"));
    assert.equal(r.kind, "tcpdump");
    const n = r.lines.flatMap((l) => l.notes).join("\n");
    assert.match(n, /ISN\) is 406374595/);
    // tcpdump printed relative numbers: the notes speak in them and give the absolute beside
    assert.match(n, /ISN \+ 1 = 1 \(absolute 406374596\)/);
    assert.match(n, /three-way handshake is complete/);
    assert.match(n, /Both FINs are acknowledged/);
    assert.match(n, /The client, which closed first, keeps the connection in TIME-WAIT/);
    assert.doesNotMatch(n, /Retransmission|Duplicate ACK|aborts/);
    assert.match(r.summary.join("\n"), /closed in an orderly way/);
  });

  it("keepalive: probes at next − 1 each answered, nothing wrong", () => {
    const n = allNotes(fixture("keepalive-clock.txt"));
    assert.equal((n.match(/Keepalive probe: sequence 69 = next − 1/g) ?? []).length, 5);
    assert.equal((n.match(/Answers the keepalive probe/g) ?? []).length, 5);
    assert.doesNotMatch(n, /without an answer/);
  });

  it("pmtu-ok: the ICMP 'fragmentation needed' is explained with its MTU and the segment size to use", () => {
    const n = allNotes(fixture("pmtu-ok-head.txt"));
    assert.match(
      n,
      /ICMP 'fragmentation needed' from 10\.77\.2\.254 about a packet from 10\.77\.2\.1:8080 to 10\.77\.1\.1:40012/,
    );
    assert.match(n, /MTU of 1400 bytes/);
    assert.match(n, /at most 1360 bytes/);
  });

  it("zero-window: zero window, probes, window update", () => {
    const n = allNotes(fixture("zero-window-head-tttt.txt"));
    assert.match(n, /Zero window: the server's receive buffer is full/);
    assert.match(n, /Zero-window probe: sequence \d+ = next − 1/);
    assert.match(n, /Window update: the window opens again/);
  });

  it("a capture explained without its text gets a rendered line per packet", async () => {
    const packets: DecodedPacket[] = [];
    await readCaptureFile(join(fixturesDir, "tcpdump", "clean.pcap"), (r) =>
      packets.push(structuredClone(decodePacket(r))),
    );
    const lines = explainTrace(packets, []);
    assert.equal(lines.length, packets.length);
    const syn = lines.find((l) => /Flags \[S\]/.test(l.text));
    assert.ok(syn);
    assert.match(syn.notes.join(" "), /opens a connection/);
  });

  it("no timestamps (-t): no timing claims", () => {
    const r = explainText(fixture("clean-none.txt"));
    const n = r.lines.flatMap((l) => l.notes).join("\n");
    assert.match(n, /three-way handshake is complete/);
    assert.doesNotMatch(n, /round trip|ms after|after the SYN/);
  });

  it("trace lines map to packets by frame, also for -v records spanning several lines", () => {
    const text = fixture("clean-vv.txt");
    const parsed = parseTcpdump(text);
    const lines = text.split("\n");
    lines.pop();
    const out = explainTrace(parsed.packets, lines, undefined, { absoluteSeq: parsed.format.absoluteSeq });
    assert.equal(out.length, lines.length);
    for (const l of out) {
      if (l.notes.length)
        assert.match(l.text, /^\s+\S+ > \S+: Flags/, `notes sit on the TCP line: ${l.text}`);
    }
  });
});

describe("explain: corpus scenarios", { skip: needsShared }, () => {
  it("refused: RST to the SYN = nothing listening, ECONNREFUSED, not a timeout", () => {
    const n = allNotes(corpus("refused"));
    assert.match(n, /RST in answer to the SYN: 10\.77\.0\.2:8081 refuses the connection/);
    assert.match(n, /ECONNREFUSED/);
    assert.match(n, /refused: the SYN was answered by a reset/);
  });

  it("timeout: same ISN resent with doubling intervals, silent drop", () => {
    const n = allNotes(corpus("timeout"));
    assert.match(n, /SYN sent again \(3rd attempt, same ISN/);
    assert.match(n, /doubling each time/);
    assert.match(n, /timed out: 3 SYNs, no answer/);
  });

  it("timeout-linear: evenly spaced SYN retries are named as the kernel's linear phase", () => {
    const n = allNotes(corpus("timeout-linear"));
    assert.match(n, /evenly spaced.*tcp_syn_linear_timeouts/);
  });

  it("keepalive-dead: unanswered probes, then the client's RST (ETIMEDOUT)", () => {
    const n = allNotes(corpus("keepalive-dead"));
    assert.match(n, /3 probes in a row without an answer/);
    assert.match(n, /RST after 3 unanswered keepalive probes/);
    assert.match(n, /reset by the client after unanswered keepalives/);
  });

  it("slow-server: about 1.5 s of server think time, request ACKed promptly", () => {
    const n = allNotes(corpus("slow-server"));
    const m = /about ([\d.]+) s was spent inside the server application/.exec(n);
    assert.ok(m, "think time named");
    assert.ok(Math.abs(Number(m[1]) - 1.5) < 0.1, m[1]);
    assert.match(n, /the server had acknowledged the request after \d+ ms/);
  });

  it("rst-abort: the server aborts mid-connection", () => {
    const n = allNotes(corpus("rst-abort"));
    assert.match(n, /The server 10\.77\.0\.2:8080 aborts the connection \(RST\)/);
    assert.match(n, /aborted by the server/);
  });

  it("rst-client: the client aborts while the server is sending", () => {
    const n = allNotes(corpus("rst-client"));
    assert.match(n, /The client 10\.77\.0\.1:40009 aborts the connection \(RST\)/);
  });

  it("pmtu-blackhole: the same full-size segment resent with RTO backoff, black-hole signature", () => {
    const n = allNotes(corpus("pmtu-blackhole"));
    assert.match(n, /doubling each time: the retransmission timer \(RTO\) backing off/);
    assert.match(n, /path-MTU black hole/);
  });

  it("time-wait: hundreds of short connections closed first by the client are named as churn", () => {
    const s = explainText(corpus("time-wait")).summary.join("\n");
    assert.match(s, /300 connections were established, closed in an orderly way, first by the client/);
    assert.match(
      s,
      /300 short connections .* each closed first by the client: every one leaves a TIME-WAIT socket/,
    );
    assert.match(s, /reuse connections/);
  });

  it("close-wait: the server acknowledges every FIN and never closes", () => {
    const s = explainText(corpus("close-wait")).summary.join("\n");
    assert.match(
      s,
      /50 connections were established, closed by the client only: the server acknowledged the FIN/,
    );
  });

  it("reorder-real: late segments are told apart from retransmissions (counts from truth.json)", () => {
    const truth = JSON.parse(readFileSync(join(capturesDir, "reorder-real", "truth.json"), "utf8"));
    const r = explainText(corpus("reorder-real"));
    const late = r.lines.filter((l) =>
      l.notes.some((n) => /^Out of order: .* too soon for a retransmission/.test(n)),
    );
    assert.equal(late.length, Number(truth.params.held_back_segments));
    const m = /(\d+) retransmissions?,/.exec(r.summary.join("\n"));
    assert.ok(m);
    assert.equal(Number(m[1]), truth.params.sender_tcp_retrans_segs);
  });

  it("loss-cubic: the retransmissions named are the ones the sender's kernel counted", () => {
    const truth = JSON.parse(readFileSync(join(capturesDir, "loss-cubic", "truth.json"), "utf8"));
    const m = /(\d+) retransmissions?,/.exec(explainText(corpus("loss-cubic")).summary.join("\n"));
    assert.ok(m);
    assert.equal(Number(m[1]), truth.params.tcp_retrans_segs);
  });

  it("loss-cubic (first 400 lines): duplicate ACKs up to the threshold, then fast retransmission", () => {
    const head = corpus("loss-cubic").split("\n").slice(0, 400).join("\n");
    const n = allNotes(head);
    assert.match(n, /Duplicate ACK #3 .*fast-retransmit threshold is reached/);
    assert.match(n, /Fast retransmission of bytes 101361–102808/);
  });
});
