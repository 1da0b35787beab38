// `tcpdoctor probe` against real faults built in network namespaces: an nft DROP (timeout), a
// reject with tcp reset (refused), a reject with ICMP host-unreachable (unreachable), a listener on
// loopback only (listener-loopback-only), and SYN drops of every third SYN (slow connects, and with
// a short timeout an intermittent failure).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Finding, ProbeAttempt } from "../../src/rules/types.js";
import {
  cliIn,
  createPair,
  destroyPair,
  netnsSkipReason,
  nft,
  type Pair,
  startApp,
} from "../fixtures/probe/netns.js";

const skip = netnsSkipReason();
if (skip) console.log(`# probe-netns: ${skip}`);

interface ProbeJson {
  findings: Finding[];
  probes: ProbeAttempt[];
  probeSummary: {
    address: string;
    attempts: number;
    successRate?: number;
    connectTime?: { p50: number; max: number };
  }[];
}

function parse(stdout: string): ProbeJson {
  return JSON.parse(stdout) as ProbeJson;
}

function findingFor(j: ProbeJson, id: string, address: string): Finding | undefined {
  return j.findings.find((f) => f.id === id && (f.evidence as { address?: string }).address === address);
}

describe("probe in network namespaces", { skip }, () => {
  let pair: Pair;

  before(async () => {
    pair = createPair("p", 201);
    await startApp(pair.server, ["listen", "0.0.0.0", "8080,8081,8082,8083,8084,8085"]);
    await startApp(pair.client, ["listen", "127.0.0.1", "9090"]);
    // Each numgen counter belongs to its rule: every third SYN to 8084/8085 is dropped.
    nft(
      pair.server,
      [
        "table inet tdprobe {",
        "  chain input {",
        "    type filter hook input priority 0; policy accept;",
        "    tcp dport 8081 drop",
        "    tcp dport 8082 reject with tcp reset",
        "    ip protocol tcp tcp dport 8083 reject with icmp type host-unreachable",
        "    tcp dport 8084 tcp flags & (syn|ack) == syn numgen inc mod 3 == 0 drop",
        "    tcp dport 8085 tcp flags & (syn|ack) == syn numgen inc mod 3 == 0 drop",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  after(() => {
    if (pair) destroyPair(pair);
  });

  test("drop → timeout, tcp reset → refused, icmp → unreachable, loopback-only listener", async () => {
    const s = pair.serverIp;
    const { result } = cliIn(pair.client, [
      "probe",
      `${s}:8080`,
      `${s}:8081`,
      `${s}:8082`,
      `${s}:8083`,
      `${pair.clientIp}:9090`,
      "--timeout",
      "2",
      "--json",
    ]);
    const r = await result;
    assert.equal(r.code, 1, r.stderr);
    const j = parse(r.stdout);
    const outcome = (port: number, ip = s) =>
      j.probes.find((p) => p.address === ip && p.port === port)?.outcome;
    assert.equal(outcome(8080), "connected");
    assert.equal(outcome(8081), "timeout");
    assert.equal(outcome(8082), "refused");
    assert.equal(outcome(8083), "unreachable");
    assert.equal(j.probes.find((p) => p.port === 8083)?.errno, "EHOSTUNREACH");
    assert.equal(outcome(9090, pair.clientIp), "refused");

    const timeout = findingFor(j, "connect-timeout", `${s}:8081`);
    assert.ok(timeout, "connect-timeout for the dropped port");
    // 2 s on this kernel's SYN schedule: the SYN and its retransmission 1 s later.
    const syns = (timeout.evidence as { synsSentEstimate?: number }).synsSentEstimate;
    assert.ok(syns !== undefined && syns >= 2 && syns <= 3, `SYNs in 2 s: ${syns}`);
    assert.ok(findingFor(j, "connect-refused", `${s}:8082`), "connect-refused for the tcp reset");
    const noRoute = findingFor(j, "no-route", `${s}:8083`);
    assert.ok(noRoute, "no-route for the icmp host-unreachable");
    assert.equal((noRoute.evidence as { route?: { dev?: string } }).route?.dev, pair.clientIf);
    const loop = findingFor(j, "listener-loopback-only", `${pair.clientIp}:9090`);
    assert.ok(loop, "listener-loopback-only for the 127.0.0.1 listener");
    assert.equal((loop.evidence as { listener?: string }).listener, "127.0.0.1:9090");
    assert.ok(
      !j.findings.some(
        (f) =>
          f.id === "connect-refused" &&
          (f.evidence as { address?: string }).address === `${pair.clientIp}:9090`,
      ),
      "the loopback-only listener explains that refusal",
    );
    assert.ok(!j.findings.some((f) => (f.evidence as { address?: string }).address === `${s}:8080`));
    // A critical finding heads the list.
    assert.equal(j.findings[0].severity, "critical");
  });

  test("every third SYN dropped: slow connects at ~1 s, an intermittent failure with a short timeout", async () => {
    const s = pair.serverIp;
    const slowRun = cliIn(pair.client, [
      "probe",
      `${s}:8084`,
      "--count",
      "4",
      "--interval",
      "0.1",
      "--timeout",
      "5",
      "--json",
    ]);
    const flakyRun = cliIn(pair.client, [
      "probe",
      `${s}:8085`,
      "--count",
      "4",
      "--interval",
      "0.1",
      "--timeout",
      "0.5",
      "--json",
    ]);
    const [slowR, flakyR] = await Promise.all([slowRun.result, flakyRun.result]);

    const slow = parse(slowR.stdout);
    const times = slow.probes.map((p) => p.connectTime ?? 0);
    assert.ok(
      slow.probes.every((p) => p.outcome === "connected"),
      slowR.stdout,
    );
    const retried = times.filter((t) => t >= 0.9 && t < 1.5);
    assert.ok(retried.length >= 1 && retried.length <= 3, `connect times ${times.join(", ")}`);
    const sh = slow.findings.find((f) => f.id === "slow-handshake");
    assert.ok(sh, "slow-handshake");
    assert.equal((sh.evidence as { slow?: number }).slow, retried.length);
    assert.equal((sh.evidence as { synRetransmissionsEstimate?: number }).synRetransmissionsEstimate, 1);
    assert.ok(slow.probeSummary[0].connectTime!.max >= 0.9);

    const flaky = parse(flakyR.stdout);
    const outcomes = flaky.probes.map((p) => p.outcome);
    assert.ok(outcomes.includes("timeout") && outcomes.includes("connected"), outcomes.join(","));
    const ic = flaky.findings.find((f) => f.id === "intermittent-connect-failure");
    assert.ok(ic, "intermittent-connect-failure");
    assert.equal((ic.evidence as { failed?: number }).failed, outcomes.filter((o) => o === "timeout").length);
    assert.ok(!flaky.findings.some((f) => f.id === "connect-timeout"), "not a plain timeout");
    const rate = flaky.probeSummary[0].successRate ?? -1;
    assert.ok(rate > 0 && rate < 1);
  });
});
