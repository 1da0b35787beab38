import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import {
  ATTEMPT_DEFAULTS,
  type AttemptThresholds,
  serviceAttempts,
  serviceGroups,
} from "../../../src/rules/capture/attempts.js";
import { synFlood } from "../../../src/rules/capture/listen.js";
import { makeFinding } from "../../../src/rules/catalogue.js";
import type { Facts } from "../../../src/rules/types.js";
import { conn, facts, unanswered } from "../../fixtures/rules/connections.js";

function numbers(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const streams = (cs: ConnectionSummary[]) => cs.map((c) => c.stream);

/**
 * The attempts per service worked out the plain way — a list per service, a Map of every client,
 * the capture side voted over a filter of all connections — to hold the compact one against.
 */
function reference(f: Facts, t: AttemptThresholds) {
  let end = f.capture?.duration ?? 0;
  for (const c of f.connections) end = Math.max(end, c.start + c.duration);
  const seen = new Map<string, number>();
  for (const c of f.connections) seen.set(c.clientIp, (seen.get(c.clientIp) ?? 0) + 1);
  const byServer = new Map<string, ConnectionSummary[]>();
  for (const c of f.connections.filter((x) => x.handshake.synSeen)) {
    const l = byServer.get(c.server) ?? [];
    l.push(c);
    byServer.set(c.server, l);
  }
  return [...byServer].map(([server, attempts]) => {
    const votes: Record<string, number> = {};
    for (const c of f.connections.filter((x) => x.server === server)) {
      if (c.captureSide) votes[c.captureSide] = (votes[c.captureSide] ?? 0) + 1;
    }
    let side: string | undefined;
    let most = 0;
    for (const [k, v] of Object.entries(votes)) if (v > most) [side, most] = [k, v];
    const r = {
      server,
      serverIp: attempts[0].serverIp,
      serverPort: attempts[0].serverPort,
      attemptCount: attempts.length,
      side,
      refused: [] as number[],
      failed: [] as number[],
      unreachable: [] as number[],
      answered: [] as number[],
      retried: [] as number[],
      ackIgnored: [] as number[],
      stuck: [] as number[],
    };
    for (const c of attempts) {
      const h = c.handshake;
      if (h.refused || c.state === "REJ") r.refused.push(c.stream);
      else if (h.synAckSeen) {
        r.answered.push(c.stream);
        if (h.synCount >= 2) r.retried.push(c.stream);
        if (h.ackSeen && h.synAckCount >= 2 && h.completedAt !== undefined && h.synAckAt !== undefined)
          r.ackIgnored.push(c.stream);
        if (
          h.ackSeen &&
          c.bytes.client > 0 &&
          c.bytes.server === 0 &&
          c.close.firstRst === undefined &&
          c.close.firstFin !== "server" &&
          c.duration >= t.minStuckSeconds
        )
          r.stuck.push(c.stream);
      } else if (c.icmp.some((i) => i.kind === "unreachable")) r.unreachable.push(c.stream);
      else if (c.close.firstRst !== "server") {
        const firstSyn = h.firstSynAt ?? c.start;
        const gaveUp = c.close.firstRst === "client" && (c.close.rstAt ?? firstSyn) - firstSyn >= 0.5;
        const alone =
          h.synCount === 1 && end - firstSyn >= t.minWaitSeconds && (seen.get(c.clientIp) ?? 0) >= 2;
        if (h.synCount >= t.minSyns || gaveUp || alone) r.failed.push(c.stream);
      }
    }
    return r;
  });
}

function compact(f: Facts, t: AttemptThresholds) {
  return serviceAttempts(f, t).map((s) => ({
    server: s.server,
    serverIp: s.serverIp,
    serverPort: s.serverPort,
    attemptCount: s.attemptCount,
    side: s.side,
    refused: streams(s.refused),
    failed: streams(s.failed),
    unreachable: streams(s.unreachable),
    answered: streams(s.answered),
    retried: streams(s.retried),
    ackIgnored: streams(s.ackIgnored),
    stuck: streams(s.stuck),
  }));
}

/** Every way an attempt can go, to a few services, from clients that repeat or not. */
function mixedAttempts(n: number, seed: number): ConnectionSummary[] {
  const rnd = numbers(seed);
  const servers: [string, number][] = [
    ["10.0.0.2", 8080],
    ["10.0.0.2", 8081],
    ["10.0.0.3", 443],
    ["2001:db8::2", 80],
  ];
  const sides = [undefined, "client", "server", "middle"] as const;
  const out: ConnectionSummary[] = [];
  for (let stream = 0; stream < n; stream++) {
    const [serverIp, serverPort] = servers[Math.floor(rnd() * servers.length)];
    const clientIp =
      rnd() < 0.5 ? `192.0.2.${Math.floor(rnd() * 20)}` : `198.51.${stream >> 8}.${stream & 255}`;
    const where = { stream, serverIp, serverPort, clientIp, start: stream * 0.05 };
    const base = conn(where);
    const kind = Math.floor(rnd() * 10);
    let c: ConnectionSummary;
    if (kind === 0) c = base;
    else if (kind === 1) c = unanswered(stream, 1 + Math.floor(rnd() * 4), where);
    else if (kind === 2) {
      c = { ...base, state: "REJ", handshake: { ...base.handshake, synAckSeen: false, refused: true } };
    } else if (kind === 3) {
      c = { ...base, handshake: { ...base.handshake, synCount: 2 + Math.floor(rnd() * 2) } };
    } else if (kind === 4) c = { ...base, handshake: { ...base.handshake, synAckCount: 2 } };
    else if (kind === 5) {
      c = {
        ...base,
        duration: rnd() * 12,
        bytes: { client: 67, server: 0 },
        close: { firstFin: "client", halfClosedBy: "server" },
      };
    } else if (kind === 6) {
      const u = unanswered(stream, 1, where);
      c = { ...u, icmp: [{ frame: 9, time: u.start + 0.01, type: 3, code: 1, kind: "unreachable" }] };
    } else if (kind === 7) {
      const u = unanswered(stream, 1, where);
      const rstAt = u.start + rnd();
      c = { ...u, close: { firstRst: rnd() < 0.5 ? "client" : "server", rstAt } };
    } else if (kind === 8) {
      // Caught mid-stream: no SYN, but it votes for the capture side of its service.
      c = { ...base, handshake: { ...base.handshake, synSeen: false, synAckSeen: false, ackSeen: false } };
    } else c = unanswered(stream, 1, where);
    const side = sides[Math.floor(rnd() * sides.length)];
    out.push(side ? { ...c, captureSide: side } : c);
  }
  return out;
}

describe("serviceAttempts", () => {
  const thresholdSets: AttemptThresholds[] = [
    ATTEMPT_DEFAULTS,
    { ...ATTEMPT_DEFAULTS, minSyns: 3 },
    { ...ATTEMPT_DEFAULTS, minWaitSeconds: 20 },
    { ...ATTEMPT_DEFAULTS, minStuckSeconds: 6 },
  ];

  it("sorts every attempt as the plain computation does, for any thresholds", () => {
    for (const seed of [1, 2, 3]) {
      const f = facts(mixedAttempts(600, seed));
      for (const t of thresholdSets) {
        const expected = reference(f, t);
        assert.ok(expected.some((s) => s.failed.length && s.refused.length && s.stuck.length));
        assert.deepEqual(compact(f, t), expected, `seed ${seed} ${JSON.stringify(t)}`);
      }
    }
  });

  it("is worked out once per facts and thresholds", () => {
    const f = facts(mixedAttempts(200, 4));
    const first = serviceAttempts(f, ATTEMPT_DEFAULTS);
    assert.equal(serviceAttempts(f, { ...ATTEMPT_DEFAULTS }), first);
    assert.equal(serviceGroups(f), serviceGroups(f));
    const stricter = serviceAttempts(f, { ...ATTEMPT_DEFAULTS, minSyns: 4 });
    assert.notEqual(stricter, first);
    assert.deepEqual(
      compact(f, { ...ATTEMPT_DEFAULTS, minSyns: 4 }),
      reference(f, { ...ATTEMPT_DEFAULTS, minSyns: 4 }),
    );
    // Other facts over the same connections get their own, equal, answer.
    const again = { ...f };
    assert.notEqual(serviceAttempts(again, ATTEMPT_DEFAULTS), first);
    assert.deepEqual(compact(again, ATTEMPT_DEFAULTS), compact(f, ATTEMPT_DEFAULTS));
  });

  it("sees connections added to the facts after it was first asked", () => {
    const f = facts([conn({ stream: 0 })]);
    assert.equal(serviceAttempts(f, ATTEMPT_DEFAULTS)[0].failed.length, 0);
    f.connections.push(unanswered(1, 3));
    const [s] = serviceAttempts(f, ATTEMPT_DEFAULTS);
    assert.deepEqual(streams(s.failed), [1]);
    assert.equal(s.attemptCount, 2);
  });

  it("counts a lone SYN only from a client seen on other connections too", () => {
    const spoofed = unanswered(0, 1, { clientIp: "203.0.113.9" });
    const real = unanswered(1, 1, { clientIp: "10.0.0.1" });
    const f = facts([spoofed, real, conn({ stream: 2, start: 10 })]);
    assert.deepEqual(streams(serviceAttempts(f, ATTEMPT_DEFAULTS)[0].failed), [1]);
  });
});

describe("syn-flood evidence", () => {
  /** Bare SYNs from sources that repeat a little (and tie), some answered, a few real clients. */
  function flood(n: number, seed: number): ConnectionSummary[] {
    const rnd = numbers(seed);
    const out: ConnectionSummary[] = [];
    for (let i = 0; i < n; i++) {
      const clientIp =
        rnd() < 0.05
          ? `203.0.113.${Math.floor(rnd() * 12)}`
          : `${1 + Math.floor(rnd() * 220)}.${i >> 8}.${i & 255}.1`;
      const syn = unanswered(i, 1, { clientIp, start: i * 0.001 });
      if (rnd() < 0.3) {
        const synAckCount = rnd() < 0.5 ? 2 : 1;
        out.push({ ...syn, handshake: { ...syn.handshake, synAckSeen: true, synAckCount } });
      } else out.push(syn);
    }
    out.push(conn({ stream: n, start: 0.5 }), conn({ stream: n + 1, start: 0.7 }));
    return out;
  }

  it("counts sources and ranks the top ones as a Map of every source would", () => {
    const conns = flood(3000, 5);
    const [hit] = synFlood.evaluate(facts(conns), { threshold: (_n, d) => d });
    const bare = conns.filter((c) => c.handshake.synCount === 1 && !c.handshake.ackSeen);
    const bySource = new Map<string, number>();
    for (const c of bare) bySource.set(c.clientIp, (bySource.get(c.clientIp) ?? 0) + 1);
    const top = [...bySource]
      .map(([ip, syns]) => ({ ip, syns }))
      .sort((a, b) => b.syns - a.syns)
      .slice(0, 5);
    assert.equal(hit?.id, "syn-flood");
    assert.equal(hit.evidence.bareSyns, bare.length);
    assert.equal(hit.evidence.sources, bySource.size);
    assert.deepEqual(hit.evidence.topSources, top);
    assert.equal(hit.evidence.synAcked, bare.filter((c) => c.handshake.synAckSeen).length);
    assert.equal(hit.evidence.synAckRetransmitted, bare.filter((c) => c.handshake.synAckCount >= 2).length);
    assert.deepEqual(hit.evidence.completedStreams, [3000, 3001]);
    assert.deepEqual(hit.streams, streams(bare));
    assert.match(hit.summary, new RegExp(`from ${bySource.size} distinct sources`));
  });

  it("lists no top sources when every source sent one SYN", () => {
    const conns = Array.from({ length: 500 }, (_, i) =>
      unanswered(i, 1, { clientIp: `198.18.${i >> 8}.${i & 255}`, start: i * 0.001 }),
    );
    const [hit] = synFlood.evaluate(facts(conns), { threshold: (_n, d) => d });
    assert.equal(hit.evidence.sources, 500);
    assert.equal(hit.evidence.topSources, undefined);
  });
});

describe("makeFinding streams", () => {
  it("sets the streams unique and increasing, whatever their order, taking an increasing list as it is", () => {
    const parts = { summary: "x", vars: { server: "10.0.0.2:80" } };
    for (const list of [[], [3], [1, 2, 9], [9, 2, 2, 1, 9, 4], [0, 0]]) {
      const expected = [...new Set(list)].sort((a, b) => a - b);
      assert.deepEqual(
        makeFinding("syn-flood", { ...parts, streams: [...list] }).streams,
        expected.length ? expected : undefined,
        JSON.stringify(list),
      );
    }
  });
});
