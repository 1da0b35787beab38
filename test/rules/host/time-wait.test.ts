import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionChurn, timeWaitPortExhaustion } from "../../../src/rules/host/time-wait.js";
import { many, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

const range = { "net.ipv4.ip_local_port_range": "32768\t60999", "net.ipv4.tcp_tw_reuse": "2" };

/** n TIME-WAIT sockets from this host to one service, closed over the last `spanSec` seconds. */
function clientTw(n: number, dst: string, spanSec: number) {
  return many(n, (i) =>
    sock("TIME-WAIT", `10.0.0.1:${33000 + i}`, dst, {
      timer: { name: "timewait", expiresMs: (60 - (spanSec * i) / n) * 1000 },
    }),
  );
}

describe("connection-churn", () => {
  it("reports many short connections to one service, with the implied rate", () => {
    const host = snap({ sockets: clientTw(300, "10.0.0.2:8080", 2), sysctls: range });
    const [f] = run(connectionChurn, { host });
    assert.equal(f?.id, "connection-churn");
    assert.equal(f?.evidence.service, "10.0.0.2:8080");
    assert.equal(f?.evidence.side, "client");
    // 300 connections closed within 2 s: about 150 per second.
    assert.ok(Math.abs((f?.evidence.connectionsPerSecond as number) - 150) < 20);
    assert.match(f?.fix ?? "", /10\.0\.0\.2:8080/);
  });

  it("without timers, assumes the TIME-WAIT lifetime of 60 s", () => {
    const sockets = many(150, (i) => sock("TIME-WAIT", `10.0.0.1:${33000 + i}`, "10.0.0.2:8080"));
    const [f] = run(connectionChurn, { host: snap({ sockets, sysctls: range }) });
    assert.equal(f?.evidence.connectionsPerSecond, 2.5);
    assert.equal(f?.confidence, "medium");
  });

  it("stays silent for TIME-WAIT spread over many destinations or at a low rate", () => {
    const spread = many(400, (i) => sock("TIME-WAIT", `10.0.0.1:${33000 + i}`, `10.0.${i % 100}.9:443`));
    assert.deepEqual(run(connectionChurn, { host: snap({ sockets: spread, sysctls: range }) }), []);
    // 100 connections over a whole minute towards one service: 1.7/s, below the 2/s default.
    assert.deepEqual(
      run(connectionChurn, { host: snap({ sockets: clientTw(100, "10.0.0.2:8080", 59), sysctls: range }) }),
      [],
    );
  });

  it("sees server-side churn on a listening port", () => {
    const sockets = [
      sock("LISTEN", "0.0.0.0:80", "0.0.0.0:*", { sendQ: 511 }),
      ...many(200, (i) =>
        sock("TIME-WAIT", "10.0.0.2:80", `10.9.${i % 7}.1:${40000 + i}`, {
          timer: { name: "timewait", expiresMs: 55000 },
        }),
      ),
    ];
    const [f] = run(connectionChurn, { host: snap({ sockets, sysctls: range }) });
    assert.equal(f?.evidence.side, "server");
    assert.equal(f?.evidence.service, "10.0.0.2:80");
  });
});

describe("time-wait-port-exhaustion", () => {
  it("reports TIME-WAIT towards one destination near the port range size", () => {
    const sysctls = { "net.ipv4.ip_local_port_range": "60000 60999", "net.ipv4.tcp_tw_reuse": "0" };
    const host = snap({ sockets: clientTw(900, "10.0.0.2:5432", 50), sysctls });
    const [f] = run(timeWaitPortExhaustion, { host });
    assert.equal(f?.id, "time-wait-port-exhaustion");
    assert.equal(f?.severity, "critical");
    assert.equal(f?.evidence.portRangeSize, 1000);
    assert.equal(f?.evidence.used, 0.9);
  });

  it("is a warning only when tcp_tw_reuse=1 lets connect() reuse the ports", () => {
    const sysctls = { "net.ipv4.ip_local_port_range": "60000 60999", "net.ipv4.tcp_tw_reuse": "1" };
    const [f] = run(timeWaitPortExhaustion, {
      host: snap({ sockets: clientTw(900, "10.0.0.2:5432", 50), sysctls }),
    });
    assert.equal(f?.severity, "warning");
  });

  it("reports a rate that would exhaust the range within the TIME-WAIT lifetime", () => {
    const sysctls = { "net.ipv4.ip_local_port_range": "60000 60999" };
    // 300 in the last 10 s = 30/s: 1800 ports needed for 60 s, range has 1000.
    const [f] = run(timeWaitPortExhaustion, {
      host: snap({ sockets: clientTw(300, "10.0.0.2:5432", 10), sysctls }),
    });
    assert.equal(f?.id, "time-wait-port-exhaustion");
    assert.ok((f?.evidence.projectedUse as number) > 1);
  });

  it("stays silent when the range is large compared with the TIME-WAIT count", () => {
    assert.deepEqual(
      run(timeWaitPortExhaustion, {
        host: snap({ sockets: clientTw(300, "10.0.0.2:8080", 50), sysctls: range }),
      }),
      [],
    );
    // No port range known: nothing to compare with.
    assert.deepEqual(
      run(timeWaitPortExhaustion, { host: snap({ sockets: clientTw(900, "10.0.0.2:8080", 50) }) }),
      [],
    );
  });
});
