// Probes against real sockets on loopback: a listener on port 0, a closed port, a server that
// accepts and resets (SO_LINGER 0), servers that answer, close or stay silent for --expect; name
// resolution; the local context (route, own listeners); target parsing.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { UserError } from "../../src/cli/errors.js";
import { parseTarget, runProbes, unescapeProbeText } from "../../src/io/probe.js";
import { listeningSockets, localEndpoint, routeGet } from "../../src/io/route.js";
import { diagnose } from "../../src/rules/engine.js";
import { probeRules } from "../../src/rules/probe/index.js";
import { which } from "../helpers.js";

async function listen(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const addr = server.address();
  assert.ok(addr && typeof addr === "object");
  return { server, port: addr.port };
}

/** A port that was just free: bound, then closed. */
async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => {});
  server.close();
  await once(server, "close");
  return port;
}

function target(port: number) {
  return parseTarget(`127.0.0.1:${port}`);
}

describe("probe on loopback", () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const keep = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  };
  let open = 0;
  let resetting = 0;
  let banner = 0;
  let closing = 0;
  let silent = 0;

  before(async () => {
    const a = await listen((s) => {
      keep(s);
      s.on("data", () => {});
      s.on("end", () => s.end());
    });
    const b = await listen((s) => {
      keep(s);
      s.resetAndDestroy();
    });
    const c = await listen((s) => {
      keep(s);
      s.end("SSH-2.0-probe-test\r\n");
    });
    const d = await listen((s) => {
      keep(s);
      s.end();
    });
    const e = await listen((s) => keep(s));
    servers.push(a.server, b.server, c.server, d.server, e.server);
    [open, resetting, banner, closing, silent] = [a.port, b.port, c.port, d.port, e.port];
  });

  after(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
  });

  test("a listener: connected, with its connect time and the local listener seen", async () => {
    const run = await runProbes([target(open)], { timeoutSec: 2 });
    assert.equal(run.attempts.length, 1);
    const a = run.attempts[0];
    assert.equal(a.outcome, "connected");
    assert.ok(a.connectTime !== undefined && a.connectTime > 0 && a.connectTime < 1);
    assert.equal(a.localAddress, true);
    assert.ok(a.localListeners?.includes(`127.0.0.1:${open}`), String(a.localListeners));
    assert.equal(a.seq, 1);
    const findings = diagnose({ connections: [], probes: run.attempts }, { rules: probeRules });
    assert.deepEqual(
      findings.filter((f) => f.severity !== "info"),
      [],
    );
  });

  test("a closed port: refused with ECONNREFUSED, and no listener on this host", async () => {
    const port = await closedPort();
    const run = await runProbes([target(port)], { timeoutSec: 2 });
    const a = run.attempts[0];
    assert.equal(a.outcome, "refused");
    assert.equal(a.errno, "ECONNREFUSED");
    assert.deepEqual(a.localListeners, []);
    const ids = diagnose({ connections: [], probes: run.attempts }, { rules: probeRules }).map((f) => f.id);
    assert.ok(ids.includes("no-listener"), ids.join(","));
  });

  test("a server that accepts and resets (SO_LINGER 0): reset after connect, with or without --send", async () => {
    const plain = await runProbes([target(resetting)], { timeoutSec: 2 });
    assert.equal(plain.attempts[0].outcome, "reset");
    assert.equal(plain.attempts[0].errno, "ECONNRESET");
    assert.equal(plain.attempts[0].exchange?.closedBy, "reset");
    const sent = await runProbes([target(resetting)], { timeoutSec: 2, send: "hello\r\n" });
    const a = sent.attempts[0];
    assert.equal(a.outcome, "reset");
    assert.ok(a.errno === "ECONNRESET" || a.errno === "EPIPE", a.errno);
    assert.ok(a.connectTime !== undefined);
    const findings = diagnose({ connections: [], probes: sent.attempts }, { rules: probeRules });
    assert.equal(findings[0]?.id, "reset-after-connect");
  });

  test("--expect: a matching banner connects, a close before it is a reset, silence is an error", async () => {
    const run = await runProbes([target(banner), target(closing), target(silent)], {
      timeoutSec: 0.5,
      expect: "SSH-2.0",
    });
    const byPort = (p: number) => run.attempts.find((a) => a.port === p);
    assert.equal(byPort(banner)?.outcome, "connected");
    assert.equal(byPort(banner)?.exchange?.expectMatched, true);
    assert.equal(byPort(closing)?.outcome, "reset");
    assert.equal(byPort(closing)?.exchange?.closedBy, "fin");
    assert.equal(byPort(silent)?.outcome, "error");
    assert.equal(byPort(silent)?.errno, "EXPECT_TIMEOUT");
    assert.equal(byPort(silent)?.exchange?.expectMatched, false);
    const silence = diagnose({ connections: [], probes: run.attempts }, { rules: probeRules }).find(
      (f) => f.id === "slow-server-response",
    );
    assert.equal(silence?.evidence.address, `127.0.0.1:${silent}`);
    // Attempts come back in target order.
    assert.deepEqual(
      run.attempts.map((a) => a.port),
      [banner, closing, silent],
    );
  });

  test("a series: --count attempts spaced by --interval, numbered in order", async () => {
    const seen: number[] = [];
    const run = await runProbes([target(open)], {
      count: 3,
      intervalSec: 0.1,
      timeoutSec: 2,
      onAttempt: (a) => seen.push(a.seq ?? 0),
    });
    assert.deepEqual(
      run.attempts.map((a) => a.seq),
      [1, 2, 3],
    );
    assert.deepEqual(seen, [1, 2, 3]);
    for (let i = 1; i < 3; i++) {
      assert.ok(run.attempts[i].at - run.attempts[i - 1].at >= 0.09, "interval between starts");
    }
  });

  test("an aborted series stops starting attempts", async () => {
    const stop = new AbortController();
    const run = await runProbes([target(open)], {
      count: 50,
      intervalSec: 0.05,
      timeoutSec: 2,
      signal: stop.signal,
      onAttempt: (a) => {
        if (a.seq === 2) stop.abort();
      },
    });
    assert.equal(run.attempts.length, 2);
  });

  test("a name that does not resolve: one dns-failure attempt with the resolver's code", async () => {
    const run = await runProbes([parseTarget("no-such-host.invalid:80")], { timeoutSec: 5 });
    assert.equal(run.attempts.length, 1);
    const a = run.attempts[0];
    assert.equal(a.outcome, "dns-failure");
    assert.match(a.errno ?? "", /^E[A-Z_]+$/);
    const f = diagnose({ connections: [], probes: run.attempts }, { rules: probeRules })[0];
    assert.equal(f.id, "dns-failure");
    assert.equal((f.evidence as { errno?: string }).errno, a.errno);
  });

  test("localhost resolves and every address is probed", async () => {
    const run = await runProbes([parseTarget(`localhost:${open}`)], { timeoutSec: 2 });
    assert.ok(run.attempts.length >= 1);
    assert.ok(run.attempts.some((a) => a.address === "127.0.0.1" && a.outcome === "connected"));
    for (const a of run.attempts) assert.equal(a.target, `localhost:${open}`);
  });
});

describe("local context", () => {
  test(
    "ip route get 127.0.0.1: local, through lo, with its MTU",
    {
      skip: which("ip") ? false : "skipped: ip is not installed",
    },
    async () => {
      const r = await routeGet("127.0.0.1");
      assert.ok(r);
      assert.equal(r.dev, "lo");
      assert.equal(r.local, true);
      assert.ok(r.mtu !== undefined && r.mtu > 0);
    },
  );

  test("a host name is never handed to ip", async () => {
    assert.equal(await routeGet("example.com; reboot"), undefined);
  });

  test("this host's listeners include one just opened", async () => {
    const { server, port } = await listen(() => {});
    try {
      const l = await listeningSockets();
      assert.ok(l?.some((s) => localEndpoint(s) === `127.0.0.1:${port}`));
    } finally {
      server.close();
    }
  });
});

describe("targets", () => {
  test("host:port, ip:port and [v6]:port", () => {
    assert.deepEqual(parseTarget("db.example:5432"), {
      input: "db.example:5432",
      host: "db.example",
      port: 5432,
    });
    assert.deepEqual(parseTarget("10.0.0.1:80"), { input: "10.0.0.1:80", host: "10.0.0.1", port: 80 });
    assert.deepEqual(parseTarget("[fd00::1]:443"), { input: "[fd00::1]:443", host: "fd00::1", port: 443 });
  });

  test("bad targets are user errors", () => {
    for (const bad of [
      "example.com",
      "fd00::1:443",
      "host:0",
      "host:70000",
      "host:http",
      "-x:1",
      "a b:1",
      "[nope]:1",
    ]) {
      assert.throws(() => parseTarget(bad), UserError, bad);
    }
  });

  test("--send / --expect escapes", () => {
    assert.equal(unescapeProbeText("GET / HTTP/1.0\\r\\n\\r\\n"), "GET / HTTP/1.0\r\n\r\n");
    assert.equal(unescapeProbeText("\\x16\\x03\\\\"), "\x16\x03\\");
  });
});
