// Helpers shared by the host text parsers: line handling, source references, bounded warnings,
// numbers with units as ss/ip/tc print them, socket states and addresses. Pure: strings in, data out.
import ipaddr from "ipaddr.js";
import { formatIpv6 } from "../core/decode/address.js";
import type { HostSnapshot, SocketState, SourceRef } from "../host/types.js";

/** Name used in source references when the caller gave no path. */
export const NO_PATH = "-";

/** Longest line text kept in a SourceRef. */
const MAX_REF_TEXT = 300;

/**
 * Splits pasted text into lines: drops a BOM, CR of CRLF, and terminal colour escapes (a paste from
 * a coloured terminal must read the same as a redirected file). Index i holds line number i + 1.
 */
export function splitLines(text: string): string[] {
  let t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.includes("\x1b[")) t = t.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  const lines = t.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function sourceRef(file: string, line: number, text: string): SourceRef {
  const t = text.trim();
  return { file, line, text: t.length > MAX_REF_TEXT ? t.slice(0, MAX_REF_TEXT) : t };
}

/**
 * Collects warnings about lines a parser could not read. Per-line complaints are capped so a
 * mangled 100k-line paste yields a short list plus one summary, never a flood.
 */
export class Warnings {
  private readonly list: string[] = [];
  private badLines = 0;
  private firstBad: string[] = [];

  constructor(
    private readonly file: string,
    private readonly maxLineWarnings = 5,
  ) {}

  /** A line that was not understood. */
  line(lineNo: number, text: string, why = "not understood"): void {
    this.badLines++;
    if (this.firstBad.length < this.maxLineWarnings) {
      const t = text.trim();
      this.firstBad.push(`${this.file}:${lineNo}: ${why}: ${t.length > 120 ? `${t.slice(0, 120)}…` : t}`);
    }
  }

  /** A warning about the input as a whole. */
  add(message: string): void {
    if (!this.list.includes(message)) this.list.push(message);
  }

  get badLineCount(): number {
    return this.badLines;
  }

  result(): string[] {
    const out = [...this.list, ...this.firstBad];
    if (this.badLines > this.firstBad.length) {
      out.push(`${this.file}: ${this.badLines - this.firstBad.length} more line(s) not understood`);
    }
    return out;
  }
}

/** An empty snapshot naming one source. */
export function emptySnapshot(path: string, kind: string): HostSnapshot {
  return { sources: [{ path, kind }] };
}

/** Plain decimal integer (optionally signed), else undefined. */
export function toInt(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const d = shortDigits(s);
  if (d >= 0) return d;
  const t = s.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Value of a string of 1 to 15 ASCII digits (exact as a double), else -1. */
function shortDigits(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Decimal number (integer or fraction), else undefined. */
export function toNum(s: string | undefined): number | undefined {
  if (s === undefined || s === "") return undefined;
  const c = s.charCodeAt(0);
  // a digit, "-" or "." first; Number() alone would also take "0x1f", " 1 " and "Infinity"
  if (!((c >= 48 && c <= 57) || c === 45 || c === 46) || /[^\d.eE+-]/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

const SI: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  m: 1e6,
  M: 1e6,
  g: 1e9,
  G: 1e9,
  t: 1e12,
  T: 1e12,
};

/**
 * A rate as ss and tc print it ("96.5Mbps", "4290370370bps", "780Kbps", "4Mbit", "16Kb" per
 * second) → bits per second. ss and tc scale by 1000.
 */
export function parseRateBps(s: string): number | undefined {
  // what ss prints today: plain bits per second ("4290370370bps")
  if (s.endsWith("bps")) {
    const d = shortDigits(s.slice(0, -3));
    if (d >= 0) return d;
  }
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)(bps|bit|bit\/s|b\/s)?$/.exec(s.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SI[m[2]]);
}

/**
 * A byte size as tc prints it ("16Kb", "1514b", "3Mb") or a hand-written "9M" → bytes. tc's
 * "Kb" means kibibytes (1024), hand-written suffixes are read the same way.
 */
export function parseSizeBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(i?[bB])?$/.exec(s.trim());
  if (!m) return undefined;
  const mult = m[2] === "" ? 1 : 1024 ** ("kmg".indexOf(m[2].toLowerCase()) + 1);
  return Math.round(Number(m[1]) * mult);
}

/**
 * A duration → milliseconds. Understands ss timer text ("4min23sec", "56sec", "2.668ms" which
 * ss prints for 2 s + 668 ms, "044ms", "119min"), netstat's seconds with fraction only when the
 * caller converts, and plain "1.5s", "20ms", "2.5sec", "300us".
 */
export function parseDurationMs(s: string): number | undefined {
  const t = s.trim();
  if (t === "" || t === "-") return undefined;
  // ss print_ms_timer: [Nmin][S(sec|.)][MMMms]
  const m = /^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?$/.exec(t);
  if (m && (m[1] || m[2] || m[4])) {
    let ms = 0;
    if (m[1]) ms += Number(m[1]) * 60_000;
    if (m[2]) ms += Number(m[2]) * 1000;
    if (m[4]) ms += m[3] === "." ? Math.round(Number(`0.${m[4]}`) * 1000) : Number(m[4]);
    return ms;
  }
  const u = /^(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|secs|seconds?|us|usec|min|m|h)$/.exec(t);
  if (!u) return undefined;
  const v = Number(u[1]);
  switch (u[2]) {
    case "us":
    case "usec":
      return v / 1000;
    case "ms":
    case "msec":
      return v;
    case "min":
    case "m":
      return v * 60_000;
    case "h":
      return v * 3_600_000;
    default:
      return v * 1000;
  }
}

const STATES: Record<string, SocketState> = {
  ESTAB: "ESTAB",
  ESTABLISHED: "ESTAB",
  SYNSENT: "SYN-SENT",
  SYNRECV: "SYN-RECV",
  SYNRCVD: "SYN-RECV",
  SYNRECEIVED: "SYN-RECV",
  FINWAIT1: "FIN-WAIT-1",
  FINWAIT2: "FIN-WAIT-2",
  TIMEWAIT: "TIME-WAIT",
  CLOSE: "CLOSE",
  CLOSED: "CLOSE",
  UNCONN: "CLOSE",
  CLOSEWAIT: "CLOSE-WAIT",
  LASTACK: "LAST-ACK",
  LISTEN: "LISTEN",
  LISTENING: "LISTEN",
  CLOSING: "CLOSING",
  NEWSYNRECV: "NEW-SYN-RECV",
};

/** The spellings ss prints, looked up as they are before any normalising. */
const SS_STATES = new Map<string, SocketState>(
  Object.values(STATES).map((v): [string, SocketState] => [v, v]),
);

/** Any spelling of a TCP state (ss, netstat, BSD, ss state filter) → SocketState, else undefined. */
export function socketState(s: string): SocketState | undefined {
  const exact = SS_STATES.get(s);
  if (exact !== undefined) return exact;
  const k = s.toUpperCase().replace(/[-_ ]/g, "");
  return Object.hasOwn(STATES, k) ? STATES[k] : undefined;
}

/** Well-known service names that ss/netstat print without -n. */
const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  "www-http": 80,
  www: 80,
  pop3: 110,
  sunrpc: 111,
  imap: 143,
  imap2: 143,
  ldap: 389,
  https: 443,
  microsoft_ds: 445,
  "microsoft-ds": 445,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  "ms-sql-s": 1433,
  mysql: 3306,
  "ms-wbt-server": 3389,
  postgresql: 5432,
  amqp: 5672,
  x11: 6000,
  redis: 6379,
  "http-alt": 8080,
  webcache: 8080,
  memcache: 11211,
  mongodb: 27017,
};

/** Port text → number; "*" → 0; a known service name → its port; else undefined. */
export function portNumber(s: string): number | undefined {
  if (s === "*" || s === "") return 0;
  const d = shortDigits(s);
  if (d >= 0) return d <= 65535 ? d : undefined;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n <= 65535 ? n : undefined;
  }
  const name = s.toLowerCase();
  return Object.hasOwn(SERVICES, name) ? SERVICES[name] : undefined;
}

/**
 * IP text in the one canonical form the whole project uses (the capture decoder's): IPv4 dotted,
 * IPv6 RFC 5952 with ::ffff:a.b.c.d for mapped addresses. Zone suffixes (%eth0) are dropped.
 * "*" and names that are not addresses come back unchanged ("*" stays "*").
 */
export function canonicalIp(s: string): string {
  let t = s;
  const pct = t.indexOf("%");
  if (pct >= 0) t = t.slice(0, pct);
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  if (t.includes(":")) {
    try {
      return formatIpv6(Uint8Array.from(ipaddr.IPv6.parse(t).toByteArray()), 0);
    } catch {
      return t.toLowerCase();
    }
  }
  return t;
}

/**
 * "ip:port" in any of the spellings ss, netstat and BSD netstat use → address and port:
 * 10.0.0.1:80, [fd00::1]:80, [::ffff:1.2.3.4]:80, [fe80::1%eth0]:22, 127.0.0.53%lo:53, *:*,
 * *:22, 0.0.0.0:*, ::1:9001 and :::* (netstat, last colon is the port), 10.0.0.1.80 and *.* (BSD).
 * The unspecified address "*" becomes 0.0.0.0. Host names (output without -n) are kept as they are,
 * flagged `named`.
 */
export function splitHostPort(s: string): { ip: string; port: number; named?: boolean } | undefined {
  let host: string;
  let portText: string;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return undefined;
    host = s.slice(1, close);
    let rest = s.slice(close + 1);
    const pct = rest.indexOf("%");
    if (pct === 0) {
      const colon = rest.lastIndexOf(":");
      rest = colon >= 0 ? rest.slice(colon) : "";
    }
    if (!rest.startsWith(":")) return undefined;
    portText = rest.slice(1);
  } else {
    const colon = s.lastIndexOf(":");
    if (colon >= 0) {
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    } else {
      // BSD netstat: address.port
      const dot = s.lastIndexOf(".");
      if (dot < 0) return undefined;
      host = s.slice(0, dot);
      portText = s.slice(dot + 1);
    }
  }
  const port = portNumber(portText);
  if (port === undefined) return undefined;
  if (host === "*" || host === "") host = "0.0.0.0";
  const known = hostCache.get(host);
  const h = known ?? readHost(host);
  if (known === undefined) {
    // bounded: a table with more distinct addresses only loses the cache's speed, never a result
    if (hostCache.size >= HOST_CACHE_SIZE) hostCache.clear();
    hostCache.set(host, h);
  }
  if (h.kind === "ip") return { ip: h.ip, port };
  if (h.kind === "named") return { ip: host, port, named: true };
  return undefined;
}

type HostText = { kind: "ip"; ip: string } | { kind: "named" } | { kind: "bad" };

/**
 * Host part of splitHostPort → what it is. Cached: an IPv6 address costs a parse and a format,
 * and a socket table repeats the same few local addresses on every line.
 */
const hostCache = new Map<string, HostText>();
const HOST_CACHE_SIZE = 4096;

function readHost(host: string): HostText {
  const ip = canonicalIp(host);
  if (isIpText(ip)) return { kind: "ip", ip };
  // ss/netstat without -n print host names; keep them rather than lose the socket
  if (/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(host) && /[A-Za-z]/.test(host)) return { kind: "named" };
  return { kind: "bad" };
}

function isIpText(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return true;
  return s.includes(":") && ipaddr.IPv6.isValid(s);
}

/** Whitespace as a regular expression's \s sees it. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(String.fromCharCode(c)));
}

/**
 * Cheap necessary condition for commandOf's pattern, so the lines of a 100k-line table are not
 * each run through it: the first word starts with "[" or "$", or ends with a prompt character.
 */
function mayBePrompt(line: string): boolean {
  const n = line.length;
  let i = 0;
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  if (i === n) return false;
  const first = line.charCodeAt(i);
  if (first === 91 || first === 36) return true; // [ $
  while (i < n && !isSpace(line.charCodeAt(i))) i++;
  const last = line.charCodeAt(i - 1);
  return last === 36 || last === 35 || last === 37 || last === 62; // $ # % >
}

/**
 * A shell command line inside a paste ("$ ss -tan", "# ss -s", "root@h:~# nstat -az",
 * "[root@h ~]# ip route get 10.0.0.1") → the
 * command, else undefined. Only lines naming a tool we know count, so output lines starting with
 * "#" (nstat's "#kernel", comments) are not mistaken for commands.
 */
export function commandOf(line: string): string | undefined {
  if (!mayBePrompt(line)) return undefined;
  const m = /^\s*(?:(?:\[[^\]]{1,80}\]|\S*)[$#%>]\s+|\$)(.*)$/.exec(line);
  if (!m) return undefined;
  const cmd = m[1].replace(/^(sudo|doas)\s+(-\S+\s+)*/, "").trim();
  if (
    /^(ss|netstat|nstat|cat|sysctl|conntrack|ip|ethtool|ping6?|tracepath6?|dmesg|journalctl|ulimit|ls|tc|nft|iptables|ip6tables|iptables-save|grep|watch|ps|lsof|head|tail|prlimit)\b/.test(
      cmd,
    )
  ) {
    return cmd;
  }
  return undefined;
}

/**
 * A pasted line that runs tcpdump ("$ sudo tcpdump -i eth0 -nn", "root@h:~# tcpdump -r x.pcap")
 * → the command, else undefined. Apart from commandOf, whose callers read host tools only: a
 * transcript splitter needs both to tell where a trace starts and where it ends.
 */
export function captureCommandOf(line: string): string | undefined {
  if (!mayBePrompt(line)) return undefined;
  const m = /^\s*(?:(?:\[[^\]]{1,80}\]|\S*)[$#%>]\s+|\$)(.*)$/.exec(line);
  if (!m) return undefined;
  const cmd = m[1].replace(/^(sudo|doas)\s+(-\S+\s+)*/, "").trim();
  return /^tcpdump\b/.test(cmd) ? cmd : undefined;
}

/**
 * Splits a token stream on whitespace but keeps parenthesised and quoted parts together, so
 * users:(("Web Content",pid=1,fd=2)) and skmem:(r0,rb1,...) stay one token each.
 */
export function tokens(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  let depth = 0;
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (quote) {
      if (c === 34) quote = false;
      continue;
    }
    if (c === 32 || c === 9) {
      if (depth === 0 && start >= 0) {
        out.push(line.slice(start, i));
        start = -1;
      }
      continue;
    }
    if (start < 0) start = i;
    if (c === 34) quote = true;
    else if (c === 40) depth++;
    else if (c === 41 && depth > 0) depth--;
  }
  if (start >= 0) out.push(line.slice(start));
  return out;
}

/** True when the text is binary or mostly control characters (never host text). */
export function looksBinaryText(text: string): boolean {
  const n = Math.min(text.length, 8192);
  if (n === 0) return false;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return true;
    if ((c < 9 || (c > 13 && c < 32) || c === 0xfffd) && c !== 0x1b) odd++;
  }
  return odd / n > 0.02;
}

/** Base name of a path without directory and extension ("a/b/ss-tan.txt" → "ss-tan"). */
export function baseName(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}
