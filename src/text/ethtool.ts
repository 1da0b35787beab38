// `ethtool -S IFACE`: NIC driver statistics. The counters that speak of errors, drops, misses and
// overruns are kept (zeros too: "no errors" is evidence); packet totals fill the common fields.
import type { InterfaceStats } from "../host/types.js";
import { commandOf, NO_PATH, sourceRef, splitLines, Warnings } from "./common.js";

export interface EthtoolResult {
  interface: InterfaceStats;
  warnings: string[];
}

export interface EthtoolOptions {
  /** Interface name when the text does not carry the command line (ethtool -S prints no name). */
  iface?: string;
}

/** Counter names that describe trouble rather than volume. */
const TROUBLE =
  /err|drop|miss|discard|fifo|crc|overrun|over_|_over|timeout|fail|bad|lost|collision|no_buf|nobuf|alloc_fail|busy|reset|jabber|undersize|oversize|fragment|align|symbol|carrier|congest|pause|stall|full/i;

/** The interface an `ethtool -S` file is about, from a name like "ethtool-S-eth0". */
function ifaceFromName(path: string): string | undefined {
  const m = /ethtool[-_ ]+S[-_ ]+([A-Za-z0-9_.@-]+?)(?:\.[a-z]+)?$/.exec(path);
  return m ? m[1] : undefined;
}

/** Parses `ethtool -S` output. Never throws. */
export function parseEthtoolStats(
  text: string,
  path: string = NO_PATH,
  opts: EthtoolOptions = {},
): EthtoolResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  let name = opts.iface;
  const iface: InterfaceStats = { name: "" };
  const counters: Record<string, number> = {};
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      const m = /^ethtool\s+(?:-S|--statistics)\s+(\S+)/.exec(cmd);
      if (m && !name) name = m[1];
      continue;
    }
    if (/^(NIC|PHY) statistics:$/.test(t)) {
      iface.source = iface.source ?? sourceRef(path, i + 1, raw);
      continue;
    }
    const kv = /^([^:]+):\s*(-?\d+)$/.exec(t);
    if (!kv) {
      warnings.line(i + 1, raw, "not an ethtool -S line");
      continue;
    }
    const key = kv[1].trim();
    const v = Number(kv[2]);
    if (key === "rx_packets") iface.rxPackets = v;
    else if (key === "tx_packets") iface.txPackets = v;
    else if (key === "rx_errors") iface.rxErrors = v;
    else if (key === "tx_errors") iface.txErrors = v;
    else if (key === "rx_dropped") iface.rxDropped = v;
    else if (key === "tx_dropped") iface.txDropped = v;
    if (TROUBLE.test(key)) counters[key] = v;
  }
  iface.name = name ?? ifaceFromName(path) ?? "unknown";
  if (iface.name === "unknown") warnings.add(`${path}: ethtool -S output does not name its interface`);
  if (Object.keys(counters).length) iface.nicCounters = counters;
  return { interface: iface, warnings: warnings.result() };
}
