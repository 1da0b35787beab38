import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import {
  connectRefused,
  connectTimeout,
  handshakeIncomplete,
  intermittentConnectFailure,
  noRoute,
  slowHandshake,
} from "../../../src/rules/capture/connect.js";
import { listenOverflow, synFlood } from "../../../src/rules/capture/listen.js";
import { diagnose } from "../../../src/rules/engine.js";
import type { Facts, Rule } from "../../../src/rules/types.js";
import { conn, facts, unanswered } from "../../fixtures/rules/connections.js";

function run(rule: Rule, f: Facts, thresholds: Record<string, number> = {}) {
  return rule.evaluate(f, { threshold: (name, fallback) => thresholds[name] ?? fallback });
}

function refused(stream: number): ConnectionSummary {
  const c = conn({ stream, serverPort: 8081 });
  return {
    ...c,
    state: "REJ",
    history: "Sr",
    duration: 0.0001,
    handshake: {
      ...c.handshake,
      synAckSeen: false,
      ackSeen: false,
      refused: true,
      synAckAt: undefined,
      completedAt: undefined,
      rtt: undefined,
    },
    close: { firstRst: "server", rstAt: c.start + 0.0001, rstFrame: c.firstFrame + 1 },
    bytes: { client: 0, server: 0 },
    thinkTimes: [],
  };
}

/** Completed, request ACKed by the kernel, never answered nor closed by the server. */
function unserved(stream: number, over: Partial<ConnectionSummary> = {}): ConnectionSummary {
  const c = conn({ stream, start: stream * 0.01 });
  return {
    ...c,
    state: "S2",
    duration: 8,
    bytes: { client: 67, server: 0 },
    thinkTimes: [],
    close: { firstFin: "client", halfClosedBy: "server" },
    ...over,
  };
}

describe("connect-refused", () => {
  it("reports SYNs answered by RST, critical when nothing to that port succeeds", () => {
    const [f] = run(connectRefused, facts([refused(0)]));
    assert.equal(f.id, "connect-refused");
    assert.equal(f.severity, "critical");
    assert.deepEqual(f.streams, [0]);
    assert.equal(f.evidence.refused, 1);
    assert.match(f.summary, /10\.0\.0\.2:8081/);
    assert.match(f.fix, /10\.0\.0\.2:8081/);
  });

  it("is only a warning when other attempts to the same port were answered", () => {
    const ok = conn({ stream: 1, serverPort: 8081 });
    const [f] = run(connectRefused, facts([refused(0), ok]));
    assert.equal(f.severity, "warning");
  });

  it("says nothing about healthy connections", () => {
    assert.deepEqual(run(connectRefused, facts([conn()])), []);
  });
});

describe("connect-timeout", () => {
  it("reports unanswered, retransmitted SYNs whatever the retry schedule", () => {
    for (const syns of [3, 6]) {
      const [f] = run(connectTimeout, facts([unanswered(0, syns)]));
      assert.equal(f?.id, "connect-timeout", `${syns} SYNs`);
      assert.equal(f.severity, "critical");
      assert.equal(f.confidence, "high");
      assert.deepEqual(f.evidence.synsPerAttempt, [syns]);
    }
  });

  it("ignores a lone SYN the capture ended on, and honours minSyns", () => {
    assert.deepEqual(run(connectTimeout, facts([unanswered(0, 1)])), []);
    assert.deepEqual(run(connectTimeout, facts([unanswered(0, 3)]), { minSyns: 4 }), []);
  });

  it("counts a lone SYN from a client seen elsewhere once the capture went on for seconds", () => {
    const other = conn({ stream: 1, serverPort: 9999, start: 5 });
    const [f] = run(connectTimeout, facts([unanswered(0, 1), other]));
    assert.equal(f?.id, "connect-timeout");
  });

  it("leaves services with some successful handshakes to the other connect rules", () => {
    assert.deepEqual(run(connectTimeout, facts([conn({ stream: 0 }), unanswered(1, 3)])), []);
  });
});

describe("intermittent-connect-failure vs listen-overflow", () => {
  const clientSide = (c: ConnectionSummary): ConnectionSummary => ({ ...c, captureSide: "client" });

  it("a client-side capture where later attempts fail once N connections are open: a limit on the path", () => {
    const ok = [0, 1, 2, 3].map((i) => clientSide(unserved(i)));
    const failed = [4, 5].map((i) => clientSide(unanswered(i, 3, { start: 0.5 })));
    const f = facts([...ok, ...failed]);
    const [hit] = run(intermittentConnectFailure, f);
    assert.equal(hit?.id, "intermittent-connect-failure");
    assert.equal(hit.evidence.openWhenFailuresBegan, 4);
    assert.equal(hit.evidence.connectedAfterFirstFailure, 0);
    assert.match(hit.summary, /about 4 concurrent/);
    assert.deepEqual(run(listenOverflow, f), []);
    assert.deepEqual(run(connectTimeout, f), []);
  });

  it("failures interleaved with successes read as a lossy or rate-limited path", () => {
    const conns = [
      clientSide(conn({ stream: 0 })),
      clientSide(unanswered(1, 3, { start: 0.1 })),
      clientSide(conn({ stream: 2, start: 0.3 })),
    ];
    const [hit] = run(intermittentConnectFailure, facts(conns));
    assert.equal(hit.evidence.connectedAfterFirstFailure, 1);
    assert.match(hit.summary, /interleaved/);
  });

  it("unknown capture point, accepted connections never served and later SYNs dropped: listen overflow", () => {
    const f = facts([
      unserved(0),
      unserved(1),
      unanswered(2, 4, { start: 0.02 }),
      unanswered(3, 4, { start: 0.03 }),
    ]);
    const [hit] = run(listenOverflow, f);
    assert.equal(hit?.id, "listen-overflow");
    assert.equal(hit.severity, "critical");
    assert.equal(hit.evidence.notServed, 2);
    assert.deepEqual(hit.streams, [0, 1, 2, 3]);
    assert.deepEqual(run(intermittentConnectFailure, f), []);
  });

  it("a server-side capture of SYNs arriving unanswered while others connect is listen overflow", () => {
    const conns = [conn({ stream: 0 }), unanswered(1, 3)].map((c) => ({
      ...c,
      captureSide: "server" as const,
    }));
    const [hit] = run(listenOverflow, facts(conns));
    assert.equal(hit?.confidence, "high");
  });

  it("SYN-ACKs retransmitted after the client's ACK arrived point at the accept queue even from the client side", () => {
    const ignored = (s: number) =>
      clientSide(conn({ stream: s, handshake: { synAckCount: 3 }, captureSide: "client" } as never));
    const conns = [ignored(0), ignored(1), clientSide(unanswered(2, 3))];
    const [hit] = run(listenOverflow, facts(conns));
    assert.equal(hit?.evidence.ackIgnored, 2);
  });

  it("in diagnose, exactly one of the three owns the failures", () => {
    const f = facts([unserved(0), unanswered(1, 4)]);
    const ids = diagnose(f)
      .filter((x) => x.severity !== "info")
      .map((x) => x.id);
    assert.equal(
      ids.filter((id) => ["listen-overflow", "intermittent-connect-failure", "connect-timeout"].includes(id))
        .length,
      1,
    );
  });
});

describe("no-route", () => {
  it("reports attempts answered by ICMP unreachable, naming administrative prohibition", () => {
    const c = unanswered(0, 1, { icmp: [{ frame: 2, time: 0.001, type: 3, code: 13, kind: "unreachable" }] });
    const [f] = run(noRoute, facts([c]));
    assert.equal(f?.id, "no-route");
    assert.match(f.summary, /administratively prohibited/);
    assert.deepEqual(run(connectTimeout, facts([c])), []);
  });
});

describe("slow-handshake", () => {
  const retried = (stream: number) =>
    conn({ stream, handshake: { synCount: 2, synAckAt: stream * 0.1 + 1.01, synToSynAck: 0.01 } });

  it("reports connections answered only after SYN retries", () => {
    const [f] = run(slowHandshake, facts([retried(0), conn({ stream: 1 })]));
    assert.equal(f?.id, "slow-handshake");
    assert.equal(f.evidence.afterSynRetries, 1);
    assert.match(f.summary, /1\.0\d s/);
  });

  it("tolerates one retried SYN among many connections", () => {
    const many = [retried(0), ...Array.from({ length: 40 }, (_, i) => conn({ stream: i + 1 }))];
    assert.deepEqual(run(slowHandshake, facts(many)), []);
  });

  it("reports a SYN-ACK far slower than the data RTT", () => {
    const c = conn({ handshake: { synToSynAck: 0.4 }, rtt: { min: 0.01, samples: 5 } });
    const [f] = run(slowHandshake, facts([c]));
    assert.equal(f?.evidence.slowSynAck, 1);
  });
});

describe("handshake-incomplete and syn-flood", () => {
  function halfOpen(stream: number, ip: string, synAcks = 3): ConnectionSummary {
    const c = conn({ stream, clientIp: ip, start: stream * 0.001 });
    return {
      ...c,
      state: "S1",
      history: "Sh",
      duration: 3,
      handshake: {
        ...c.handshake,
        ackSeen: false,
        completedAt: undefined,
        synAckCount: synAcks,
        rtt: undefined,
      },
      packets: { client: 1, server: synAcks },
      bytes: { client: 0, server: 0 },
      thinkTimes: [],
      close: {},
    };
  }

  it("reports SYN-ACKs that never get the final ACK", () => {
    const [f] = run(handshakeIncomplete, facts([halfOpen(0, "192.0.2.9"), conn({ stream: 1 })]));
    assert.equal(f?.id, "handshake-incomplete");
    assert.deepEqual(f.streams, [0]);
  });

  it("many bare SYNs from many sources at a high rate are a flood, and the flood explains the half-open ones", () => {
    const flood = Array.from({ length: 300 }, (_, i) =>
      halfOpen(i, `198.18.${i >> 8}.${i & 255}`, i < 20 ? 3 : 1),
    );
    const legit = conn({ stream: 300, start: 0.2 });
    const f = facts([...flood, legit]);
    const [hit] = run(synFlood, f);
    assert.equal(hit?.id, "syn-flood");
    assert.equal(hit.evidence.sources, 300);
    assert.equal(hit.evidence.completedHandshakes, 1);
    assert.match(hit.summary, /SYN cookies/);
    const out = diagnose(f);
    assert.equal(out[0].id, "syn-flood");
    assert.equal(out.find((x) => x.id === "handshake-incomplete")?.severity, "info");
  });

  it("a few dozen half-open attempts are not a flood", () => {
    const few = Array.from({ length: 50 }, (_, i) => halfOpen(i, `198.18.0.${i}`));
    assert.deepEqual(run(synFlood, facts(few)), []);
  });
});
