// Host evidence as bar charts: sockets by state, TIME-WAIT per destination against the ephemeral
// port range, CLOSE-WAIT per owning process, and counter rates.
import { endpoint } from "../../core/endpoint.js";
import type { HostSnapshot, SocketEntry } from "../../host/types.js";
import { type Bar, barChart } from "./svg.js";

/** Linux's default net.ipv4.ip_local_port_range. */
const DEFAULT_PORT_RANGE: [number, number] = [32768, 60999];

/** Counters that speak of a problem, shown first when they moved. */
const DIAGNOSTIC_COUNTERS = [
  "TcpRetransSegs",
  "TcpExtTCPTimeouts",
  "TcpExtTCPLostRetransmit",
  "TcpExtTCPSynRetrans",
  "TcpExtTCPFastRetrans",
  "TcpExtListenOverflows",
  "TcpExtListenDrops",
  "TcpExtSyncookiesSent",
  "TcpExtSyncookiesFailed",
  "TcpExtTCPReqQFullDoCookies",
  "TcpExtTCPReqQFullDrop",
  "TcpOutRsts",
  "TcpEstabResets",
  "TcpAttemptFails",
  "TcpExtTCPAbortOnData",
  "TcpExtTCPAbortOnClose",
  "TcpExtTCPAbortOnTimeout",
  "TcpExtTCPAbortOnLinger",
  "TcpExtTCPAbortOnMemory",
  "TcpExtTCPRcvQDrop",
  "TcpExtTCPBacklogDrop",
  "TcpExtPruneCalled",
  "TcpExtTCPZeroWindowDrop",
  "TcpExtTCPToZeroWindowAdv",
  "TcpExtTCPTimeWaitOverflow",
  "TcpInErrs",
  "TcpInCsumErrors",
  "TcpExtTW",
  "TcpActiveOpens",
  "TcpPassiveOpens",
];

const STATE_ORDER = [
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "NEW-SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "CLOSE-WAIT",
  "LAST-ACK",
  "CLOSING",
  "CLOSE",
  "LISTEN",
  "UNKNOWN",
];
const STATE_CLASS: Record<string, string> = {
  "SYN-RECV": "warn",
  "NEW-SYN-RECV": "warn",
  "CLOSE-WAIT": "warn",
  "TIME-WAIT": "warn",
  "FIN-WAIT-2": "warn",
  "SYN-SENT": "warn",
};

export function portRange(host: HostSnapshot): { lo: number; hi: number; fromSysctl: boolean } {
  const raw = host.sysctls?.["net.ipv4.ip_local_port_range"];
  const m = raw ? /^\s*(\d+)\s+(\d+)\s*$/.exec(raw) : null;
  if (m && Number(m[2]) >= Number(m[1])) return { lo: Number(m[1]), hi: Number(m[2]), fromSysctl: true };
  return { lo: DEFAULT_PORT_RANGE[0], hi: DEFAULT_PORT_RANGE[1], fromSysctl: false };
}

export function socketsByState(host: HostSnapshot): Bar[] {
  const counts = new Map<string, number>();
  if (host.sockets?.length) {
    for (const s of host.sockets) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  } else if (host.summary) {
    const sum = host.summary;
    if (sum.estab !== undefined) counts.set("ESTAB", sum.estab);
    if (sum.timewait !== undefined) counts.set("TIME-WAIT", sum.timewait);
    if (sum.orphaned !== undefined) counts.set("orphaned", sum.orphaned);
    if (sum.closed !== undefined) counts.set("closed", sum.closed);
  }
  const order = (s: string) => {
    const i = STATE_ORDER.indexOf(s);
    return i < 0 ? STATE_ORDER.length : i;
  };
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => order(a[0]) - order(b[0]))
    .map(([state, n]) => ({ label: state, value: n, cls: STATE_CLASS[state] }));
}

/**
 * TIME-WAIT sockets per destination ip:port, each against the ports one source address can use
 * toward it (the ephemeral range). Sockets whose local port is outside the range are the server
 * side of churn and grouped by their local endpoint instead.
 */
export function timeWaitPerDestination(host: HostSnapshot, limit = 12): Bar[] {
  const range = portRange(host);
  const size = range.hi - range.lo + 1;
  const groups = new Map<string, { n: number; capacity?: number }>();
  for (const s of host.sockets ?? []) {
    if (s.state !== "TIME-WAIT") continue;
    const outbound = s.localPort >= range.lo && s.localPort <= range.hi;
    const key = outbound
      ? `→ ${endpoint(s.peerIp, s.peerPort)}`
      : `${endpoint(s.localIp, s.localPort)} (local service)`;
    const g = groups.get(key) ?? { n: 0, capacity: outbound ? size : undefined };
    g.n++;
    groups.set(key, g);
  }
  return [...groups]
    .sort((a, b) => b[1].n - a[1].n)
    .slice(0, limit)
    .map(([label, g]) => ({
      label,
      value: g.n,
      capacity: g.capacity,
      cls:
        g.capacity && g.n / g.capacity > 0.5
          ? "bad"
          : g.capacity && g.n / g.capacity > 0.2
            ? "warn"
            : undefined,
    }));
}

function owner(s: SocketEntry): string {
  const p = s.processes?.[0];
  if (p) return `${p.name} (pid ${p.pid})`;
  return `unknown process, ${endpoint(s.localIp, s.localPort)}`;
}

export function closeWaitPerProcess(host: HostSnapshot, limit = 12): Bar[] {
  const groups = new Map<string, number>();
  for (const s of host.sockets ?? [])
    if (s.state === "CLOSE-WAIT") groups.set(owner(s), (groups.get(owner(s)) ?? 0) + 1);
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([label, n]) => ({ label, value: n, cls: "warn" }));
}

/**
 * Counter increases per second (or per interval when its length is unknown): the diagnostic
 * counters that moved first, then the largest others. `cited` counters are highlighted.
 */
export function counterRates(
  host: HostSnapshot,
  cited: Set<string>,
  limit = 16,
): { bars: Bar[]; unit: string } {
  const d = host.counterDeltas;
  if (!d) return { bars: [], unit: "" };
  const secs = d.seconds && d.seconds > 0 ? d.seconds : undefined;
  const rate = (v: number) => (secs ? Math.round((v / secs) * 100) / 100 : v);
  // Byte counters (…Octets) count another unit and would dwarf the rest.
  const entries = Object.entries(d.values).filter(
    ([k, v]) => v > 0 && (!k.endsWith("Octets") || cited.has(k)),
  );
  const diagnostic = entries
    .filter(([k]) => DIAGNOSTIC_COUNTERS.includes(k) || cited.has(k))
    .sort((a, b) => b[1] - a[1]);
  const others = entries
    .filter(([k]) => !DIAGNOSTIC_COUNTERS.includes(k) && !cited.has(k))
    .sort((a, b) => b[1] - a[1]);
  const chosen = [...diagnostic, ...others].slice(0, limit);
  return {
    unit: secs ? "/s" : "",
    bars: chosen.map(([k, v]) => ({
      label: k,
      value: rate(v),
      cls: cited.has(k) ? "hi" : DIAGNOSTIC_COUNTERS.includes(k) ? "warn" : undefined,
      title: `${k}: +${v}${secs ? ` in ${secs} s` : ""}`,
    })),
  };
}

export type HostChartKind = "states" | "time-wait" | "close-wait" | "counters";

/** The host charts as SVG figures, keyed by kind (only those with something to show). */
export function hostCharts(host: HostSnapshot, cited: Set<string>): Map<HostChartKind, string> {
  const out = new Map<HostChartKind, string>();
  const states = socketsByState(host);
  if (states.length) out.set("states", barChart("Sockets by state", states, { id: "host-states", unit: "" }));
  const tw = timeWaitPerDestination(host);
  if (tw.length) {
    const r = portRange(host);
    out.set(
      "time-wait",
      barChart(
        `TIME-WAIT sockets per destination, against the ${r.hi - r.lo + 1} ephemeral ports ${r.lo}–${r.hi}${r.fromSysctl ? "" : " (Linux default; sysctl not read)"}`,
        tw,
        { id: "host-time-wait" },
      ),
    );
  }
  const cw = closeWaitPerProcess(host);
  if (cw.length)
    out.set("close-wait", barChart("CLOSE-WAIT sockets per owning process", cw, { id: "host-close-wait" }));
  const rates = counterRates(host, cited);
  if (rates.bars.length) {
    const secs = host.counterDeltas?.seconds;
    out.set(
      "counters",
      barChart(
        secs ? `Kernel counter rates over ${secs} s` : "Kernel counter increases over the sampled interval",
        rates.bars,
        { id: "host-counters", unit: rates.unit },
      ),
    );
  }
  return out;
}

/** The host chart that pictures a host finding best. */
export function hostChartFor(findingId: string, available: Set<HostChartKind>): HostChartKind | undefined {
  const prefer: HostChartKind[] = /close-wait/.test(findingId)
    ? ["close-wait", "states"]
    : /time-wait|churn|port/.test(findingId)
      ? ["time-wait", "states", "counters"]
      : /listen|syn|retrans|loss|reset|abort|overflow|drop|cookie|orphan|memory|buffer|queue/.test(findingId)
        ? ["counters", "states"]
        : ["states", "counters"];
  return prefer.find((k) => available.has(k));
}
