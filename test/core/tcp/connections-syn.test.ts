// Connections that are one bare SYN are kept as compact records and summarised from them: every
// fact must be the one the full state gives, whatever comes next (nothing, an answer, a retry, a
// reset, an ICMP error, the idle timeout).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TcpAnalyzer } from "../../../src/core/tcp/analyzer.js";
import { ConnectionTracker, isCompactSummary, withStream } from "../../../src/core/tcp/connections.js";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import type { DecodedPacket, TcpOptions } from "../../../src/core/types.js";

const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

interface Seg {
  at: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: number;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  ttl?: number;
  id?: number;
  options?: TcpOptions;
}

let frame = 0;

function tcp(s: Seg): DecodedPacket {
  const v6 = s.src.includes(":");
  const ipLen = v6 ? 40 : 20;
  const whole = Math.floor(s.at);
  const len = s.len ?? 0;
  return {
    frame: ++frame,
    tsSec: 1_700_000_000 + whole,
    tsNsec: Math.round((s.at - whole) * 1e9),
    linkType: 1,
    capLen: 14 + ipLen + 20 + len,
    origLen: 14 + ipLen + 20 + len,
    ip: {
      version: v6 ? 6 : 4,
      src: s.src,
      dst: s.dst,
      ttl: s.ttl ?? 64,
      protocol: 6,
      headerLen: ipLen,
      totalLen: ipLen + 20 + len,
      id: v6 ? undefined : (s.id ?? 1),
    },
    tcp: {
      srcPort: s.sport,
      dstPort: s.dport,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      headerLen: 20,
      flags: s.flags,
      window: s.win ?? 64240,
      urgent: 0,
      payloadLen: len,
      capturedPayloadLen: len,
      payloadOffset: 14 + ipLen + 20,
      options: s.options ?? {},
    },
  };
}

/** An ICMP port unreachable from `from` quoting a segment client → server. */
function unreachable(at: number, from: string, quoted: Seg): DecodedPacket {
  const whole = Math.floor(at);
  return {
    frame: ++frame,
    tsSec: 1_700_000_000 + whole,
    tsNsec: Math.round((at - whole) * 1e9),
    linkType: 1,
    capLen: 70,
    origLen: 70,
    ip: { version: 4, src: from, dst: quoted.src, ttl: 64, protocol: 1, headerLen: 20, totalLen: 56, id: 9 },
    icmp: {
      version: 4,
      type: 3,
      code: 3,
      kind: "unreachable",
      inner: {
        src: quoted.src,
        dst: quoted.dst,
        protocol: 6,
        srcPort: quoted.sport,
        dstPort: quoted.dport,
        seq: quoted.seq,
      },
    },
  };
}

/** The same packets through the analyzer and two trackers, with and without compact SYNs. */
function both(pkts: DecodedPacket[]): {
  compact: ConnectionSummary[];
  full: ConnectionSummary[];
  live: number;
} {
  const analyzer = new TcpAnalyzer({ idleTimeoutSec: 3600 });
  const compact: ConnectionSummary[] = [];
  const full: ConnectionSummary[] = [];
  const a = new ConnectionTracker({ idleTimeoutSec: 3600, onFinal: (c) => compact.push(c) });
  const b = new ConnectionTracker({ idleTimeoutSec: 3600, onFinal: (c) => full.push(c), compactSyns: false });
  for (const p of pkts) {
    const pa = analyzer.push(p);
    a.observe(p, pa);
    b.observe(p, pa);
  }
  const live = a.liveCount;
  a.finish();
  b.finish();
  return { compact, full, live };
}

function assertSame(compact: ConnectionSummary[], full: ConnectionSummary[]): void {
  assert.equal(compact.length, full.length);
  for (let i = 0; i < full.length; i++) {
    assert.equal(JSON.stringify(compact[i]), JSON.stringify(full[i]), `connection ${i}`);
  }
}

/** A deterministic stream of pseudo-random 32-bit numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const SERVER = "10.9.0.2";

function floodSyn(r: () => number, at: number, options: TcpOptions = {}): Seg {
  const n = r();
  return {
    at,
    src: `${1 + (n % 223)}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${1 + ((n >>> 24) % 254)}`,
    dst: SERVER,
    sport: 1024 + (r() % 60000),
    dport: 80,
    flags: F.SYN,
    seq: r(),
    ack: r() % 3 === 0 ? r() : 0,
    ttl: [64, 128, 255][r() % 3] - (r() % 12),
    id: r() & 0xffff,
    win: r() & 0xffff,
    options,
  };
}

describe("bare SYNs kept compact", () => {
  it("summarises a flood of bare SYNs exactly as the full state does", () => {
    const r = rng(7);
    const kinds: TcpOptions[] = [
      {},
      { mss: 1460 },
      { mss: 1460, wscale: 7, sackPermitted: true, tsVal: 12345, tsEcr: 0 },
      { mss: 536, tsVal: 1, tsEcr: 99 },
      { tfo: true, mss: 1400 },
    ];
    const pkts = Array.from({ length: 400 }, (_, i) => tcp(floodSyn(r, i * 0.0001, kinds[i % kinds.length])));
    const { compact, full, live } = both(pkts);
    assert.equal(live, 400);
    assertSame(compact, full);
    assert.ok(compact.every(isCompactSummary), "every bare SYN summarised from its compact record");
    assert.ok(!full.some(isCompactSummary));
    // Read field by field like any summary.
    const c = compact[123];
    const f = full[123];
    assert.equal(c.stream, 123);
    assert.equal(c.client, f.client);
    assert.equal(c.clientIp, f.clientIp);
    assert.equal(c.serverPort, 80);
    assert.equal(c.start, f.start);
    assert.equal(c.state, "S0");
    assert.deepEqual(c.handshake, f.handshake);
    assert.deepEqual(c.dir, f.dir);
    assert.equal(c.handshake.firstSynAt, c.start);
    assert.equal(c.handshake, c.handshake, "the same object when read again");
  });

  it("keeps IPv6 SYNs compact too", () => {
    const pkts = Array.from({ length: 20 }, (_, i) =>
      tcp({
        at: i * 0.01,
        src: `2001:db8::${i + 1}`,
        dst: "2001:db8::ffff",
        sport: 5000 + i,
        dport: 443,
        flags: F.SYN,
        seq: 1000 + i,
      }),
    );
    const { compact, full } = both(pkts);
    assertSame(compact, full);
    assert.ok(compact.every(isCompactSummary));
    assert.equal(compact[3].client, "[2001:db8::4]:5003");
  });

  it("gives a connection its full state when a second packet comes", () => {
    const c = { src: "10.1.0.1", dst: SERVER, sport: 40000, dport: 80 };
    const s = { src: SERVER, dst: "10.1.0.1", sport: 80, dport: 40000 };
    const opts = { mss: 1460, wscale: 7, sackPermitted: true, tsVal: 5 };
    const handshake = [
      tcp({ ...c, at: 0, flags: F.SYN, seq: 1000, options: opts }),
      tcp({ ...s, at: 0.02, flags: F.SYN | F.ACK, seq: 5000, ack: 1001, options: opts }),
      tcp({ ...c, at: 0.021, flags: F.ACK, seq: 1001, ack: 5001 }),
      tcp({ ...c, at: 0.022, flags: F.ACK | F.PSH, seq: 1001, ack: 5001, len: 100 }),
      tcp({ ...s, at: 0.05, flags: F.ACK | F.PSH, seq: 5001, ack: 1101, len: 300 }),
      tcp({ ...c, at: 0.06, flags: F.ACK | F.FIN, seq: 1101, ack: 5301 }),
      tcp({ ...s, at: 0.07, flags: F.ACK | F.FIN, seq: 5301, ack: 1102 }),
      tcp({ ...c, at: 0.08, flags: F.ACK, seq: 1102, ack: 5302 }),
    ];
    const retried = [
      tcp({ ...c, sport: 40001, at: 1, flags: F.SYN, seq: 7000 }),
      tcp({ ...c, sport: 40001, at: 2, flags: F.SYN, seq: 7000 }),
      tcp({ ...c, sport: 40001, at: 4, flags: F.SYN, seq: 7000 }),
    ];
    const refused = [
      tcp({ ...c, sport: 40002, at: 5, flags: F.SYN, seq: 8000 }),
      tcp({ ...s, dport: 40002, at: 5.001, flags: F.RST | F.ACK, seq: 0, ack: 8001 }),
    ];
    const icmpSyn: Seg = { ...c, sport: 40003, at: 6, flags: F.SYN, seq: 9000 };
    const icmp = [tcp(icmpSyn), unreachable(6.001, SERVER, icmpSyn)];
    const { compact, full } = both([...handshake, ...retried, ...refused, ...icmp]);
    assertSame(compact, full);
    assert.ok(!compact.some(isCompactSummary));
    assert.deepEqual(
      compact.map((x) => x.state),
      ["SF", "S0", "REJ", "S0"],
    );
    assert.equal(compact[1].handshake.synCount, 3);
    assert.equal(compact[3].icmp.length, 1);
  });

  it("finalises an unanswered SYN after the attempt timeout and drops its late packets", () => {
    const syn: Seg = { at: 0, src: "10.2.0.1", dst: SERVER, sport: 30000, dport: 22, flags: F.SYN, seq: 1 };
    const pkts = [tcp(syn)];
    // Another connection keeps the capture going past 180 s.
    for (let t = 1; t <= 200; t += 10) {
      pkts.push(
        tcp({
          at: t,
          src: "10.2.0.9",
          dst: SERVER,
          sport: 31000,
          dport: 22,
          flags: F.ACK,
          seq: 5 + t,
          ack: 9,
        }),
      );
    }
    pkts.push(tcp({ ...syn, at: 201, flags: F.SYN, seq: 1 }));
    const analyzer = new TcpAnalyzer({ idleTimeoutSec: 3600 });
    const finals: ConnectionSummary[] = [];
    const t = new ConnectionTracker({ idleTimeoutSec: 3600, onFinal: (c) => finals.push(c) });
    for (const p of pkts) t.observe(p, analyzer.push(p));
    assert.equal(finals.length, 1, "the SYN's connection ended while streaming");
    assert.ok(isCompactSummary(finals[0]));
    t.finish();
    assert.equal(finals.length, 2);
    assert.equal(finals[0].handshake.synCount, 1, "the late retry does not reopen it");
    const { compact, full } = both(pkts);
    assertSame(compact, full);
  });

  it("hands over connections in stream order at the end, compact and full alike", () => {
    const r = rng(3);
    const pkts: DecodedPacket[] = [];
    for (let i = 0; i < 30; i++) {
      const syn = floodSyn(r, i * 0.01);
      pkts.push(tcp(syn));
      // Every third one answered: full state.
      if (i % 3 === 0) {
        pkts.push(
          tcp({
            at: i * 0.01 + 0.001,
            src: syn.dst,
            dst: syn.src,
            sport: syn.dport,
            dport: syn.sport,
            flags: F.SYN | F.ACK,
            seq: 77,
            ack: syn.seq + 1,
          }),
        );
      }
    }
    const { compact, full } = both(pkts);
    assert.deepEqual(
      compact.map((c) => c.stream),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assertSame(compact, full);
    assert.equal(compact.filter(isCompactSummary).length, 20);
  });

  it("renumbers a compact summary without losing its facts", () => {
    const r = rng(11);
    const { compact } = both([tcp(floodSyn(r, 0)), tcp(floodSyn(r, 0.1))]);
    const moved = withStream(compact[1], 41);
    assert.equal(moved.stream, 41);
    assert.ok(isCompactSummary(moved));
    assert.equal(
      JSON.stringify({ ...JSON.parse(JSON.stringify(compact[1])), stream: 41 }),
      JSON.stringify(moved),
    );
    // Spreading a compact summary gives nothing: its fields are getters (toJSON serialises it).
    assert.deepEqual({ ...compact[1] }, {});
    const plain = { ...JSON.parse(JSON.stringify(compact[0])) } as ConnectionSummary;
    assert.equal(withStream(plain, 9).stream, 9);
  });
});
