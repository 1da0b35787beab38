import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buffersBelowBdp } from "../../../src/rules/host/buffers.js";
import { resetStorm } from "../../../src/rules/host/resets.js";
import {
  conntrackNearFull,
  fdLimitNear,
  orphanSocketsHigh,
  tcpMemoryPressure,
} from "../../../src/rules/host/resources.js";
import { many, owner, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

describe("conntrack-near-full", () => {
  it("reports usage at or above 80% with the top sources", () => {
    const host = snap({
      conntrack: { count: 220000, max: 262144, entriesBySource: { "10.1.1.1": 150000, "10.1.1.2": 10 } },
    });
    const [f] = run(conntrackNearFull, { host });
    assert.equal(f?.id, "conntrack-near-full");
    assert.equal(f?.severity, "warning");
    assert.deepEqual((f?.evidence.topSources as { source: string }[] | undefined)?.[0]?.source, "10.1.1.1");
  });

  it("is critical when the kernel logs dropped packets, whatever the count", () => {
    const host = snap({
      conntrack: { count: 10, max: 262144 },
      kernelLog: [{ kind: "conntrack-full", text: "nf_conntrack: table full, dropping packet" }],
    });
    assert.equal(run(conntrackNearFull, { host })[0]?.severity, "critical");
  });

  it("reads the sysctls when conntrack itself was not queried, and stays silent below 80%", () => {
    const sysctls = { "net.netfilter.nf_conntrack_count": "20", "net.netfilter.nf_conntrack_max": "262144" };
    assert.deepEqual(run(conntrackNearFull, { host: snap({ sysctls }) }), []);
    const busy = { "net.netfilter.nf_conntrack_count": "250000", "net.netfilter.nf_conntrack_max": "262144" };
    assert.equal(run(conntrackNearFull, { host: snap({ sysctls: busy }) })[0]?.severity, "critical");
  });
});

describe("fd-limit-near", () => {
  it("reports a process near its open-file limit with its sockets by state", () => {
    const host = snap({
      processes: [
        { pid: 10, name: "nginx", openFds: 1000, fdLimit: 1024 },
        { pid: 11, name: "sshd", openFds: 10, fdLimit: 1024 },
      ],
      sockets: many(5, (i) =>
        sock("CLOSE-WAIT", "10.0.0.2:80", `10.0.0.1:${5000 + i}`, owner("nginx", 10, 20 + i)),
      ),
    });
    const [f] = run(fdLimitNear, { host });
    assert.equal(f?.severity, "critical");
    assert.equal(f?.evidence.pid, 10);
    assert.deepEqual(f?.evidence.socketsByState, { "CLOSE-WAIT": 5 });
  });

  it("stays silent when processes have room", () => {
    assert.deepEqual(
      run(fdLimitNear, { host: snap({ processes: [{ pid: 1, openFds: 500, fdLimit: 1024 }] }) }),
      [],
    );
  });
});

describe("tcp-memory-pressure", () => {
  it("reports TCP memory above the pressure threshold", () => {
    const host = snap({
      sockstat: { tcpMem: 200000 },
      sysctls: { "net.ipv4.tcp_mem": "94000 125000 188000" },
    });
    assert.equal(run(tcpMemoryPressure, { host })[0]?.severity, "critical");
    const pressure = snap({
      sockstat: { tcpMem: 130000 },
      sysctls: { "net.ipv4.tcp_mem": "94000 125000 188000" },
    });
    assert.equal(run(tcpMemoryPressure, { host: pressure })[0]?.severity, "warning");
  });

  it("stays silent far below the limits", () => {
    const host = snap({ sockstat: { tcpMem: 122 }, sysctls: { "net.ipv4.tcp_mem": "94000 125000 188000" } });
    assert.deepEqual(run(tcpMemoryPressure, { host }), []);
  });
});

describe("orphan-sockets-high", () => {
  it("reports orphans at half the limit or more", () => {
    const host = snap({ sockstat: { tcpOrphan: 40000 }, sysctls: { "net.ipv4.tcp_max_orphans": "65536" } });
    assert.equal(run(orphanSocketsHigh, { host })[0]?.id, "orphan-sockets-high");
  });

  it("stays silent for a few orphans", () => {
    const host = snap({ sockstat: { tcpOrphan: 12 }, sysctls: { "net.ipv4.tcp_max_orphans": "65536" } });
    assert.deepEqual(run(orphanSocketsHigh, { host }), []);
  });
});

describe("reset-storm", () => {
  it("reports resets at many per second", () => {
    const host = snap({
      counterDeltas: { seconds: 1, values: { TcpOutRsts: 900, TcpOutSegs: 5000, TcpEstabResets: 3 } },
    });
    const [f] = run(resetStorm, { host });
    assert.equal(f?.id, "reset-storm");
    assert.equal(f?.evidence.perSecond, 900);
  });

  it("stays silent for a normal reset rate and for absolute counters", () => {
    const calm = snap({ counterDeltas: { seconds: 10, values: { TcpOutRsts: 12, TcpOutSegs: 50000 } } });
    assert.deepEqual(run(resetStorm, { host: calm }), []);
    assert.deepEqual(
      run(resetStorm, { host: snap({ counters: { TcpOutRsts: 900000, TcpOutSegs: 1000000 } }) }),
      [],
    );
  });
});

describe("buffers-below-bdp", () => {
  const sender = (tb: number) =>
    sock("ESTAB", "10.0.0.1:40000", "203.0.113.20:443", {
      sendQ: 4000000,
      skmem: { tb, w: tb },
      info: { rtt: 80, busyMs: 10000, sndbufLimitedMs: 9000, cwnd: 900 },
    });
  const sysctls = { "net.ipv4.tcp_wmem": "4096 16384 4194304", "net.core.wmem_max": "212992" };

  it("reports a sender limited by a send buffer at the tcp_wmem ceiling", () => {
    const [f] = run(buffersBelowBdp, { host: snap({ sockets: [sender(4194304)], sysctls }) });
    assert.equal(f?.id, "buffers-below-bdp");
    // 4 MiB per 80 ms = 419 Mbit/s at most.
    assert.equal(f?.evidence.bufferCapMbps, 419.43);
  });

  it("does not blame the sysctl when the buffer is below the ceiling, or the sender is not buffer-limited", () => {
    assert.deepEqual(run(buffersBelowBdp, { host: snap({ sockets: [sender(65536)], sysctls }) }), []);
    const free = sock("ESTAB", "10.0.0.1:40000", "203.0.113.20:443", {
      info: { rtt: 80, busyMs: 10000, sndbufLimitedMs: 0 },
    });
    assert.deepEqual(run(buffersBelowBdp, { host: snap({ sockets: [free], sysctls }) }), []);
  });
});
