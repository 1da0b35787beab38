import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listenOverflow } from "../../../src/rules/host/listen-overflow.js";
import { synBacklogFull, synFlood } from "../../../src/rules/host/syn.js";
import { many, owner, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

const listener = (backlog: number, queued = 0) =>
  sock("LISTEN", "10.0.0.2:8080", "0.0.0.0:*", { recvQ: queued, sendQ: backlog, ...owner("server", 77) });

/** n SYN-RECV entries from `sources` distinct addresses. */
const synRecv = (n: number, sources: number) =>
  many(n, (i) =>
    sock("SYN-RECV", "10.0.0.2:8080", `198.51.${(i % sources) >> 8}.${(i % sources) & 255}:${1024 + i}`),
  );

describe("syn-flood", () => {
  it("reports a full SYN queue from many sources, absorbed by SYN cookies", () => {
    const host = snap({
      sockets: [listener(64), ...synRecv(64, 64)],
      sysctls: { "net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_max_syn_backlog": "64" },
      counters: { TcpExtSyncookiesSent: 3020, TcpExtSyncookiesRecv: 1, TcpExtTCPReqQFullDoCookies: 3020 },
    });
    const [f] = run(synFlood, { host });
    assert.equal(f?.id, "syn-flood");
    assert.equal(f?.severity, "warning");
    assert.equal(f?.confidence, "high");
    assert.equal(f?.evidence.synRecv, 64);
    assert.equal(f?.evidence.distinctSources, 64);
    assert.equal(f?.evidence.queueLimit, 64);
    assert.match(f?.summary ?? "", /cookies absorb/);
  });

  it("is critical when SYN cookies are off", () => {
    const host = snap({
      sockets: [listener(128), ...synRecv(96, 96)],
      sysctls: { "net.ipv4.tcp_syncookies": "0", "net.ipv4.tcp_max_syn_backlog": "128" },
    });
    const [f] = run(synFlood, { host });
    assert.equal(f?.severity, "critical");
    // One problem, one finding: the flood, not also a backlog finding.
    assert.deepEqual(run(synBacklogFull, { host }), []);
  });

  it("reports cookies sent but not returned over an interval, without socket evidence", () => {
    const host = snap({
      counterDeltas: { seconds: 1, values: { TcpExtSyncookiesSent: 5000, TcpExtSyncookiesRecv: 3 } },
    });
    assert.equal(run(synFlood, { host })[0]?.id, "syn-flood");
  });

  it("stays silent for old cookies since boot, busy legitimate clients, or a quiet listener", () => {
    // Absolute counters since boot: a past event, nothing now.
    const past = snap({
      sockets: [listener(128)],
      counters: { TcpExtSyncookiesSent: 9000, TcpExtSyncookiesRecv: 2 },
    });
    assert.deepEqual(run(synFlood, { host: past }), []);
    // Cookies returned by most clients: load, not a flood.
    const load = snap({
      counterDeltas: { seconds: 1, values: { TcpExtSyncookiesSent: 500, TcpExtSyncookiesRecv: 480 } },
    });
    assert.deepEqual(run(synFlood, { host: load }), []);
    // A few half-open connections from one client.
    const quiet = snap({
      sockets: [listener(128), ...synRecv(5, 1)],
      sysctls: { "net.ipv4.tcp_syncookies": "1" },
    });
    assert.deepEqual(run(synFlood, { host: quiet }), []);
  });
});

describe("syn-backlog-full", () => {
  it("reports SYN-RECV at the limit with cookies off as dropping", () => {
    const host = snap({
      sockets: [listener(4096), ...synRecv(96, 2)],
      sysctls: { "net.ipv4.tcp_syncookies": "0", "net.ipv4.tcp_max_syn_backlog": "128" },
    });
    const [f] = run(synBacklogFull, { host });
    assert.equal(f?.id, "syn-backlog-full");
    assert.equal(f?.severity, "critical");
    // Without cookies the kernel drops unproven clients at 3/4 of tcp_max_syn_backlog.
    assert.equal(f?.evidence.queueLimit, 96);
  });

  it("reports TCPReqQFullDrop rising", () => {
    const host = snap({ counterDeltas: { values: { TcpExtTCPReqQFullDrop: 40 } } });
    assert.equal(run(synBacklogFull, { host })[0]?.severity, "critical");
  });

  it("stays silent below the limit", () => {
    const host = snap({
      sockets: [listener(4096), ...synRecv(20, 2)],
      sysctls: { "net.ipv4.tcp_syncookies": "0", "net.ipv4.tcp_max_syn_backlog": "128" },
    });
    assert.deepEqual(run(synBacklogFull, { host }), []);
  });
});

describe("listen-overflow", () => {
  it("reports a LISTEN socket whose accept queue is over its backlog", () => {
    const host = snap({
      sockets: [listener(1, 2)],
      counters: { TcpExtListenOverflows: 16, TcpExtListenDrops: 16 },
    });
    const [f] = run(listenOverflow, { host });
    assert.equal(f?.id, "listen-overflow");
    assert.equal(f?.severity, "critical");
    assert.equal(f?.evidence.acceptQueue, 2);
    assert.equal(f?.evidence.backlog, 1);
    assert.equal(f?.evidence.process, "server(pid 77)");
    assert.match(f?.fix ?? "", /10\.0\.0\.2:8080/);
  });

  it("reports ListenOverflows rising over an interval", () => {
    const host = snap({
      counterDeltas: { values: { TcpExtListenOverflows: 32, TcpExtListenDrops: 32, TcpPassiveOpens: 2 } },
    });
    const [f] = run(listenOverflow, { host });
    assert.equal(f?.severity, "critical");
    assert.equal(f?.confidence, "high");
  });

  it("treats overflows since boot as weak evidence, and ignores rare ones", () => {
    const weak = run(listenOverflow, {
      host: snap({ counters: { TcpExtListenOverflows: 50, TcpPassiveOpens: 1000 } }),
    })[0];
    assert.equal(weak?.severity, "warning");
    assert.equal(weak?.confidence, "low");
    assert.deepEqual(
      run(listenOverflow, {
        host: snap({ counters: { TcpExtListenOverflows: 3, TcpPassiveOpens: 100000 } }),
      }),
      [],
    );
  });

  it("stays silent for a listener with room and no overflow counters moving", () => {
    const host = snap({
      sockets: [listener(128, 3)],
      counterDeltas: { seconds: 1, values: { TcpExtListenOverflows: 0, TcpPassiveOpens: 40 } },
      counters: { TcpExtListenOverflows: 10, TcpPassiveOpens: 10 },
    });
    assert.deepEqual(run(listenOverflow, { host }), []);
  });
});
