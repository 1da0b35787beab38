// `conns` output: the JSON contract of spec/cli.md and the aligned human table.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { CaptureAnalysis } from "../../../src/core/pipeline.js";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import { readCaptureFile } from "../../../src/io/capture-source.js";
import { connsJson, connsTable } from "../../../src/report/conns.js";
import { fixturesDir } from "../../helpers.js";

let conns: ConnectionSummary[] = [];

before(async () => {
  const a = new CaptureAnalysis();
  for (const name of ["refused.pcap", "slow-server.pcap", "keepalive-dead.pcap"]) {
    await readCaptureFile(join(fixturesDir, "conns", name), (r) => a.push(decodePacket(r), r));
  }
  conns = a.finish().connections;
});

/** Every number of a JSON value. */
function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) numbers(x, out);
  return out;
}

describe("connsJson", () => {
  it("has the fields of the spec, one object per connection ordered by stream", () => {
    const rows = connsJson([...conns].reverse()) as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => r.stream),
      [0, 1, 2],
    );
    for (const r of rows) {
      for (const k of [
        "stream",
        "client",
        "server",
        "start",
        "duration",
        "state",
        "history",
        "packets",
        "bytes",
        "retransmissions",
        "duplicateAcks",
        "outOfOrder",
        "zeroWindows",
      ]) {
        assert.ok(k in r, `field ${k}`);
      }
      assert.deepEqual(Object.keys(r.packets as object), ["client", "server"]);
      assert.deepEqual(Object.keys(r.bytes as object), ["client", "server"]);
      assert.equal(typeof r.retransmissions, "number");
    }
    const [refused, slow, dead] = rows;
    assert.equal(refused.state, "REJ");
    assert.equal(refused.handshakeRtt, undefined);
    assert.equal(slow.client, "10.77.1.1:40015");
    assert.equal(slow.server, "10.77.2.1:9000");
    assert.equal(typeof slow.handshakeRtt, "number");
    assert.equal((slow.thinkTimes as unknown[]).length, 3);
    assert.equal(dead.state, "RSTO");
    assert.deepEqual(dead.keepalive, { probes: 5, answered: 2, unansweredTail: 3 });
  });

  it("rounds times to nanoseconds and survives a JSON round trip", () => {
    const rows = connsJson(conns);
    for (const n of numbers(rows)) assert.equal(n, Math.round(n * 1e9) / 1e9);
    assert.deepEqual(JSON.parse(JSON.stringify(rows)), rows);
  });
});

describe("connsTable", () => {
  it("aligns one row per connection under a header", () => {
    const text = connsTable(conns);
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, conns.length + 1);
    assert.doesNotMatch(text, /\u001b\[/);
    const stateCol = lines[0].indexOf("state");
    assert.ok(stateCol > 0);
    const states = lines.slice(1).map((l) => l.slice(stateCol).split(/\s+/)[0]);
    assert.deepEqual(states, ["REJ", "SF", "RSTO"]);
    const historyCol = lines[0].indexOf("history");
    assert.deepEqual(
      lines.slice(1).map((l) => l.slice(historyCol).split(/\s+/)[0]),
      conns.map((c) => c.history),
    );
  });

  it("colours only when asked, without disturbing the alignment", () => {
    const plain = connsTable(conns);
    const colored = connsTable(conns, { color: true });
    assert.match(colored, /\u001b\[/);
    assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ""), plain);
  });

  it("says so when there is no connection", () => {
    assert.equal(connsTable([]), "no TCP connections\n");
    assert.deepEqual(connsJson([]), []);
  });
});
