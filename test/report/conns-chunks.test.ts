// `conns` output written piece by piece: the same text as the whole-array renderers, in order,
// whatever the piece size, for full and compact (bare-SYN) connections alike.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { decodePacket } from "../../src/core/decode/index.js";
import { CaptureAnalysis } from "../../src/core/pipeline.js";
import { isCompactSummary } from "../../src/core/tcp/connections.js";
import type { ConnectionSummary } from "../../src/core/tcp/types.js";
import type { DecodedPacket } from "../../src/core/types.js";
import { readCaptureFile } from "../../src/io/capture-source.js";
import { connsJson, connsJsonChunks, connsTable, connsTableChunks } from "../../src/report/conns.js";
import { fixturesDir } from "../helpers.js";

let conns: ConnectionSummary[] = [];

/** A bare SYN from 192.0.2.x to the fixture's server side, `at` seconds in. */
function syn(i: number, at: number): DecodedPacket {
  return {
    frame: 100000 + i,
    tsSec: 1_800_000_000 + Math.floor(at),
    tsNsec: Math.round((at % 1) * 1e9),
    linkType: 1,
    capLen: 54,
    origLen: 54,
    ip: {
      version: 4,
      src: `192.0.2.${1 + (i % 250)}`,
      dst: "198.51.100.7",
      ttl: 50,
      protocol: 6,
      headerLen: 20,
      totalLen: 40,
      id: i,
    },
    tcp: {
      srcPort: 20000 + i,
      dstPort: 443,
      seq: (i * 2654435761) >>> 0,
      ack: 0,
      headerLen: 20,
      flags: 0x02,
      window: 1024,
      urgent: 0,
      payloadLen: 0,
      capturedPayloadLen: 0,
      payloadOffset: 54,
      options: {},
    },
  };
}

before(async () => {
  const a = new CaptureAnalysis();
  for (const name of ["refused.pcap", "slow-server.pcap", "keepalive-dead.pcap"]) {
    await readCaptureFile(join(fixturesDir, "conns", name), (r) => a.push(decodePacket(r), r));
  }
  for (let i = 0; i < 40; i++) a.push(syn(i, i * 0.001));
  conns = a.finish().connections;
});

describe("conns output in pieces", () => {
  it("has bare-SYN connections among full ones", () => {
    assert.ok(conns.filter(isCompactSummary).length >= 40);
    assert.ok(conns.some((c) => !isCompactSummary(c)));
  });

  it("writes the JSON array of connsJson, pretty-printed, piece by piece", () => {
    const whole = JSON.stringify(connsJson(conns), null, 2);
    for (const size of [1, 500, 1 << 16]) {
      const pieces = [...connsJsonChunks(conns, size)];
      assert.equal(pieces.join(""), whole, `pieces of ${size}`);
      if (size === 500) assert.ok(pieces.length > 10);
    }
    assert.equal([...connsJsonChunks([])].join(""), JSON.stringify([], null, 2));
    // Out of order in, ordered by stream out.
    assert.equal([...connsJsonChunks([...conns].reverse())].join(""), whole);
  });

  it("writes the table of connsTable, piece by piece", () => {
    const whole = connsTable(conns, { color: false });
    assert.equal([...connsTableChunks(conns, { chunkChars: 300 })].join(""), whole);
    assert.equal([...connsTableChunks([...conns].reverse())].join(""), whole);
    const lines = whole.trimEnd().split("\n");
    assert.equal(lines.length, conns.length + 1);
    assert.match(lines.at(-1) ?? "", /192\.0\.2\.40:20039 +198\.51\.100\.7:443 +S0 /);
    assert.equal([...connsTableChunks([])].join(""), "no TCP connections\n");
  });

  it("renders a hundred thousand connections without building them all at once", () => {
    const many = Array.from({ length: 100_000 }, (_, i) => conns[i % conns.length]);
    let chars = 0;
    let pieces = 0;
    for (const piece of connsTableChunks(many, { chunkChars: 1 << 16 })) {
      chars += piece.length;
      pieces++;
      assert.ok(piece.length < (1 << 16) + 1000);
    }
    assert.ok(pieces > 50);
    assert.ok(chars > 100_000 * 50);
  });
});
