import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bdpBytes,
  bufferMaxFor,
  connectionsPerSecondCapacity,
  keepaliveDetectionSeconds,
  keepaliveFor,
  parseBandwidth,
  parseDurationMs,
  planTuning,
  renderTuning,
  timeWaitAtRate,
  tuneProfile,
  windowLimitedRate,
} from "../../src/tune/index.js";
import { many, snap, sock } from "../fixtures/hostrules/snapshots.js";

const defaults = {
  "net.ipv4.tcp_rmem": "4096\t131072\t6291456",
  "net.ipv4.tcp_wmem": "4096\t16384\t4194304",
  "net.core.rmem_max": "212992",
  "net.core.wmem_max": "212992",
  "net.ipv4.tcp_keepalive_time": "7200",
  "net.ipv4.tcp_keepalive_intvl": "75",
  "net.ipv4.tcp_keepalive_probes": "9",
  "net.ipv4.ip_local_port_range": "32768\t60999",
  "net.ipv4.tcp_tw_reuse": "2",
  "net.core.somaxconn": "4096",
  "net.ipv4.tcp_max_syn_backlog": "2048",
  "net.ipv4.tcp_syncookies": "1",
  "net.ipv4.tcp_congestion_control": "cubic",
  "net.ipv4.tcp_available_congestion_control": "reno cubic",
};

describe("tune arithmetic", () => {
  it("parses bandwidths in bits (decimal) and bytes", () => {
    assert.equal(parseBandwidth("1Gbit"), 1e9);
    assert.equal(parseBandwidth("1g"), 1e9);
    assert.equal(parseBandwidth("250mbps"), 250e6);
    assert.equal(parseBandwidth("100MB/s"), 800e6);
    assert.equal(parseBandwidth("1e9"), 1e9);
    assert.equal(parseBandwidth("fast"), undefined);
  });

  it("parses durations to milliseconds", () => {
    assert.equal(parseDurationMs("20ms"), 20);
    assert.equal(parseDurationMs("0.02s"), 20);
    assert.equal(parseDurationMs("150us"), 0.15);
    // A bare number is seconds, like every other duration option of the command line.
    assert.equal(parseDurationMs("0.05"), 50);
    assert.equal(parseDurationMs("soon"), undefined);
  });

  it("computes the bandwidth-delay product and the buffer it needs", () => {
    // 1 Gbit/s x 50 ms = 6.25 MB in flight.
    assert.equal(bdpBytes(1e9, 50), 6_250_000);
    // 1 Gbit/s x 10 ms = 1.25 MB.
    assert.equal(bdpBytes(1e9, 10), 1_250_000);
    // Twice the BDP, rounded up to a power of two: 12.5 MB -> 16 MiB.
    assert.equal(bufferMaxFor(6_250_000), 16 * 1024 * 1024);
    // Never below the 4 MiB kernel default.
    assert.equal(bufferMaxFor(1000), 4 * 1024 * 1024);
    // A 208 KiB window over 50 ms carries at most 34 Mbit/s.
    assert.equal(Math.round(windowLimitedRate(212992, 50) / 1e5) / 10, 34.1);
  });

  it("computes keepalive detection time and timers for an idle timeout", () => {
    assert.equal(keepaliveDetectionSeconds({ time: 7200, intvl: 75, probes: 9 }), 7875);
    assert.equal(keepaliveDetectionSeconds({ time: 300, intvl: 30, probes: 5 }), 450);
    const k = keepaliveFor(240);
    assert.deepEqual(k, { time: 120, intvl: 30, probes: 4 });
    assert.ok(keepaliveDetectionSeconds(k) <= 240);
  });

  it("computes the ephemeral port capacity against TIME-WAIT", () => {
    // 32768-60999 = 28232 ports / 60 s = 470 new connections per second to one destination.
    assert.equal(Math.floor(connectionsPerSecondCapacity(28232)), 470);
    assert.equal(timeWaitAtRate(300), 18000);
  });
});

describe("planTuning", () => {
  it("plans buffers for a stated path with a diff against the host", () => {
    const plan = planTuning({ rttMs: 50, bandwidthBps: 1e9, host: snap({ sysctls: defaults }) });
    assert.equal(plan.path.source, "stated");
    assert.equal(plan.bdp?.bytes, 6_250_000);
    const rmem = plan.recommendations.find((r) => r.sysctl === "net.ipv4.tcp_rmem");
    assert.equal(rmem?.current, "4096 131072 6291456");
    assert.equal(rmem?.proposed, "4096 131072 16777216");
    assert.equal(rmem?.change, true);
    assert.equal(plan.recommendations.find((r) => r.sysctl === "net.core.rmem_max")?.proposed, "16777216");
    assert.match(plan.sysctlFile, /^net\.ipv4\.tcp_rmem = 4096 131072 16777216$/m);
    // A 50 ms path prefers BBR.
    assert.equal(plan.congestionControl.proposed, "bbr");
    assert.ok(plan.notes.some((n) => /modprobe tcp_bbr/.test(n)));
  });

  it("never lowers a buffer maximum that is already large enough", () => {
    const big = {
      ...defaults,
      "net.ipv4.tcp_rmem": "4096 131072 67108864",
      "net.ipv4.tcp_wmem": "4096 16384 67108864",
    };
    const plan = planTuning({ rttMs: 1, bandwidthBps: 1e9, host: snap({ sysctls: big }) });
    const rmem = plan.recommendations.find((r) => r.sysctl === "net.ipv4.tcp_rmem");
    assert.equal(rmem?.proposed, "4096 131072 67108864");
    assert.equal(rmem?.change, false);
    assert.equal(plan.congestionControl.proposed, "cubic");
  });

  it("shortens keepalive below the middlebox idle timeout", () => {
    const plan = planTuning({ host: snap({ sysctls: defaults }), idleTimeoutSec: 350 });
    assert.equal(plan.keepalive.current.detectionSec, 7875);
    assert.ok(plan.keepalive.proposed.detectionSec <= 350);
    assert.equal(
      plan.recommendations.find((r) => r.sysctl === "net.ipv4.tcp_keepalive_time")?.proposed,
      "175",
    );
  });

  it("widens the port range when the connection rate would exhaust it", () => {
    const tw = many(300, (i) =>
      sock("TIME-WAIT", `10.0.0.1:${33000 + i}`, "10.0.0.2:8080", {
        timer: { name: "timewait", expiresMs: 59000 },
      }),
    );
    const plan = planTuning({ host: snap({ sysctls: defaults, sockets: tw }), profile: "client" });
    assert.equal(plan.ports?.busiestDestination, "10.0.0.2:8080");
    assert.equal(plan.ports?.ratePerSec, 300);
    assert.equal(
      plan.recommendations.find((r) => r.sysctl === "net.ipv4.ip_local_port_range")?.proposed,
      "1024 65535",
    );
    assert.equal(plan.recommendations.find((r) => r.sysctl === "net.ipv4.tcp_tw_reuse")?.proposed, "1");
  });

  it("reads the command line's profile names", () => {
    assert.equal(tuneProfile("web"), "web");
    assert.equal(tuneProfile(undefined), "general");
    assert.equal(tuneProfile("mainframe"), undefined);
    // A web server plans listeners, not outgoing ports; a proxy plans both.
    const tw = { ...defaults };
    assert.equal(
      planTuning({ host: snap({ sysctls: tw }), profile: "web", connectionRate: 1000 }).ports,
      undefined,
    );
    assert.ok(planTuning({ host: snap({ sysctls: tw }), profile: "proxy", connectionRate: 1000 }).ports);
  });

  it("keeps the port range at a low connection rate", () => {
    const plan = planTuning({ host: snap({ sysctls: defaults }), connectionRate: 10, profile: "client" });
    assert.equal(
      plan.recommendations.find((r) => r.sysctl === "net.ipv4.ip_local_port_range"),
      undefined,
    );
  });

  it("moves somaxconn and tcp_max_syn_backlog together and names small listen() backlogs", () => {
    const host = snap({
      sysctls: defaults,
      sockets: [
        sock("LISTEN", "10.0.0.2:8080", "0.0.0.0:*", {
          sendQ: 5,
          processes: [{ name: "python3", pid: 7, fd: 3 }],
        }),
      ],
      counterDeltas: { values: { TcpExtListenOverflows: 40 } },
    });
    const plan = planTuning({ host, profile: "server" });
    const som = plan.recommendations.find((r) => r.sysctl === "net.core.somaxconn");
    const syn = plan.recommendations.find((r) => r.sysctl === "net.ipv4.tcp_max_syn_backlog");
    assert.equal(som?.proposed, "8192");
    assert.equal(syn?.proposed, "8192");
    assert.ok(plan.notes.some((n) => /10\.0\.0\.2:8080 backlog 5 python3/.test(n)));
    assert.equal(plan.recommendations.find((r) => r.sysctl === "net.ipv4.tcp_synack_retries")?.proposed, "2");
  });

  it("takes RTT and bandwidth from the host's connections when not stated", () => {
    const est = sock("ESTAB", "10.0.0.1:40000", "203.0.113.9:443", {
      info: { rtt: 80, bytesAcked: 1e6, deliveryRateBps: 200e6 },
    });
    const plan = planTuning({ host: snap({ sysctls: defaults, sockets: [est] }) });
    assert.equal(plan.path.source, "connections");
    assert.equal(plan.path.rttMs, 80);
    assert.equal(plan.bdp?.bytes, 2_000_000);
  });

  it("renders the plan with a diff and the sysctl.d file", () => {
    const text = renderTuning(
      planTuning({ rttMs: 50, bandwidthBps: 1e9, host: snap({ sysctls: defaults }) }),
    );
    assert.match(text, /BDP: 5\.96 MiB/);
    assert.match(text, /^- net\.ipv4\.tcp_rmem = 4096 131072 6291456$/m);
    assert.match(text, /^\+ net\.ipv4\.tcp_rmem = 4096 131072 16777216$/m);
    assert.match(text, /90-tcpdoctor\.conf/);
  });
});
