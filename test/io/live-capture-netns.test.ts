// `tcpdoctor capture` on a real veth inside network namespaces: a refused connect during a timed
// capture, a transfer through an nft random-drop rule (packet loss), --write, and Ctrl-C (SIGINT to
// the tcpdoctor process) still printing the report.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CaptureParser } from "../../src/core/capture/index.js";
import type { Finding } from "../../src/rules/types.js";
import {
  appPath,
  cliIn,
  createPair,
  destroyPair,
  exited,
  netnsSkipReason,
  nft,
  type Pair,
  spawnIn,
  startApp,
  waitForLine,
} from "../fixtures/probe/netns.js";
import { which } from "../helpers.js";

const skip = netnsSkipReason(["ip", "nft", "tcpdump"]);
if (skip) console.log(`# live-capture-netns: ${skip}`);

interface CaptureJson {
  inputs: { path: string; packets?: number; warnings: string[] }[];
  findings: Finding[];
  connections?: { server: string; state: string }[];
  capture: { stoppedBy: string; tcpdump: { droppedByKernel?: number } };
}

describe("capture in network namespaces", { skip }, () => {
  let pair: Pair;
  let tmp: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "td-probe-cap-"));
    pair = createPair("c", 202);
    await startApp(pair.server, ["listen", "0.0.0.0", "8080"]);
  });

  after(() => {
    if (pair) destroyPair(pair);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** One connect attempt from the client namespace; resolves with its outcome. */
  async function connectOnce(port: number): Promise<string> {
    const child = spawnIn(pair.client, [process.execPath, appPath, "connect", pair.serverIp, String(port)]);
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
    });
    await exited(child);
    return out.trim();
  }

  test("a refused connect during --duration 3 → connect-refused; --write keeps a readable pcap", async () => {
    const file = join(tmp, "refused.pcap");
    const cap = cliIn(pair.client, [
      "capture",
      "-i",
      pair.clientIf,
      "--duration",
      "3",
      "--write",
      file,
      "--json",
    ]);
    await waitForLine(cap.child, /listening on/, "stderr");
    assert.equal(await connectOnce(8081), "ECONNREFUSED");
    assert.equal(await connectOnce(8080), "ok");
    const r = await cap.result;
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as CaptureJson;
    assert.equal(j.capture.stoppedBy, "duration");
    assert.equal(j.findings[0].id, "connect-refused");
    assert.equal((j.findings[0].evidence as { server?: string }).server, `${pair.serverIp}:8081`);
    assert.ok(j.connections?.some((c) => c.server === `${pair.serverIp}:8080` && c.state !== "REJ"));
    // The kept file holds exactly the packets that were analysed.
    const parser = new CaptureParser();
    let n = 0;
    parser.push(readFileSync(file), () => n++);
    parser.end();
    assert.equal(n, j.inputs[0].packets);
    if (which("capinfos")) {
      const info = spawnSync("capinfos", ["-c", "-M", file], { encoding: "utf8" });
      assert.equal(info.status, 0, info.stderr);
      assert.match(info.stdout, new RegExp(`Number of packets:\\s+${n}\\b`));
    }
  });

  test("a transfer through a 5% random drop → packet-loss", async () => {
    nft(
      pair.server,
      [
        "table inet tdloss {",
        "  chain input {",
        "    type filter hook input priority 0; policy accept;",
        "    tcp dport 5201 meta length > 100 numgen random mod 100 < 5 drop",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const sink = await startApp(pair.server, ["sink", "0.0.0.0", "5201"]);
    const cap = cliIn(pair.client, [
      "capture",
      "-i",
      pair.clientIf,
      "--duration",
      "4",
      "--filter",
      "tcp port 5201",
      "--json",
    ]);
    await waitForLine(cap.child, /listening on/, "stderr");
    const count = waitForLine(sink, /^\d+$/m);
    const sender = spawnIn(pair.client, [
      process.execPath,
      appPath,
      "send",
      pair.serverIp,
      "5201",
      String(3 * 1024 * 1024),
    ]);
    assert.equal(await exited(sender), 0);
    const received = Number((await count).trim().split(/\s+/).pop());
    assert.equal(received, 3 * 1024 * 1024);
    const r = await cap.result;
    const j = JSON.parse(r.stdout) as CaptureJson;
    const loss = j.findings.find((f) => f.id === "packet-loss");
    assert.ok(loss, `findings: ${j.findings.map((f) => f.id).join(", ")}`);
    assert.notEqual(loss.severity, "info");
  });

  test("SIGINT to tcpdoctor stops tcpdump and still prints the report", async () => {
    const cap = cliIn(pair.client, ["capture", "-i", pair.clientIf, "--json"]);
    await waitForLine(cap.child, /listening on/, "stderr");
    assert.equal(await connectOnce(8082), "ECONNREFUSED");
    // Interrupt tcpdoctor only, at once: the SYN and RST just sent must still be in the report.
    cap.child.kill("SIGINT");
    const r = await cap.result;
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as CaptureJson;
    assert.equal(j.capture.stoppedBy, "signal");
    assert.equal(j.findings[0].id, "connect-refused");
    assert.equal(j.capture.tcpdump.droppedByKernel, 0);
    // tcpdump is gone with it.
    const left = spawnSync("ip", ["netns", "pids", pair.client], { encoding: "utf8" }).stdout.trim();
    for (const pid of left.split(/\s+/).filter(Boolean)) {
      const comm = spawnSync("cat", [`/proc/${pid}/comm`], { encoding: "utf8" }).stdout.trim();
      assert.notEqual(comm, "tcpdump");
    }
  });
});
