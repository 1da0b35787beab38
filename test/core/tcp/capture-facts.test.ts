// Duplicate frames: mirrored copies a few microseconds apart are duplicates; a stack's own
// byte-identical repeats (a SYN-ACK resent by its timer and again for a retransmitted SYN) are not.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CaptureFactsBuilder } from "../../../src/core/tcp/capture-facts.js";
import type { DecodedPacket } from "../../../src/core/types.js";
import { analyseFile } from "../../fixtures/rules/analyse.js";
import { Flow } from "../../fixtures/rules/flow.js";
import { fixturesDir } from "../../helpers.js";

/** The same packet again, `dt` seconds later (a copy, as mirroring or a second interface gives). */
function copy(p: DecodedPacket, dt: number, frame: number): DecodedPacket {
  const ns = p.tsNsec + Math.round(dt * 1e9);
  return { ...p, frame, tsSec: p.tsSec + Math.floor(ns / 1e9), tsNsec: ns % 1e9 };
}

function duplicates(pkts: DecodedPacket[]): number {
  const b = new CaptureFactsBuilder();
  for (const p of pkts) b.packet(p);
  return b.result().duplicates;
}

describe("duplicate frames", () => {
  const f = new Flow();
  const data = f.cli("PA", 1, 1, 500, { at: 1, ipId: 7, options: { tsVal: 1000 } });
  const synAck = f.srv("SA", 0, 1, 0, { at: 2, ipId: 0, options: { mss: 1460, tsVal: 2000 } });

  it("finds the same frame captured twice within microseconds", () => {
    assert.equal(duplicates([data, copy(data, 0, 2)]), 1);
    assert.equal(duplicates([data, copy(data, 20e-6, 2)]), 1);
    assert.equal(duplicates([synAck, copy(synAck, 0, 2)]), 1);
    assert.equal(duplicates([synAck, copy(synAck, 3e-6, 2)]), 1);
  });

  it("does not take identical packets a sender emits a fraction of a millisecond apart for copies", () => {
    // Server timer resend and the answer to a retransmitted SYN, 0.3 ms apart, byte for byte equal.
    assert.equal(duplicates([synAck, copy(synAck, 0.0003, 2)]), 0);
    const rst = f.srv("R", 1, 0, 0, { at: 3, ipId: 0 });
    assert.equal(duplicates([rst, copy(rst, 50e-6, 2)]), 0);
    assert.equal(duplicates([data, copy(data, 0.0005, 2)]), 0);
  });

  it("counts no duplicates in the half-open handshake capture whose SYN-ACKs repeat 0.3 ms apart", () => {
    const facts = analyseFile(join(fixturesDir, "scenarios", "handshake-incomplete", "capture.pcap"));
    assert.equal(facts.capture?.duplicates, 0);
    assert.equal(facts.connections[0].handshake.synAckCount, 6);
  });
});
