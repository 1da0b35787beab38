import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deadPeer, keepaliveTooLong } from "../../../src/rules/host/keepalive.js";
import { run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

const defaults = {
  "net.ipv4.tcp_keepalive_time": "7200",
  "net.ipv4.tcp_keepalive_intvl": "75",
  "net.ipv4.tcp_keepalive_probes": "9",
};

describe("keepalive-too-long", () => {
  it("describes the default timers as info: detection after 2 h 11 min", () => {
    const [f] = run(keepaliveTooLong, { host: snap({ sysctls: defaults }) });
    assert.equal(f?.severity, "info");
    assert.equal(f?.evidence.detectionSec, 7875);
  });

  it("warns when remote connections sit idle without keepalive", () => {
    const idle = sock("ESTAB", "10.0.0.1:40000", "10.0.5.5:5432", {
      info: { lastsnd: 900000, lastrcv: 900000 },
    });
    const [f] = run(keepaliveTooLong, { host: snap({ sysctls: defaults, sockets: [idle] }) });
    assert.equal(f?.severity, "warning");
    assert.equal(f?.evidence.idleWithoutKeepalive, 1);
  });

  it("says nothing when keepalive is short, and ignores idle sockets that run keepalive", () => {
    const short = { ...defaults, "net.ipv4.tcp_keepalive_time": "120" };
    assert.deepEqual(run(keepaliveTooLong, { host: snap({ sysctls: short }) }), []);
    const kept = sock("ESTAB", "10.0.0.1:40000", "10.0.5.5:5432", {
      timer: { name: "keepalive", expiresMs: 3000, retrans: 0 },
      info: { lastsnd: 900000, lastrcv: 900000 },
    });
    assert.equal(
      run(keepaliveTooLong, { host: snap({ sysctls: defaults, sockets: [kept] }) })[0]?.severity,
      "info",
    );
  });
});

describe("dead-peer", () => {
  it("reports unanswered keepalive probes on a socket", () => {
    const s = sock("ESTAB", "10.77.0.1:40014", "10.77.0.2:8080", {
      timer: { name: "keepalive", expiresMs: 608, retrans: 2 },
      info: { lastack: 2440 },
    });
    const [f] = run(deadPeer, { host: snap({ sockets: [s] }) });
    assert.equal(f?.id, "dead-peer");
    assert.match(f?.summary ?? "", /10\.77\.0\.2:8080 left 2 keepalive probes unanswered/);
  });

  it("reports retransmissions backing off without an ACK", () => {
    const s = sock("ESTAB", "10.0.0.1:40000", "10.0.0.9:443", {
      sendQ: 1000,
      timer: { name: "on", expiresMs: 12000, retrans: 6 },
    });
    const byKind = run(deadPeer, { host: snap({ sockets: [s] }) })[0]?.evidence.byKind as
      { retransmit: number } | undefined;
    assert.equal(byKind?.retransmit, 1);
  });

  it("reports an established connection aborted after timeouts over an interval", () => {
    const host = snap({
      counterDeltas: {
        values: { TcpExtTCPAbortOnTimeout: 1, TcpEstabResets: 1, TcpExtTCPKeepAlive: 5, TcpAttemptFails: 0 },
      },
    });
    assert.equal(run(deadPeer, { host })[0]?.id, "dead-peer");
  });

  it("does not mistake a connect timeout or answered keepalives for a dead peer", () => {
    // A SYN that timed out also counts in TcpExtTCPAbortOnTimeout, together with TcpAttemptFails.
    const connectTimeout = snap({
      counterDeltas: { values: { TcpExtTCPAbortOnTimeout: 1, TcpAttemptFails: 1, TcpExtTCPSynRetrans: 2 } },
    });
    assert.deepEqual(run(deadPeer, { host: connectTimeout }), []);
    const healthy = sock("ESTAB", "10.77.0.1:40013", "10.77.0.2:8080", {
      timer: { name: "keepalive", expiresMs: 60, retrans: 0 },
    });
    assert.deepEqual(run(deadPeer, { host: snap({ sockets: [healthy] }) }), []);
    const syn = sock("SYN-SENT", "10.0.0.1:40003", "10.0.0.2:8080", {
      timer: { name: "on", expiresMs: 1052, retrans: 5 },
    });
    assert.deepEqual(run(deadPeer, { host: snap({ sockets: [syn] }) }), []);
  });
});
