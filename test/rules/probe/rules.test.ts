// The probe rules on series of attempts shaped like the ones `tcpdoctor probe` records: which
// diagnosis each pattern of outcomes gets, and which it must not get.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diagnose } from "../../../src/rules/engine.js";
import { probeRules, probeSeries, synRetransmitAt, synRetriesFor } from "../../../src/rules/probe/index.js";
import type { Finding, ProbeAttempt } from "../../../src/rules/types.js";

function attempt(p: Partial<ProbeAttempt> & Pick<ProbeAttempt, "outcome">, seq = 1): ProbeAttempt {
  return {
    target: "svc.example:443",
    address: "192.0.2.10",
    port: 443,
    at: seq - 1,
    seq,
    timeout: 10,
    ...p,
  };
}

function series(outcomes: Partial<ProbeAttempt>[]): ProbeAttempt[] {
  return outcomes.map((o, i) => attempt({ outcome: "connected", ...o }, i + 1));
}

function run(probes: ProbeAttempt[]): Finding[] {
  return diagnose({ connections: [], probes }, { rules: probeRules });
}

function ids(findings: Finding[]): string[] {
  return findings.map((f) => f.id);
}

describe("SYN retransmission schedule", () => {
  test("exponential on older kernels, 1 s steps first with tcp_syn_linear_timeouts", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => synRetransmitAt(n, 0)),
      [1, 3, 7, 15, 31],
    );
    // Kernel documentation: with 4 linear timeouts the RTOs are 1, 1, 1, 1, 1, 2, 4, ...
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => synRetransmitAt(n, 4)),
      [1, 2, 3, 4, 5, 7, 11],
    );
  });

  test("connect times map to retransmission counts", () => {
    assert.equal(synRetriesFor(0.0004, 0), 0);
    assert.equal(synRetriesFor(1.002, 0.0004), 1);
    assert.equal(synRetriesFor(3.01, 0.0004, 0), 2);
    assert.equal(synRetriesFor(3.01, 0.0004, 4), 3);
    assert.equal(synRetriesFor(7.2, 0.2, 0), 3);
  });
});

describe("series", () => {
  test("success rate and connect-time percentiles", () => {
    const times = [0.01, 0.012, 0.011, 0.013, 0.05, 0.014, 0.011, 0.012, 0.015, 1.02];
    const s = probeSeries(series(times.map((t) => ({ connectTime: t }))))[0];
    assert.equal(s.successRate, 1);
    assert.equal(s.connectTime?.samples, 10);
    assert.equal(s.connectTime?.p50, 0.012);
    assert.equal(s.connectTime?.p90, 0.05);
    assert.equal(s.connectTime?.max, 1.02);
    assert.equal(s.connectTime?.min, 0.01);
  });
});

describe("probe rules", () => {
  test("healthy connects: no warning or critical finding", () => {
    const f = run(series([{ connectTime: 0.02 }, { connectTime: 0.021 }, { connectTime: 0.019 }]));
    assert.deepEqual(
      f.filter((x) => x.severity !== "info"),
      [],
    );
  });

  test("refused everywhere: connect-refused, critical, with the reset delay", () => {
    const f = run(
      series([1, 2, 3].map(() => ({ outcome: "refused", errno: "ECONNREFUSED", connectTime: 0.021 }))),
    );
    assert.deepEqual(ids(f), ["connect-refused"]);
    assert.equal(f[0].severity, "critical");
    assert.equal(f[0].evidence.refused, 3);
    assert.equal(f[0].evidence.refusedAfterSeconds, 0.021);
    assert.match(f[0].fix, /192\.0\.2\.10:443/);
  });

  test("silent drops: connect-timeout with the SYNs the kernel sent in the timeout", () => {
    const probes = series(
      [1, 2].map(() => ({ outcome: "timeout", errno: "ETIMEDOUT", connectTime: 10, synLinearTimeouts: 0 })),
    );
    const f = run(probes);
    assert.deepEqual(ids(f), ["connect-timeout"]);
    assert.equal(f[0].severity, "critical");
    // SYNs at 0, 1, 3 and 7 s fit in 10 s.
    assert.equal(f[0].evidence.synsSentEstimate, 4);
    const linear = run(series([{ outcome: "timeout", connectTime: 2, timeout: 2, synLinearTimeouts: 4 }]));
    assert.equal(linear[0].evidence.synsSentEstimate, 3);
  });

  test("only one address of a name times out: a warning naming the addresses that work", () => {
    const good = series([{ connectTime: 0.01 }]).map((p) => ({ ...p, address: "192.0.2.11" }));
    const bad = series([{ outcome: "timeout", connectTime: 10 }]);
    const f = run([...good, ...bad]);
    assert.deepEqual(ids(f), ["connect-timeout"]);
    assert.equal(f[0].severity, "warning");
    assert.deepEqual(f[0].evidence.otherAddressesConnect, ["192.0.2.11:443"]);
  });

  test("some attempts time out, others connect: intermittent-connect-failure only", () => {
    const probes = series([
      { connectTime: 0.012 },
      { outcome: "timeout", connectTime: 2 },
      { connectTime: 0.011 },
      { connectTime: 0.013 },
      { outcome: "timeout", connectTime: 2 },
    ]);
    const f = run(probes);
    assert.deepEqual(ids(f), ["intermittent-connect-failure"]);
    assert.equal(f[0].evidence.failed, 2);
    assert.equal(f[0].evidence.connected, 3);
    assert.equal(f[0].evidence.failedAttempts, "2, 5");
    assert.equal(f[0].evidence.successRate, 0.6);
  });

  test("unreachable: no-route with the errno and a failing route lookup", () => {
    const f = run(
      series([
        {
          outcome: "unreachable",
          errno: "ENETUNREACH",
          connectTime: 0.0001,
          route: { error: "Network is unreachable" },
        },
      ]),
    );
    assert.deepEqual(ids(f), ["no-route"]);
    assert.equal(f[0].evidence.errno, "ENETUNREACH");
    assert.equal(f[0].confidence, "high");
    assert.match(f[0].summary, /ip route get 192\.0\.2\.10/);
  });

  test("name resolution fails: dns-failure citing the resolver's code", () => {
    const f = run([
      {
        target: "db.internal:5432",
        address: "",
        port: 5432,
        outcome: "dns-failure",
        errno: "ENOTFOUND",
        at: 0,
      },
    ]);
    assert.deepEqual(ids(f), ["dns-failure"]);
    assert.equal(f[0].evidence.errno, "ENOTFOUND");
    assert.match(f[0].summary, /db\.internal/);
    assert.ok(f[0].confirm.some((c) => c.includes("getent ahosts db.internal")));
  });

  test("accepted then reset: reset-after-connect", () => {
    const f = run(
      series([
        {
          outcome: "reset",
          errno: "ECONNRESET",
          connectTime: 0.01,
          exchange: { sent: 18, received: 0, closedBy: "reset", closedAfter: 0.011 },
        },
        {
          outcome: "reset",
          errno: "ECONNRESET",
          connectTime: 0.01,
          exchange: { sent: 18, received: 0, closedBy: "reset", closedAfter: 0.012 },
        },
      ]),
    );
    assert.deepEqual(ids(f), ["reset-after-connect"]);
    assert.equal(f[0].confidence, "high");
    assert.equal(f[0].evidence.bytesSent, 18);
  });

  test("connects at ~1 s and ~3 s beside fast ones: slow-handshake with the retransmissions", () => {
    const f = run(
      series([
        { connectTime: 0.0005 },
        { connectTime: 1.0011, synLinearTimeouts: 0 },
        { connectTime: 0.0006 },
        { connectTime: 3.0021, synLinearTimeouts: 0 },
      ]),
    );
    assert.deepEqual(ids(f), ["slow-handshake"]);
    assert.equal(f[0].evidence.slow, 2);
    assert.equal(f[0].evidence.synRetransmissionsEstimate, 2);
    assert.equal(f[0].evidence.attemptsAffected, "2, 4");
  });

  test("a long path alone is not slow: 300 ms connects everywhere", () => {
    const f = run(series([{ connectTime: 0.3 }, { connectTime: 0.31 }, { connectTime: 0.32 }]));
    assert.ok(!ids(f).includes("slow-handshake"));
  });

  test("the slow-handshake thresholds can be configured", () => {
    const probes = series([{ connectTime: 0.1 }, { connectTime: 0.7 }]);
    assert.ok(!ids(run(probes)).includes("slow-handshake"));
    const f = diagnose(
      { connections: [], probes },
      { rules: probeRules, thresholds: { "slow-handshake": { minSlowSeconds: 0.5, minExtraSeconds: 0.5 } } },
    );
    assert.deepEqual(ids(f), ["slow-handshake"]);
  });
});

describe("probe rules with this host's own listeners", () => {
  const local = (listeners: string[]) =>
    series([
      {
        outcome: "refused",
        errno: "ECONNREFUSED",
        localAddress: true,
        localListeners: listeners,
        connectTime: 0.0001,
      },
    ]).map((p) => ({
      ...p,
      address: "10.0.0.5",
      port: 8080,
      target: "10.0.0.5:8080",
    }));

  test("a listener on 127.0.0.1 only: listener-loopback-only, not connect-refused", () => {
    const f = run(local(["127.0.0.1:8080", "0.0.0.0:22"]));
    assert.deepEqual(ids(f), ["listener-loopback-only"]);
    assert.equal(f[0].evidence.listener, "127.0.0.1:8080");
  });

  test("no listener on the port: no-listener", () => {
    const f = run(local(["0.0.0.0:22"]));
    assert.deepEqual(ids(f), ["no-listener"]);
  });

  test("a wildcard listener that should have accepted: firewall-reject", () => {
    const f = run(local(["[::]:8080"]));
    assert.deepEqual(ids(f), ["firewall-reject"]);
    assert.equal(f[0].evidence.listener, "[::]:8080");
  });

  test("a listener on another address: connect-refused saying where it listens", () => {
    const f = run(local(["10.0.0.6:8080"]));
    assert.deepEqual(ids(f), ["connect-refused"]);
    assert.match(f[0].summary, /10\.0\.0\.6:8080/);
  });

  test("a remote address: the listeners of this host say nothing", () => {
    const remote = local(["127.0.0.1:8080"]).map((p) => ({
      ...p,
      localAddress: undefined,
      localListeners: undefined,
    }));
    assert.deepEqual(ids(run(remote)), ["connect-refused"]);
  });
});
