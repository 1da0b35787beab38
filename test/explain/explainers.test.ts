// The socket, counter and sysctl explainers on their own, explainText's dispatch on host text,
// and the renderer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  explainCounter,
  explainCounters,
  explainSocket,
  explainSysctl,
  explainText,
  renderExplain,
} from "../../src/explain/index.js";
import type { SocketEntry } from "../../src/host/types.js";
import { capturesDir, needsShared } from "../helpers.js";

const socket = (over: Partial<SocketEntry>): SocketEntry => ({
  state: "ESTAB",
  recvQ: 0,
  sendQ: 0,
  localIp: "10.0.0.5",
  localPort: 44120,
  peerIp: "203.0.113.20",
  peerPort: 443,
  ...over,
});

describe("explainSocket", () => {
  it("a full accept queue on a listener is named as the overflow it is", () => {
    const n = explainSocket(
      socket({ state: "LISTEN", recvQ: 129, sendQ: 128, peerIp: "0.0.0.0", peerPort: 0 }),
    ).join("\n");
    assert.match(n, /accept-queue limit/);
    assert.match(n, /The queue is full/);
  });

  it("a receive queue that does not drain points at the reading application", () => {
    const n = explainSocket(socket({ recvQ: 4_000_000 })).join("\n");
    assert.match(n, /has not read yet — a lot/);
  });

  it("BBR with loss is not blamed on the congestion control", () => {
    const n = explainSocket(
      socket({ info: { cc: "bbr", rtt: 148, mss: 1448, cwnd: 200, retrans: 0, retransTotal: 214 } }),
    ).join("\n");
    assert.doesNotMatch(n, /move this traffic to BBR/);
    assert.match(n, /BBR: model-based/);
  });

  it("a short path with a small cwnd is not called a long lossy path", () => {
    const n = explainSocket(
      socket({ info: { cc: "cubic", rtt: 0.3, mss: 1448, cwnd: 10, retransTotal: 3 } }),
    ).join("\n");
    assert.doesNotMatch(n, /long path/);
  });
});

describe("explainCounters", () => {
  it("says what a counter counts, and that it rose", () => {
    assert.match(
      explainCounter("TcpExtListenOverflows", 32, { delta: true }) ?? "",
      /accept queue was full.*A rise means/,
    );
    assert.equal(explainCounter("TcpExtSomethingNew", 1), undefined);
  });

  it("reads counters together: cookies answered, overflows, retransmission share", () => {
    const s = explainCounters({
      TcpExtSyncookiesSent: 7295,
      TcpExtSyncookiesRecv: 1,
      TcpExtListenOverflows: 32,
      TcpExtListenDrops: 32,
      TcpOutSegs: 1000,
      TcpRetransSegs: 50,
    }).summary.join("\n");
    assert.match(s, /SYN flood from spoofed sources that was absorbed/);
    assert.match(s, /32 accept-queue overflows/);
    assert.match(s, /50 of 1,000 segments sent \(5\.0%\).*high/);
  });

  it("a cookie burst that mostly completes is not called a flood", () => {
    const s = explainCounters({ TcpExtSyncookiesSent: 100, TcpExtSyncookiesRecv: 90 }).summary.join("\n");
    assert.doesNotMatch(s, /flood/);
    assert.match(s, /most handshakes completed/);
  });
});

describe("explainSysctl", () => {
  it("judges the values that matter", () => {
    assert.match(explainSysctl("net.ipv4.tcp_syncookies", "0") ?? "", /Turn it on/);
    assert.match(explainSysctl("net.ipv4.ip_local_port_range", "32768\t60999") ?? "", /28232 ports/);
    assert.match(explainSysctl("net.core.somaxconn", "128") ?? "", /Small/);
    assert.equal(explainSysctl("net.ipv4.unknown_knob", "1"), undefined);
  });
});

describe("explainText dispatch", () => {
  it("sysctl output", () => {
    const r = explainText("net.ipv4.tcp_syncookies = 1\nnet.ipv4.tcp_congestion_control = cubic\n");
    assert.equal(r.kind, "sysctl");
    assert.match(r.lines[0].notes.join(" "), /On when needed/);
    assert.match(r.lines[1].notes.join(" "), /BBR keeps much more throughput/);
  });

  it("unrecognised text: every line back, no notes, kind unknown", () => {
    const r = explainText("hello\nworld\n");
    assert.equal(r.kind, "unknown");
    assert.deepEqual(
      r.lines.map((l) => [l.line, l.text, l.notes.length]),
      [
        [1, "hello", 0],
        [2, "world", 0],
      ],
    );
  });

  it("syn-flood server counters: the cookie summary", { skip: needsShared }, () => {
    const text = readFileSync(join(capturesDir, "syn-flood/host/server/nstat-delta.txt"), "utf8");
    const r = explainText(text, { path: "nstat-delta.txt" });
    assert.equal(r.kind, "nstat");
    assert.match(r.summary.join("\n"), /7,295 sent but only 1 came back/);
  });

  it("close-wait server socket table: the leak and its owner", { skip: needsShared }, () => {
    const text = readFileSync(join(capturesDir, "close-wait/host/server-t2/ss-tanpimeo.txt"), "utf8");
    const r = explainText(text);
    assert.equal(r.kind, "ss");
    const s = r.summary.join("\n");
    assert.match(s, /\d+ sockets in CLOSE-WAIT: a missing close\(\) in the application/);
    assert.match(s, /python3 \(pid \d+\)/);
  });
});

describe("renderExplain", () => {
  const lines = [
    { line: 1, text: "IP a.1 > b.2: Flags [S]", notes: ["first note", "second note"] },
    { line: 2, text: "nothing here", notes: [] },
  ];

  it("prints every line, notes indented below their line, no colour codes when off", () => {
    const out = renderExplain(lines, { color: false, summary: ["all good"] });
    assert.equal(out.includes("\u001b["), false);
    const rows = out.split("\n");
    assert.equal(rows[0], "IP a.1 > b.2: Flags [S]");
    assert.match(rows[1], /^ {4}↳ first note$/);
    assert.match(rows[2], /^ {4}↳ second note$/);
    assert.equal(rows[3], "nothing here");
    assert.ok(out.includes("all good"));
  });

  it("colours when asked, wraps long notes", () => {
    const long = { line: 1, text: "x", notes: [Array.from({ length: 40 }, () => "word").join(" ")] };
    const out = renderExplain([long], { color: true, width: 40 });
    assert.ok(out.includes("\u001b["));
    const plain = renderExplain([long], { color: false, width: 40 });
    for (const row of plain.trimEnd().split("\n")) assert.ok(row.length <= 40, row);
  });
});
