import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HostSnapshot } from "../../src/host/types.js";
import { renderHuman } from "../../src/report/human.js";
import { reportJson, reportJsonChunks, reportObject } from "../../src/report/json.js";
import { buildReport, exitCodeFor, verdictOf } from "../../src/report/model.js";
import { makeFinding } from "../../src/rules/catalogue.js";
import { diagnose } from "../../src/rules/engine.js";
import { conn, facts, unanswered } from "../fixtures/rules/connections.js";

const inputs = [{ path: "capture.pcap", format: "pcap", packets: 12, warnings: [] }];

function refusedReport() {
  const c = conn({ stream: 0, serverPort: 8081 });
  const refused = {
    ...c,
    state: "REJ" as const,
    handshake: { ...c.handshake, synAckSeen: false, ackSeen: false, refused: true },
    close: { firstRst: "server" as const, rstAt: 0.0001, rstFrame: 2 },
    bytes: { client: 0, server: 0 },
    thinkTimes: [],
  };
  const f = facts([refused]);
  return buildReport({ inputs, findings: diagnose(f), connections: f.connections });
}

describe("report model", () => {
  it("the verdict names the top finding, or says nothing is wrong", () => {
    assert.match(
      verdictOf([makeFinding("connect-refused"), makeFinding("reordering")]),
      /^CRITICAL: Connection refused.*\[connect-refused\] \(\+1 more\)$/,
    );
    assert.match(verdictOf([makeFinding("pmtu-reduced")]), /^OK: no problem found \(1 note below\)\.$/);
    assert.match(verdictOf([]), /^OK/);
  });

  it("keeps every connection of a small capture and only the cited ones of a large capture", () => {
    const small = [conn({ stream: 0 }), conn({ stream: 1 })];
    assert.equal(buildReport({ inputs, findings: [], connections: small }).connections?.length, 2);
    const many = Array.from({ length: 60 }, (_, i) => conn({ stream: i }));
    const cited = buildReport({
      inputs,
      findings: [makeFinding("reordering", { streams: [7, 9] })],
      connections: many,
    });
    assert.deepEqual(
      cited.connections?.map((c) => c.stream),
      [7, 9],
    );
    assert.equal(
      buildReport({ inputs, findings: [], connections: many, allConnections: true }).connections?.length,
      60,
    );
    assert.equal(cited.stats?.total, 60);
  });

  it("digests the host snapshot instead of copying every socket", () => {
    const host: HostSnapshot = {
      sources: [{ path: "ss.txt", kind: "ss" }],
      hostname: "web-1",
      sockets: [
        {
          state: "LISTEN",
          recvQ: 0,
          sendQ: 128,
          localIp: "0.0.0.0",
          localPort: 8080,
          peerIp: "0.0.0.0",
          peerPort: 0,
        },
        {
          state: "CLOSE-WAIT",
          recvQ: 0,
          sendQ: 0,
          localIp: "10.0.0.2",
          localPort: 8080,
          peerIp: "10.0.0.1",
          peerPort: 4000,
        },
        {
          state: "CLOSE-WAIT",
          recvQ: 0,
          sendQ: 0,
          localIp: "10.0.0.2",
          localPort: 8080,
          peerIp: "10.0.0.1",
          peerPort: 4001,
        },
      ],
    };
    const r = buildReport({ inputs, findings: [], host });
    assert.deepEqual(r.host?.sockets, {
      total: 3,
      byState: { LISTEN: 1, "CLOSE-WAIT": 2 },
      listening: ["0.0.0.0:8080"],
    });
  });

  it("exit code follows the worst severity", () => {
    assert.equal(exitCodeFor(refusedReport().findings), 1);
    assert.equal(exitCodeFor(diagnose(facts([conn()]))), 0);
  });
});

describe("analyze --json", () => {
  it("has exactly the keys of the contract, findings ranked, connections as conns --json rows", () => {
    const obj = JSON.parse(reportJson(refusedReport()));
    assert.deepEqual(Object.keys(obj), ["inputs", "findings", "connections"]);
    assert.deepEqual(obj.inputs, [{ path: "capture.pcap", format: "pcap", packets: 12, warnings: [] }]);
    const f = obj.findings[0];
    assert.deepEqual(Object.keys(f), [
      "id",
      "severity",
      "confidence",
      "title",
      "summary",
      "evidence",
      "cause",
      "fix",
      "alternatives",
      "confirm",
      "streams",
    ]);
    assert.equal(f.id, "connect-refused");
    assert.equal(obj.connections[0].stream, 0);
    assert.equal(obj.connections[0].state, "REJ");
  });

  it("written in pieces, is the same text as written whole, however long its lists", () => {
    const streams = Array.from({ length: 2500 }, (_, i) => i * 3);
    const many = Array.from({ length: 30 }, (_, i) => conn({ stream: i * 3 }));
    const flood = makeFinding("syn-flood", {
      streams,
      evidence: { nested: [{ a: 1, b: [1, 2, { c: "x\ny" }] }, [], {}], ratio: Number.NaN, none: undefined },
    });
    const sources = Array.from({ length: 1500 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, n: i }));
    const report = buildReport({
      inputs,
      findings: [flood, makeFinding("reordering", { streams: [3, 6], evidence: { sources } })],
      connections: many,
    });
    const whole = reportJson(report);
    for (const size of [1, 100, 64 * 1024]) {
      const pieces = [...reportJsonChunks(report, size)];
      assert.equal(pieces.join(""), whole, `chunks of ${size}`);
      if (size === 100) assert.ok(pieces.length > 100, "many pieces");
      if (size === 100) assert.ok(Math.max(...pieces.map((p) => p.length)) < 1000, "bounded pieces");
    }
    assert.equal(JSON.parse(whole).findings[0].streams.length, 2500);
  });

  it("never prints NaN or Infinity, and drops undefined values", () => {
    const f = makeFinding("packet-loss", {
      evidence: { ratio: Number.NaN, big: Number.POSITIVE_INFINITY, gone: undefined, x: 0.1 + 0.2 },
    });
    const obj = reportObject(buildReport({ inputs, findings: [f] }));
    const ev = (obj.findings as { evidence: Record<string, unknown> }[])[0].evidence;
    assert.deepEqual(ev, { ratio: null, big: null, x: 0.3 });
  });
});

describe("human report", () => {
  it("starts with the verdict, then the finding with its evidence, fix, alternatives and confirm commands", () => {
    const text = renderHuman(refusedReport(), { color: false });
    const lines = text.split("\n");
    assert.match(lines[0], /^CRITICAL: Connection refused/);
    assert.match(text, /1\. CRITICAL Connection refused/);
    assert.match(text, /Evidence\n\s+server: 10\.0\.0\.2:8081/);
    assert.match(text, /Fix\n\s+Start the service on 10\.0\.0\.2:8081/);
    assert.match(text, /Otherwise\n\s+1\. /);
    assert.match(text, /\$ ss -ltnp 'sport = :8081'/);
    assert.match(text, /Connections: 1 \(REJ 1\)/);
    assert.doesNotMatch(text, /\u001b\[/);
  });

  it("colours only when asked", () => {
    assert.match(renderHuman(refusedReport(), { color: true }), /\u001b\[/);
  });

  it("a healthy capture reads OK and lists no fix", () => {
    const f = facts([conn()]);
    const text = renderHuman(buildReport({ inputs, findings: diagnose(f), connections: f.connections }), {
      color: false,
    });
    assert.match(text, /^OK: no problem found in 1 connection\./);
    assert.doesNotMatch(text, /Fix/);
  });

  it("shows info findings briefly and formats seconds and rates from the evidence keys", () => {
    const info = makeFinding("pmtu-reduced", {
      evidence: { pathMtu: [1400], stalledSeconds: 0.0123, throughputBps: 5_250_000 },
    });
    const text = renderHuman(buildReport({ inputs, findings: [info] }), { color: false });
    assert.match(text, /INFO Path MTU/);
    assert.match(text, /stalled: 12\.3 ms/);
    assert.match(text, /throughput: 5\.25 Mbit\/s/);
    assert.doesNotMatch(text, /Confirm/);
  });

  it("lists the connections the findings cite", () => {
    const conns = [conn({ stream: 0 }), unanswered(1, 3, { serverPort: 9 })];
    const f = facts(conns);
    const text = renderHuman(buildReport({ inputs, findings: diagnose(f), connections: conns }), {
      color: false,
    });
    assert.match(text, /\n\s+1 {2}10\.0\.0\.1:40001 → 10\.0\.0\.2:9 {2}S0/);
  });
});
