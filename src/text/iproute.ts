// iproute2 output: `ip route get ADDR` (device, source, gateway, cached path MTU), `ip route`
// tables, and `ip link` / `ip -s link` / `ip -s -s link` / `ip addr` / `ip -br` (per-interface
// MTU, state, addresses, error and drop counters).
import type { HostSnapshot, InterfaceStats } from "../host/types.js";
import { canonicalIp, commandOf, NO_PATH, sourceRef, splitLines, toInt, Warnings } from "./common.js";

type Route = NonNullable<HostSnapshot["routes"]>[number];

export interface IpRouteResult {
  routes: Route[];
  warnings: string[];
}

const ROUTE_TYPES = new Set([
  "local",
  "broadcast",
  "unreachable",
  "prohibit",
  "blackhole",
  "throw",
  "multicast",
  "unicast",
  "anycast",
  "nat",
]);
const ERROR_TYPES = new Set(["unreachable", "prohibit", "blackhole"]);

function readRouteAttrs(toks: string[], route: Route): void {
  for (let k = 0; k < toks.length; k++) {
    const key = toks[k];
    const val = toks[k + 1];
    switch (key) {
      case "via":
        if (val !== undefined) {
          // "via inet6 fe80::1" names the family first
          const v = val === "inet" || val === "inet6" ? toks[++k + 1] : val;
          if (v !== undefined) route.via = canonicalIp(v);
          k++;
        }
        break;
      case "dev":
        if (val !== undefined) route.dev = val;
        k++;
        break;
      case "src":
        if (val !== undefined) route.src = canonicalIp(val);
        k++;
        break;
      case "mtu": {
        const v = val === "lock" ? toks[++k + 1] : val;
        const n = toInt(v);
        if (n !== undefined) route.mtu = n;
        k++;
        break;
      }
      case "from":
      case "table":
      case "proto":
      case "scope":
      case "metric":
      case "uid":
      case "pref":
      case "advmss":
      case "expires":
      case "error":
      case "realms":
      case "tos":
      case "hoplimit":
      case "rtt":
      case "rttvar":
      case "window":
      case "cwnd":
      case "initcwnd":
      case "initrwnd":
      case "ipid":
      case "weight":
      case "iif":
      case "mark":
      case "tsval":
        k++;
        break;
      default:
        break;
    }
  }
}

/** Parses `ip route get` and `ip route` output. Never throws. */
export function parseIpRoute(text: string, path: string = NO_PATH): IpRouteResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const routes: Route[] = [];
  let last: Route | undefined;
  let askedFor: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      const get = /^ip\s+(?:-\S+\s+)*r(?:o(?:u(?:te?)?)?)?\s+g(?:et?)?\s+(?:to\s+)?(\S+)/.exec(cmd);
      askedFor = get ? canonicalIp(get[1]) : undefined;
      last = undefined;
      continue;
    }
    const rtnl = /^RTNETLINK answers: (.+)$/.exec(t);
    if (rtnl) {
      routes.push({ dst: askedFor ?? "?", error: rtnl[1].trim(), source: sourceRef(path, i + 1, raw) });
      last = undefined;
      continue;
    }
    if (/^\s/.test(raw) && last) {
      // "    cache expires 596sec mtu 1400", "    nexthop via 10.0.0.1 dev eth0 weight 1"
      const toks = t.split(/\s+/);
      if (toks[0] === "nexthop") {
        if (!last.via) readRouteAttrs(toks.slice(1), last);
      } else readRouteAttrs(toks, last);
      continue;
    }
    const toks = t.split(/\s+/);
    let k = 0;
    let type: string | undefined;
    if (ROUTE_TYPES.has(toks[0])) {
      type = toks[0];
      k++;
    }
    const dstTok = toks[k];
    const isDst =
      dstTok !== undefined &&
      (dstTok === "default" || /^[\d.]+(\/\d+)?$/.test(dstTok) || /^[0-9a-f:]+(\/\d+)?$/i.test(dstTok));
    if (!isDst || (!toks.includes("dev") && !toks.includes("via") && !type)) {
      warnings.line(i + 1, raw, "not an ip route line");
      last = undefined;
      continue;
    }
    const slash = dstTok.indexOf("/");
    const dst =
      dstTok === "default"
        ? "default"
        : slash >= 0
          ? `${canonicalIp(dstTok.slice(0, slash))}${dstTok.slice(slash)}`
          : canonicalIp(dstTok);
    const route: Route = { dst, source: sourceRef(path, i + 1, raw) };
    if (type && ERROR_TYPES.has(type)) route.error = type;
    readRouteAttrs(toks.slice(k + 1), route);
    routes.push(route);
    last = route;
  }
  return { routes, warnings: warnings.result() };
}

export interface IpLinkResult {
  interfaces: InterfaceStats[];
  warnings: string[];
}

const RX_FIELDS: Record<string, keyof InterfaceStats> = {
  packets: "rxPackets",
  errors: "rxErrors",
  dropped: "rxDropped",
};
const TX_FIELDS: Record<string, keyof InterfaceStats> = {
  packets: "txPackets",
  errors: "txErrors",
  dropped: "txDropped",
};
/** Columns that are volumes, not trouble: not copied into nicCounters. */
const VOLUME_COLUMNS = new Set(["bytes", "packets", "mcast", "errors", "dropped", "compressed", "otherhost"]);

/** Parses `ip link`, `ip -s link`, `ip -s -s link`, `ip addr` and their `-br` forms. Never throws. */
export function parseIpLink(text: string, path: string = NO_PATH): IpLinkResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const interfaces: InterfaceStats[] = [];
  let cur: InterfaceStats | undefined;
  let pendingHeader: { dir: "rx" | "tx"; extra: boolean; names: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || commandOf(raw) !== undefined) continue;
    const head = /^\d+:\s+([^:\s]+?)(?:@\S+?)?:\s+<([^>]*)>(.*)$/.exec(t);
    if (head && !/^\s/.test(raw)) {
      cur = { name: head[1], source: sourceRef(path, i + 1, raw) };
      const mtu = /\bmtu (\d+)/.exec(head[3]);
      if (mtu) cur.mtu = Number(mtu[1]);
      const state = /\bstate (\S+)/.exec(head[3]);
      if (state) cur.state = state[1];
      interfaces.push(cur);
      pendingHeader = undefined;
      continue;
    }
    const brief =
      /^(\S+?)(?:@\S+)?\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)\b\s*(.*)$/.exec(t);
    if (brief && !/^\s/.test(raw)) {
      const iface: InterfaceStats = { name: brief[1], state: brief[2], source: sourceRef(path, i + 1, raw) };
      const addrs = brief[3].split(/\s+/).filter((a) => a.includes("/") && /[\d:]/.test(a));
      if (addrs.length) iface.addresses = addrs.map(canonicalCidr);
      interfaces.push(iface);
      cur = undefined;
      continue;
    }
    if (!cur) {
      warnings.line(i + 1, raw, "not an ip link/addr line");
      continue;
    }
    const hdr = /^(RX|TX)( errors)?:\s+(.*)$/.exec(t);
    if (hdr && /[a-z]/.test(hdr[3])) {
      pendingHeader = {
        dir: hdr[1] === "RX" ? "rx" : "tx",
        extra: hdr[2] !== undefined,
        names: hdr[3].trim().split(/\s+/),
      };
      continue;
    }
    if (pendingHeader && /^-?\d+(\s+-?\d+)*$/.test(t)) {
      const vals = t.split(/\s+/).map(Number);
      const fields = pendingHeader.dir === "rx" ? RX_FIELDS : TX_FIELDS;
      pendingHeader.names.forEach((name, k) => {
        const v = vals[k];
        if (v === undefined || !cur) return;
        const f = pendingHeader?.extra || !Object.hasOwn(fields, name) ? undefined : fields[name];
        if (f) (cur as unknown as Record<string, number>)[f] = v;
        else if (!VOLUME_COLUMNS.has(name) || pendingHeader?.extra) {
          cur.nicCounters = cur.nicCounters ?? {};
          cur.nicCounters[`${pendingHeader?.dir}_${name}`] = v;
        }
      });
      pendingHeader = undefined;
      continue;
    }
    const inet = /^inet6?\s+(\S+)/.exec(t);
    if (inet) {
      cur.addresses = cur.addresses ?? [];
      cur.addresses.push(canonicalCidr(inet[1]));
      continue;
    }
    // link/ether, valid_lft, altname, vf lines and the like carry nothing we keep
    if (/^(link\/|valid_lft|altname|vf |prop|alias|netns|inet6? )/.test(t) || /^\s/.test(raw)) continue;
    warnings.line(i + 1, raw, "not an ip link/addr line");
  }
  return { interfaces, warnings: warnings.result() };
}

function canonicalCidr(s: string): string {
  const slash = s.indexOf("/");
  return slash >= 0 ? `${canonicalIp(s.slice(0, slash))}${s.slice(slash)}` : canonicalIp(s);
}
