// Inputs of the reader benchmark, made on first use into bench/out/ (gitignored):
//  - bulk: one bulk TCP transfer captured for real by tcpdump on a veth between two network
//    namespaces (tdbench-*, deleted afterwards); synthesised when namespaces are not available.
//  - mpps: a synthesised capture of many short connections with small packets (1 M packets),
//    pcapng with nanosecond timestamps, to measure the per-packet cost.
//  - synflood: a synthesised flood of 1 M spoofed SYNs (one packet per connection), to measure
//    the memory of the analysis when connections, not packets, are many.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const outDir = join(dirname(fileURLToPath(import.meta.url)), "out");

const NS_A = "tdbench-a";
const NS_B = "tdbench-b";
const VETH_A = "tdbench-va";
const VETH_B = "tdbench-vb";
const ADDR_A = "10.213.0.1";
const ADDR_B = "10.213.0.2";
const PORT = 5001;

/** Paths and sizes for a full or a quick run. */
export function inputPlan(quick) {
  return quick
    ? {
        bulk: join(outDir, "bulk-100m.pcap"),
        bulkBytes: 100 * 2 ** 20,
        mpps: join(outDir, "mpps-200k.pcapng"),
        mppsPackets: 200_000,
        synflood: join(outDir, "synflood-200k.pcap"),
        synfloodPackets: 200_000,
      }
    : {
        bulk: join(outDir, "bulk-1g.pcap"),
        bulkBytes: 1000 * 2 ** 20,
        mpps: join(outDir, "mpps-1m.pcapng"),
        mppsPackets: 1_000_000,
        synflood: join(outDir, "synflood-1m.pcap"),
        synfloodPackets: 1_000_000,
      };
}

export async function ensureInputs({ quick = false, log = console.error } = {}) {
  mkdirSync(outDir, { recursive: true });
  const plan = inputPlan(quick);
  const notes = {};
  if (!existsSync(plan.bulk)) {
    const tmp = `${plan.bulk}.part`;
    let how;
    try {
      how = await captureBulkTransfer(tmp, plan.bulkBytes, log);
    } catch (err) {
      log(`bench: live capture not possible (${err.message}); synthesising the bulk transfer instead`);
      synthBulkTransfer(tmp, Math.round(plan.bulkBytes / 1448));
      how = "synthesised (network namespaces unavailable)";
    }
    renameSync(tmp, plan.bulk);
    notes.bulk = how;
  }
  if (!existsSync(plan.mpps)) {
    log(`bench: synthesising ${plan.mppsPackets} packets into ${plan.mpps}`);
    const tmp = `${plan.mpps}.part`;
    synthManyConnections(tmp, plan.mppsPackets);
    renameSync(tmp, plan.mpps);
  }
  if (!existsSync(plan.synflood)) {
    log(`bench: synthesising ${plan.synfloodPackets} spoofed SYNs into ${plan.synflood}`);
    const tmp = `${plan.synflood}.part`;
    synthSynFlood(tmp, plan.synfloodPackets);
    renameSync(tmp, plan.synflood);
  }
  return { ...plan, notes };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFail)
    throw new Error(`${cmd} ${args.join(" ")}: ${(r.stderr || "").trim()}`);
  return r;
}

function deleteNamespaces() {
  for (const ns of [NS_A, NS_B]) run("ip", ["netns", "del", ns], { allowFail: true });
}

/** Captures a real transfer of `bytes` bytes with tcpdump -U -s 0 -w. Needs root, ip, tcpdump. */
async function captureBulkTransfer(path, bytes, log) {
  if (typeof process.getuid === "function" && process.getuid() !== 0) throw new Error("not root");
  for (const tool of ["ip", "tcpdump"]) {
    if (spawnSync("which", [tool]).status !== 0) throw new Error(`${tool} not installed`);
  }
  log(
    `bench: capturing a ${Math.round(bytes / 2 ** 20)} MiB bulk TCP transfer into ${path} (namespaces ${NS_A}, ${NS_B})`,
  );
  deleteNamespaces();
  const children = [];
  try {
    run("ip", ["netns", "add", NS_A]);
    run("ip", ["netns", "add", NS_B]);
    run("ip", ["link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B, "netns", NS_B]);
    for (const [ns, dev, addr] of [
      [NS_A, VETH_A, ADDR_A],
      [NS_B, VETH_B, ADDR_B],
    ]) {
      run("ip", ["-n", ns, "addr", "add", `${addr}/24`, "dev", dev]);
      run("ip", ["-n", ns, "link", "set", dev, "up"]);
      run("ip", ["-n", ns, "link", "set", "lo", "up"]);
      // Segment in the stack, not as 64 KB GSO super-packets, so the capture holds wire-size frames.
      run("ip", ["-n", ns, "link", "set", dev, "gso_max_segs", "1"], { allowFail: true });
    }
    const server = spawn(
      "ip",
      [
        "netns",
        "exec",
        NS_B,
        process.execPath,
        "-e",
        `require("net").createServer((s) => { s.on("data", () => {}); s.on("end", () => { s.end(); process.exit(0); }); }).listen(${PORT}, "${ADDR_B}", () => console.log("ready"));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(server);
    await waitFor(server.stdout, /ready/, 10_000, "server");
    // A 256 MiB capture buffer keeps kernel drops low while tcpdump writes to disk.
    const tcpdump = spawn(
      "ip",
      [
        "netns",
        "exec",
        NS_A,
        "tcpdump",
        "-i",
        VETH_A,
        "-U",
        "-s",
        "0",
        "-B",
        "262144",
        "-w",
        path,
        "tcp",
        "port",
        String(PORT),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    children.push(tcpdump);
    await waitFor(tcpdump.stderr, /listening on/, 10_000, "tcpdump");
    const mib = Math.round(bytes / 2 ** 20);
    const client = spawnSync(
      "ip",
      [
        "netns",
        "exec",
        NS_A,
        process.execPath,
        "-e",
        `const s = require("net").connect(${PORT}, "${ADDR_B}", () => { const b = Buffer.alloc(1 << 20, 0x5a); let n = ${mib}; const w = () => { while (n > 0) { n--; if (!s.write(b)) return s.once("drain", w); } s.end(); }; w(); }); s.on("close", () => process.exit(0));`,
      ],
      { stdio: "inherit", timeout: 600_000 },
    );
    if (client.status !== 0) throw new Error(`transfer client failed (${client.status})`);
    await sleep(500);
    let stderr = "";
    tcpdump.stderr.on("data", (b) => {
      stderr += b;
    });
    const done = new Promise((resolve) => tcpdump.on("close", resolve));
    tcpdump.kill("SIGINT");
    await done;
    const drops = /(\d+) packets dropped by kernel/.exec(stderr)?.[1] ?? "?";
    const captured = /(\d+) packets captured/.exec(stderr)?.[1] ?? "?";
    log(
      `bench: tcpdump captured ${captured} packets, ${drops} dropped by kernel, ${statSync(path).size} bytes`,
    );
    return `tcpdump -U -s 0 -w on a veth between network namespaces: ${captured} packets, ${drops} dropped by kernel`;
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    deleteNamespaces();
  }
}

function waitFor(stream, pattern, ms, what) {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${seen.trim()}`)), ms);
    stream.on("data", function onData(b) {
      seen += b;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        stream.off("data", onData);
        resolve();
      }
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- synthesis ------------------------------------------------------------------------------

/** Buffered writer of a capture file. */
class FileWriter {
  constructor(path) {
    this.fd = openSync(path, "w");
    this.buf = Buffer.allocUnsafe(8 * 2 ** 20);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.pos = 0;
  }
  reserve(n) {
    if (this.pos + n > this.buf.length) this.flush();
    const at = this.pos;
    this.pos += n;
    return at;
  }
  flush() {
    writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes Ethernet + IPv4 + TCP (with the timestamps option: 32-byte TCP header) at `at`. */
function writeTcpFrame(w, at, pkt) {
  const { buf, dv } = w;
  const ipLen = 20 + 32 + pkt.payload;
  buf.fill(0, at, at + 14 + 20 + 32);
  // Ethernet: dst, src, type
  dv.setUint32(at, 0x02000000 | pkt.dstMac, false);
  dv.setUint16(at + 4, 0x0001, false);
  dv.setUint32(at + 6, 0x02000000 | pkt.srcMac, false);
  dv.setUint16(at + 10, 0x0001, false);
  dv.setUint16(at + 12, 0x0800, false);
  const ip = at + 14;
  dv.setUint16(ip, 0x4500, false);
  dv.setUint16(ip + 2, ipLen, false);
  dv.setUint16(ip + 4, pkt.ipId & 0xffff, false);
  dv.setUint16(ip + 6, 0x4000, false); // DF
  dv.setUint16(ip + 8, 0x4006, false); // TTL 64, TCP
  dv.setUint32(ip + 12, pkt.src, false);
  dv.setUint32(ip + 16, pkt.dst, false);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += dv.getUint16(ip + i, false);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  dv.setUint16(ip + 10, ~sum & 0xffff, false);
  const tcp = ip + 20;
  dv.setUint16(tcp, pkt.sport, false);
  dv.setUint16(tcp + 2, pkt.dport, false);
  dv.setUint32(tcp + 4, pkt.seq >>> 0, false);
  dv.setUint32(tcp + 8, pkt.ack >>> 0, false);
  dv.setUint16(tcp + 12, (8 << 12) | pkt.flags, false);
  dv.setUint16(tcp + 14, pkt.window, false);
  // NOP NOP Timestamps
  dv.setUint32(tcp + 20, 0x0101080a, false);
  dv.setUint32(tcp + 24, pkt.tsval >>> 0, false);
  dv.setUint32(tcp + 28, pkt.tsecr >>> 0, false);
  buf.fill(0x61, tcp + 32, tcp + 32 + pkt.payload);
  return 14 + ipLen;
}

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

/** Classic pcap (µs) of one transfer: full-size segments, an ACK every second segment. */
export function synthBulkTransfer(path, dataPackets) {
  const w = new FileWriter(path);
  const h = w.reserve(24);
  w.dv.setUint32(h, 0xa1b2c3d4, true);
  w.dv.setUint16(h + 4, 2, true);
  w.dv.setUint16(h + 6, 4, true);
  w.dv.setUint32(h + 16, 262144, true);
  w.dv.setUint32(h + 20, 1, true);
  const cli = { src: 0x0ad50001, dst: 0x0ad50002, sport: 40000, dport: PORT, srcMac: 1, dstMac: 2 };
  const srv = { src: 0x0ad50002, dst: 0x0ad50001, sport: PORT, dport: 40000, srcMac: 2, dstMac: 1 };
  let t = 1_700_000_000_000_000; // µs
  let seq = 1000;
  const ack0 = 5000;
  const emit = (end, pkt) => {
    const at = w.reserve(16 + 14 + 20 + 32 + pkt.payload);
    const len = writeTcpFrame(w, at + 16, {
      ipId: 0,
      window: 501,
      tsval: t / 1000,
      tsecr: t / 1000,
      ...end,
      ...pkt,
    });
    w.dv.setUint32(at, Math.floor(t / 1e6), true);
    w.dv.setUint32(at + 4, t % 1e6, true);
    w.dv.setUint32(at + 8, len, true);
    w.dv.setUint32(at + 12, len, true);
    t += 8;
  };
  emit(cli, { seq: seq - 1, ack: 0, flags: SYN, payload: 0 });
  emit(srv, { seq: ack0 - 1, ack: seq, flags: SYN | ACK, payload: 0 });
  emit(cli, { seq, ack: ack0, flags: ACK, payload: 0 });
  for (let i = 0; i < dataPackets; i++) {
    emit(cli, { seq, ack: ack0, flags: ACK | PSH, payload: 1448, ipId: i });
    seq += 1448;
    if (i % 2 === 1) emit(srv, { seq: ack0, ack: seq, flags: ACK, payload: 0 });
  }
  emit(cli, { seq, ack: ack0, flags: FIN | ACK, payload: 0 });
  emit(srv, { seq: ack0, ack: seq + 1, flags: FIN | ACK, payload: 0 });
  emit(cli, { seq: seq + 1, ack: ack0 + 1, flags: ACK, payload: 0 });
  w.close();
}

/** Deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * pcapng (ns) of request/response connections, ~300 open at a time, each a handshake, a few
 * small exchanges and a FIN teardown: lots of small packets and many flows.
 */
export function synthManyConnections(path, totalPackets) {
  const rand = prng(42);
  const w = new FileWriter(path);
  const le = true;
  // SHB
  let at = w.reserve(28);
  w.dv.setUint32(at, 0x0a0d0d0a, le);
  w.dv.setUint32(at + 4, 28, le);
  w.dv.setUint32(at + 8, 0x1a2b3c4d, le);
  w.dv.setUint16(at + 12, 1, le);
  w.dv.setUint16(at + 14, 0, le);
  w.dv.setInt32(at + 16, -1, le);
  w.dv.setInt32(at + 20, -1, le);
  w.dv.setUint32(at + 24, 28, le);
  // IDB with if_tsresol = 9 (ns)
  at = w.reserve(32);
  w.dv.setUint32(at, 1, le);
  w.dv.setUint32(at + 4, 32, le);
  w.dv.setUint16(at + 8, 1, le);
  w.dv.setUint16(at + 10, 0, le);
  w.dv.setUint32(at + 12, 262144, le);
  w.dv.setUint16(at + 16, 9, le);
  w.dv.setUint16(at + 18, 1, le);
  w.dv.setUint32(at + 20, 9, le);
  w.dv.setUint32(at + 24, 0, le);
  w.dv.setUint32(at + 28, 32, le);

  let tNs = 1_700_000_000_000_000_000n;
  let written = 0;
  let nextPort = 1024;
  let nextClient = 0;
  const open = [];
  const emit = (c, fromClient, flags, payload) => {
    const pkt = fromClient
      ? { src: c.cli, dst: c.srv, sport: c.port, dport: 9000, srcMac: 1, dstMac: 2, seq: c.cseq, ack: c.sseq }
      : {
          src: c.srv,
          dst: c.cli,
          sport: 9000,
          dport: c.port,
          srcMac: 2,
          dstMac: 1,
          seq: c.sseq,
          ack: c.cseq,
        };
    const frameLen = 14 + 20 + 32 + payload;
    const padded = (frameLen + 3) & ~3;
    const total = 32 + padded;
    const b = w.reserve(total);
    writeTcpFrame(w, b + 28, {
      ...pkt,
      ack: flags & ACK ? pkt.ack : 0,
      flags,
      payload,
      ipId: written,
      window: 502,
      tsval: Number(tNs / 1_000_000n),
      tsecr: Number(tNs / 1_000_000n) - 1,
    });
    w.buf.fill(0, b + 28 + frameLen, b + 28 + padded);
    w.dv.setUint32(b, 6, le);
    w.dv.setUint32(b + 4, total, le);
    w.dv.setUint32(b + 8, 0, le);
    w.dv.setUint32(b + 12, Number(tNs >> 32n), le);
    w.dv.setUint32(b + 16, Number(tNs & 0xffffffffn), le);
    w.dv.setUint32(b + 20, frameLen, le);
    w.dv.setUint32(b + 24, frameLen, le);
    w.dv.setUint32(b + total - 4, total, le);
    const consumed = payload + (flags & (SYN | FIN) ? 1 : 0);
    if (fromClient) c.cseq = (c.cseq + consumed) >>> 0;
    else c.sseq = (c.sseq + consumed) >>> 0;
    tNs += BigInt(1000 + Math.floor(rand() * 20000));
    written++;
  };
  while (written < totalPackets) {
    if (open.length < 300) {
      const c = {
        cli: 0x0a010001 + (nextClient++ % 60000),
        srv: 0x0a630001,
        port: nextPort,
        cseq: Math.floor(rand() * 2 ** 32),
        sseq: Math.floor(rand() * 2 ** 32),
        exchanges: 2 + Math.floor(rand() * 8),
      };
      nextPort = nextPort >= 65000 ? 1024 : nextPort + 1;
      emit(c, true, SYN, 0);
      emit(c, false, SYN | ACK, 0);
      emit(c, true, ACK, 0);
      open.push(c);
      continue;
    }
    const i = Math.floor(rand() * open.length);
    const c = open[i];
    if (c.exchanges-- > 0) {
      emit(c, true, PSH | ACK, 20 + Math.floor(rand() * 300));
      emit(c, false, ACK, 0);
      emit(c, false, PSH | ACK, 50 + Math.floor(rand() * 400));
      emit(c, true, ACK, 0);
    } else {
      emit(c, true, FIN | ACK, 0);
      emit(c, false, FIN | ACK, 0);
      emit(c, true, ACK, 0);
      open[i] = open[open.length - 1];
      open.pop();
    }
  }
  w.close();
}

/**
 * Classic pcap (µs) of a spoofed SYN flood as a capture at the victim sees it: `count` SYNs from
 * random source addresses and ports to one server port, one packet per connection, nothing
 * answered. The shape of `hping3 -S --flood --rand-source` at a sustained 40 k SYN/s: Poisson
 * arrivals, 20-byte TCP headers without options, random ISNs and IPv4 ids, TTLs of a few hops
 * below the common initial values.
 */
export function synthSynFlood(path, count) {
  const rand = prng(7);
  const w = new FileWriter(path);
  const h = w.reserve(24);
  w.dv.setUint32(h, 0xa1b2c3d4, true);
  w.dv.setUint16(h + 4, 2, true);
  w.dv.setUint16(h + 6, 4, true);
  w.dv.setUint32(h + 16, 262144, true);
  w.dv.setUint32(h + 20, 1, true);
  const server = 0x0ad50002; // 10.213.0.2
  const serverPort = 80;
  const meanGapUs = 1e6 / 40_000;
  let t = 1_700_000_000 * 1e6; // µs
  const frameLen = 14 + 20 + 20;
  for (let i = 0; i < count; i++) {
    // Spoofed sources: any unicast address outside 0/8, 10/8, 127/8 and the multicast range.
    let src;
    do src = Math.floor(rand() * 2 ** 32);
    while (src >>> 24 === 0 || src >>> 24 === 10 || src >>> 24 === 127 || src >>> 24 >= 224);
    const at = w.reserve(16 + frameLen);
    const { buf, dv } = w;
    dv.setUint32(at, Math.floor(t / 1e6), true);
    dv.setUint32(at + 4, t % 1e6, true);
    dv.setUint32(at + 8, frameLen, true);
    dv.setUint32(at + 12, frameLen, true);
    const e = at + 16;
    buf.fill(0, e, e + frameLen);
    dv.setUint32(e, 0x02000000, false);
    dv.setUint16(e + 4, 0x0002, false);
    dv.setUint32(e + 6, 0x02000000, false);
    dv.setUint16(e + 10, 0x0001, false);
    dv.setUint16(e + 12, 0x0800, false);
    const ip = e + 14;
    dv.setUint16(ip, 0x4500, false);
    dv.setUint16(ip + 2, 40, false);
    dv.setUint16(ip + 4, Math.floor(rand() * 65536), false);
    dv.setUint8(ip + 8, [64, 128, 255][i % 3] - 3 - Math.floor(rand() * 12));
    dv.setUint8(ip + 9, 6);
    dv.setUint32(ip + 12, src, false);
    dv.setUint32(ip + 16, server, false);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += dv.getUint16(ip + k, false);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    dv.setUint16(ip + 10, ~sum & 0xffff, false);
    const tcp = ip + 20;
    dv.setUint16(tcp, 1024 + Math.floor(rand() * 64512), false);
    dv.setUint16(tcp + 2, serverPort, false);
    dv.setUint32(tcp + 4, Math.floor(rand() * 2 ** 32), false);
    dv.setUint16(tcp + 12, (5 << 12) | SYN, false);
    dv.setUint16(tcp + 14, 512, false);
    // Exponential gaps, whole microseconds, at least 1.
    t += Math.max(1, Math.round(-Math.log(1 - rand()) * meanGapUs));
  }
  w.close();
}
