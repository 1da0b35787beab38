// TcpAnalyzer at scale: memory bounded by the live connections (a SYN flood of one-packet
// connections from random sources), and throughput on a bulk transfer. Bounded in time: a few
// hundred thousand synthetic packets, no files.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { TcpAnalyzer } from "../../../src/core/tcp/analyzer.js";
import type { DecodedPacket } from "../../../src/core/types.js";

/** A full garbage collection (exposed for this process only). */
function collect(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function tcpPacket(
  frame: number,
  ns: number,
  src: string,
  dst: string,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  len: number,
): DecodedPacket {
  return {
    frame,
    tsSec: 1_700_000_000 + Math.floor(ns / 1e9),
    tsNsec: ns % 1e9,
    linkType: 1,
    capLen: 66,
    origLen: 66 + len,
    ip: { version: 4, src, dst, ttl: 64, protocol: 6, headerLen: 20, totalLen: 52 + len },
    tcp: {
      srcPort: sport,
      dstPort: dport,
      seq,
      ack,
      headerLen: 32,
      flags,
      window: 500,
      urgent: 0,
      payloadLen: len,
      capturedPayloadLen: 0,
      payloadOffset: 66,
      options: {},
    },
  };
}

describe("TcpAnalyzer at scale", () => {
  it("keeps memory bounded by live connections through a flood of one-packet connections", (t) => {
    const n = 150_000;
    const rand = prng(7);
    const analyzer = new TcpAnalyzer({ maxLiveStreams: 20_000 });
    collect();
    const before = process.memoryUsage().heapUsed;
    let maxLive = 0;
    for (let i = 0; i < n; i++) {
      const r = rand();
      const src = `${(r >>> 24) | 1}.${(r >>> 16) & 255}.${(r >>> 8) & 255}.${r & 255}`;
      const pa = analyzer.push(
        tcpPacket(i + 1, i * 10_000, src, "10.77.0.2", 1024 + (rand() % 60000), 8080, rand(), 0, 2, 0),
      );
      assert.equal(pa?.stream, i);
      if (analyzer.activeStreams > maxLive) maxLive = analyzer.activeStreams;
    }
    collect();
    const perConnection = (process.memoryUsage().heapUsed - before) / n;
    t.diagnostic(`${n} connections: at most ${maxLive} live, ${perConnection.toFixed(0)} heap bytes each`);
    assert.ok(maxLive <= 20_000, `live connections capped (${maxLive})`);
    // A retired connection keeps its key, a table entry and a 24-byte record.
    assert.ok(perConnection < 400, `${perConnection.toFixed(0)} bytes per connection`);
    analyzer.finish();
    assert.equal(analyzer.activeStreams, 0);
  });

  it("finds retired IPv4 connections again, keyed by number or by text alike", () => {
    // More connections than the first size of the IPv4 table, all retired by the idle timeout,
    // then each seen again (same stream), then a port reused with a new ISN (a new stream).
    const n = 6000;
    const run = (numeric: boolean) => {
      const analyzer = new TcpAnalyzer({ idleTimeoutSec: 1, closedLingerSec: 1 });
      const out: string[] = [];
      const push = (p: DecodedPacket) => {
        if (numeric) {
          const v4 = (ip: string) => ip.split(".").reduce((a, b) => a * 256 + Number(b), 0);
          p.ip!.srcV4 = v4(p.ip!.src);
          p.ip!.dstV4 = v4(p.ip!.dst);
        }
        const pa = analyzer.push(p)!;
        out.push(`${pa.stream} ${pa.src} ${pa.seq} ${pa.ack} ${pa.analysis.join(",")}`);
      };
      const client = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.7`;
      let frame = 0;
      for (let i = 0; i < n; i++)
        push(tcpPacket(++frame, i * 1000, client(i), "10.77.0.2", 40000 + (i % 7), 8080, 1000 + i, 0, 2, 0));
      // Ten seconds later every connection is idle past the timeout: the next packets revive them.
      for (let i = 0; i < n; i++)
        push(
          tcpPacket(
            ++frame,
            10e9 + i * 1000,
            "10.77.0.2",
            client(i),
            8080,
            40000 + (i % 7),
            5,
            1001 + i,
            0x12,
            0,
          ),
        );
      push(tcpPacket(++frame, 11e9, client(0), "10.77.0.2", 40000, 8080, 999_999, 0, 2, 0));
      analyzer.finish();
      return out;
    };
    const byNumber = run(true);
    assert.deepEqual(byNumber, run(false));
    for (let i = 0; i < n; i++)
      assert.equal(byNumber[n + i].split(" ")[0], String(i), `stream of reply ${i}`);
    assert.equal(byNumber[2 * n], `${n} 10.0.0.7:40000 0 0 reused_ports`);
  });

  it("analyses a bulk transfer quickly", (t) => {
    const n = 300_000;
    const packets: DecodedPacket[] = [];
    let cseq = 4_000_000_000; // wraps past 2^32 on the way
    for (let i = 0; i < n; i++) {
      if (i % 3 === 2) {
        packets.push(tcpPacket(i + 1, i * 5000, "10.0.0.2", "10.0.0.1", 80, 40000, 7, cseq >>> 0, 0x10, 0));
      } else {
        packets.push(
          tcpPacket(i + 1, i * 5000, "10.0.0.1", "10.0.0.2", 40000, 80, cseq >>> 0, 7, 0x10, 1448),
        );
        cseq += 1448;
      }
    }
    const analyzer = new TcpAnalyzer();
    const start = process.cpuUsage();
    let flagged = 0;
    let rtts = 0;
    for (const p of packets) {
      const pa = analyzer.push(p)!;
      if (pa.analysis.length > 0) flagged++;
      if (pa.ackRtt !== undefined) rtts++;
    }
    const used = process.cpuUsage(start);
    const rate = n / ((used.user + used.system) / 1e6);
    t.diagnostic(`${n} packets at ${(rate / 1e6).toFixed(2)} M packets per CPU second`);
    assert.equal(flagged, 0, "an orderly transfer raises no flag, across the sequence wrap");
    assert.equal(rtts, n / 3, "every ACK is timed");
    assert.ok(rate > 200_000, `${rate.toFixed(0)} packets/s`);
  });
});
