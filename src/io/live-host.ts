// The live host snapshot: reads this Linux machine through thin adapters (ss spawned with an
// argument array, /proc files) into the same plain texts the commands print, then parses those
// texts with the same parsers `analyze` uses. A collected bundle is those texts written to files,
// so the offline verdict on a bundle equals the live one.
//
// Counters (/proc/net/snmp, /proc/net/netstat) are read twice, `interval` seconds apart; the socket
// table, sysctls and per-process limits are read in between so the interval costs no extra time.
import { counterDeltas, mergeSnapshots } from "../host/merge.js";
import type { HostSnapshot } from "../host/types.js";
import { parseHostText } from "../text/detect.js";
import { classifyKernelMessage, kernelMessage } from "../text/kernlog.js";
import { type ExecResult, errnoOf, type HostIo, systemIo } from "./proc.js";

/** One piece of raw evidence: a file name in a bundle, where it came from live, and its text. */
export interface EvidenceFile {
  /** File name in a bundle (ss-tanpie.txt, proc-net-snmp-before.txt, ...). */
  name: string;
  /** Where it was read live, used in source references ("live:ss", "live:/proc/net/snmp"). */
  source: string;
  /** The command or file that produced it, for the manifest. */
  from: string;
  text: string;
}

export interface HostEvidence {
  files: EvidenceFile[];
  hostname?: string;
  kernel?: string;
  /** Wall clock when collection started (ISO). */
  time: string;
  /** Measured seconds between the -before and -after counter readings. */
  intervalSeconds?: number;
  /** When each timed reading was taken (file name → ISO time, ms precision): the counter readings. */
  times: Record<string, string>;
  /** What could not be read, each said once. */
  unavailable: string[];
}

export interface SnapshotOptions {
  /** Seconds between the two counter readings (default 1; 0 = read once, no deltas). */
  interval?: number;
  /** Replace how programs run (tests). */
  exec?: HostIo["exec"];
  /** Replace how files are read (tests). */
  readFile?: HostIo["readFile"];
  /** Replace any other adapter (tests). */
  io?: Partial<HostIo>;
  /** Read the kernel log (default true). */
  kernelLog?: boolean;
  /** At most this many socket-owning processes get their limits and descriptors read (default 500). */
  maxProcesses?: number;
}

/** Sysctls the host rules and `tune` read, in the order a bundle lists them. */
export const SYSCTLS = [
  "net.core.somaxconn",
  "net.core.netdev_max_backlog",
  "net.core.rmem_default",
  "net.core.rmem_max",
  "net.core.wmem_default",
  "net.core.wmem_max",
  "net.core.default_qdisc",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_abort_on_overflow",
  "net.ipv4.tcp_allowed_congestion_control",
  "net.ipv4.tcp_available_congestion_control",
  "net.ipv4.tcp_congestion_control",
  "net.ipv4.tcp_ecn",
  "net.ipv4.tcp_fastopen",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_max_orphans",
  "net.ipv4.tcp_max_syn_backlog",
  "net.ipv4.tcp_max_tw_buckets",
  "net.ipv4.tcp_mem",
  "net.ipv4.tcp_moderate_rcvbuf",
  "net.ipv4.tcp_mtu_probing",
  "net.ipv4.tcp_notsent_lowat",
  "net.ipv4.tcp_orphan_retries",
  "net.ipv4.tcp_retries1",
  "net.ipv4.tcp_retries2",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_sack",
  "net.ipv4.tcp_slow_start_after_idle",
  "net.ipv4.tcp_syn_linear_timeouts",
  "net.ipv4.tcp_syn_retries",
  "net.ipv4.tcp_synack_retries",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.tcp_timestamps",
  "net.ipv4.tcp_tw_reuse",
  "net.ipv4.tcp_window_scaling",
  "net.ipv4.tcp_wmem",
  "net.netfilter.nf_conntrack_buckets",
  "net.netfilter.nf_conntrack_count",
  "net.netfilter.nf_conntrack_max",
  "net.netfilter.nf_conntrack_tcp_timeout_established",
  "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
  "fs.file-max",
  "fs.file-nr",
  "fs.nr_open",
];

/**
 * Options of the socket table: all TCP sockets, numeric, tcp_info, extended (for the inode),
 * timers, memory, one line each. Not -p: ss finds each socket's owners by walking a 256-bucket
 * chain of every socket descriptor of the host, about 8 s of CPU with 100k sockets; the snapshot
 * reads /proc/PID/fd itself and adds the same users:(...) text (see withOwners).
 */
export const SS_ARGS = ["-t", "-a", "-n", "-i", "-e", "-o", "-m", "-O"];

/** How the bundle's ss-tanpie.txt was made (its manifest entry). */
const SS_FROM = `ss ${SS_ARGS.join(" ")}, with users:(...) from /proc/PID/fd as ss -p prints them`;

function resolveIo(opts: SnapshotOptions): HostIo {
  return {
    ...systemIo,
    ...opts.io,
    ...(opts.exec ? { exec: opts.exec } : {}),
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
  };
}

async function tryRead(io: HostIo, path: string): Promise<{ text?: string; errno?: string }> {
  try {
    return { text: await io.readFile(path) };
  } catch (e) {
    return { errno: errnoOf(e) };
  }
}

/** Runs fn over items with at most `limit` running at once. */
async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
}

function failed(r: ExecResult): boolean {
  return r.error !== undefined || r.code !== 0;
}

function why(r: ExecResult): string {
  if (r.error === "ENOENT") return "not installed";
  if (r.error === "TIMEOUT") return "timed out";
  if (r.error) return r.error;
  const first = r.stderr.trim().split("\n")[0];
  return first ? first.slice(0, 160) : `exit status ${r.code}`;
}

/** Counter files read before and after the interval. */
const COUNTER_FILES = [
  { path: "/proc/net/snmp", name: "proc-net-snmp" },
  { path: "/proc/net/netstat", name: "proc-net-netstat" },
];

/**
 * Reads the raw evidence of this host: the texts a bundle holds. Never throws for a missing tool or
 * file: what cannot be read is listed once in `unavailable`.
 */
export async function gatherHostEvidence(opts: SnapshotOptions = {}): Promise<HostEvidence> {
  const io = resolveIo(opts);
  const intervalMs = Math.max(0, (opts.interval ?? 1) * 1000);
  const files: EvidenceFile[] = [];
  const unavailable: string[] = [];
  const add = (name: string, source: string, from: string, text: string) =>
    files.push({ name, source, from, text });
  const time = io.wallClock();

  // Reading times on the wall clock, derived from the monotonic clock so their difference is exact.
  const t0 = io.now();
  const wall0 = Date.parse(time);
  const times: Record<string, string> = {};
  const readCounters = async (suffix: string): Promise<string> => {
    const at = new Date(wall0 + Math.round(io.now() - t0)).toISOString();
    for (const f of COUNTER_FILES) {
      const r = await tryRead(io, f.path);
      if (r.text === undefined) {
        if (suffix !== "-before") unavailable.push(`${f.path}: ${r.errno} (kernel counters unknown)`);
        continue;
      }
      add(`${f.name}${suffix}.txt`, `live:${f.path}`, f.path, r.text);
      times[`${f.name}${suffix}.txt`] = at;
    }
    return at;
  };

  const beforeAt = intervalMs > 0 ? await readCounters("-before") : undefined;

  // Everything else is read while the interval runs.
  const work = Promise.all([
    readSockets(io, opts, add, unavailable),
    readSysctls(io, add),
    readSockstat(io, add, unavailable),
    readConntrackStats(io, add),
    opts.kernelLog === false ? Promise.resolve() : readKernelLog(io, add, unavailable),
    readLinks(io, add),
  ]);
  await work;

  const elapsed = io.now() - t0;
  if (intervalMs > elapsed) await io.sleep(intervalMs - elapsed);
  const afterAt = await readCounters(intervalMs > 0 ? "-after" : "");

  const [host, kernel] = await Promise.all([
    tryRead(io, "/proc/sys/kernel/hostname"),
    tryRead(io, "/proc/sys/kernel/osrelease"),
  ]);
  const ev: HostEvidence = { files, time, times, unavailable: [...new Set(unavailable)] };
  if (host.text) ev.hostname = host.text.trim();
  if (kernel.text) ev.kernel = kernel.text.trim();
  if (beforeAt && files.some((f) => f.name.endsWith("-before.txt"))) {
    ev.intervalSeconds = (Date.parse(afterAt) - Date.parse(beforeAt)) / 1000;
  }
  return ev;
}

type Add = (name: string, source: string, from: string, text: string) => void;

/** The socket table through ss; without ss, /proc/net/tcp and tcp6. Then limits of the owners. */
async function readSockets(
  io: HostIo,
  opts: SnapshotOptions,
  add: Add,
  unavailable: string[],
): Promise<void> {
  // `ss -s` and the owners (/proc/PID/fd) are independent of the table: read beside it.
  const [ss, summary, owners] = await Promise.all([
    io.exec("ss", SS_ARGS, { timeoutMs: 120_000 }),
    io.exec("ss", ["-s"], { timeoutMs: 30_000 }),
    socketOwners(io),
  ]);
  let ssText: string | undefined;
  if (!failed(ss)) {
    ssText = withOwners(ss.stdout, owners);
    if (io.uid() !== 0) unavailable.push("owners of other users' sockets (ss -p shows them to root only)");
    add("ss-tanpie.txt", "live:ss", SS_FROM, ssText);
    if (!failed(summary)) add("ss-s.txt", "live:ss -s", "ss -s", summary.stdout);
  } else {
    unavailable.push(
      `ss: ${why(ss)} (socket table read from /proc/net/tcp: no owning processes, tcp_info or socket memory)`,
    );
    for (const [path, name] of [
      ["/proc/net/tcp", "proc-net-tcp.txt"],
      ["/proc/net/tcp6", "proc-net-tcp6.txt"],
    ] as const) {
      const r = await tryRead(io, path);
      if (r.text !== undefined) add(name, `live:${path}`, path, r.text);
      else if (r.errno !== "ENOENT" || path.endsWith("tcp")) unavailable.push(`${path}: ${r.errno}`);
    }
  }
  if (ssText !== undefined) await readLimits(io, ssText, opts.maxProcesses ?? 500, add, unavailable);
}

/** One owner of a socket descriptor, as ss -p names it. */
export interface SocketOwner {
  name: string;
  pid: number;
  fd: number;
}

/**
 * Socket inode → the processes holding it, read from /proc/PID/fd as `ss -p` does: every process,
 * every descriptor that links to "socket:[inode]", the name from /proc/PID/stat. Owners are listed
 * in the order they were found (ss prints them the other way round, see withOwners). What cannot
 * be read (other users' processes without root, processes that exit meanwhile) is left out, as
 * ss does.
 */
export async function socketOwners(io: HostIo): Promise<Map<number, SocketOwner[]>> {
  const owners = new Map<number, SocketOwner[]>();
  let entries: string[];
  try {
    entries = await io.readDir("/proc");
  } catch {
    return owners;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let links: [string, string][];
    try {
      links = await io.readLinks(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    let name: string | undefined;
    for (const [fdName, target] of links) {
      if (!target.startsWith("socket:[") || !/^\d+$/.test(fdName)) continue;
      const inode = Number(target.slice(8, -1));
      if (!Number.isSafeInteger(inode)) continue;
      name = name ?? (await processName(io, pid));
      const owner = { name, pid, fd: Number(fdName) };
      const list = owners.get(inode);
      if (list) list.push(owner);
      else owners.set(inode, [owner]);
    }
  }
  return owners;
}

/** Process name as ss -p prints it: /proc/PID/stat between "(" and the first ")"; "" when unreadable. */
async function processName(io: HostIo, pid: number): Promise<string> {
  const stat = await tryRead(io, `/proc/${pid}/stat`);
  const open = stat.text?.indexOf("(") ?? -1;
  if (stat.text === undefined || open < 0) return "";
  const close = stat.text.indexOf(")", open + 1);
  return stat.text.slice(open + 1, close < 0 ? undefined : close);
}

/**
 * ss -e output with each socket's owners added where `ss -p` prints them (users:(...) before the
 * uid:/ino: fields), so the text reads as `ss -tanpieo -m -O` output. Lines that already name
 * their users, and sockets no process holds (ino:0), are left as they are.
 */
export function withOwners(text: string, owners: Map<number, SocketOwner[]>): string {
  if (owners.size === 0) return text;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const at = line.indexOf(" ino:");
    if (at < 0 || line.includes("users:(")) continue;
    let end = at + 5;
    while (end < line.length && line.charCodeAt(end) >= 48 && line.charCodeAt(end) <= 57) end++;
    if (end === at + 5) continue;
    const list = owners.get(Number(line.slice(at + 5, end)));
    if (!list) continue;
    const uid = line.lastIndexOf(" uid:", at);
    const insertAt = uid >= 0 && !line.slice(uid + 1, at).includes(" ") ? uid : at;
    // ss -p lists the owner found last first
    const users = list
      .map((o) => `("${o.name}",pid=${o.pid},fd=${o.fd})`)
      .reverse()
      .join(",");
    lines[i] = `${line.slice(0, insertAt)} users:(${users})${line.slice(insertAt)}`;
  }
  return lines.join("\n");
}

/**
 * /proc/PID/limits of every process that owns a socket (one limits.txt, a section per process) and
 * its open descriptor count (proc-PID-fd-count.txt, the bare number `ls /proc/PID/fd | wc -l` prints).
 */
async function readLimits(
  io: HostIo,
  ssText: string,
  max: number,
  add: Add,
  unavailable: string[],
): Promise<void> {
  const pids = new Set<number>();
  for (const m of ssText.matchAll(/pid=(\d+)/g)) pids.add(Number(m[1]));
  if (pids.size === 0) return;
  const list = [...pids].sort((a, b) => a - b);
  if (list.length > max)
    unavailable.push(`limits of ${list.length - max} more socket-owning processes (only ${max} read)`);
  const limits = new Map<number, string>();
  const fdCounts = new Map<number, number>();
  let denied = 0;
  await pool(list.slice(0, max), 16, async (pid) => {
    const lim = await tryRead(io, `/proc/${pid}/limits`);
    if (lim.text !== undefined) limits.set(pid, `$ cat /proc/${pid}/limits\n${lim.text.trimEnd()}`);
    try {
      fdCounts.set(pid, (await io.readDir(`/proc/${pid}/fd`)).length);
    } catch (e) {
      if (errnoOf(e) === "EACCES" || errnoOf(e) === "EPERM") denied++;
    }
  });
  if (denied > 0)
    unavailable.push(
      `descriptor counts of ${denied} processes of other users (permission denied: run as root)`,
    );
  if (limits.size) {
    const text = [...limits.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    add("limits.txt", "live:/proc/PID/limits", "cat /proc/PID/limits", `${text.join("\n")}\n`);
  }
  for (const [pid, n] of [...fdCounts.entries()].sort((a, b) => a[0] - b[0])) {
    add(`proc-${pid}-fd-count.txt`, `live:/proc/${pid}/fd`, `ls /proc/${pid}/fd | wc -l`, `${n}\n`);
  }
}

async function readSysctls(io: HostIo, add: Add): Promise<void> {
  const values = new Map<string, string>();
  await pool(SYSCTLS, 16, async (name) => {
    const r = await tryRead(io, `/proc/sys/${name.replace(/\./g, "/")}`);
    if (r.text !== undefined) values.set(name, r.text.replace(/\n+$/, ""));
  });
  if (values.size === 0) return;
  // `sysctl -a` layout: one "name = value" line, fields of multi-value sysctls tab-separated.
  const lines = SYSCTLS.filter((n) => values.has(n)).map((n) => `${n} = ${values.get(n)}`);
  add("sysctl-net.txt", "live:/proc/sys", "/proc/sys", `${lines.join("\n")}\n`);
}

async function readSockstat(io: HostIo, add: Add, unavailable: string[]): Promise<void> {
  const r = await tryRead(io, "/proc/net/sockstat");
  if (r.text !== undefined)
    add("proc-net-sockstat.txt", "live:/proc/net/sockstat", "/proc/net/sockstat", r.text);
  else unavailable.push(`/proc/net/sockstat: ${r.errno}`);
}

/** conntrack -S (drop counters), only where connection tracking is in use and the tool exists. */
async function readConntrackStats(io: HostIo, add: Add): Promise<void> {
  const count = await tryRead(io, "/proc/sys/net/netfilter/nf_conntrack_count");
  if (count.text === undefined) return;
  const r = await io.exec("conntrack", ["-S"], { timeoutMs: 10_000 });
  if (!failed(r) && r.stdout.trim()) add("conntrack-S.txt", "live:conntrack -S", "conntrack -S", r.stdout);
}

/** Kernel log lines that concern TCP (conntrack full, SYN flooding, TCP out of memory, orphans...). */
async function readKernelLog(io: HostIo, add: Add, unavailable: string[]): Promise<void> {
  const r = await io.exec("dmesg", [], { timeoutMs: 20_000, maxBytes: 256 * 1024 * 1024 });
  if (failed(r)) {
    const denied = /not permitted|permission denied/i.test(r.stderr);
    unavailable.push(
      denied
        ? "kernel log: dmesg not permitted (needs root, or sysctl kernel.dmesg_restrict=0)"
        : `kernel log: dmesg ${why(r)}`,
    );
    return;
  }
  const kept = r.stdout.split("\n").filter((l) => l && classifyKernelMessage(kernelMessage(l)) !== undefined);
  // Only the lines that matter travel; an empty file still says the log was read.
  add("dmesg.txt", "live:dmesg", "dmesg (TCP-related lines)", kept.length ? `${kept.join("\n")}\n` : "");
}

async function readLinks(io: HostIo, add: Add): Promise<void> {
  const r = await io.exec("ip", ["-s", "link"], { timeoutMs: 10_000 });
  if (!failed(r)) add("ip-s-link.txt", "live:ip -s link", "ip -s link", r.stdout);
}

/**
 * Parses gathered evidence into one snapshot, exactly as an offline analysis of the same texts:
 * each text through parseHostText, merged, and the -before/-after counter readings turned into
 * deltas over the measured interval. `pathOf` names each text in source references.
 */
export function snapshotFromEvidence(
  ev: HostEvidence,
  pathOf: (f: EvidenceFile) => string = (f) => f.source,
): HostSnapshot {
  const parts: HostSnapshot[] = [];
  const before: Record<string, number> = {};
  const after: Record<string, number> = {};
  let counterSource: string | undefined;
  for (const f of ev.files) {
    if (f.text.trim() === "") continue;
    const parsed = parseHostText(f.text, pathOf(f), { nameHint: f.name.replace(/\.txt$/, "") });
    if (f.name.endsWith("-before.txt")) {
      Object.assign(before, parsed.snapshot.counters ?? {});
      continue;
    }
    if (f.name.endsWith("-after.txt")) {
      Object.assign(after, parsed.snapshot.counters ?? {});
      counterSource = counterSource ?? pathOf(f);
    }
    parts.push(parsed.snapshot);
  }
  const snap = mergeSnapshots(parts);
  if (Object.keys(before).length && Object.keys(after).length) {
    const deltas = counterDeltas(before, after, ev.intervalSeconds);
    snap.counterDeltas = counterSource ? { ...deltas, source: counterSource } : deltas;
  }
  if (ev.hostname) snap.hostname = ev.hostname;
  if (ev.kernel) snap.kernel = ev.kernel;
  snap.time = ev.time;
  if (ev.unavailable.length)
    snap.unavailable = [...new Set([...(snap.unavailable ?? []), ...ev.unavailable])];
  return snap;
}

/**
 * Snapshot of this Linux host now: sockets with tcp_info and owners, counters sampled `interval`
 * seconds apart, sysctls, conntrack, per-process descriptor limits, TCP-related kernel log lines.
 */
export async function snapshotHost(opts: SnapshotOptions = {}): Promise<HostSnapshot> {
  return snapshotFromEvidence(await gatherHostEvidence(opts));
}
