// Kernel tunables as operators paste them: `sysctl -a` / `sysctl name` ("name = value"), sysctl.d
// files, `grep -r . /proc/sys/net` ("/proc/sys/net/ipv4/tcp_syncookies:1"), and bare values of
// `cat /proc/sys/...` or `sysctl -n`, named by the pasted command line or by a caller's hint.
import type { SourceRef } from "../host/types.js";
import { commandOf, NO_PATH, sourceRef, splitLines, Warnings } from "./common.js";

export interface SysctlResult {
  /** Dotted name → value with whitespace runs collapsed to one space ("32768 60999"). */
  sysctls: Record<string, string>;
  sources: Record<string, SourceRef>;
  /** Keys sysctl could not read ("cannot stat", "permission denied"). */
  unavailable: string[];
  warnings: string[];
}

export interface SysctlOptions {
  /**
   * Name of a bare value (`cat /proc/sys/net/ipv4/tcp_syncookies` saved alone): dotted, slashed,
   * a /proc/sys path, or a file-name spelling like "proc-sys-net-ipv4-tcp_syncookies".
   */
  nameHint?: string;
}

/** Directory of well-known tunables, for hints that give only the last component. */
const SHORT_PREFIX: [RegExp, string][] = [
  [/^tcp_/, "net.ipv4."],
  [
    /^(ip_local_port_range|ip_local_reserved_ports|ip_forward|ip_no_pmtu_disc|ip_default_ttl|ip_early_demux)$/,
    "net.ipv4.",
  ],
  [
    /^(somaxconn|netdev_max_backlog|rmem_max|wmem_max|rmem_default|wmem_default|optmem_max|netdev_budget)$/,
    "net.core.",
  ],
  [/^nf_conntrack_/, "net.netfilter."],
  [/^(file-max|file-nr|nr_open)$/, "fs."],
];

/**
 * A name in any spelling → dotted sysctl name, or undefined when it does not look like one.
 * "net/ipv4/tcp_syncookies", "/proc/sys/net/ipv4/tcp_syncookies", "proc-sys-net-ipv4-tcp_syncookies",
 * "net.ipv4.tcp_syncookies" and "tcp_syncookies" all give "net.ipv4.tcp_syncookies".
 */
export function sysctlName(hint: string): string | undefined {
  let h = hint.trim();
  const slash = h.lastIndexOf("/");
  if (!h.startsWith("/proc/sys/") && slash >= 0 && !/^(net|fs|kernel|vm)\//.test(h)) h = h.slice(slash + 1);
  h = h.replace(/\.(txt|out|log)$/, "");
  h = h.replace(/^\/?proc\/sys\//, "").replace(/^proc[-_]sys[-_]/, "");
  if (h.includes("/")) h = h.replace(/\//g, ".");
  else if (!h.includes(".") && /^(net|fs|kernel|vm)-/.test(h)) {
    // file-name spelling: dashes separate the path components, underscores stay
    const parts = h.split("-");
    // fs.file-max keeps its dash
    h = parts.length > 1 && parts[0] === "fs" ? `fs.${parts.slice(1).join("-")}` : parts.join(".");
  }
  if (/^(net|fs|kernel|vm|user|abi|dev|debug|crypto)\.[\w.-]+$/.test(h)) return h;
  for (const [re, prefix] of SHORT_PREFIX) if (re.test(h)) return prefix + h;
  return undefined;
}

function normaliseValue(v: string): string {
  return v.trim().replace(/\s+/g, " ");
}

/** The sysctl a command line reads, when it reads exactly one ("cat /proc/sys/...", "sysctl -n name", "sysctl name"). */
function nameFromCommand(cmd: string): { name?: string; bare: boolean } {
  const cat = /^cat\s+(\/proc\/sys\/\S+)\s*$/.exec(cmd);
  if (cat) return { name: sysctlName(cat[1]), bare: true };
  const sys = /^sysctl\s+((?:-[a-zA-Z]+\s+)*)([\w./-]+)\s*(?:#.*)?$/.exec(cmd);
  if (sys && !/-w/.test(sys[1])) return { name: sysctlName(sys[2]), bare: /n/.test(sys[1]) };
  return { bare: false };
}

/** Parses sysctl text. Never throws; lines it cannot read are reported in `warnings`. */
export function parseSysctl(text: string, path: string = NO_PATH, opts: SysctlOptions = {}): SysctlResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const sysctls: Record<string, string> = {};
  const sources: Record<string, SourceRef> = {};
  const unavailable: string[] = [];
  let pendingName: string | undefined;
  const put = (name: string, value: string, lineNo: number, raw: string) => {
    sysctls[name] = normaliseValue(value);
    sources[name] = sourceRef(path, lineNo, raw);
  };
  const content = lines.filter((l) => l.trim() !== "" && commandOf(l) === undefined && !/^\s*[#;]/.test(l));
  const hinted = opts.nameHint !== undefined ? sysctlName(opts.nameHint) : undefined;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      const c = nameFromCommand(cmd);
      pendingName = c.bare ? c.name : undefined;
      continue;
    }
    if (/^[#;]/.test(t)) continue; // sysctl.d comments
    const err =
      /^sysctl: (?:cannot stat \/proc\/sys\/(\S+?):|permission denied on key '?([\w./-]+)'?|reading key "?([\w./-]+)"?)/.exec(
        t,
      );
    if (err) {
      const name = sysctlName(err[1] ?? err[2] ?? err[3] ?? "");
      if (name && !unavailable.includes(name)) unavailable.push(name);
      continue;
    }
    const kv = /^([A-Za-z0-9_][\w./-]*[\w-])\s*=\s*(.*)$/.exec(t);
    if (kv?.[1].includes(".")) {
      const name = sysctlName(kv[1]);
      if (name) {
        put(name, kv[2], i + 1, raw);
        pendingName = undefined;
        continue;
      }
    }
    const grep = /^(\/proc\/sys\/[^:\s]+):(.*)$/.exec(t);
    if (grep) {
      const name = sysctlName(grep[1]);
      if (name) {
        put(name, grep[2], i + 1, raw);
        continue;
      }
    }
    if (pendingName) {
      put(pendingName, t, i + 1, raw);
      pendingName = undefined;
      continue;
    }
    if (hinted && content.length === 1) {
      put(hinted, t, i + 1, raw);
      continue;
    }
    warnings.line(
      i + 1,
      raw,
      hinted || content.length !== 1 ? "not a sysctl line" : "a bare value with no name",
    );
  }
  return { sysctls, sources, unavailable, warnings: warnings.result() };
}
