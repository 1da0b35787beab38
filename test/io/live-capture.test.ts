// The live-capture adapter without a network: tcpdump's stderr, its argument vector, the one-line
// failures (missing binary, no permission), the running tally, and the streaming path end to end
// through a stand-in tcpdump that replays a real capture and reports kernel drops.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { UserError } from "../../src/cli/errors.js";
import { CaptureParser } from "../../src/core/capture/index.js";
import { decodePacket } from "../../src/core/decode/index.js";
import { CaptureAnalysis } from "../../src/core/pipeline.js";
import {
  describeTcpdumpFailure,
  LiveTally,
  parseTcpdumpStderr,
  startLiveCapture,
  tcpdumpArgs,
} from "../../src/io/live-capture.js";
import { diagnose } from "../../src/rules/engine.js";
import { fixturesDir, isRoot, which } from "../helpers.js";

const dir = join(fixturesDir, "probe");
const refusedPcap = join(dir, "refused.pcap");
const tmp = mkdtempSync(join(tmpdir(), "td-live-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A stand-in tcpdump: replays a pcap on stdout and prints tcpdump-like lines on stderr. */
function fakeTcpdump(name: string, body: string): string {
  const path = join(tmp, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("tcpdump stderr", () => {
  test("where it listens and its closing counters", () => {
    const r = parseTcpdumpStderr(readFileSync(join(dir, "tcpdump-stderr-any.txt"), "utf8"));
    assert.equal(r.linkType, "LINUX_SLL2");
    assert.match(r.listening ?? "", /^listening on any/);
    assert.equal(r.captured, 2);
    assert.equal(r.receivedByFilter, 4);
    assert.equal(r.droppedByKernel, 0);
    assert.deepEqual(r.errors, []);
  });

  test("drops by the kernel and the interface", () => {
    const r = parseTcpdumpStderr(
      "1200 packets captured\n1500 packets received by filter\n300 packets dropped by kernel\n7 packets dropped by interface\n",
    );
    assert.equal(r.droppedByKernel, 300);
    assert.equal(r.droppedByInterface, 7);
  });

  test("no permission: an error, and one line saying how to fix it", () => {
    const text = readFileSync(join(dir, "tcpdump-stderr-noperm.txt"), "utf8");
    assert.equal(parseTcpdumpStderr(text).errors.length, 2);
    const line = describeTcpdumpFailure({ stderr: text, exitCode: 1 }, { iface: "any" });
    assert.match(line, /permission/);
    assert.match(line, /root/);
    assert.match(line, /CAP_NET_RAW/);
    assert.ok(!line.includes("\n"));
  });

  test("missing binary, unknown interface, bad filter", () => {
    const enoent = Object.assign(new Error("spawn tcpdump ENOENT"), { code: "ENOENT" });
    assert.match(describeTcpdumpFailure({ spawnError: enoent }, { iface: "any" }), /apt-get install tcpdump/);
    assert.match(
      describeTcpdumpFailure(
        { stderr: "tcpdump: eth9: No such device exists\n(No such device exists)\n", exitCode: 1 },
        { iface: "eth9" },
      ),
      /no interface eth9/,
    );
    assert.match(
      describeTcpdumpFailure(
        { stderr: "tcpdump: can't parse filter expression: syntax error\n", exitCode: 1 },
        { iface: "any", filter: "tcp and" },
      ),
      /invalid capture filter "tcp and"/,
    );
  });
});

describe("tcpdump arguments", () => {
  test("pcap on stdout, packet-buffered, the filter after --", () => {
    const args = tcpdumpArgs({ iface: "eth0", filter: "tcp port 80 or  icmp", count: 100 });
    assert.deepEqual(args.slice(args.indexOf("-w"), args.indexOf("-w") + 2), ["-w", "-"]);
    assert.ok(args.includes("-U"));
    assert.deepEqual(args.slice(args.indexOf("-i"), args.indexOf("-i") + 2), ["-i", "eth0"]);
    assert.deepEqual(args.slice(args.indexOf("-c"), args.indexOf("-c") + 2), ["-c", "100"]);
    assert.deepEqual(args.slice(args.indexOf("--")), ["--", "tcp", "port", "80", "or", "icmp"]);
    // A filter word that looks like an option stays part of the expression.
    const tricky = tcpdumpArgs({ iface: "any", filter: "-r /etc/passwd" });
    assert.ok(tricky.indexOf("--") < tricky.indexOf("-r"));
    assert.ok(!tcpdumpArgs({ iface: "any", filter: " " }).includes("--"));
  });

  test("an interface that looks like an option is refused", () => {
    assert.throws(() => startLiveCapture({ iface: "-r/etc/passwd" }), UserError);
  });
});

describe("running tally", () => {
  test("a SYN answered by a reset makes connect-refused the likely finding", () => {
    const tally = new LiveTally();
    const analysis = new CaptureAnalysis({ onPacket: (pa, pkt) => tally.observe(pkt, pa) });
    const parser = new CaptureParser();
    parser.push(readFileSync(refusedPcap), (rec) => analysis.push(decodePacket(rec), rec));
    parser.end();
    assert.equal(tally.connections, 1);
    assert.equal(tally.top()?.id, "connect-refused");
  });

  test("nothing seen: no likely finding", () => {
    assert.equal(new LiveTally().top(), undefined);
  });
});

describe("streaming through a stand-in tcpdump", () => {
  test("the capture is analysed, kept with --write, and kernel drops reach capture-incomplete", async () => {
    const bin = fakeTcpdump(
      "tcpdump-drops",
      [
        'echo "tcpdump: listening on fake0, link-type EN10MB (Ethernet), snapshot length 262144 bytes" >&2',
        `cat '${refusedPcap}'`,
        'echo "4 packets captured" >&2',
        'echo "9 packets received by filter" >&2',
        'echo "5 packets dropped by kernel" >&2',
      ].join("\n"),
    );
    const written = join(tmp, "kept.pcap");
    let listening = "";
    const session = startLiveCapture({
      iface: "fake0",
      tcpdump: bin,
      writePath: written,
      onListening: (l) => (listening = l),
    });
    const r = await session.done;
    assert.match(listening, /fake0/);
    assert.equal(r.info.packets, 4);
    assert.equal(r.connections.length, 1);
    assert.equal(r.capture.files[0].droppedByKernel, 5);
    assert.equal(r.stoppedBy, "exit");
    assert.ok(r.warnings.some((w) => /5 packets dropped by kernel/.test(w)));
    assert.deepEqual(readFileSync(written), readFileSync(refusedPcap));

    const findings = diagnose({ connections: r.connections, capture: r.capture });
    const ids = findings.map((f) => f.id);
    assert.equal(ids[0], "connect-refused");
    const incomplete = findings.find((f) => f.id === "capture-incomplete");
    assert.ok(incomplete, ids.join(","));
    assert.equal(incomplete.evidence.droppedByCapture, 5);
  });

  test("a tcpdump that is not installed: one line, exit 2", async () => {
    const session = startLiveCapture({ iface: "any", tcpdump: join(tmp, "no-such-tcpdump") });
    await assert.rejects(session.done, (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /not found: install it \(apt-get install tcpdump/);
      return true;
    });
  });

  test("a tcpdump that fails before capturing: its reason, not a parse error", async () => {
    const bin = fakeTcpdump("tcpdump-noperm", `cat '${join(dir, "tcpdump-stderr-noperm.txt")}' >&2\nexit 1`);
    await assert.rejects(
      startLiveCapture({ iface: "any", tcpdump: bin }).done,
      /no permission to capture on any/,
    );
  });

  test(
    "the real tcpdump without privileges says how to get them",
    {
      skip: !isRoot
        ? "skipped: needs root to drop to uid 65534"
        : !which("tcpdump")
          ? "skipped: tcpdump is not installed"
          : false,
    },
    async () => {
      const session = startLiveCapture({ iface: "lo", runAs: { uid: 65534, gid: 65534 }, durationSec: 5 });
      await assert.rejects(
        session.done,
        /no permission to capture on lo: run tcpdoctor capture as root, or give tcpdump CAP_NET_RAW/,
      );
    },
  );

  test("stop() ends a running capture with what it read", async () => {
    const bin = fakeTcpdump(
      "tcpdump-slow",
      [
        "trap 'echo \"4 packets captured\" >&2; exit 0' INT",
        'echo "tcpdump: listening on fake0, link-type EN10MB (Ethernet), snapshot length 262144 bytes" >&2',
        `cat '${refusedPcap}'`,
        "while :; do sleep 0.05; done",
      ].join("\n"),
    );
    const session = startLiveCapture({
      iface: "fake0",
      tcpdump: bin,
      onListening: () => setTimeout(() => session.stop(), 300),
    });
    const r = await session.done;
    assert.equal(r.stoppedBy, "signal");
    assert.equal(r.info.packets, 4);
    assert.equal(r.tcpdump.captured, 4);
  });
});
