import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadBundle } from "../../src/io/bundle.js";
import { collectBundle, writeBundle } from "../../src/io/collect.js";
import { gatherHostEvidence, snapshotFromEvidence } from "../../src/io/live-host.js";
import { diagnose } from "../../src/rules/engine.js";
import type { Finding } from "../../src/rules/types.js";
import { VERSION } from "../../src/version.js";
import { fakeHost } from "../fixtures/hostrules/fake-host.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tcpdoctor-collect-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What a verdict is made of, without the source paths (live: vs file paths). */
const verdict = (fs: Finding[]) =>
  fs.map((f) => ({ id: f.id, severity: f.severity, confidence: f.confidence, score: f.score }));

describe("collectBundle", () => {
  it("writes the texts the snapshot reads, and a manifest", async () => {
    const h = fakeHost({ dmesg: "ok" });
    const dir = join(tmp(), "bundle");
    const written = await collectBundle(dir, { io: h.io, readFile: h.readFile, exec: h.exec });
    const names = readdirSync(dir).sort();
    assert.deepEqual(names, written.map((p) => p.slice(dir.length + 1)).sort());
    for (const n of [
      "ss-tanpie.txt",
      "proc-net-snmp-before.txt",
      "proc-net-snmp-after.txt",
      "sysctl-net.txt",
      "limits.txt",
      "proc-5386-fd-count.txt",
      "dmesg.txt",
      "manifest.json",
    ]) {
      assert.ok(names.includes(n), `${n} missing from ${names.join(", ")}`);
    }
    assert.equal(readFileSync(join(dir, "proc-5386-fd-count.txt"), "utf8"), "57\n");
    assert.match(readFileSync(join(dir, "sysctl-net.txt"), "utf8"), /^net\.core\.somaxconn = 4096$/m);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    assert.equal(manifest.tool, "tcpdoctor");
    assert.equal(manifest.version, VERSION);
    assert.equal(manifest.hostname, "box");
    assert.equal(manifest.kernel, "6.1.0");
    assert.equal(manifest.intervalSeconds, 1);
    assert.equal(
      Date.parse(manifest.times["proc-net-snmp-after.txt"]) -
        Date.parse(manifest.times["proc-net-snmp-before.txt"]),
      1000,
    );
  });

  it("loadBundle on the bundle gives the live verdict", async () => {
    const h = fakeHost({ dmesg: "ok" });
    const ev = await gatherHostEvidence({ io: h.io, readFile: h.readFile, exec: h.exec });
    const live = snapshotFromEvidence(ev);
    const dir = tmp();
    await writeBundle(dir, ev);
    const bundle = await loadBundle(dir);
    const offline = bundle.snapshot;
    assert.equal(offline.sockets?.length, live.sockets?.length);
    assert.deepEqual(offline.counterDeltas?.values, live.counterDeltas?.values);
    assert.equal(offline.counterDeltas?.seconds, live.counterDeltas?.seconds);
    assert.deepEqual(offline.sysctls, live.sysctls);
    assert.deepEqual(
      offline.processes?.map((p) => [p.pid, p.openFds, p.fdLimit]),
      live.processes?.map((p) => [p.pid, p.openFds, p.fdLimit]),
    );
    const a = diagnose({ connections: [], host: live });
    const b = diagnose({ connections: [], host: offline });
    assert.ok(a.length > 0);
    assert.deepEqual(verdict(b), verdict(a));
  });
});
