// Combining host evidence: several partial snapshots of one host (ss, nstat, /proc, sysctl, ...)
// become one, and two readings of the same counters become counter deltas.
import type {
  ConntrackInfo,
  HostSnapshot,
  InterfaceStats,
  ProcessInfo,
  SocketEntry,
  SocketState,
  SourceRef,
} from "./types.js";

/**
 * Values in counter files that are gauges or constants, not counters: their difference between two
 * readings means nothing (CurrEstab going down is not a reset).
 */
const NOT_COUNTERS = new Set([
  "TcpCurrEstab",
  "TcpRtoAlgorithm",
  "TcpRtoMin",
  "TcpRtoMax",
  "TcpMaxConn",
  "IpForwarding",
  "IpDefaultTTL",
  "Ip6Forwarding",
  "MPTcpExtMPCurrEstab",
]);

const U32 = 2 ** 32;

/**
 * Increases of every counter present in both readings. A decrease is never a negative increase:
 * when the earlier value sat in the top quarter of the 32-bit range it is a 32-bit wrap
 * (after + 2^32 - before); otherwise the counter was reset (namespace or host restarted, module
 * reloaded) and counts `after` since then. Gauges (TcpCurrEstab, TcpRtoMin, ...) are left out.
 * Zero increases are kept: "did not move" is evidence too.
 */
export function counterDeltas(
  before: Record<string, number>,
  after: Record<string, number>,
  seconds?: number,
): NonNullable<HostSnapshot["counterDeltas"]> {
  const values: Record<string, number> = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name];
    if (b === undefined || NOT_COUNTERS.has(name) || !Number.isFinite(a) || !Number.isFinite(b)) continue;
    let d = a - b;
    if (d < 0) d = b >= U32 * 0.75 && b < U32 && a < U32 ? a + U32 - b : Math.max(a, 0);
    values[name] = d;
  }
  const out: NonNullable<HostSnapshot["counterDeltas"]> = { values };
  if (seconds !== undefined && Number.isFinite(seconds) && seconds > 0) out.seconds = seconds;
  return out;
}

function socketKey(s: SocketEntry): string {
  return `${s.state}|${s.localIp}|${s.localPort}|${s.peerIp}|${s.peerPort}`;
}

/** How much a socket row says (ss -tanpimeo > ss -tan > /proc/net/tcp). */
function richness(s: SocketEntry): number {
  return (
    (s.processes?.length ? 8 : 0) +
    (s.info ? 4 : 0) +
    (s.skmem ? 2 : 0) +
    (s.timer ? 1 : 0) +
    (s.inode !== undefined ? 1 : 0) +
    (s.uid !== undefined ? 1 : 0)
  );
}

/** One socket from two sightings: the richer row, completed by what only the other one says. */
function mergeSocket(a: SocketEntry, b: SocketEntry): SocketEntry {
  const [base, other] = richness(b) > richness(a) ? [b, a] : [a, b];
  const out: SocketEntry = { ...base };
  if (!out.processes?.length && other.processes?.length) out.processes = other.processes;
  if (!out.info && other.info) out.info = other.info;
  else if (out.info && other.info) out.info = { ...other.info, ...out.info };
  if (!out.skmem && other.skmem) out.skmem = other.skmem;
  if (!out.timer && other.timer) out.timer = other.timer;
  if (out.uid === undefined && other.uid !== undefined) out.uid = other.uid;
  if (out.inode === undefined && other.inode !== undefined) out.inode = other.inode;
  if (!out.source && other.source) out.source = other.source;
  return out;
}

/**
 * Socket tables of one host from several inputs: the same socket (same state and 4-tuple) seen by
 * ss -tan, ss -tanpie and /proc/net/tcp is kept once. Within one input, identical rows are kept
 * (SO_REUSEPORT listeners share a 4-tuple), so matching is one-to-one, in order.
 */
export function mergeSockets(lists: SocketEntry[][]): SocketEntry[] {
  const out: SocketEntry[] = [];
  const index = new Map<string, number[]>();
  for (const list of lists) {
    const used = new Set<number>();
    for (const s of list) {
      const key = socketKey(s);
      const slots = index.get(key);
      const free = slots?.find((k) => !used.has(k));
      if (free !== undefined) {
        out[free] = mergeSocket(out[free], s);
        used.add(free);
        continue;
      }
      out.push(s);
      used.add(out.length - 1);
      if (slots) slots.push(out.length - 1);
      else index.set(key, [out.length - 1]);
    }
  }
  return out;
}

function mergeInterfaces(a: InterfaceStats[], b: InterfaceStats[]): InterfaceStats[] {
  const out = a.map((x) => ({ ...x }));
  for (const x of b) {
    const i = out.findIndex((y) => y.name === x.name);
    if (i < 0) {
      out.push({ ...x });
      continue;
    }
    const y = out[i];
    const merged: InterfaceStats = { ...y, ...x };
    if (y.nicCounters || x.nicCounters) merged.nicCounters = { ...y.nicCounters, ...x.nicCounters };
    if (y.addresses || x.addresses) {
      merged.addresses = [...(y.addresses ?? [])];
      for (const ad of x.addresses ?? []) if (!merged.addresses.includes(ad)) merged.addresses.push(ad);
    }
    if (!x.source && y.source) merged.source = y.source;
    out[i] = merged;
  }
  return out;
}

function mergeProcesses(a: ProcessInfo[], b: ProcessInfo[]): ProcessInfo[] {
  const out = a.map((x) => ({ ...x }));
  for (const x of b) {
    // pid 0 means "not said": two such facts may be about different processes, so keep both
    const i = x.pid === 0 ? -1 : out.findIndex((y) => y.pid === x.pid);
    if (i < 0) out.push({ ...x });
    else {
      const merged = { ...out[i], ...x };
      if (!x.source && out[i].source) merged.source = out[i].source;
      out[i] = merged;
    }
  }
  return out;
}

function mergeConntrack(a: ConntrackInfo, b: ConntrackInfo): ConntrackInfo {
  const out: ConntrackInfo = { ...a, ...b };
  if (a.stats && b.stats) out.stats = { ...a.stats, ...b.stats };
  if (!b.source && a.source) out.source = a.source;
  return out;
}

function concatUnique<T>(a: T[] | undefined, b: T[] | undefined, keyOf: (x: T) => string): T[] | undefined {
  if (!a && !b) return undefined;
  const out: T[] = [];
  const seen = new Set<string>();
  for (const x of [...(a ?? []), ...(b ?? [])]) {
    const k = keyOf(x);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(x);
  }
  return out;
}

function refKey(ref: SourceRef | undefined): string {
  return ref ? `${ref.file}:${ref.line ?? ""}` : "";
}

/** JSON of a fact without its source, so the same fact read from two files is kept once. */
function factKey(x: { source?: SourceRef }): string {
  const { source: _source, ...rest } = x;
  return JSON.stringify(rest);
}

/**
 * Merges partial snapshots of one host, in order. Later parts win for single values (hostname,
 * kernel, time, ulimit, summary fields, counter and sysctl values); lists are combined: sockets
 * deduplicated by state and 4-tuple (richest row kept, completed by the others), interfaces by
 * name, processes by pid, routes and other facts by content; `socketsHave` flags are or-ed.
 */
export function mergeSnapshots(parts: HostSnapshot[]): HostSnapshot {
  const out: HostSnapshot = { sources: [] };
  const socketLists: SocketEntry[][] = [];
  for (const p of parts) {
    out.sources.push(...p.sources);
    if (p.hostname !== undefined) out.hostname = p.hostname;
    if (p.kernel !== undefined) out.kernel = p.kernel;
    if (p.time !== undefined) out.time = p.time;
    if (p.sockets) socketLists.push(p.sockets);
    if (p.socketsHave) {
      const h = out.socketsHave ?? { processes: false, info: false, memory: false, timers: false };
      out.socketsHave = {
        processes: h.processes || p.socketsHave.processes,
        info: h.info || p.socketsHave.info,
        memory: h.memory || p.socketsHave.memory,
        timers: h.timers || p.socketsHave.timers,
      };
    }
    if (p.summary) out.summary = { ...out.summary, ...p.summary };
    // Counts without socket rows (`ss ... | wc -l`): the largest count per state wins.
    if (p.stateCounts) {
      const counts = { ...out.stateCounts };
      const sources = { ...out.stateCountSources };
      for (const [state, n] of Object.entries(p.stateCounts) as [SocketState, number][]) {
        if (counts[state] === undefined || n > (counts[state] ?? 0)) {
          counts[state] = n;
          const src = p.stateCountSources?.[state];
          if (src) sources[state] = src;
        }
      }
      out.stateCounts = counts;
      if (Object.keys(sources).length) out.stateCountSources = sources;
    }
    if (p.counters) out.counters = { ...out.counters, ...p.counters };
    if (p.counterSources) out.counterSources = { ...out.counterSources, ...p.counterSources };
    if (p.counterDeltas) {
      const prev = out.counterDeltas;
      const merged: NonNullable<HostSnapshot["counterDeltas"]> = {
        values: { ...prev?.values, ...p.counterDeltas.values },
      };
      const seconds = p.counterDeltas.seconds ?? prev?.seconds;
      if (seconds !== undefined) merged.seconds = seconds;
      const sources = [prev?.source, p.counterDeltas.source].filter((s): s is string => !!s);
      if (sources.length) merged.source = [...new Set(sources.join(", ").split(", "))].join(", ");
      out.counterDeltas = merged;
    }
    if (p.sysctls) out.sysctls = { ...out.sysctls, ...p.sysctls };
    if (p.sysctlSources) out.sysctlSources = { ...out.sysctlSources, ...p.sysctlSources };
    if (p.sockstat) out.sockstat = { ...out.sockstat, ...p.sockstat };
    if (p.conntrack)
      out.conntrack = out.conntrack ? mergeConntrack(out.conntrack, p.conntrack) : { ...p.conntrack };
    if (p.processes) out.processes = mergeProcesses(out.processes ?? [], p.processes);
    if (p.ulimitNofile !== undefined) out.ulimitNofile = p.ulimitNofile;
    if (p.kernelLog)
      out.kernelLog = concatUnique(out.kernelLog, p.kernelLog, (k) => refKey(k.source) || k.text);
    if (p.interfaces) out.interfaces = mergeInterfaces(out.interfaces ?? [], p.interfaces);
    if (p.routes) out.routes = concatUnique(out.routes, p.routes, factKey);
    if (p.pmtu) out.pmtu = concatUnique(out.pmtu, p.pmtu, factKey);
    if (p.pings) out.pings = concatUnique(out.pings, p.pings, (x) => refKey(x.source) || factKey(x));
    if (p.firewall)
      out.firewall = concatUnique(out.firewall, p.firewall, (x) => refKey(x.source) || factKey(x));
    if (p.qdiscs) out.qdiscs = concatUnique(out.qdiscs, p.qdiscs, (x) => refKey(x.source) || factKey(x));
    if (p.unavailable) out.unavailable = concatUnique(out.unavailable, p.unavailable, (x) => x);
  }
  if (socketLists.length)
    out.sockets = socketLists.length === 1 ? [...socketLists[0]] : mergeSockets(socketLists);
  return out;
}
