// What a user meets on bad input and bad usage: one line on stderr starting "tcpdoctor: " that
// names the file and what was expected (with the byte offset for captures), exit 2, no stack
// trace, no hang. Damaged files are made here from small fixtures, byte by byte.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { assertOneLineError, linesOf, needsBuild, runCli } from "../fixtures/cli/run-cli.js";
import { fixturesDir, repoRoot } from "../helpers.js";

const zeroWindowPcap = join(repoRoot, "examples", "zero-window.pcap");
const pcapngFixture = join(fixturesDir, "decode", "loss-cubic-s96-sack.pcapng");

const tmp = mkdtempSync(join(tmpdir(), "tcpdoctor-cli-bad-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

/** The example pcap with bytes changed (a little-endian uint32 at `offset`). */
function pcapWith(offset: number, value: number): Uint8Array {
  const b = Buffer.from(readFileSync(zeroWindowPcap));
  b.writeUInt32LE(value, offset);
  return b;
}

/** Deterministic noise that starts with no capture or gzip magic. */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[0] = 0x42;
  out[1] = 0x00;
  return out;
}

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Files made once for all tests.
const missing = join(tmp, "no-such-capture.pcap");
const emptyFile = file("empty.pcap", "");
const randomFile = file("random.bin", noise(4096));
const garbageText = file("notes.txt", "hello\nthis is a shopping list, not a trace\n- milk\n- eggs\n");
const badMagic = file(
  "bad-magic.pcap",
  (() => {
    const b = Buffer.from(readFileSync(zeroWindowPcap));
    b.writeUInt32BE(0xa1b2c3d5, 0); // one bit off the pcap magic
    return b;
  })(),
);
const badVersion = file(
  "bad-version.pcap",
  (() => {
    const b = Buffer.from(readFileSync(zeroWindowPcap));
    b.writeUInt16LE(7, 4);
    return b;
  })(),
);
const headerCut = file("header-cut.pcap", readFileSync(zeroWindowPcap).subarray(0, 10));
// The first record claims 2 GiB of captured bytes.
const badRecord = file("bad-record.pcap", pcapWith(24 + 8, 0x7fffffff));
// pcapng: the section header block's length is not a multiple of 4; the first packet block's is too short.
const badShb = file(
  "bad-shb.pcapng",
  (() => {
    const b = Buffer.from(readFileSync(pcapngFixture));
    b.writeUInt32LE(7, 4);
    return b;
  })(),
);
const badEpb = file(
  "bad-epb.pcapng",
  (() => {
    const b = Buffer.from(readFileSync(pcapngFixture));
    const shb = b.readUInt32LE(4);
    const idb = b.readUInt32LE(shb + 4);
    const epb = shb + idb;
    assert.equal(b.readUInt32LE(epb), 6, "the third block of the fixture is an enhanced packet block");
    b.writeUInt32LE(13, epb + 4);
    return b;
  })(),
);
const badGzip = file(
  "bad.gz",
  Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(noise(1024))]),
);
// Link type 147 (a private DLT_USER0): nothing in the file can be decoded.
const unknownLinkType = file("link-147.pcap", pcapWith(20, 147));
const dirWithoutEvidence = join(tmp, "just-captures");
mkdirSync(dirWithoutEvidence);
writeFileSync(join(dirWithoutEvidence, "a.pcap"), readFileSync(zeroWindowPcap));

const CAPTURE_COMMANDS = ["analyze", "packets", "conns", "explain"];

describe("unreadable input", { skip: needsBuild, concurrency: 3 }, () => {
  for (const cmd of CAPTURE_COMMANDS) {
    test(`${cmd}: a missing file`, async () => {
      const r = await runCli([cmd, missing]);
      assertOneLineError(r, new RegExp(`^tcpdoctor: ${literal(missing)}: no such file`));
    });
    test(`${cmd}: an empty file`, async () => {
      const r = await runCli([cmd, emptyFile]);
      assertOneLineError(r, new RegExp(`${literal(emptyFile)}: empty input \\(expected `));
    });
    test(`${cmd}: random binary`, async () => {
      const r = await runCli([cmd, randomFile]);
      assertOneLineError(r, new RegExp(`${literal(randomFile)}: .*(pcap|capture)`));
    });
    test(`${cmd}: an impossible pcap record length names the byte offset`, async () => {
      const r = await runCli([cmd, badRecord]);
      assertOneLineError(r, new RegExp(`${literal(badRecord)}: .*length.* at byte 24$`));
    });
    test(`${cmd}: corrupt gzip data`, async () => {
      const r = await runCli([cmd, badGzip]);
      assertOneLineError(r, new RegExp(`${literal(badGzip)}: corrupt gzip data`));
    });
  }

  test("stdin that is empty (nothing piped)", async () => {
    const r = await runCli(["analyze", "-"]);
    assertOneLineError(r, /^tcpdoctor: stdin: empty input/);
  });

  test("a directory given to packets or conns", async () => {
    for (const cmd of ["packets", "conns"]) {
      const r = await runCli([cmd, tmp]);
      assertOneLineError(r, new RegExp(`${literal(tmp)}: is a directory, expected a capture`));
    }
  });

  test("a directory with no host evidence given to analyze is not reported healthy", async () => {
    const r = await runCli(["analyze", dirWithoutEvidence]);
    assertOneLineError(r, new RegExp(`${literal(dirWithoutEvidence)}: no host evidence.*1 capture file`));
  });

  test("host text given to conns is refused, not shown as zero connections", async () => {
    const ss = join(fixturesDir, "hostrules", "ss-close-wait.txt");
    const r = await runCli(["conns", ss]);
    assertOneLineError(r, new RegExp(`${literal(ss)}: ss output, not a capture`));
  });

  test("a pcap with a bad magic number", async () => {
    const r = await runCli(["analyze", badMagic]);
    assertOneLineError(r, new RegExp(`${literal(badMagic)}: .*neither pcap nor pcapng.*byte 0`));
  });

  test("a pcap with an impossible version: where and what was expected", async () => {
    for (const cmd of ["analyze", "packets"]) {
      const r = await runCli([cmd, badVersion]);
      assertOneLineError(
        r,
        new RegExp(`${literal(badVersion)}: .*version 7\\.\\d+.*expected .*2 at byte 4$`),
      );
    }
  });

  test("a pcap cut inside its file header", async () => {
    const r = await runCli(["analyze", headerCut]);
    assertOneLineError(r, new RegExp(`${literal(headerCut)}: .*24-byte pcap file header at byte 0$`));
  });

  test("pcapng with a corrupt block length names the block and its offset", async () => {
    const shb = await runCli(["analyze", badShb]);
    assertOneLineError(shb, new RegExp(`${literal(badShb)}: .*section header block length 7.* at byte 0$`));
    const [a, p] = await Promise.all([runCli(["analyze", badEpb]), runCli(["packets", "--json", badEpb])]);
    for (const r of [a, p])
      assertOneLineError(r, new RegExp(`${literal(badEpb)}: .*packet block length 13.* at byte 128$`));
  });

  test("a text file of garbage", async () => {
    const [a, p, e] = await Promise.all([
      runCli(["analyze", garbageText]),
      runCli(["packets", garbageText]),
      runCli(["explain", garbageText]),
    ]);
    assertOneLineError(
      a,
      new RegExp(`${literal(garbageText)}: not a capture and not a known command output \\(expected pcap`),
    );
    assertOneLineError(p, new RegExp(`${literal(garbageText)}: not a capture \\(expected pcap`));
    assertOneLineError(e, new RegExp(`${literal(garbageText)}: nothing recognised`));
  });

  test("a capture on a link type we cannot decode is refused, not reported healthy", async () => {
    const outs = await Promise.all(CAPTURE_COMMANDS.map((cmd) => runCli([cmd, unknownLinkType])));
    for (const r of outs)
      assertOneLineError(
        r,
        new RegExp(`${literal(unknownLinkType)}: link type 147 is not supported \\(expected Ethernet`),
      );
  });

  test("--html to a place that cannot be written fails before the analysis is printed", async () => {
    const [noDir, isDir] = await Promise.all([
      runCli(["analyze", "--html", join(missing, "report.html"), zeroWindowPcap]),
      runCli(["analyze", "--html", tmp, zeroWindowPcap]),
    ]);
    assertOneLineError(noDir, /^tcpdoctor: --html .*report\.html: no such directory$/);
    assertOneLineError(isDir, /^tcpdoctor: --html .*: is a directory, expected a file name$/);
  });

  test("one bad input among good ones fails the whole command", async () => {
    const r = await runCli(["analyze", zeroWindowPcap, missing]);
    assertOneLineError(r, new RegExp(`${literal(missing)}: no such file`));
  });

  test("a pcap header with snaplen 0 or 2^32-1 is read as libpcap and Wireshark read it", async () => {
    // Both readers replace an out-of-range snaplen instead of refusing the file; so do we.
    const zero = file("snaplen-0.pcap", pcapWith(16, 0));
    const huge = file("snaplen-max.pcap", pcapWith(16, 0xffffffff));
    const [ref, a, b] = await Promise.all([
      runCli(["packets", "--json", zeroWindowPcap]),
      runCli(["packets", "--json", zero]),
      runCli(["packets", "--json", huge]),
    ]);
    assert.equal(ref.code, 0);
    for (const r of [a, b]) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, ref.stdout);
    }
  });
});

describe("usage errors", { skip: needsBuild, concurrency: 3 }, () => {
  test("an unknown command: one line, a suggestion when close, exit 2", async () => {
    const [far, near] = await Promise.all([runCli(["frobnicate"]), runCli(["anlyze", zeroWindowPcap])]);
    assertOneLineError(far, /^tcpdoctor: unknown command 'frobnicate'/);
    assertOneLineError(near, /^tcpdoctor: unknown command 'anlyze' \(did you mean analyze\?\)/);
  });

  test("an unknown option, a missing argument, a missing option value", async () => {
    const [opt, globalOpt, arg, value, extra] = await Promise.all([
      runCli(["analyze", "--frobnicate", zeroWindowPcap]),
      runCli(["--frobnicate"]),
      runCli(["analyze"]),
      runCli(["host", "--interval"]),
      runCli(["packets", zeroWindowPcap, zeroWindowPcap]),
    ]);
    assertOneLineError(opt, /^tcpdoctor: unknown option '--frobnicate' \(see tcpdoctor analyze --help\)$/);
    assertOneLineError(globalOpt, /^tcpdoctor: unknown option '--frobnicate' \(see tcpdoctor --help\)$/);
    assertOneLineError(arg, /^tcpdoctor: missing required argument 'input'/);
    assertOneLineError(value, /^tcpdoctor: option '--interval <seconds>' argument missing/);
    assertOneLineError(extra, /^tcpdoctor: too many arguments for 'packets'/);
  });

  test("a bad option value is named", async () => {
    const r = await runCli(["host", "--interval", "soon", "--json"]);
    assertOneLineError(r, /^tcpdoctor: --interval: expected seconds .*"soon"/);
  });

  test("--config: an unknown key is named with its line", async () => {
    const cfg = file("bad-key.yaml", "thresholds:\n  packet-loss:\n    minLossRate: 0.1\nretries: 3\n");
    const r = await runCli(["analyze", "--config", cfg, zeroWindowPcap]);
    assertOneLineError(r, new RegExp(`^tcpdoctor: ${literal(cfg)}:4: bad key retries`));
  });

  test("--config: a value of the wrong type is named with its nested key and line", async () => {
    const cfg = file("bad-value.yaml", "thresholds:\n  packet-loss:\n    minLossRate: lots\n");
    const r = await runCli(["analyze", "--config", cfg, zeroWindowPcap]);
    assertOneLineError(
      r,
      new RegExp(`^tcpdoctor: ${literal(cfg)}:3: bad key thresholds\\.packet-loss\\.minLossRate`),
    );
  });

  test("--config: a mistyped diagnosis id is refused, not silently ignored", async () => {
    const thresholds = file("bad-id.yaml", "thresholds:\n  packet-los:\n    minLossRate: 0.1\n");
    const disable = file("bad-disable.yaml", "disable:\n  - capture-incomplete\n  - receiver-zero-windw\n");
    const [a, b] = await Promise.all([
      runCli(["analyze", "--config", thresholds, zeroWindowPcap]),
      runCli(["analyze", "--config", disable, zeroWindowPcap]),
    ]);
    assertOneLineError(
      a,
      new RegExp(`^tcpdoctor: ${literal(thresholds)}:2: bad key thresholds\\.packet-los: not a diagnosis id`),
    );
    assertOneLineError(
      b,
      new RegExp(`^tcpdoctor: ${literal(disable)}:3: .*"receiver-zero-windw" is not a diagnosis id`),
    );
  });

  test("--config: YAML syntax errors and unreadable files", async () => {
    const broken = file("broken.yaml", "thresholds: [\n");
    const [a, b] = await Promise.all([
      runCli(["analyze", "--config", broken, zeroWindowPcap]),
      runCli(["analyze", "--config", missing, zeroWindowPcap]),
    ]);
    assertOneLineError(a, new RegExp(`^tcpdoctor: ${literal(broken)}:\\d+: `));
    assertOneLineError(b, new RegExp(`^tcpdoctor: ${literal(missing)}: cannot read the config file`));
  });

  test("a gzip'd text of garbage is still named as not understood", async () => {
    const gz = file("garbage.txt.gz", gzipSync("nothing to see here\n"));
    const r = await runCli(["analyze", gz]);
    assertOneLineError(r, new RegExp(`${literal(gz)}: not a capture`));
    assert.equal(linesOf(r.stderr).length, 1);
  });
});
