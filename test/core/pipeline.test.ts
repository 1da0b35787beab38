// The capture pipeline: reader records → decoder → analyzer → connection and capture facts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket } from "../../src/core/decode/index.js";
import { CaptureAnalysis } from "../../src/core/pipeline.js";
import type { PacketAnalysis } from "../../src/core/tcp/types.js";
import type { DecodedPacket, PacketRecord } from "../../src/core/types.js";
import { readCaptureFile } from "../../src/io/capture-source.js";
import { fixturesDir } from "../helpers.js";

const fixture = (name: string) => join(fixturesDir, "conns", name);

async function records(name: string): Promise<PacketRecord[]> {
  const out: PacketRecord[] = [];
  await readCaptureFile(fixture(name), (r) => out.push(r));
  return out;
}

const seconds = (r: PacketRecord) => r.tsSec + r.tsNsec / 1e9;

describe("CaptureAnalysis", () => {
  it("analyses a capture into connections and capture facts", async () => {
    const recs = await records("refused.pcap");
    const a = new CaptureAnalysis();
    for (const r of recs) a.push(decodePacket(r), r);
    a.addFileInfo({
      path: "refused.pcap",
      format: "pcap",
      linkTypes: [1],
      snaplen: 262144,
      packets: recs.length,
    });
    const { connections, capture } = a.finish();
    assert.equal(connections.length, 1);
    assert.equal(connections[0].state, "REJ");
    assert.equal(connections[0].client, "10.77.0.1:40002");
    assert.equal(capture.packets, recs.length);
    assert.equal(capture.tcpPackets, recs.filter((r) => decodePacket(r).tcp).length);
    assert.ok(Math.abs(capture.duration - (seconds(recs[recs.length - 1]) - seconds(recs[0]))) < 1e-6);
    assert.deepEqual(capture.files, [
      { path: "refused.pcap", format: "pcap", packets: recs.length, linkTypes: [1], snaplen: 262144 },
    ]);
    assert.equal(capture.duplicates, 0);
    assert.equal(capture.fromText, false);
    assert.equal(capture.oneSidedConnections, 0);
    assert.equal(capture.noHandshakeConnections, 0);
    // finish() is idempotent
    assert.equal(a.finish().connections, connections);
  });

  it("hands every TCP packet to onPacket with its stream number", async () => {
    const recs = await records("keepalive-dead.pcap");
    const seen: PacketAnalysis[] = [];
    const a = new CaptureAnalysis({ onPacket: (pa) => seen.push(pa) });
    for (const r of recs) a.push(decodePacket(r));
    const { connections } = a.finish();
    const tcp = recs.filter((r) => decodePacket(r).tcp);
    assert.equal(seen.length, tcp.length);
    assert.deepEqual(
      seen.map((p) => p.frame),
      tcp.map((r) => r.frame),
    );
    assert.ok(seen.every((p) => p.stream === 0));
    assert.equal(connections[0].packets.client + connections[0].packets.server, tcp.length);
  });

  it("numbers streams continuously across several files analysed together", async () => {
    const first = await records("refused.pcap");
    const second = await records("keepalive-dead.pcap");
    const a = new CaptureAnalysis();
    for (const r of first) a.push(decodePacket(r));
    for (const r of second) a.push(decodePacket(r));
    const { connections, capture } = a.finish();
    assert.deepEqual(
      connections.map((c) => [c.stream, c.client]),
      [
        [0, "10.77.0.1:40002"],
        [1, "10.77.0.1:40014"],
      ],
    );
    // Times count from the first packet of the first file.
    const firstSyn2 = second.find((r) => decodePacket(r).tcp);
    assert.ok(firstSyn2);
    assert.ok(Math.abs(connections[1].start - (seconds(firstSyn2) - seconds(first[0]))) < 1e-6);
    assert.equal(capture.packets, first.length + second.length);
  });

  it("counts exact duplicate frames and keeps them out of the connection facts", async () => {
    const recs = await records("keepalive-dead.pcap");
    const once = new CaptureAnalysis();
    for (const r of recs) once.push(decodePacket(r), r);
    const single = once.finish().connections[0];

    const twice = new CaptureAnalysis();
    for (const r of recs) {
      twice.push(decodePacket(r), r);
      twice.push(decodePacket(r), r);
    }
    const res = twice.finish();
    const ipPackets = recs.filter((r) => decodePacket(r).ip).length;
    assert.equal(res.capture.duplicates, ipPackets);
    assert.deepEqual(res.connections[0].packets, single.packets);
    assert.equal(res.connections[0].dir.client.repeatedSegments, 0);
    assert.equal(res.connections[0].state, single.state);
  });

  it("does not take a sender's repeated packets for duplicates", async () => {
    // keepalive-dead: the client's unanswered keepalives are identical but for IP id and timestamp.
    const recs = await records("keepalive-dead.pcap");
    const a = new CaptureAnalysis();
    for (const r of recs) a.push(decodePacket(r), r);
    assert.equal(a.finish().capture.duplicates, 0);
  });

  it("reports snaplen-cut payloads and ties ICMP fragmentation-needed to its connection", async () => {
    const recs = await records("pmtu-ok-head-s96.pcap");
    const a = new CaptureAnalysis();
    for (const r of recs) a.push(decodePacket(r), r);
    const { connections, capture } = a.finish();
    const decoded = recs.map((r) => decodePacket(r));
    const cut = recs.filter((r, i) => decoded[i].tcp && r.capLen < r.origLen).length;
    assert.ok(cut > 0);
    assert.equal(capture.snaplenTruncated, cut);
    const icmpFrames = decoded.filter((p) => p.icmp).map((p) => p.frame);
    assert.ok(icmpFrames.length > 0);
    assert.equal(connections.length, 1);
    assert.deepEqual(
      connections[0].icmp.map((i) => i.frame),
      icmpFrames,
    );
    assert.ok(connections[0].icmp.every((i) => i.kind === "frag-needed" && i.mtu === 1400));
    assert.deepEqual(capture.unmatchedIcmp, []);
  });

  it("lists ICMP errors about unknown connections, decode errors and the text origin", () => {
    const a = new CaptureAnalysis({ fromText: true });
    const icmp: DecodedPacket = {
      frame: 1,
      tsSec: 100,
      tsNsec: 0,
      linkType: 1,
      capLen: 70,
      origLen: 70,
      ip: {
        version: 4,
        src: "192.0.2.1",
        dst: "10.0.0.1",
        ttl: 60,
        protocol: 1,
        headerLen: 20,
        totalLen: 56,
      },
      icmp: {
        version: 4,
        type: 3,
        code: 1,
        kind: "unreachable",
        inner: { src: "10.0.0.1", dst: "198.51.100.7", protocol: 6, srcPort: 5555, dstPort: 443, seq: 1 },
      },
    };
    const broken: DecodedPacket = {
      frame: 2,
      tsSec: 100,
      tsNsec: 5000,
      linkType: 1,
      capLen: 10,
      origLen: 60,
      error: "IPv4 header cut short",
      truncated: true,
    };
    a.push(icmp);
    a.push(broken);
    const { capture, connections } = a.finish();
    assert.equal(connections.length, 0);
    assert.deepEqual(capture.unmatchedIcmp, [{ frame: 1, type: 3, code: 1, kind: "unreachable" }]);
    assert.equal(capture.decodeErrors, 1);
    assert.equal(capture.fromText, true);
    assert.equal(capture.packets, 2);
    assert.equal(capture.tcpPackets, 0);
  });

  it("counts one-sided, handshake-less connections and segments the capture missed", () => {
    const a = new CaptureAnalysis();
    const tcp = (
      frame: number,
      at: number,
      from: [string, number],
      to: [string, number],
      seq: number,
      ack: number,
      len: number,
    ): DecodedPacket => ({
      frame,
      tsSec: 1000 + Math.floor(at),
      tsNsec: Math.round((at % 1) * 1e9),
      linkType: 1,
      capLen: 54 + len,
      origLen: 54 + len,
      ip: {
        version: 4,
        src: from[0],
        dst: to[0],
        ttl: 64,
        protocol: 6,
        headerLen: 20,
        totalLen: 40 + len,
        id: frame,
      },
      tcp: {
        srcPort: from[1],
        dstPort: to[1],
        seq,
        ack,
        headerLen: 20,
        flags: 0x10,
        window: 500,
        urgent: 0,
        payloadLen: len,
        capturedPayloadLen: len,
        payloadOffset: 54,
        options: {},
      },
    });
    const srv: [string, number] = ["10.0.0.2", 80];
    const cliA: [string, number] = ["10.0.0.1", 50000];
    const cliB: [string, number] = ["10.0.0.1", 50001];
    // A: server data only, one direction seen.
    a.push(tcp(1, 0, srv, cliA, 1000, 77, 1000));
    // B: both directions; the segment [2000, 3000) never shows up, yet the client ACKs past it.
    a.push(tcp(2, 0.001, srv, cliB, 1000, 77, 1000));
    a.push(tcp(3, 0.002, srv, cliB, 3000, 77, 1000));
    a.push(tcp(4, 0.003, cliB, srv, 77, 4000, 0));
    const { capture, connections } = a.finish();
    assert.equal(connections.length, 2);
    assert.equal(capture.oneSidedConnections, 1);
    assert.equal(capture.noHandshakeConnections, 2);
    assert.equal(capture.captureLossSegments, 1);
    assert.equal(connections[1].dir.client.missedSegments, 1);
  });
});
