// The whole chain for real: inside a network namespace a server piles up CLOSE-WAIT sockets;
// `tcpdoctor watch --prometheus` exports them; a real Prometheus scrapes the exporter every second
// with our generated rules loaded; its HTTP API must show the series and the close-wait alert
// firing. Then the scenario stops and the watch log must show the alert resolved.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { prometheusRulesYaml } from "../../src/report/prometheus-rules.js";
import { isRoot, repoRoot, which } from "../helpers.js";

const prometheus = which("prometheus");
const ipTool = which("ip");
const skipReason: string | false =
  process.platform !== "linux"
    ? "skipped: needs Linux network namespaces"
    : !isRoot
      ? "skipped: needs root to create a network namespace"
      : !prometheus
        ? "skipped: prometheus not installed (Debian package prometheus)"
        : !ipTool
          ? "skipped: ip (iproute2) not installed"
          : false;

const ns = `tcpdw${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "tcpdoctor-prom-"));
const children: ChildProcess[] = [];
let nsReady = false;

const PILE = 24;
// A fresh namespace has every port free.
const exporterPort = 20000 + Math.floor(Math.random() * 20000);
const prometheusPort = exporterPort + 1;
const servicePort = exporterPort + 2;

function inNs(cmd: string, args: string[]): ChildProcess {
  const child = spawn(ipTool as string, ["netns", "exec", ns, cmd, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.push(child);
  return child;
}

function text(stream: NodeJS.ReadableStream | null): { value: string } {
  const t = { value: "" };
  stream?.on("data", (b: Buffer) => {
    t.value = (t.value + b.toString("utf8")).slice(-20000);
  });
  return t;
}

/** GET inside the namespace (where Prometheus listens on its loopback), parsed as JSON. */
function getJson(url: string): unknown {
  const r = spawnSync(
    ipTool as string,
    [
      "netns",
      "exec",
      ns,
      process.execPath,
      "-e",
      "fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))",
      url,
    ],
    { encoding: "utf8", timeout: 10_000 },
  );
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

interface PromVector {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}
interface PromAlerts {
  data: { alerts: { labels: Record<string, string>; state: string }[] };
}

function query(q: string): PromVector["data"]["result"] | undefined {
  const r = getJson(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(q)}`) as
    PromVector | undefined;
  return r?.data?.result;
}

const SCENARIO = `
const net = require("node:net");
const held = [];
// allowHalfOpen: the peer's FIN does not make Node close our side, so accepted sockets stay in CLOSE-WAIT.
const server = net.createServer({ allowHalfOpen: true }, (s) => { held.push(s); s.resume(); });
server.listen(${servicePort}, "127.0.0.1", () => {
  let done = 0;
  for (let i = 0; i < ${PILE}; i++) {
    const c = net.connect(${servicePort}, "127.0.0.1", () => { c.end(); held.push(c); if (++done === ${PILE}) console.log("piled"); });
  }
});
setInterval(() => {}, 1000);
`;

describe("watch --prometheus against a real Prometheus", { skip: skipReason, timeout: 120_000 }, () => {
  before(() => {
    if (skipReason) return;
    const add = spawnSync(ipTool as string, ["netns", "add", ns], { encoding: "utf8" });
    if (add.status !== 0) return;
    spawnSync(ipTool as string, ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
    nsReady = true;
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    if (nsReady) spawnSync(ipTool as string, ["netns", "del", ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("exports the pile-up, Prometheus fires the close-wait alert, the watch log resolves it", async (t) => {
    if (!nsReady) {
      t.skip("skipped: cannot create a network namespace here");
      return;
    }
    const config = join(dir, "watch.yaml");
    writeFileSync(
      config,
      "hysteresis:\n  fireAfter: 2\n  resolveAfter: 2\nthresholds:\n  close-wait-leak:\n    minSockets: 5\n    minAgeMs: 0\n",
    );
    writeFileSync(join(dir, "tcpdoctor-rules.yml"), prometheusRulesYaml());
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "rule_files:",
        "  - tcpdoctor-rules.yml",
        "scrape_configs:",
        "  - job_name: tcpdoctor",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${exporterPort}"]`,
        "",
      ].join("\n"),
    );
    const log = join(dir, "alerts.jsonl");

    const scenario = inNs(process.execPath, ["-e", SCENARIO]);
    const scenarioOut = text(scenario.stdout);
    await until("the CLOSE-WAIT pile-up", 15_000, () =>
      scenarioOut.value.includes("piled") ? true : undefined,
    );

    const watch = inNs(process.execPath, [
      "--import",
      "tsx",
      join(repoRoot, "src", "cli", "main.ts"),
      "watch",
      "--interval",
      "1",
      "--config",
      config,
      "--log",
      log,
      "--prometheus",
      `127.0.0.1:${exporterPort}`,
    ]);
    const watchErr = text(watch.stderr);
    const watchExit = new Promise<number | null>((r) => watch.once("exit", (code) => r(code)));
    const prom = inNs(prometheus as string, [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ]);
    const promErr = text(prom.stderr);

    try {
      // The series arrive in Prometheus.
      const cw = await until("tcpdoctor_close_wait_by_process in Prometheus", 45_000, () => {
        const r = query('tcpdoctor_close_wait_by_process{process="node"}');
        return r?.find((x) => Number(x.value[1]) >= PILE);
      });
      assert.equal(cw.metric.job, "tcpdoctor");
      assert.match(cw.metric.pid ?? "", /^\d+$/);
      const state = query('tcpdoctor_sockets{state="CLOSE-WAIT"}');
      assert.ok(Number(state?.[0]?.value[1]) >= PILE);
      const outSegs = query("node_netstat_Tcp_OutSegs");
      assert.ok(Number(outSegs?.[0]?.value[1]) > 0, "kernel counters are mirrored");

      // The alert fires in Prometheus, labelled with the diagnosis.
      const alert = await until("the close-wait alert firing in Prometheus", 30_000, () => {
        const r = getJson(`http://127.0.0.1:${prometheusPort}/api/v1/alerts`) as PromAlerts | undefined;
        return r?.data?.alerts?.find((a) => a.labels.diagnosis === "close-wait-leak" && a.state === "firing");
      });
      assert.equal(alert.labels.alertname, "TcpdoctorCloseWaitLeak");
      assert.match(alert.labels.severity ?? "", /^(warning|critical)$/);

      // Stop the scenario: the sockets go, the watch resolves the alert.
      scenario.kill("SIGKILL");
      const events = await until("a resolved close-wait-leak in the watch log", 30_000, () => {
        if (!existsSync(log)) return undefined;
        const lines = readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        return lines.some((e) => e.id === "close-wait-leak" && e.state === "resolved") ? lines : undefined;
      });
      const fired = events.find((e) => e.id === "close-wait-leak" && e.state === "firing");
      assert.ok(fired, "the firing event precedes the resolved one");
      assert.match(String(fired.subject), /^node\(pid \d+\)$/);
      assert.match(String(fired.fix), /close\(\)/);

      watch.kill("SIGTERM");
      assert.equal(await watchExit, 0);
      assert.match(
        watchErr.value,
        /tcpdoctor watch: \d+ intervals run, [1-9]\d* alerts? fired, [1-9]\d* resolved/,
      );
    } catch (e) {
      t.diagnostic(
        `watch stderr:\n${watchErr.value}\nprometheus stderr (tail):\n${promErr.value.slice(-3000)}`,
      );
      throw e;
    } finally {
      prom.kill("SIGTERM");
      watch.kill("SIGKILL");
    }
  });
});
