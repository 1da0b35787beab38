import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firewallReject, listenerLoopbackOnly, noListener } from "../../../src/rules/host/listener.js";
import type { ProbeAttempt } from "../../../src/rules/types.js";
import { owner, refusedConnection, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

const server = (listen: string) =>
  snap({ sockets: [sock("LISTEN", listen, "0.0.0.0:*", { sendQ: 128, ...owner("app", 99) })] });
const refused = [refusedConnection(0, "10.77.0.1:40004", "10.77.0.2:8080")];

describe("firewall-reject / no-listener / listener-loopback-only", () => {
  it("names a firewall when the refused port has a listener on the server", () => {
    const host = server("10.77.0.2:8080");
    host.counterDeltas = { values: { TcpOutRsts: 0, TcpInSegs: 0, IpInReceives: 1 } };
    const [f] = run(firewallReject, { host, connections: refused });
    assert.equal(f?.id, "firewall-reject");
    assert.equal(f?.confidence, "high");
    assert.deepEqual(f?.streams, [0]);
    assert.match(f?.fix ?? "", /8080/);
    assert.deepEqual(run(noListener, { host, connections: refused }), []);
  });

  it("names no-listener when nothing listens on the refused port", () => {
    const host = server("10.77.0.2:8080");
    const conns = [refusedConnection(0, "10.77.0.1:40002", "10.77.0.2:8081")];
    const [f] = run(noListener, { host, connections: conns });
    assert.equal(f?.id, "no-listener");
    assert.deepEqual(f?.evidence.listening, ["10.77.0.2:8080"]);
    assert.deepEqual(run(firewallReject, { host, connections: conns }), []);
  });

  it("names a loopback-only listener", () => {
    const host = snap({
      sockets: [
        sock("LISTEN", "127.0.0.1:8080", "0.0.0.0:*", { sendQ: 128 }),
        sock("ESTAB", "10.77.0.2:22", "10.77.0.9:50000"),
      ],
    });
    assert.equal(run(listenerLoopbackOnly, { host, connections: refused })[0]?.id, "listener-loopback-only");
  });

  it("uses refused probes as well as captured connections", () => {
    const probe: ProbeAttempt = {
      target: "10.77.0.2:9000",
      address: "10.77.0.2",
      port: 9000,
      outcome: "refused",
      at: 0,
    };
    const [f] = run(noListener, { host: server("10.77.0.2:8080"), probes: [probe] });
    assert.equal(f?.evidence.target, "10.77.0.2:9000");
  });

  it("says nothing when the snapshot is not of the refusing host, or nothing was refused", () => {
    // The client's own snapshot: no socket bound to the server address.
    const client = snap({ sockets: [sock("ESTAB", "10.77.0.1:22", "10.77.0.5:50000")] });
    for (const rule of [firewallReject, noListener, listenerLoopbackOnly]) {
      assert.deepEqual(run(rule, { host: client, connections: refused }), []);
      assert.deepEqual(run(rule, { host: server("10.77.0.2:8080") }), []);
    }
  });

  it("cites the reject rule and uses interface addresses to know the host", () => {
    const host = snap({
      sockets: [sock("LISTEN", "0.0.0.0:8080", "0.0.0.0:*", { sendQ: 128 })],
      interfaces: [{ name: "eth0", addresses: ["10.77.0.2/24"] }],
      firewall: [
        {
          tool: "nft",
          verdict: "reject",
          protocol: "tcp",
          dports: [8080],
          packets: 3,
          rule: "tcp dport 8080 counter packets 3 bytes 180 reject with tcp reset",
          source: { file: "nft-ruleset.txt", line: 4 },
        },
      ],
    });
    const [f] = run(firewallReject, { host, connections: refused });
    assert.equal(f?.confidence, "high");
    assert.equal(f?.evidence.rejectRulePackets, 3);
    assert.deepEqual(f?.sources?.[0], { file: "nft-ruleset.txt", line: 4 });
  });

  it("does not guess which host a wildcard-only socket table belongs to", () => {
    const host = snap({ sockets: [sock("LISTEN", "0.0.0.0:8080", "0.0.0.0:*", { sendQ: 128 })] });
    assert.deepEqual(run(firewallReject, { host, connections: refused }), []);
    assert.deepEqual(
      run(noListener, { host, connections: [refusedConnection(0, "10.77.0.1:4000", "10.77.0.2:9999")] }),
      [],
    );
  });
});
