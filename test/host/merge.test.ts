import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { counterDeltas, mergeSnapshots, mergeSockets } from "../../src/host/merge.js";
import type { HostSnapshot, SocketEntry } from "../../src/host/types.js";
import { parseHostText } from "../../src/text/detect.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const snap = (rel: string[]) => {
  const p = join(fixturesDir, ...rel);
  return parseHostText(readFileSync(p, "utf8"), p).snapshot;
};

test("counterDeltas: increases, zeros kept, gauges and one-sided names left out", () => {
  const d = counterDeltas(
    { TcpRetransSegs: 100, TcpOutSegs: 1000, TcpCurrEstab: 40, TcpExtListenOverflows: 7, Gone: 1 },
    { TcpRetransSegs: 130, TcpOutSegs: 1500, TcpCurrEstab: 10, TcpExtListenOverflows: 7, New: 5 },
    2,
  );
  assert.deepEqual(d, {
    values: { TcpRetransSegs: 30, TcpOutSegs: 500, TcpExtListenOverflows: 0 },
    seconds: 2,
  });
});

test("counterDeltas: a decrease is a reset or a 32-bit wrap, never negative", () => {
  const d = counterDeltas(
    { Reset: 5000, Wrapped: 4_294_967_000, Big: 9_000_000_000 },
    { Reset: 12, Wrapped: 100, Big: 40 },
  );
  assert.deepEqual(d.values, { Reset: 12, Wrapped: 396, Big: 40 });
  assert.equal(d.seconds, undefined);
  assert.equal(counterDeltas({ A: 1 }, { A: 2 }, 0).seconds, undefined);
});

test("mergeSockets: one socket seen by three tools is kept once, richest row completed", () => {
  const ss = snap(["text", "lab", "ss-tanpimeo.txt"]);
  const proc = snap(["text", "lab", "proc-net-tcp.txt"]);
  const merged = mergeSnapshots([proc, ss]);
  assert.equal(merged.sockets?.length, ss.sockets?.length);
  assert.deepEqual(merged.socketsHave, { processes: true, info: true, memory: true, timers: true });
  const listener = merged.sockets?.find((s) => s.state === "LISTEN" && s.localPort === 9100);
  assert.equal(listener?.processes?.[0].name, "python3");
  assert.equal(listener?.skmem?.d, 28);
  assert.equal(listener?.sendQ, 1); // the backlog ss prints, not /proc's 0
  assert.equal(listener?.source?.file.endsWith("ss-tanpimeo.txt"), true);
  assert.deepEqual(
    merged.sources.map((s) => s.kind),
    ["proc-net-tcp", "ss"],
  );
});

test("mergeSockets: identical rows within one input stay (SO_REUSEPORT listeners)", () => {
  const l: SocketEntry = {
    state: "LISTEN",
    recvQ: 0,
    sendQ: 128,
    localIp: "0.0.0.0",
    localPort: 80,
    peerIp: "0.0.0.0",
    peerPort: 0,
  };
  const out = mergeSockets([[l, { ...l }], [{ ...l, processes: [{ name: "nginx", pid: 2, fd: 6 }] }]]);
  assert.equal(out.length, 2);
  assert.equal(out[0].processes?.[0].name, "nginx");
  assert.equal(out[1].processes, undefined);
});

test("mergeSnapshots: later values win, lists combine, pid 0 facts stay apart", () => {
  const a: HostSnapshot = {
    sources: [{ path: "a", kind: "nstat" }],
    hostname: "old",
    counters: { TcpRetransSegs: 1, TcpOutSegs: 10 },
    counterDeltas: { values: { TcpRetransSegs: 1 }, seconds: 5, source: "a" },
    interfaces: [{ name: "eth0", mtu: 1500, rxErrors: 0 }],
    processes: [
      { pid: 0, openFds: 5 },
      { pid: 9, name: "app" },
    ],
    kernelLog: [{ kind: "tcp-oom", text: "TCP: out of memory", source: { file: "k", line: 3 } }],
    unavailable: ["conntrack"],
  };
  const b: HostSnapshot = {
    sources: [{ path: "b", kind: "ethtool-stats" }],
    hostname: "new",
    counters: { TcpRetransSegs: 2 },
    counterDeltas: { values: { TcpOutSegs: 9 }, source: "b" },
    interfaces: [{ name: "eth0", nicCounters: { rx_crc_errors: 4 } }, { name: "eth1" }],
    processes: [
      { pid: 0, fdLimit: 1024 },
      { pid: 9, fdLimit: 4096 },
    ],
    kernelLog: [{ kind: "tcp-oom", text: "TCP: out of memory", source: { file: "k", line: 3 } }],
    unavailable: ["conntrack", "ethtool"],
  };
  const m = mergeSnapshots([a, b]);
  assert.equal(m.hostname, "new");
  assert.deepEqual(m.counters, { TcpRetransSegs: 2, TcpOutSegs: 10 });
  assert.deepEqual(m.counterDeltas, {
    values: { TcpRetransSegs: 1, TcpOutSegs: 9 },
    seconds: 5,
    source: "a, b",
  });
  assert.deepEqual(m.interfaces, [
    { name: "eth0", mtu: 1500, rxErrors: 0, nicCounters: { rx_crc_errors: 4 } },
    { name: "eth1" },
  ]);
  assert.deepEqual(m.processes, [
    { pid: 0, openFds: 5 },
    { pid: 9, name: "app", fdLimit: 4096 },
    { pid: 0, fdLimit: 1024 },
  ]);
  assert.equal(m.kernelLog?.length, 1);
  assert.deepEqual(m.unavailable, ["conntrack", "ethtool"]);
  assert.deepEqual(
    m.sources.map((s) => s.path),
    ["a", "b"],
  );
  assert.deepEqual(mergeSnapshots([]), { sources: [] });
});

test(
  "mergeSnapshots: corpus close-wait server: ss -tan, ss -tanpimeo and /proc/net/tcp give 51 sockets",
  {
    skip: needsShared,
  },
  () => {
    const dir = join(capturesDir, "close-wait", "host", "server-t2");
    const parts = ["ss-tan.txt", "ss-tanpimeo.txt", "proc-net-tcp.txt", "proc-net-tcp6.txt"].map(
      (f) => parseHostText(readFileSync(join(dir, f), "utf8"), join(dir, f)).snapshot,
    );
    const m = mergeSnapshots(parts);
    assert.equal(m.sockets?.length, 51);
    const cw = m.sockets?.filter((s) => s.state === "CLOSE-WAIT") ?? [];
    assert.equal(cw.length, 50);
    assert.ok(cw.every((s) => s.processes?.[0].pid === 5386 && s.info && s.inode !== undefined));
  },
);

test("mergeSnapshots keeps state counts without socket rows, the largest per state", () => {
  const a: HostSnapshot = {
    sources: [{ path: "a", kind: "socket-count" }],
    stateCounts: { "CLOSE-WAIT": 10 },
  };
  const b: HostSnapshot = {
    sources: [{ path: "b", kind: "socket-count" }],
    stateCounts: { "CLOSE-WAIT": 9821, ESTAB: 12384 },
    stateCountSources: { "CLOSE-WAIT": [{ file: "b", line: 4, text: "9821" }] },
  };
  const m = mergeSnapshots([a, b]);
  assert.deepEqual(m.stateCounts, { "CLOSE-WAIT": 9821, ESTAB: 12384 });
  assert.equal(m.stateCountSources?.["CLOSE-WAIT"]?.[0]?.line, 4);
});
