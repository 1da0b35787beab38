// Which command printed a text, from its content alone (file names lie: ss output saved as
// netstat.txt, a paste into stdin), and the dispatch from a detected kind to its parser. A paste
// holding several outputs after their "$ command" lines is split and each part read on its own.
import { counterDeltas, mergeSnapshots } from "../host/merge.js";
import type { HostSnapshot, SocketState, SourceRef } from "../host/types.js";
import {
  baseName,
  captureCommandOf,
  commandOf,
  emptySnapshot,
  looksBinaryText,
  socketState,
  sourceRef,
  splitLines,
  toInt,
} from "./common.js";
import { parseConntrack } from "./conntrack.js";
import { parseEthtoolStats } from "./ethtool.js";
import { parseIptables, parseNftRuleset } from "./firewall.js";
import { parseIpLink, parseIpRoute } from "./iproute.js";
import { classifyKernelMessage, hasLogPrefix, kernelMessage, parseKernLog } from "./kernlog.js";
import { parseLimits, pidFromName } from "./limits.js";
import { parseNetstatSockets, parseNetstatStats } from "./netstat.js";
import { parseNstat } from "./nstat.js";
import { parsePing, parseTracepath } from "./ping.js";
import { parseProcNetCounters, parseProcNetTcp, parseSockstat } from "./procnet.js";
import { parseSs, stateFromName } from "./ss.js";
import { parseSysctl, sysctlName } from "./sysctl.js";
import { parseTcQdisc } from "./tc.js";
import { looksLikeTcpdump } from "./tcpdump.js";

/** Kinds of text this module tells apart (detectText returns one of these). */
export const TEXT_KINDS = [
  "ss",
  "netstat-sockets",
  "netstat-stats",
  "nstat",
  "proc-net-snmp",
  "proc-net-netstat",
  "proc-net-snmp6",
  "proc-net-sockstat",
  "proc-net-tcp",
  "sysctl",
  "conntrack",
  "proc-limits",
  "ulimit",
  "fd-list",
  "kernel-log",
  "ip-route-get",
  "ip-route",
  "ip-link",
  "ip-addr",
  "ethtool-stats",
  "ping",
  "tracepath",
  "tc-qdisc",
  "nft-ruleset",
  "iptables",
  "manifest",
  "tcpdump",
  "value",
  "fd-count",
  "socket-count",
  "mixed",
  "unknown",
] as const;

export type TextKind = (typeof TEXT_KINDS)[number];

/** Lines looked at for detection: enough for any header, bounded for multi-megabyte inputs. */
const SAMPLE_LINES = 300;

const SS_SOCKET =
  /^(?:(?:tcp|mptcp|udp|raw|u_str|u_dgr|u_seq|nl|p_raw|p_dgr)\s+)?(?:(?:ESTAB|SYN-SENT|SYN-RECV|FIN-WAIT-[12]|TIME-WAIT|UNCONN|CLOSE-WAIT|LAST-ACK|LISTEN|CLOSING|NEW-SYN-RECV)\s+)?\d+\s+\d+\s+(?:\[[^\]]+\]|[^\s[]+):(?:\d+|\*|[a-z-]+)\s+(?:\[[^\]]+\]|[^\s[]+):(?:\d+|\*|[a-z-]+)(?:\s|$)/;
const SS_CONT =
  /^\s+(?:skmem:\(|(?:ts |sack |ecn )*(?:cubic|bbr\d?|reno|dctcp|vegas|htcp|westwood)\b|.*\b(?:rto|rtt|mss|cwnd):)/;
const NETSTAT_SOCKET =
  /^tcp[46]?\s+\d+\s+\d+\s+\S+[:.](?:\d+|\*)\s+\S+[:.](?:\d+|\*)\s+(?:ESTABLISHED|SYN_SENT|SYN_RECV|SYN_RCVD|FIN_WAIT_?[12]|TIME_WAIT|CLOSED?|CLOSE_WAIT|LAST_ACK|LISTEN|CLOSING)\b/;
const NSTAT_LINE =
  /^(?:Ip|Icmp|IcmpMsg|Tcp|Udp|UdpLite|TcpExt|IpExt|MPTcpExt|Ip6|Icmp6|Udp6|UdpLite6|Sctp|Xfrm|TcpExt6)[A-Z][A-Za-z0-9_]*\s+-?\d+(?:\s+-?\d+(?:\.\d+)?)?\s*$/;
const SNMP6_LINE = /^(?:Ip6|Icmp6|Udp6|UdpLite6)[A-Z][A-Za-z0-9_]*\s+-?\d+\s*$/;
const SNMP_HEADER = /^(Ip|Icmp|IcmpMsg|Tcp|Udp|UdpLite|TcpExt|IpExt|MPTcpExt):(?:\s+[A-Z][A-Za-z0-9]*)+\s*$/;
const SYSCTL_LINE =
  /^(?:net|fs|kernel|vm|user|abi|dev|debug|crypto)[./][\w./-]+\s*=\s*.*$|^\/proc\/sys\/[^:\s]+:.*$/;
const CONNTRACK_ENTRY =
  /^(?:ipv[46]\s+\d+\s+)?(?:tcp|udp|udplite|icmp|icmpv6|sctp|dccp|gre|unknown)\s+\d+\s+.*\bsrc=/;
const ROUTE_LINE =
  /^(?:(?:local|broadcast|unreachable|prohibit|blackhole|throw|multicast|unicast|anycast)\s+)?(?:default|[\d.]+(?:\/\d+)?|[0-9a-f:]*:[0-9a-f:]*(?:\/\d+)?)\s+(?:from \S+ )?(?:via|dev|proto|table|metric|scope)\s/;
const IP_LINK_HEAD = /^\d+:\s+\S+:\s+<[A-Z0-9_,-]*>\s+mtu\s+\d+/;

export interface Detection {
  kind: string;
  /** 0..1: how sure (share of lines that fit, or 0.99 for an unmistakable header). */
  confidence: number;
}

function contentLines(text: string, limit = SAMPLE_LINES): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length && out.length < limit) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + 4000)).replace(/\r$/, "");
    start = end + 1;
    if (line.trim() === "" || commandOf(line) !== undefined) continue;
    out.push(line);
  }
  return out;
}

function share(lines: string[], re: RegExp): number {
  if (!lines.length) return 0;
  let n = 0;
  for (const l of lines) if (re.test(l)) n++;
  return n / lines.length;
}

function some(lines: string[], re: RegExp): boolean {
  return lines.some((l) => re.test(l));
}

function jsonKind(text: string): Detection | undefined {
  const t = text.trim();
  if (!t.startsWith("{")) return undefined;
  try {
    const doc = JSON.parse(t) as Record<string, unknown>;
    if (typeof doc !== "object" || doc === null) return undefined;
    if (typeof doc.kernel === "object" && doc.kernel !== null) return { kind: "nstat", confidence: 0.95 };
    if ("hostname" in doc || "tcpdoctor" in doc || "tcpdoctorVersion" in doc || "kernel" in doc) {
      return { kind: "manifest", confidence: 0.9 };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Names the command output a text is, from its content only. Binary data, garbage and empty
 * input give { kind: "unknown", confidence: 0 }.
 */
export function detectText(text: string): Detection {
  if (text.trim() === "" || looksBinaryText(text)) return { kind: "unknown", confidence: 0 };
  const json = jsonKind(text);
  if (json) return json;
  const lines = contentLines(text);
  if (!lines.length) return { kind: "unknown", confidence: 0 };
  const trimmed = lines.map((l) => l.trim());

  // unmistakable headers first
  if (some(trimmed, /^(?:Netid\s+)?(?:State\s+)?Recv-Q\s+Send-Q\s+Local Address:Port/))
    return { kind: "ss", confidence: 0.99 };
  if (some(trimmed, /^TCP:\s+\d+\s+\(estab \d+/)) return { kind: "ss", confidence: 0.95 };
  if (
    some(trimmed, /^Active Internet connections|^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address/)
  ) {
    return { kind: "netstat-sockets", confidence: 0.99 };
  }
  if (some(trimmed, /^\s*sl\s+local_address\s+rem(?:ote)?_address\s+st\s/))
    return { kind: "proc-net-tcp", confidence: 0.99 };
  if (some(trimmed, /^#\s?kernel$/)) return { kind: "nstat", confidence: 0.99 };
  if (some(trimmed, /^Limit\s+Soft Limit\s+Hard Limit/)) return { kind: "proc-limits", confidence: 0.99 };
  if (some(trimmed, /^(?:NIC|PHY) statistics:$/)) return { kind: "ethtool-stats", confidence: 0.99 };
  if (some(trimmed, /^table (?:ip|ip6|inet|arp|bridge|netdev) \S+ \{$/))
    return { kind: "nft-ruleset", confidence: 0.99 };
  if (
    some(trimmed, /^Chain \S+ \((?:policy \w+|\d+ references)/) ||
    some(trimmed, /^\*(?:filter|nat|mangle|raw)$/)
  ) {
    return { kind: "iptables", confidence: 0.95 };
  }
  if (
    some(trimmed, /^qdisc \S+ [0-9a-f]*:[0-9a-f]* /) &&
    some(trimmed, /^(?:Sent \d+ bytes|backlog )|\bdev \S+/)
  ) {
    return { kind: "tc-qdisc", confidence: 0.95 };
  }
  if (some(trimmed, /^PING \S+/) || some(trimmed, /^--- \S+ ping statistics ---$/))
    return { kind: "ping", confidence: 0.95 };
  if (some(trimmed, /^\d+\??:\s+\[LOCALHOST\]/) || some(trimmed, /^Resume: pmtu \d+/))
    return { kind: "tracepath", confidence: 0.95 };
  if (
    some(trimmed, /^sockets: used \d+$/) ||
    share(trimmed, /^(?:TCP6?|UDP6?|UDPLITE6?|RAW6?|FRAG6?|sockets):\s+\w+ \d+/) > 0.6
  ) {
    return { kind: "proc-net-sockstat", confidence: 0.95 };
  }
  if (
    some(trimmed, /^conntrack v[\d.]+ \(conntrack-tools\)/) ||
    some(trimmed, /^cpu=\d+\s+(?:found|entries|searched)=/)
  ) {
    return { kind: "conntrack", confidence: 0.95 };
  }
  if (some(trimmed, /^entries\s+(?:clashres\s+)?(?:searched\s+)?found\s+new\s+invalid/))
    return { kind: "conntrack", confidence: 0.95 };
  if (some(trimmed, /^open files\s+\((?:[a-z]+, )?-n\)\s+\S+$/)) return { kind: "ulimit", confidence: 0.9 };

  // netstat -s: "Tcp:" section headers followed by indented sentences
  if (some(lines, /^(?:Ip|Tcp|TcpExt|Udp|Icmp):\s*$/) && share(lines, /^(?:\s+\S|[A-Za-z0-9]+:\s*$)/) > 0.8) {
    return { kind: "netstat-stats", confidence: 0.95 };
  }
  if (some(trimmed, SNMP_HEADER)) {
    const ext = some(trimmed, /^(?:TcpExt|IpExt|MPTcpExt):\s+[A-Z]/);
    const base = some(trimmed, /^(?:Ip|Tcp|Udp|Icmp):\s+[A-Z]/);
    return { kind: ext && !base ? "proc-net-netstat" : "proc-net-snmp", confidence: 0.95 };
  }
  if (some(trimmed, IP_LINK_HEAD)) {
    const addr = some(trimmed, /^inet6?\s+\S+\//);
    const stats = some(trimmed, /^RX:?\s+bytes/);
    return { kind: addr && !stats ? "ip-addr" : "ip-link", confidence: 0.95 };
  }

  if (looksLikeTcpdump(lines.join("\n"))) return { kind: "tcpdump", confidence: 0.9 };

  // line-shape majorities
  const scores: [string, number][] = [
    ["ss", share(lines, SS_SOCKET) + share(lines, SS_CONT)],
    ["netstat-sockets", share(trimmed, NETSTAT_SOCKET)],
    ["proc-net-snmp6", share(trimmed, SNMP6_LINE)],
    ["nstat", share(trimmed, NSTAT_LINE)],
    ["sysctl", share(trimmed, SYSCTL_LINE)],
    ["conntrack", share(trimmed, CONNTRACK_ENTRY)],
    ["ip-route", share(lines, ROUTE_LINE) + share(lines, /^\s+(?:cache|nexthop)\b/)],
    ["fd-list", share(trimmed, /^[l-][rwx-]{9}\S*\s+\d+\s+.*\s\d+ -> \S|^total \d+$/)],
    ["ip-link", share(trimmed, /^\S+\s+(?:UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT)\s+\S/)],
    ["kernel-log", kernelLogShare(lines)],
  ];
  scores.sort((a, b) => b[1] - a[1]);
  const [bestKind, bestScore] = scores[0];
  if (bestScore >= 0.6) {
    let kind = bestKind;
    // nstat and snmp6 share the line shape; snmp6 when every name is IPv6 and there is no rate column
    if (kind === "nstat" && share(trimmed, SNMP6_LINE) >= bestScore) kind = "proc-net-snmp6";
    if (kind === "ip-route" && isRouteGet(lines)) kind = "ip-route-get";
    return { kind, confidence: Math.min(0.9, bestScore) };
  }
  // a bare value: `cat /proc/sys/...`, `conntrack -C`, `ulimit -n`, an fd count
  if (
    trimmed.length === 1 &&
    trimmed[0].length <= 200 &&
    /^(?:-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?)*|[\w.:/-]+)$/.test(trimmed[0])
  ) {
    return { kind: "value", confidence: 0.5 };
  }
  if (kernelLogMatches(lines) > 0) return { kind: "kernel-log", confidence: 0.5 };
  return { kind: "unknown", confidence: 0 };
}

/**
 * `ip route get` vs a routing table: the answer names a uid or has a "cache" line; otherwise a
 * single route to a host address (no prefix length, not "default") is taken as an answer too.
 */
function isRouteGet(lines: string[]): boolean {
  if (lines.some((l) => /\buid \d+/.test(l) || /^\s+cache\b/.test(l))) return true;
  const routes = lines.filter((l) => !/^\s/.test(l));
  const dst =
    routes[0]
      ?.trim()
      .replace(/^(local|broadcast|unreachable|prohibit|blackhole|multicast)\s+/, "")
      .split(/\s+/)[0] ?? "";
  return routes.length === 1 && dst !== "default" && !dst.includes("/");
}

function kernelLogShare(lines: string[]): number {
  let n = 0;
  for (const l of lines) if (hasLogPrefix(l)) n++;
  return lines.length ? n / lines.length : 0;
}

function kernelLogMatches(lines: string[]): number {
  let n = 0;
  for (const l of lines) if (classifyKernelMessage(kernelMessage(l))) n++;
  return n;
}

export interface ParsedHostText {
  snapshot: HostSnapshot;
  kind: string;
  warnings: string[];
}

export interface ParseHostOptions {
  /**
   * What the input is called (a file name such as "proc-sys-net-ipv4-tcp_syncookies" or
   * "nstat-delta"): used only where content cannot tell, i.e. to name a bare value, the state of
   * an ss table printed without a State column, or nstat's absolute vs delta reading. Defaults to
   * the base name of `path`.
   */
  nameHint?: string;
}

/** Kind implied by a pasted command line, for parts whose content is too short to tell. */
function kindOfCommand(cmd: string): TextKind | undefined {
  if (/\|\s*(wc|awk|cut|sort|uniq)\b/.test(cmd)) return undefined;
  if (/^ss\b/.test(cmd)) return "ss";
  if (/^netstat\b.*\s-\w*s/.test(cmd)) return "netstat-stats";
  if (/^netstat\b/.test(cmd)) return "netstat-sockets";
  if (/^nstat\b/.test(cmd)) return "nstat";
  if (/^cat\s+\/proc\/sys\//.test(cmd) || /^sysctl\b/.test(cmd)) return "sysctl";
  if (/^cat\s+\/proc\/net\/(snmp|netstat)\b/.test(cmd)) return "proc-net-snmp";
  if (/^cat\s+\/proc\/net\/sockstat/.test(cmd)) return "proc-net-sockstat";
  if (/^cat\s+\/proc\/net\/tcp/.test(cmd)) return "proc-net-tcp";
  if (/^cat\s+\/proc\/sys\/net\/netfilter\/nf_conntrack_(count|max)/.test(cmd) || /^conntrack\b/.test(cmd)) {
    return "conntrack";
  }
  if (/^cat\s+\/proc\/\d+\/limits/.test(cmd)) return "proc-limits";
  if (/^ulimit\b/.test(cmd)) return "ulimit";
  if (/^ls\b.*\/fd\b/.test(cmd)) return "fd-list";
  if (/^(dmesg|journalctl)\b/.test(cmd)) return "kernel-log";
  if (/^ip\s+(?:-\S+\s+)*r\w*\s+g\w*\s/.test(cmd)) return "ip-route-get";
  if (/^ip\s+(?:-\S+\s+)*r\w*\b/.test(cmd)) return "ip-route";
  if (/^ip\s+(?:-\S+\s+)*(?:l\w*|a\w*)\b/.test(cmd)) return "ip-link";
  if (/^ethtool\s+-S\b/.test(cmd)) return "ethtool-stats";
  if (/^ping6?\b/.test(cmd)) return "ping";
  if (/^tracepath6?\b/.test(cmd)) return "tracepath";
  if (/^tc\b/.test(cmd)) return "tc-qdisc";
  if (/^nft\b/.test(cmd)) return "nft-ruleset";
  if (/^ip6?tables(-save)?\b/.test(cmd)) return "iptables";
  return undefined;
}

interface Part {
  kind: string;
  snapshot: HostSnapshot;
  warnings: string[];
}

/** Parses a text known to be of `kind` into a partial snapshot. */
function parseAs(kind: string, text: string, path: string, nameHint: string): Part {
  const snap = emptySnapshot(path, kind);
  const warnings: string[] = [];
  switch (kind) {
    case "ss": {
      const stateHint = stateFromName(nameHint);
      const r = parseSs(text, path, stateHint ? { stateHint } : {});
      if (r.table) {
        snap.sockets = r.sockets;
        snap.socketsHave = r.have;
      }
      if (r.summary) snap.summary = r.summary;
      warnings.push(...r.warnings);
      break;
    }
    case "netstat-sockets": {
      const r = parseNetstatSockets(text, path);
      snap.sockets = r.sockets;
      snap.socketsHave = r.have;
      warnings.push(...r.warnings);
      break;
    }
    case "netstat-stats": {
      const r = parseNetstatStats(text, path);
      snap.counters = r.counters;
      snap.counterSources = r.sources;
      warnings.push(...r.warnings);
      break;
    }
    case "nstat": {
      const r = parseNstat(text, path, { nameHint });
      const snaps = r.snapshots;
      if (r.mode === "delta") {
        const values: Record<string, number> = {};
        for (const s of snaps)
          for (const [k, v] of Object.entries(s.counters)) values[k] = (values[k] ?? 0) + v;
        snap.counterDeltas = { values, source: path };
      } else if (snaps.length) {
        snap.counters = snaps[snaps.length - 1].counters;
        snap.counterSources = r.sources;
        if (snaps.length > 1) {
          snap.counterDeltas = {
            ...counterDeltas(snaps[0].counters, snaps[snaps.length - 1].counters),
            source: path,
          };
        }
      }
      warnings.push(...r.warnings);
      break;
    }
    case "proc-net-snmp":
    case "proc-net-netstat":
    case "proc-net-snmp6": {
      const r = parseProcNetCounters(text, path);
      snap.counters = r.counters;
      snap.counterSources = r.sources;
      if (r.earlier) snap.counterDeltas = { ...counterDeltas(r.earlier, r.counters), source: path };
      warnings.push(...r.warnings);
      break;
    }
    case "proc-net-sockstat": {
      const r = parseSockstat(text, path);
      snap.sockstat = r.source ? { ...r.sockstat, source: r.source } : r.sockstat;
      warnings.push(...r.warnings);
      break;
    }
    case "proc-net-tcp": {
      const r = parseProcNetTcp(text, path);
      snap.sockets = r.sockets;
      snap.socketsHave = {
        processes: false,
        info: false,
        memory: false,
        timers: r.sockets.some((s) => s.timer),
      };
      warnings.push(...r.warnings);
      break;
    }
    case "sysctl": {
      const r = parseSysctl(text, path, { nameHint });
      snap.sysctls = r.sysctls;
      snap.sysctlSources = r.sources;
      if (r.unavailable.length) snap.unavailable = r.unavailable.map((k) => `sysctl ${k}`);
      const count = toInt(r.sysctls["net.netfilter.nf_conntrack_count"]);
      const max = toInt(r.sysctls["net.netfilter.nf_conntrack_max"] ?? r.sysctls["net.nf_conntrack_max"]);
      if (count !== undefined || max !== undefined) {
        snap.conntrack = {};
        if (count !== undefined) snap.conntrack.count = count;
        if (max !== undefined) snap.conntrack.max = max;
        const src =
          r.sources["net.netfilter.nf_conntrack_max"] ??
          r.sources["net.nf_conntrack_max"] ??
          r.sources["net.netfilter.nf_conntrack_count"];
        if (src) snap.conntrack.source = src;
      }
      warnings.push(...r.warnings);
      break;
    }
    case "conntrack": {
      const r = parseConntrack(text, path, /conntrack_max/.test(nameHint) ? { valueIs: "max" } : {});
      snap.conntrack = r.conntrack;
      warnings.push(...r.warnings);
      break;
    }
    case "proc-limits":
    case "ulimit":
    case "fd-list": {
      const pid = pidFromName(nameHint);
      const valueIs = kind === "ulimit" ? "ulimit" : kind === "fd-list" ? "fds" : undefined;
      const r = parseLimits(text, path, {
        ...(pid !== undefined ? { pid } : {}),
        ...(valueIs ? { valueIs } : {}),
      });
      if (r.processes.length) snap.processes = r.processes;
      if (r.ulimitNofile !== undefined) snap.ulimitNofile = r.ulimitNofile;
      warnings.push(...r.warnings);
      break;
    }
    case "kernel-log": {
      const r = parseKernLog(text, path);
      snap.kernelLog = r.lines;
      warnings.push(...r.warnings);
      break;
    }
    case "ip-route-get":
    case "ip-route": {
      const r = parseIpRoute(text, path);
      snap.routes = r.routes;
      warnings.push(...r.warnings);
      break;
    }
    case "ip-link":
    case "ip-addr": {
      const r = parseIpLink(text, path);
      snap.interfaces = r.interfaces;
      warnings.push(...r.warnings);
      break;
    }
    case "ethtool-stats": {
      const r = parseEthtoolStats(text, path, ethtoolIface(nameHint));
      snap.interfaces = [r.interface];
      warnings.push(...r.warnings);
      break;
    }
    case "ping": {
      const r = parsePing(text, path);
      if (r.pings.length) snap.pings = r.pings;
      if (r.pmtu.length) snap.pmtu = r.pmtu;
      warnings.push(...r.warnings);
      break;
    }
    case "tracepath": {
      const r = parseTracepath(text, path);
      if (r.pmtu.length) snap.pmtu = r.pmtu;
      warnings.push(...r.warnings);
      break;
    }
    case "tc-qdisc": {
      const r = parseTcQdisc(text, path);
      snap.qdiscs = r.qdiscs;
      warnings.push(...r.warnings);
      break;
    }
    case "nft-ruleset":
    case "iptables": {
      const r = kind === "nft-ruleset" ? parseNftRuleset(text, path) : parseIptables(text, path);
      snap.firewall = r.rules;
      warnings.push(...r.warnings);
      break;
    }
    case "manifest":
      readManifest(text, snap, warnings, path);
      break;
    case "tcpdump":
      warnings.push(`${path}: tcpdump text is a capture: analyse it as a capture input, not as host text`);
      break;
    case "value":
      return parseValue(text, path, nameHint);
    default:
      warnings.push(`${path}: not a known command output`);
  }
  return { kind, snapshot: snap, warnings };
}

function ethtoolIface(nameHint: string): { iface?: string } {
  const m = /ethtool[-_ ]+S[-_ ]+([A-Za-z0-9_.@-]+)$/.exec(nameHint);
  return m ? { iface: m[1] } : {};
}

/** A single bare value, named by the hint (a file name) when content cannot say what it is. */
function parseValue(text: string, path: string, nameHint: string): Part {
  const hint = nameHint.toLowerCase();
  if (/nf_conntrack_(count|max)|conntrack[-_ ]?c\b|conntrack-count/.test(hint)) {
    const r = parseConntrack(text, path, /max/.test(hint) ? { valueIs: "max" } : { valueIs: "count" });
    const snap = emptySnapshot(path, "conntrack");
    snap.conntrack = r.conntrack;
    return { kind: "conntrack", snapshot: snap, warnings: r.warnings };
  }
  if (/fd[-_ ]?count|open[-_ ]?fds|\bfds?\b|fd$|descriptors/.test(hint)) {
    const pid = pidFromName(hint);
    const r = parseLimits(text, path, { valueIs: "fds", ...(pid !== undefined ? { pid } : {}) });
    const snap = emptySnapshot(path, "fd-count");
    if (r.processes.length) snap.processes = r.processes;
    return { kind: "fd-count", snapshot: snap, warnings: r.warnings };
  }
  if (/ulimit|nofile/.test(hint)) {
    const r = parseLimits(text, path, { valueIs: "ulimit" });
    const snap = emptySnapshot(path, "ulimit");
    if (r.ulimitNofile !== undefined) snap.ulimitNofile = r.ulimitNofile;
    return { kind: "ulimit", snapshot: snap, warnings: r.warnings };
  }
  if (sysctlName(nameHint)) return parseAs("sysctl", text, path, nameHint);
  return {
    kind: "value",
    snapshot: emptySnapshot(path, "value"),
    warnings: [
      `${path}: a bare value with nothing saying what it is (name the file after the sysctl or counter)`,
    ],
  };
}

function readManifest(text: string, snap: HostSnapshot, warnings: string[], path: string): void {
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    if (typeof doc.hostname === "string") snap.hostname = doc.hostname;
    if (typeof doc.kernel === "string") snap.kernel = doc.kernel;
    if (typeof doc.time === "string") snap.time = doc.time;
  } catch (err) {
    warnings.push(
      `${path}: manifest is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/** `ls /proc/PID/fd | wc -l`: a process's open descriptors. */
const FD_COUNT = /^ls\b.*\/fd\b.*\|\s*wc\s+-l\b/;

/** A paste with several "$ command" lines → parts, each keeping its line numbers in the whole text. */
function splitSections(text: string): { text: string; command?: string }[] {
  const lines = splitLines(text);
  const starts: { at: number; command: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const cmd = commandOf(lines[i]);
    if (cmd !== undefined) starts.push({ at: i, command: cmd });
  }
  const hasLeading = starts.length > 0 && lines.slice(0, starts[0].at).some((l) => l.trim() !== "");
  if (starts.length === 0) return [{ text }];
  if (starts.length === 1 && !hasLeading) {
    // one command and its output: a count of sockets or descriptors is read by its command
    const command = starts[0].command;
    return countedState(command) || FD_COUNT.test(command) ? [{ text, command }] : [{ text }];
  }
  const out: { text: string; command?: string }[] = [];
  if (hasLeading) out.push({ text: lines.slice(0, starts[0].at).join("\n") });
  for (let k = 0; k < starts.length; k++) {
    const from = starts[k].at;
    const to = k + 1 < starts.length ? starts[k + 1].at : lines.length;
    // blank lines in front keep the line numbers of the whole paste
    out.push({ text: "\n".repeat(from) + lines.slice(from, to).join("\n"), command: starts[k].command });
  }
  return out;
}

/**
 * Detects what a text is and parses it into a partial host snapshot. Never throws: a text that
 * is empty, binary or not recognised gives kind "unknown" and a warning saying so.
 */
export function parseHostText(text: string, path: string, opts: ParseHostOptions = {}): ParsedHostText {
  const nameHint = opts.nameHint ?? baseName(path);
  if (text.trim() === "") {
    return { snapshot: emptySnapshot(path, "unknown"), kind: "unknown", warnings: [`${path}: empty input`] };
  }
  if (looksBinaryText(text)) {
    return {
      snapshot: emptySnapshot(path, "unknown"),
      kind: "unknown",
      warnings: [`${path}: binary data, not command output`],
    };
  }
  const sections = splitSections(text);
  const parts: Part[] = [];
  const warnings: string[] = [];
  for (const sec of sections) {
    const counted = sec.command ? socketCount(sec.command, sec.text, path) : undefined;
    if (counted) {
      parts.push(counted);
      warnings.push(...counted.warnings);
      continue;
    }
    if (sec.command && FD_COUNT.test(sec.command)) {
      const part = parseAs("fd-list", sec.text, path, nameHint);
      parts.push(part);
      warnings.push(...part.warnings);
      continue;
    }
    if (sec.command && (/\|\s*wc\b/.test(sec.command) || isGrepCount(sec.command))) {
      const at = splitLines(sec.text).findIndex((l) => commandOf(l) !== undefined);
      warnings.push(`${path}:${at + 1}: "${sec.command}" prints a count, not the output itself: skipped`);
      continue;
    }
    let kind = detectText(sec.text).kind;
    if ((kind === "unknown" || kind === "value") && sec.command) {
      const byCommand = kindOfCommand(sec.command);
      if (byCommand) kind = byCommand;
    }
    if (kind === "unknown") {
      if (sec.text.trim() !== "" && contentLines(sec.text, 1).length) {
        const first = splitLines(sec.text).findIndex((l) => l.trim() !== "" && commandOf(l) === undefined);
        warnings.push(
          sections.length > 1
            ? `${path}:${first + 1}: output${sec.command ? ` of "${sec.command}"` : ""} not recognised (ignored)`
            : `${path}: not a known command output`,
        );
      }
      continue;
    }
    const part = parseAs(kind, sec.text, path, nameHint);
    parts.push(part);
    warnings.push(...part.warnings);
  }
  if (!parts.length) return { snapshot: emptySnapshot(path, "unknown"), kind: "unknown", warnings };
  const kinds = [...new Set(parts.map((p) => p.kind))];
  const kind = kinds.length === 1 ? kinds[0] : "mixed";
  const snaps = parts.map((p) => p.snapshot);
  // mergeSnapshots does not know socket counts (stateCounts): they are carried over beside it
  const snapshot = snaps.length === 1 ? snaps[0] : withStateCounts(mergeSnapshots(snaps), snaps);
  snapshot.sources = [{ path, kind }];
  return { snapshot, kind, warnings };
}

// ---------------------------------------------------------------------------------------------
// Counts of sockets printed instead of the sockets: `ss -tan state close-wait | wc -l`

/** The stages of a shell pipeline, split on "|" outside quotes ("grep -E 'A|B'" stays one stage). */
function pipeStages(cmd: string): string[] {
  const out: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "|" && cmd[i + 1] !== "|") {
      out.push(cmd.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(cmd.slice(start).trim());
  return out;
}

/** Words of one stage, quotes removed ("grep -i 'close-wait'" → grep, -i, close-wait). */
function stageWords(stage: string): string[] {
  return (stage.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^(['"])(.*)\1$/, "$2"));
}

function isGrepCount(cmd: string): boolean {
  const last = stageWords(pipeStages(cmd).at(-1) ?? "");
  return /^[ef]?grep$/.test(last[0] ?? "") && last.some((w) => /^-[a-zA-Z]*c[a-zA-Z]*$|^--count$/.test(w));
}

/** State names as ss, netstat and their filters spell them, inside a grep or awk pattern. */
const STATE_WORDS =
  /(?<![\w-])(ESTAB(?:LISHED)?|SYN[-_]SENT|SYN[-_]RECV|SYN_RCVD|FIN[-_]WAIT[-_]?[12]|TIME[-_]WAIT|CLOSE[-_]WAIT|LAST[-_]ACK|LISTEN(?:ING)?|CLOSING|NEW[-_]SYN[-_]RECV)(?![\w-])/gi;

/** States that other socket kinds (unix, udp) print too: their counts need a TCP-only table. */
const SHARED_STATES = new Set<SocketState>(["ESTAB", "LISTEN", "CLOSE", "UNKNOWN"]);

/**
 * What a counting pipeline over a socket table counts: one TCP state, and whether the count
 * includes ss's header line. Undefined when it counts something else (all sockets, several
 * states, lines a `grep -v` left).
 */
export function countedState(cmd: string): { state: SocketState; header: boolean } | undefined {
  const stages = pipeStages(cmd);
  if (stages.length < 2) return undefined;
  const first = stageWords(stages[0]);
  const tool = first[0];
  if (tool !== "ss" && tool !== "netstat") return undefined;
  const last = stageWords(stages[stages.length - 1]);
  const wc = last[0] === "wc" && last.slice(1).some((w) => /^-[a-zA-Z]*l[a-zA-Z]*$|^--lines$/.test(w));
  if (!wc && !isGrepCount(cmd)) return undefined;
  if (first.includes("exclude")) return undefined;

  const states = new Set<SocketState>();
  for (let i = 1; i < first.length - 1; i++) {
    if (first[i] !== "state") continue;
    const st = socketState(first[i + 1] ?? "");
    if (!st) return undefined; // a group (connected, synchronized, all...): not one state
    states.add(st);
  }
  // grep/awk stages that keep lines naming a state (a `grep -v` only takes some away); those
  // drop ss's header line too
  let selecting = false;
  for (const stage of stages.slice(1, wc ? -1 : undefined)) {
    const words = stageWords(stage);
    if (!/^(?:[ef]?grep|awk)$/.test(words[0] ?? "")) return undefined;
    const inverted = words.some((w) => /^-[a-zA-Z]*v[a-zA-Z]*$|^--invert-match$/.test(w));
    if (words[0] !== "awk" && inverted) continue;
    const pattern = words.slice(1).join(" ");
    for (const m of pattern.matchAll(STATE_WORDS)) {
      const st = socketState(m[1] as string);
      if (st) {
        states.add(st);
        selecting = true;
      }
    }
    if (/\bNR\s*(?:>|>=\s*2|!=\s*1)/.test(pattern)) selecting = true; // awk 'NR>1' skips the header
  }
  if (states.size !== 1) return undefined;
  const state = [...states][0] as SocketState;
  const flags = first.slice(1);
  const tcpOnly =
    flags.some((w) => /^-[a-zA-Z]*t[a-zA-Z]*$/.test(w) || w === "--tcp") ||
    /(?:^|\s)(?:-A|--query=?|-p|--protocol=?)\s*tcp\b/.test(stages[0]);
  if (SHARED_STATES.has(state) && !tcpOnly) return undefined;
  const noHeader = flags.some((w) => /^-[a-zA-Z]*H[a-zA-Z]*$/.test(w) || w === "--no-header");
  // ss prints a header line that `wc -l` counts, unless a grep kept only the state's lines
  return { state, header: tool === "ss" && !noHeader && !selecting };
}

/** ss state-filter names of the states whose name differs from the state's own spelling. */
const SS_STATE_NAMES: Partial<Record<SocketState, string>> = {
  ESTAB: "established",
  LISTEN: "listening",
  CLOSE: "closed",
  "NEW-SYN-RECV": "syn-recv",
};

/** A section "$ <count pipeline>" then the number → a partial snapshot with that state's count. */
function socketCount(command: string, text: string, path: string): Part | undefined {
  const counted = countedState(command);
  if (!counted) return undefined;
  const lines = splitLines(text);
  const at = lines.findIndex((l) => commandOf(l) !== undefined);
  if (at < 0) return undefined;
  let valueAt = at + 1;
  while (valueAt < lines.length && lines[valueAt].trim() === "") valueAt++;
  const m = /^\s*(\d+)(?:\s+-)?\s*$/.exec(lines[valueAt] ?? "");
  if (!m) return undefined;
  const printed = Number(m[1]);
  const count = counted.header ? Math.max(0, printed - 1) : printed;
  const snap = emptySnapshot(path, "socket-count");
  snap.stateCounts = { [counted.state]: count };
  snap.stateCountSources = {
    [counted.state]: [sourceRef(path, at + 1, lines[at]), sourceRef(path, valueAt + 1, lines[valueAt])],
  };
  // said once: the count is read, but it is thinner evidence than the table it counts
  const name = SS_STATE_NAMES[counted.state] ?? counted.state.toLowerCase();
  const read = counted.header
    ? `${count} ${counted.state} sockets (ss's header line taken off)`
    : `${count} ${counted.state} sockets`;
  const warning = `${path}:${at + 1}: "${command}" printed ${printed}: read as ${read}, without addresses, owners or ages (\`ss -tanp state ${name}\` lists them)`;
  return { kind: "socket-count", snapshot: snap, warnings: [warning] };
}

/**
 * Puts the socket counts of `parts` on their merged snapshot: per state the largest (two counts
 * of one state may look at it through different filters; neither is a part of the other's sum).
 */
export function withStateCounts(merged: HostSnapshot, parts: HostSnapshot[]): HostSnapshot {
  for (const p of parts) {
    for (const [state, n] of Object.entries(p.stateCounts ?? {}) as [SocketState, number][]) {
      const seen = merged.stateCounts?.[state];
      if (seen !== undefined && seen >= n) continue;
      merged.stateCounts = { ...merged.stateCounts, [state]: n };
      const refs: SourceRef[] | undefined = p.stateCountSources?.[state];
      if (refs) merged.stateCountSources = { ...merged.stateCountSources, [state]: refs };
    }
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// Transcripts that mix a tcpdump trace with other command outputs

export interface TranscriptParts {
  /** The tcpdump sections, every other line blanked: line numbers stay those of the whole paste. */
  tcpdump: string;
  /** Everything else, the tcpdump sections blanked the same way. */
  host: string;
}

/**
 * A paste mixing a tcpdump trace with other outputs ("$ tcpdump ..." and its packets, then
 * "$ nstat -az" and counters) → the trace and the rest apart, each for its own parser. Undefined
 * when the text holds only one of the two, so plain traces and plain host texts keep their path.
 */
export function splitTranscript(text: string): TranscriptParts | undefined {
  // Command lines first, without splitting the text: a multi-megabyte trace usually has none.
  const starts: { line: number; command: string; capture: boolean }[] = [];
  let lineNo = 0;
  for (let from = 0; from < text.length;) {
    let end = text.indexOf("\n", from);
    if (end < 0) end = text.length;
    const line = text.slice(from, end);
    const host = commandOf(line);
    const capture = host === undefined ? captureCommandOf(line) : undefined;
    if (host !== undefined || capture !== undefined)
      starts.push({ line: lineNo, command: (host ?? capture) as string, capture: capture !== undefined });
    lineNo++;
    from = end + 1;
  }
  if (starts.length === 0) return undefined;
  const lines = text.split("\n");
  const sections: { from: number; to: number; trace: boolean; command: boolean }[] = [];
  const firstAt = starts[0]?.line ?? 0;
  if (firstAt > 0) sections.push({ from: 0, to: firstAt, trace: false, command: false });
  starts.forEach((s, k) => {
    const to = starts[k + 1]?.line ?? lines.length;
    sections.push({ from: s.line, to, trace: s.capture, command: true });
  });
  let traces = 0;
  let others = 0;
  for (const sec of sections) {
    const output = lines.slice(sec.command ? sec.from + 1 : sec.from, sec.to);
    // a command line alone says nothing either way
    if (!output.some((l) => l.trim() !== "")) continue;
    // a trace printed by another command (`cat trace.txt`) or pasted without its tcpdump line
    if (!sec.trace && detectText(output.slice(0, SAMPLE_LINES).join("\n")).kind === "tcpdump")
      sec.trace = true;
    if (sec.trace) traces++;
    else others++;
  }
  if (traces === 0 || others === 0) return undefined;
  const trace: string[] = new Array(lines.length).fill("");
  const rest: string[] = new Array(lines.length).fill("");
  for (const sec of sections) {
    const target = sec.trace ? trace : rest;
    for (let i = sec.from; i < sec.to; i++) target[i] = lines[i];
  }
  return { tcpdump: trace.join("\n"), host: rest.join("\n") };
}
