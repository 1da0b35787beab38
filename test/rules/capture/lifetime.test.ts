import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import { closeWaitLeak, connectionChurn, deadPeer } from "../../../src/rules/capture/lifetime.js";
import {
  idleTimeoutReset,
  resetAfterConnect,
  resetByClient,
  resetByServer,
} from "../../../src/rules/capture/resets.js";
import { diagnose } from "../../../src/rules/engine.js";
import type { Facts, Rule } from "../../../src/rules/types.js";
import { conn, facts } from "../../fixtures/rules/connections.js";

function run(rule: Rule, f: Facts, thresholds: Record<string, number> = {}) {
  return rule.evaluate(f, { threshold: (name, fallback) => thresholds[name] ?? fallback });
}

function reset(
  by: "client" | "server",
  over: Partial<ConnectionSummary["close"]> = {},
  base = conn(),
): ConnectionSummary {
  return {
    ...base,
    state: by === "server" ? "RSTR" : "RSTO",
    close: {
      firstRst: by,
      rstAt: base.start + 0.3,
      rstFrame: 38,
      rstWithDataInFlight: false,
      idleBeforeRst: 0.3,
      ...over,
    },
  };
}

describe("resets", () => {
  it("a server RST after the exchange is reset-by-server, with the frame", () => {
    const [f] = run(resetByServer, facts([reset("server")]));
    assert.equal(f?.severity, "warning");
    assert.match(f.summary, /frame 38/);
    assert.deepEqual(run(resetByClient, facts([reset("server")])), []);
  });

  it("a client RST with data in flight is a warning; after a complete exchange it is only noted", () => {
    assert.equal(
      run(resetByClient, facts([reset("client", { rstWithDataInFlight: true })]))[0].severity,
      "warning",
    );
    assert.equal(run(resetByClient, facts([reset("client")]))[0].severity, "info");
    // Acknowledged so far, but the RST came right in the middle of the server's stream.
    assert.equal(
      run(resetByClient, facts([reset("client", { idleBeforeRst: 0.0001 })]))[0].severity,
      "warning",
    );
  });

  it("one reset among many healthy connections is only noted", () => {
    const many = [reset("server"), ...Array.from({ length: 40 }, (_, i) => conn({ stream: i + 1 }))];
    assert.equal(run(resetByServer, facts(many))[0].severity, "info");
  });

  it("a server reset right after the handshake, before any answer, is reset-after-connect", () => {
    const c = conn();
    const early = reset(
      "server",
      { rstAt: c.start + 0.02, idleBeforeRst: 0.001 },
      { ...c, dir: { ...c.dir, server: { ...c.dir.server, uniqueBytes: 0 } } },
    );
    const [f] = run(resetAfterConnect, facts([early]));
    assert.equal(f?.id, "reset-after-connect");
    assert.deepEqual(run(resetByServer, facts([early])), []);
  });

  it("a reset after a long silence, or answering the first packet after one, is an idle timeout", () => {
    const quiet = reset("server", { idleBeforeRst: 350, rstAt: 350.1 });
    assert.equal(run(idleTimeoutReset, facts([quiet]))[0]?.id, "idle-timeout-reset");
    const answered = reset("server", { idleBeforeRst: 0.01, rstAt: 400.02 });
    answered.idleGaps = [{ start: 0.05, end: 400.01, frame: 9 }];
    const [f] = run(idleTimeoutReset, facts([answered]));
    assert.match(f?.summary ?? "", /6\.7 min|400/);
    assert.deepEqual(run(resetByServer, facts([answered])), []);
  });
});

describe("dead-peer", () => {
  const probed = (answered: number, unanswered: number, rst: boolean): ConnectionSummary => {
    const c = conn();
    return {
      ...c,
      state: rst ? "RSTO" : "S1",
      dir: { ...c.dir, client: { ...c.dir.client, keepAlives: answered + unanswered } },
      keepalive: { probes: answered + unanswered, answered, unansweredTail: unanswered },
      close: rst
        ? { firstRst: "client", rstAt: 6.1, rstFrame: 17, idleBeforeRst: 1, rstWithDataInFlight: false }
        : {},
    };
  };

  it("answered keepalives are healthy", () => {
    assert.deepEqual(run(deadPeer, facts([probed(5, 0, false)])), []);
    assert.deepEqual(
      diagnose(facts([probed(5, 0, false)])).filter((f) => f.severity !== "info"),
      [],
    );
  });

  it("probes unanswered until the prober resets: the peer is dead, and that explains the client's RST", () => {
    const f = facts([probed(2, 3, true)]);
    const [hit] = run(deadPeer, f);
    assert.equal(hit?.confidence, "high");
    assert.equal(hit.evidence.probesUnanswered, 3);
    const out = diagnose(f);
    assert.equal(out[0].id, "dead-peer");
    assert.ok(!out.some((x) => x.id === "reset-by-client" && x.severity !== "info"));
  });

  it("data retransmitted on timeout until the sender aborts", () => {
    const c = reset("server", { rstWithDataInFlight: true });
    c.dir.server.retransmissions.rto = 6;
    assert.equal(run(deadPeer, facts([c]))[0]?.evidence.detectedBy, "retransmission");
  });
});

describe("close-wait-leak", () => {
  const halfClosed = (stream: number): ConnectionSummary => {
    const c = conn({ stream, start: stream * 0.04 });
    return {
      ...c,
      state: "S2",
      duration: 0.002,
      close: { firstFin: "client", halfClosedBy: "server" },
      dir: { ...c.dir, client: { ...c.dir.client, finAt: c.start + 0.001, finFrame: 8 } },
    };
  };

  it("peers' FINs ACKed, the server silent and never closing: a leak, one finding for all streams", () => {
    const conns = Array.from({ length: 50 }, (_, i) => halfClosed(i));
    const [f, ...rest] = run(closeWaitLeak, facts(conns, { duration: 4 }));
    assert.equal(rest.length, 0);
    assert.equal(f?.id, "close-wait-leak");
    assert.equal(f.evidence.halfClosed, 50);
    assert.equal(f.streams?.length, 50);
    assert.match(f.summary, /CLOSE_WAIT on 10\.0\.0\.2/);
  });

  it("a half-close the capture ended on right away is not a leak", () => {
    assert.deepEqual(run(closeWaitLeak, facts([halfClosed(0), halfClosed(1)], { duration: 0.1 })), []);
  });
});

describe("connection-churn", () => {
  it("hundreds of one-exchange connections from one client to one service", () => {
    const conns = Array.from({ length: 300 }, (_, i) =>
      conn({ stream: i, start: i * 0.003, duration: 0.002 }),
    );
    const [f] = run(connectionChurn, facts(conns));
    assert.equal(f?.id, "connection-churn");
    assert.equal(f.evidence.activeCloser, "client");
    assert.match(f.summary, /TIME_WAIT/);
  });

  it("a few connections, or many slow ones, are not churn", () => {
    assert.deepEqual(
      run(connectionChurn, facts(Array.from({ length: 10 }, (_, i) => conn({ stream: i })))),
      [],
    );
    const slow = Array.from({ length: 40 }, (_, i) => conn({ stream: i, start: i * 60 }));
    assert.deepEqual(run(connectionChurn, facts(slow)), []);
  });
});
