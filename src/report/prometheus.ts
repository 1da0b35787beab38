// Prometheus metrics of a host snapshot. `hostMetricFamilies` is the pure mapping (snapshot →
// metric families with bounded label sets); `MetricsRenderer` turns families into the text
// exposition format through prom-client, once per snapshot, so scrapes only serve a string.
//
// Cardinality: every labelled family is bounded. sockets{state} by the TCP states (12);
// per-destination, per-process and per-listener families by topN (default 10) plus one "other"
// series holding the rest; finding{id,severity} by the host diagnosis ids (one series per id).
import { Counter, Gauge, Registry } from "prom-client";
import type { HostSnapshot, SocketEntry } from "../host/types.js";
import { timeWaitGroups } from "../rules/host/time-wait.js";
import { localOf, ownerOf, portRange, sockets, sysctlNumber } from "../rules/host/util.js";
import type { Severity } from "../rules/types.js";

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "gauge" | "counter";
  labelNames: string[];
  samples: MetricSample[];
}

/**
 * Kernel counters mirrored under node_exporter's names (node_netstat_<group>_<field>), so existing
 * dashboards and rules read them unchanged. Values are the kernel's absolute values; after a reset
 * (reboot, new namespace) the new, smaller value is exposed and Prometheus' rate() handles it.
 */
export const NETSTAT_COUNTERS: { counter: string; metric: string; file: string }[] = [
  ...[
    "ActiveOpens",
    "PassiveOpens",
    "AttemptFails",
    "EstabResets",
    "InSegs",
    "OutSegs",
    "RetransSegs",
    "InErrs",
    "OutRsts",
    "InCsumErrors",
  ].map((f) => ({ counter: `Tcp${f}`, metric: `node_netstat_Tcp_${f}`, file: "/proc/net/snmp Tcp" })),
  ...[
    "ListenOverflows",
    "ListenDrops",
    "SyncookiesSent",
    "SyncookiesRecv",
    "SyncookiesFailed",
    "TCPAbortOnTimeout",
    "TCPAbortOnData",
    "TCPAbortOnClose",
    "TCPAbortOnMemory",
    "TCPAbortOnLinger",
    "TCPTimeouts",
    "TCPSynRetrans",
    "TCPFastRetrans",
    "TCPLossProbes",
    "TCPMemoryPressures",
    "TCPReqQFullDrop",
    "TCPReqQFullDoCookies",
    "TCPBacklogDrop",
    "TCPOFOQueue",
    "TW",
  ].map((f) => ({
    counter: `TcpExt${f}`,
    metric: `node_netstat_TcpExt_${f}`,
    file: "/proc/net/netstat TcpExt",
  })),
];

/** The TCP states exported as tcpdoctor_sockets{state} (always present, 0 when none). */
export const SOCKET_STATES = [
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "CLOSE",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
];

export interface WatchMeta {
  intervals: number;
  alertsFired: number;
  alertsResolved: number;
  /** Seconds the last snapshot took. */
  snapshotSeconds?: number;
  /** Unix time (seconds) of the last snapshot. */
  lastSnapshotUnix?: number;
}

export interface HostMetricsOptions {
  /** Label bound of the per-destination, per-process and per-listener families (default 10). */
  topN?: number;
  /** Active (firing) findings: one tcpdoctor_finding{id,severity} = 1 each (highest severity per id). */
  findings?: { id: string; severity: Severity }[];
  watch?: WatchMeta;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

function gauge(name: string, help: string, labelNames: string[], samples: MetricSample[]): MetricFamily {
  return { name, help, type: "gauge", labelNames, samples };
}

/** A family of one sample without labels. */
function scalar(type: MetricFamily["type"], name: string, help: string, value: number): MetricFamily {
  return { name, help, type, labelNames: [], samples: [{ labels: {}, value }] };
}

/** The top `n` entries by value, and the sum of the rest (undefined when nothing was left out). */
function topWithRest<T>(entries: [T, number][], n: number): { top: [T, number][]; rest?: number } {
  const sorted = [...entries].sort((a, b) => b[1] - a[1]);
  const top = sorted.slice(0, n);
  const restList = sorted.slice(n);
  return restList.length ? { top, rest: restList.reduce((s, [, v]) => s + v, 0) } : { top };
}

function ownerLabels(s: SocketEntry): { process: string; pid: string } {
  const o = ownerOf(s);
  return o ? { process: o.name, pid: String(o.pid) } : { process: "(unknown)", pid: "" };
}

/** Metric families of one host snapshot (pure). */
export function hostMetricFamilies(host: HostSnapshot, opts: HostMetricsOptions = {}): MetricFamily[] {
  const topN = Math.max(1, Math.floor(opts.topN ?? 10));
  const out: MetricFamily[] = [];
  const all = sockets(host);

  const byState = new Map<string, number>(SOCKET_STATES.map((s) => [s, 0]));
  for (const s of all) {
    const state = s.state === "NEW-SYN-RECV" ? "SYN-RECV" : s.state;
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  out.push(
    gauge(
      "tcpdoctor_sockets",
      "TCP sockets on this host by state (ss / /proc/net/tcp).",
      ["state"],
      [...byState].map(([state, value]) => ({ labels: { state }, value })),
    ),
  );

  const tw = timeWaitGroups(host).map(
    (g) => [{ destination: g.service, side: g.side }, g.sockets.length] as [Record<string, string>, number],
  );
  const twTop = topWithRest(tw, topN);
  out.push(
    gauge(
      "tcpdoctor_time_wait_by_destination",
      `TIME-WAIT sockets by service: the destination ip:port when this host connected (side="client"), the local listener when it served (side="server"). Top ${topN}, the rest summed under destination="other".`,
      ["destination", "side"],
      [
        ...twTop.top.map(([labels, value]) => ({ labels, value })),
        ...(twTop.rest !== undefined
          ? [{ labels: { destination: "other", side: "other" }, value: twTop.rest }]
          : []),
      ],
    ),
  );

  const cw = new Map<string, { labels: { process: string; pid: string }; count: number }>();
  for (const s of all) {
    if (s.state !== "CLOSE-WAIT") continue;
    const labels = ownerLabels(s);
    const key = `${labels.process}|${labels.pid}`;
    const e = cw.get(key);
    if (e) e.count++;
    else cw.set(key, { labels, count: 1 });
  }
  const cwTop = topWithRest(
    [...cw.values()].map(
      (e) => [e.labels as Record<string, string>, e.count] as [Record<string, string>, number],
    ),
    topN,
  );
  out.push(
    gauge(
      "tcpdoctor_close_wait_by_process",
      `CLOSE-WAIT sockets by owning process (process="(unknown)" when ss -p could not tell). Top ${topN}, the rest summed under process="other".`,
      ["process", "pid"],
      [
        ...cwTop.top.map(([labels, value]) => ({ labels, value })),
        ...(cwTop.rest !== undefined ? [{ labels: { process: "other", pid: "" }, value: cwTop.rest }] : []),
      ],
    ),
  );

  const listeners = all
    .filter((s) => s.state === "LISTEN" && s.sendQ > 0)
    .map((s) => ({ s, fill: s.recvQ / s.sendQ }))
    .sort((a, b) => b.fill - a.fill || b.s.recvQ - a.s.recvQ)
    .slice(0, topN);
  out.push(
    gauge(
      "tcpdoctor_listen_queue_length",
      `Connections waiting in the accept queue of a listener (LISTEN Recv-Q). Top ${topN} listeners by fill.`,
      ["listener"],
      listeners.map(({ s }) => ({ labels: { listener: localOf(s) }, value: s.recvQ })),
    ),
    gauge(
      "tcpdoctor_listen_queue_limit",
      "Accept queue limit of a listener (LISTEN Send-Q: the listen() backlog capped by net.core.somaxconn).",
      ["listener"],
      listeners.map(({ s }) => ({ labels: { listener: localOf(s) }, value: s.sendQ })),
    ),
  );

  // Host-wide gauges, each left out when the snapshot does not tell it.
  const hostGauges: [name: string, help: string, value: number | undefined][] = [
    [
      "tcpdoctor_ephemeral_port_range_size",
      "Ports in net.ipv4.ip_local_port_range: the local ports available per destination ip:port.",
      portRange(host)?.size,
    ],
    [
      "tcpdoctor_conntrack_entries",
      "Entries in the connection tracking table.",
      host.conntrack?.count ?? sysctlNumber(host, "net.netfilter.nf_conntrack_count"),
    ],
    [
      "tcpdoctor_conntrack_entries_limit",
      "Size of the connection tracking table (net.netfilter.nf_conntrack_max).",
      host.conntrack?.max ?? sysctlNumber(host, "net.netfilter.nf_conntrack_max"),
    ],
    [
      "tcpdoctor_orphan_sockets",
      "Orphaned TCP sockets (closed by the application, not yet gone).",
      host.sockstat?.tcpOrphan ?? host.summary?.orphaned,
    ],
    [
      "tcpdoctor_orphan_sockets_limit",
      "net.ipv4.tcp_max_orphans.",
      sysctlNumber(host, "net.ipv4.tcp_max_orphans"),
    ],
  ];
  for (const [name, help, value] of hostGauges)
    if (value !== undefined) out.push(scalar("gauge", name, help, value));

  const fdProcs = (host.processes ?? [])
    .filter((p) => p.pid > 0 && p.openFds !== undefined && p.fdLimit !== undefined && p.fdLimit > 0)
    .sort(
      (a, b) => (b.openFds ?? 0) / (b.fdLimit ?? 1) - (a.openFds ?? 0) / (a.fdLimit ?? 1) || b.pid - a.pid,
    )
    .slice(0, topN);
  // /proc/PID/limits does not name the process; the socket table (ss -p) does.
  const names = new Map<number, string>();
  for (const s of all) for (const p of s.processes ?? []) if (!names.has(p.pid)) names.set(p.pid, p.name);
  const procLabels = (p: (typeof fdProcs)[number]) => ({
    process: p.name ?? names.get(p.pid) ?? "",
    pid: String(p.pid),
  });
  out.push(
    gauge(
      "tcpdoctor_process_open_fds",
      `Open file descriptors of a socket-owning process. Top ${topN} processes by share of their limit.`,
      ["process", "pid"],
      fdProcs.map((p) => ({ labels: procLabels(p), value: p.openFds ?? 0 })),
    ),
    gauge(
      "tcpdoctor_process_max_fds",
      "Soft limit of open file descriptors (Max open files) of the same processes.",
      ["process", "pid"],
      fdProcs.map((p) => ({ labels: procLabels(p), value: p.fdLimit ?? 0 })),
    ),
  );

  const counters = host.counters ?? {};
  for (const c of NETSTAT_COUNTERS) {
    const v = counters[c.counter];
    if (v === undefined || !Number.isFinite(v) || v < 0) continue;
    out.push(
      scalar(
        "counter",
        c.metric,
        `Kernel counter ${c.file} ${c.counter.replace(/^(TcpExt|Tcp)/, "")} (absolute, as node_exporter names it).`,
        v,
      ),
    );
  }

  const worst = new Map<string, Severity>();
  for (const f of opts.findings ?? []) {
    const prev = worst.get(f.id);
    if (!prev || SEVERITY_RANK[f.severity] > SEVERITY_RANK[prev]) worst.set(f.id, f.severity);
  }
  out.push(
    gauge(
      "tcpdoctor_finding",
      "1 for each diagnosis currently firing (after the watch's hysteresis), labelled with its id and severity.",
      ["id", "severity"],
      [...worst].sort().map(([id, severity]) => ({ labels: { id, severity }, value: 1 })),
    ),
  );

  if (opts.watch) {
    const w = opts.watch;
    out.push(
      scalar(
        "counter",
        "tcpdoctor_watch_intervals_total",
        "Snapshots evaluated since the watch started.",
        w.intervals,
      ),
      scalar(
        "counter",
        "tcpdoctor_alerts_fired_total",
        "Alerts that started firing since the watch started.",
        w.alertsFired,
      ),
      scalar(
        "counter",
        "tcpdoctor_alerts_resolved_total",
        "Alerts that resolved since the watch started.",
        w.alertsResolved,
      ),
    );
    if (w.snapshotSeconds !== undefined)
      out.push(
        scalar(
          "gauge",
          "tcpdoctor_snapshot_duration_seconds",
          "Time the last host snapshot took.",
          w.snapshotSeconds,
        ),
      );
    if (w.lastSnapshotUnix !== undefined)
      out.push(
        scalar(
          "gauge",
          "tcpdoctor_last_snapshot_timestamp_seconds",
          "Unix time of the last host snapshot.",
          w.lastSnapshotUnix,
        ),
      );
  }
  out.push(
    scalar(
      "gauge",
      "tcpdoctor_evidence_unavailable",
      "Sources of evidence that could not be read in the last snapshot (missing tool, permission).",
      host.unavailable?.length ?? 0,
    ),
  );
  return out;
}

/**
 * Text exposition of metric families through a prom-client registry. Metric objects are kept
 * between renders (reset and refilled), so series that disappear from one snapshot to the next
 * disappear from the output too.
 */
export class MetricsRenderer {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, { metric: Gauge | Counter; key: string }>();

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(families: MetricFamily[]): Promise<string> {
    const present = new Set<string>();
    for (const f of families) {
      present.add(f.name);
      const key = `${f.type}|${f.labelNames.join(",")}|${f.help}`;
      let entry = this.metrics.get(f.name);
      if (entry && entry.key !== key) {
        this.registry.removeSingleMetric(f.name);
        entry = undefined;
      }
      if (!entry) {
        const config = { name: f.name, help: f.help, labelNames: f.labelNames, registers: [this.registry] };
        entry = { metric: f.type === "counter" ? new Counter(config) : new Gauge(config), key };
        this.metrics.set(f.name, entry);
      }
      const m = entry.metric;
      m.reset();
      for (const s of f.samples) {
        if (!Number.isFinite(s.value)) continue;
        if (m instanceof Counter) {
          if (s.value >= 0) m.inc(s.labels, s.value);
        } else m.set(s.labels, s.value);
      }
    }
    for (const name of [...this.metrics.keys()]) {
      if (present.has(name)) continue;
      this.registry.removeSingleMetric(name);
      this.metrics.delete(name);
    }
    return this.registry.metrics();
  }
}
