// The tuning plan: from a stated path (RTT, bandwidth) or the host's own connections, what the TCP
// settings should be and why, compared with the host's current sysctls. Pure: it never applies
// anything; renderTuning prints the plan and a /etc/sysctl.d/ file to apply by hand.
import type { HostSnapshot } from "../host/types.js";
import { timeWaitGroups } from "../rules/host/time-wait.js";
import {
  bdpBytes,
  bufferMaxFor,
  connectionsPerSecondCapacity,
  formatBytes,
  formatRate,
  formatSeconds,
  type KeepaliveTimers,
  keepaliveDetectionSeconds,
  keepaliveFor,
  portRangeSize,
  TIME_WAIT_SECONDS,
  timeWaitAtRate,
  windowLimitedRate,
} from "./arith.js";

/**
 * server / web / db: listeners, backlogs, SYN floods; client: outgoing connections and ports;
 * general / proxy / bulk: both sides (a proxy accepts and connects; bulk transfer cares most about buffers).
 */
export type TuneProfile = "general" | "server" | "client" | "web" | "db" | "proxy" | "bulk";

const SERVER_SIDE = new Set<TuneProfile>(["general", "server", "web", "db", "proxy", "bulk"]);
const CLIENT_SIDE = new Set<TuneProfile>(["general", "client", "proxy", "bulk"]);

/** A profile name as typed on the command line, or undefined when unknown. */
export function tuneProfile(name: string | undefined): TuneProfile | undefined {
  const n = (name ?? "general").toLowerCase();
  return SERVER_SIDE.has(n as TuneProfile) || CLIENT_SIDE.has(n as TuneProfile)
    ? (n as TuneProfile)
    : undefined;
}

export interface TuneInput {
  /** Round-trip time of the path to tune for, ms (--rtt). */
  rttMs?: number;
  /** Bandwidth of that path, bits/s (--bandwidth). */
  bandwidthBps?: number;
  /** Which side of TCP to plan for (see TuneProfile); default general. */
  profile?: TuneProfile;
  /** Shortest idle timeout of proxies / load balancers / NAT on the path, s (default 240). */
  idleTimeoutSec?: number;
  /** New connections per second to one destination ip:port (client side). */
  connectionRate?: number;
  /** Retransmitted share of sent segments on the path (0.01 = 1%). */
  lossRatio?: number;
  /** This host: current sysctls, connections, counters. Without it the plan has no "current". */
  host?: HostSnapshot;
}

export interface Recommendation {
  sysctl: string;
  current?: string;
  proposed: string;
  /** The proposal differs from the current value (or the current value is unknown). */
  change: boolean;
  reason: string;
}

export interface TuningPlan {
  profile: TuneProfile;
  path: {
    rttMs?: number;
    bandwidthBps?: number;
    lossRatio?: number;
    /** Where rtt/bandwidth came from. */
    source: "stated" | "connections" | "partly stated" | "unknown";
  };
  bdp?: {
    bytes: number;
    bufferMax: number;
    currentRmemMax?: number;
    currentWmemMax?: number;
    currentCapBps?: number;
  };
  keepalive: {
    current: KeepaliveTimers & { detectionSec: number };
    proposed: KeepaliveTimers & { detectionSec: number };
    idleTimeoutSec: number;
  };
  ports?: {
    range: [number, number];
    size: number;
    /** New connections per second to one destination ip:port the range sustains. */
    capacityPerSec: number;
    ratePerSec?: number;
    timeWaitAtRate?: number;
    busiestDestination?: string;
  };
  backlog: {
    somaxconn?: number;
    synBacklog?: number;
    listeners: { listener: string; backlog: number; process?: string }[];
    overflows?: number;
  };
  congestionControl: { current?: string; proposed: string; reason: string; available?: string[] };
  recommendations: Recommendation[];
  /** Changes outside sysctl (applications, modules), in words. */
  notes: string[];
  /** Text of /etc/sysctl.d/90-tcpdoctor.conf holding the changed settings. */
  sysctlFile: string;
}

const DEFAULT_KEEPALIVE: KeepaliveTimers = { time: 7200, intvl: 75, probes: 9 };

function sysctl(host: HostSnapshot | undefined, name: string): string | undefined {
  const v = host?.sysctls?.[name];
  return v === undefined ? undefined : v.trim().split(/\s+/).join(" ");
}

function sysctlNums(host: HostSnapshot | undefined, name: string): number[] | undefined {
  const v = sysctl(host, name);
  if (v === undefined) return undefined;
  const n = v.split(" ").map(Number);
  return n.every(Number.isFinite) ? n : undefined;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const isLoopback = (ip: string) => ip.startsWith("127.") || ip === "::1";

/** RTT and bandwidth seen on the host's own established connections to other hosts. */
function observedPath(host: HostSnapshot | undefined): { rttMs?: number; bandwidthBps?: number } {
  const live = (host?.sockets ?? []).filter(
    (s) =>
      s.state === "ESTAB" &&
      !isLoopback(s.peerIp) &&
      s.info?.rtt !== undefined &&
      (s.info.bytesAcked ?? 0) > 0,
  );
  const rttMs = median(live.map((s) => s.info?.rtt ?? 0));
  const rates = live.map((s) => s.info?.deliveryRateBps ?? 0).filter((x) => x > 0);
  return { rttMs, bandwidthBps: rates.length ? rates.reduce((a, b) => Math.max(a, b)) : undefined };
}

/** Data retransmissions / segments sent, from the interval deltas when there are some. */
function observedLoss(host: HostSnapshot | undefined): number | undefined {
  const d = host?.counterDeltas?.values;
  const c = d && Object.keys(d).length ? d : host?.counters;
  if (!c?.TcpOutSegs || c.TcpRetransSegs === undefined) return undefined;
  return Math.max(0, c.TcpRetransSegs - (c.TcpExtTCPSynRetrans ?? 0)) / c.TcpOutSegs;
}

export function planTuning(input: TuneInput = {}): TuningPlan {
  const host = input.host;
  const profile = input.profile ?? "general";
  const recs: Recommendation[] = [];
  const notes: string[] = [];
  const propose = (name: string, proposed: string, reason: string) => {
    const current = sysctl(host, name);
    recs.push({
      sysctl: name,
      ...(current !== undefined ? { current } : {}),
      proposed,
      change: current !== proposed,
      reason,
    });
  };

  // ------------------------------------------------------------------ the path
  const seen = observedPath(host);
  const rttMs = input.rttMs ?? seen.rttMs;
  const bandwidthBps = input.bandwidthBps ?? seen.bandwidthBps;
  const lossRatio = input.lossRatio ?? observedLoss(host);
  const stated = [input.rttMs, input.bandwidthBps].filter((x) => x !== undefined).length;
  const source =
    stated === 2
      ? "stated"
      : stated === 1
        ? "partly stated"
        : rttMs !== undefined && bandwidthBps !== undefined
          ? "connections"
          : "unknown";
  if (source === "connections") {
    notes.push(
      "RTT and bandwidth come from this host's own connections (the fastest delivery rate seen, not necessarily the link rate); give --rtt and --bandwidth for the path you care about.",
    );
  }

  // ------------------------------------------------------------------ buffers from the BDP
  let bdp: TuningPlan["bdp"];
  if (rttMs !== undefined && bandwidthBps !== undefined) {
    const bytes = bdpBytes(bandwidthBps, rttMs);
    const needed = bufferMaxFor(bytes);
    const rmem = sysctlNums(host, "net.ipv4.tcp_rmem");
    const wmem = sysctlNums(host, "net.ipv4.tcp_wmem");
    const coreR = sysctlNums(host, "net.core.rmem_max")?.[0];
    const coreW = sysctlNums(host, "net.core.wmem_max")?.[0];
    const rMax = Math.max(rmem?.[2] ?? 0, needed);
    const wMax = Math.max(wmem?.[2] ?? 0, needed);
    bdp = { bytes, bufferMax: needed };
    if (rmem?.[2] !== undefined) {
      bdp.currentRmemMax = rmem[2];
      bdp.currentCapBps = windowLimitedRate(rmem[2] / 2, rttMs);
    }
    if (wmem?.[2] !== undefined) bdp.currentWmemMax = wmem[2];
    const why = `BDP ${formatRate(bandwidthBps)} x ${rttMs} ms = ${formatBytes(bytes)}; the buffer maximum needs about twice that (window + overhead, retransmission queue)`;
    propose(
      "net.ipv4.tcp_rmem",
      `${rmem?.[0] ?? 4096} ${rmem?.[1] ?? 131072} ${rMax}`,
      `${why}. Only the maximum changes; autotuning grows buffers up to it per connection.`,
    );
    propose("net.ipv4.tcp_wmem", `${wmem?.[0] ?? 4096} ${wmem?.[1] ?? 16384} ${wMax}`, why);
    propose(
      "net.core.rmem_max",
      String(Math.max(coreR ?? 0, rMax)),
      "ceiling for applications that set SO_RCVBUF themselves; keep it at the TCP maximum",
    );
    propose(
      "net.core.wmem_max",
      String(Math.max(coreW ?? 0, wMax)),
      "ceiling for applications that set SO_SNDBUF themselves; keep it at the TCP maximum",
    );
    notes.push(
      "Applications that fix SO_RCVBUF/SO_SNDBUF disable autotuning for their sockets: remove those settings so the new maxima apply.",
    );
  } else {
    notes.push("No RTT and bandwidth: buffer sizes not planned (give --rtt and --bandwidth).");
  }

  // ------------------------------------------------------------------ keepalive
  const idleTimeoutSec = input.idleTimeoutSec ?? 240;
  const ka = sysctlNums.bind(null, host);
  const current: KeepaliveTimers = {
    time: ka("net.ipv4.tcp_keepalive_time")?.[0] ?? DEFAULT_KEEPALIVE.time,
    intvl: ka("net.ipv4.tcp_keepalive_intvl")?.[0] ?? DEFAULT_KEEPALIVE.intvl,
    probes: ka("net.ipv4.tcp_keepalive_probes")?.[0] ?? DEFAULT_KEEPALIVE.probes,
  };
  const currentDetection = keepaliveDetectionSeconds(current);
  const proposedKa = currentDetection > idleTimeoutSec ? keepaliveFor(idleTimeoutSec) : current;
  const keepalive = {
    current: { ...current, detectionSec: currentDetection },
    proposed: { ...proposedKa, detectionSec: keepaliveDetectionSeconds(proposedKa) },
    idleTimeoutSec,
  };
  if (proposedKa !== current) {
    const why = `detect a dead peer in ${formatSeconds(keepalive.proposed.detectionSec)} instead of ${formatSeconds(currentDetection)}, within the ${formatSeconds(idleTimeoutSec)} idle timeout of middleboxes`;
    propose(
      "net.ipv4.tcp_keepalive_time",
      String(proposedKa.time),
      `first probe after ${formatSeconds(proposedKa.time)} idle: ${why}`,
    );
    propose("net.ipv4.tcp_keepalive_intvl", String(proposedKa.intvl), why);
    propose("net.ipv4.tcp_keepalive_probes", String(proposedKa.probes), why);
    notes.push(
      "Keepalive sysctls are defaults for sockets that enable SO_KEEPALIVE; enable it in the application or client library (or set TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT per socket).",
    );
  }

  // ------------------------------------------------------------------ ephemeral ports
  let ports: TuningPlan["ports"];
  const range = sysctlNums(host, "net.ipv4.ip_local_port_range");
  if (CLIENT_SIDE.has(profile) && range && range.length >= 2) {
    const [low, high] = range as [number, number];
    const size = portRangeSize(low, high);
    ports = { range: [low, high], size, capacityPerSec: connectionsPerSecondCapacity(size) };
    let rate = input.connectionRate;
    if (rate === undefined && host) {
      const busiest = timeWaitGroups(host).filter((g) => g.side === "client")[0];
      if (busiest) {
        rate = busiest.rate;
        ports.busiestDestination = busiest.service;
      }
    }
    if (rate !== undefined) {
      ports.ratePerSec = rate;
      ports.timeWaitAtRate = timeWaitAtRate(rate);
      if (ports.timeWaitAtRate > size / 2) {
        const wide = portRangeSize(1024, 65535);
        propose(
          "net.ipv4.ip_local_port_range",
          "1024 65535",
          `${rate.toFixed(1)} new connections/s to one destination keep ${Math.round(ports.timeWaitAtRate)} ports in TIME-WAIT (${TIME_WAIT_SECONDS} s each); ${size} ports sustain ${ports.capacityPerSec.toFixed(0)}/s, ${wide} ports ${connectionsPerSecondCapacity(wide).toFixed(0)}/s`,
        );
        propose(
          "net.ipv4.tcp_tw_reuse",
          "1",
          "lets connect() reuse a TIME-WAIT port towards the same destination when timestamps make it safe",
        );
        notes.push(
          "Reserve ports of local services inside the wider range with net.ipv4.ip_local_reserved_ports; better still, reuse connections (keep-alive / pooling) so the rate drops.",
        );
      }
    }
  }

  // ------------------------------------------------------------------ backlogs and SYN floods
  const listeners = (host?.sockets ?? [])
    .filter((s) => s.state === "LISTEN")
    .map((s) => ({
      listener: s.localIp.includes(":") ? `[${s.localIp}]:${s.localPort}` : `${s.localIp}:${s.localPort}`,
      backlog: s.sendQ,
      ...(s.processes?.[0] ? { process: `${s.processes[0].name}(pid ${s.processes[0].pid})` } : {}),
    }));
  const counters = host?.counterDeltas?.values ?? host?.counters ?? {};
  const overflows = counters.TcpExtListenOverflows;
  const somaxconn = sysctlNums(host, "net.core.somaxconn")?.[0];
  const synBacklog = sysctlNums(host, "net.ipv4.tcp_max_syn_backlog")?.[0];
  const backlog: TuningPlan["backlog"] = {
    listeners,
    ...(somaxconn !== undefined ? { somaxconn } : {}),
    ...(synBacklog !== undefined ? { synBacklog } : {}),
  };
  if (overflows !== undefined) backlog.overflows = overflows;
  if (SERVER_SIDE.has(profile)) {
    const want = (overflows ?? 0) > 0 ? Math.max(8192, (somaxconn ?? 4096) * 2) : 4096;
    const newMax = Math.max(somaxconn ?? 0, want);
    const newSyn = Math.max(synBacklog ?? 0, newMax);
    const why = `a listener's accept queue is min(listen() backlog, somaxconn) and its SYN queue also stops at tcp_max_syn_backlog without cookies: raise them together${(overflows ?? 0) > 0 ? ` (ListenOverflows ${overflows})` : ""}`;
    propose("net.core.somaxconn", String(newMax), why);
    propose("net.ipv4.tcp_max_syn_backlog", String(newSyn), why);
    const small = listeners.filter((l) => l.backlog > 0 && l.backlog < 128);
    if (small.length) {
      notes.push(
        `These services call listen() with a small backlog; raise it in their configuration (e.g. listen(fd, 4096), nginx 'listen ... backlog=4096'), somaxconn alone does not: ${small
          .slice(0, 5)
          .map((l) => `${l.listener} backlog ${l.backlog}${l.process ? ` ${l.process}` : ""}`)
          .join(", ")}.`,
      );
    }
    propose(
      "net.ipv4.tcp_syncookies",
      "1",
      "SYN cookies keep a listener answering legitimate clients when its SYN queue is full (flood or burst)",
    );
    const flooded = (counters.TcpExtSyncookiesSent ?? 0) > 0;
    if (profile === "server" || profile === "web" || flooded) {
      propose(
        "net.ipv4.tcp_synack_retries",
        "2",
        `half-open entries of clients that never answer expire after about 7 s instead of about 63 s${flooded ? ` (SYN cookies were sent ${counters.TcpExtSyncookiesSent} times)` : ""}`,
      );
    }
  }

  // ------------------------------------------------------------------ congestion control
  const ccNow = sysctl(host, "net.ipv4.tcp_congestion_control");
  const available = sysctl(host, "net.ipv4.tcp_available_congestion_control")?.split(" ");
  let cc: TuningPlan["congestionControl"];
  const lossy = lossRatio !== undefined && lossRatio >= 0.001;
  const longPath = rttMs !== undefined && rttMs >= 30;
  if (longPath || lossy) {
    const why = `${longPath ? `long path (${rttMs} ms)` : ""}${longPath && lossy ? " with " : ""}${lossy ? `loss ${((lossRatio ?? 0) * 100).toFixed(2)}%` : ""}: BBR paces at the measured bottleneck rate and does not halve its window on random loss, where CUBIC stays far below the link rate`;
    cc = { ...(ccNow ? { current: ccNow } : {}), proposed: "bbr", reason: why };
    propose("net.ipv4.tcp_congestion_control", "bbr", why);
    propose(
      "net.core.default_qdisc",
      "fq",
      "fair queueing paces every flow and is what BBR was designed with",
    );
    if (!available?.includes("bbr")) {
      notes.push("Load BBR first: modprobe tcp_bbr; echo tcp_bbr > /etc/modules-load.d/bbr.conf");
    }
  } else if (rttMs !== undefined && rttMs < 5 && (lossRatio ?? 0) < 0.0001) {
    const why = `short clean path (${rttMs} ms, no loss): CUBIC is the well-understood default and shares fairly between many flows`;
    cc = { ...(ccNow ? { current: ccNow } : {}), proposed: "cubic", reason: why };
    propose("net.ipv4.tcp_congestion_control", "cubic", why);
  } else {
    cc = {
      ...(ccNow ? { current: ccNow } : {}),
      proposed: ccNow ?? "cubic",
      reason: "no long or lossy path in evidence: keep the current congestion control",
    };
  }
  if (available) cc.available = available;

  return {
    profile,
    path: {
      ...(rttMs !== undefined ? { rttMs } : {}),
      ...(bandwidthBps !== undefined ? { bandwidthBps } : {}),
      ...(lossRatio !== undefined ? { lossRatio } : {}),
      source,
    },
    ...(bdp ? { bdp } : {}),
    keepalive,
    ...(ports ? { ports } : {}),
    backlog,
    congestionControl: cc,
    recommendations: recs,
    notes,
    sysctlFile: sysctlFileText(recs, { rttMs, bandwidthBps, bdp: bdp?.bytes }),
  };
}

/** The /etc/sysctl.d/ file holding the changed settings, each with its reason as a comment. */
function sysctlFileText(
  recs: Recommendation[],
  path: { rttMs?: number; bandwidthBps?: number; bdp?: number },
): string {
  const lines = [
    "# /etc/sysctl.d/90-tcpdoctor.conf, written by `tcpdoctor tune` (nothing was applied).",
    "# Review, copy into place, then: sysctl --system",
  ];
  if (path.bdp !== undefined && path.rttMs !== undefined && path.bandwidthBps !== undefined) {
    lines.push(
      `# Path: ${formatRate(path.bandwidthBps)}, RTT ${path.rttMs} ms, BDP ${formatBytes(path.bdp)}.`,
    );
  }
  const changes = recs.filter((r) => r.change);
  if (changes.length === 0) lines.push("# Nothing to change: the current settings already match the plan.");
  for (const r of changes) {
    lines.push(
      "",
      `# ${r.reason}${r.current !== undefined ? ` (was: ${r.current})` : ""}`,
      `${r.sysctl} = ${r.proposed}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
