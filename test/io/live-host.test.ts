import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatherHostEvidence, SS_ARGS, snapshotFromEvidence, snapshotHost } from "../../src/io/live-host.js";
import { execFile } from "../../src/io/proc.js";
import { diagnose } from "../../src/rules/engine.js";
import { fakeHost } from "../fixtures/hostrules/fake-host.js";

describe("snapshotHost (fake host)", () => {
  it("reads ss with an argument array, counters twice, sysctls and the owners' limits", async () => {
    const h = fakeHost({ dmesg: "denied" });
    const snap = await snapshotHost({ io: h.io, readFile: h.readFile, exec: h.exec });
    assert.deepEqual(h.execs[0], ["ss", ...SS_ARGS]);
    assert.equal(h.reads["/proc/net/snmp"], 2);
    assert.equal(snap.sockets?.filter((s) => s.state === "CLOSE-WAIT").length, 12);
    assert.equal(snap.socketsHave?.processes, true);
    // Counters: deltas over the measured interval, absolute values from the second reading.
    assert.equal(snap.counterDeltas?.values.TcpRetransSegs, 1);
    assert.equal(snap.counterDeltas?.values.TcpOutSegs, 1000);
    assert.equal(snap.counterDeltas?.values.TcpExtListenOverflows, 0);
    assert.equal(snap.counterDeltas?.seconds, 1);
    assert.equal(snap.counters?.TcpRetransSegs, 11);
    assert.equal(snap.sysctls?.["net.ipv4.ip_local_port_range"]?.split(/\s+/).join(" "), "32768 60999");
    const proc = snap.processes?.find((p) => p.pid === 5386);
    assert.equal(proc?.openFds, 57);
    assert.equal(proc?.fdLimit, 1024);
    assert.equal(snap.hostname, "box");
    assert.equal(snap.kernel, "6.1.0");
    assert.ok(snap.unavailable?.some((u) => /dmesg not permitted/.test(u)));
    // The CLOSE-WAIT pile-up is what this host shows.
    assert.equal(diagnose({ connections: [], host: snap })[0]?.id, "close-wait-leak");
  });

  it("falls back to /proc/net/tcp when ss is missing, and says so once", async () => {
    const h = fakeHost({ ss: false });
    const snap = await snapshotHost({ io: h.io, readFile: h.readFile, exec: h.exec });
    assert.equal(snap.sockets?.[0]?.state, "LISTEN");
    assert.equal(snap.sockets?.[0]?.localPort, 8080);
    const ss = snap.unavailable?.filter((u) => u.startsWith("ss:")) ?? [];
    assert.equal(ss.length, 1);
    assert.match(ss[0] ?? "", /not installed/);
  });

  it("says what a non-root snapshot cannot see", async () => {
    const h = fakeHost({ dmesg: "denied" });
    const snap = await snapshotHost({ io: { ...h.io, uid: () => 1000 }, readFile: h.readFile, exec: h.exec });
    assert.ok(snap.unavailable?.some((u) => /ss -p shows them to root only/.test(u)));
    assert.ok(snap.unavailable?.some((u) => /needs root/.test(u)));
  });

  it("keeps only the kernel log lines that concern TCP", async () => {
    const h = fakeHost({ dmesg: "ok" });
    const ev = await gatherHostEvidence({ io: h.io, readFile: h.readFile, exec: h.exec });
    const dmesg = ev.files.find((f) => f.name === "dmesg.txt");
    assert.equal(dmesg?.text, "[ 99.1] TCP: out of memory -- consider tuning tcp_mem\n");
    const snap = snapshotFromEvidence(ev);
    assert.equal(snap.kernelLog?.[0]?.kind, "tcp-oom");
  });

  it("with interval 0 reads the counters once and computes no deltas", async () => {
    const h = fakeHost();
    const snap = await snapshotHost({ interval: 0, io: h.io, readFile: h.readFile, exec: h.exec });
    assert.equal(h.reads["/proc/net/snmp"], 1);
    assert.equal(snap.counterDeltas, undefined);
    assert.equal(snap.counters?.TcpRetransSegs, 10);
  });

  it("overlaps the work with the interval instead of adding to it", async () => {
    const h = fakeHost();
    let slept = 0;
    const io = {
      ...h.io,
      sleep: async (ms: number) => {
        slept += ms;
        await h.io.sleep?.(ms);
      },
    };
    await snapshotHost({ interval: 1, io, readFile: h.readFile, exec: h.exec });
    // The fake programs took 5 ms each; only the rest of the second is slept.
    assert.ok(slept > 0 && slept < 1000);
  });
});

describe("execFile", () => {
  it("passes arguments without a shell", async () => {
    const r = await execFile(process.execPath, [
      "-e",
      "process.stdout.write(process.argv[1])",
      "a b; echo $HOME `id`",
    ]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "a b; echo $HOME `id`");
  });

  it("reports a missing program and a timeout", async () => {
    assert.equal((await execFile("/nonexistent/tcpdoctor-test", [])).error, "ENOENT");
    const slow = await execFile(process.execPath, ["-e", "setTimeout(() => {}, 5000)"], { timeoutMs: 200 });
    assert.equal(slow.error, "TIMEOUT");
  });
});
