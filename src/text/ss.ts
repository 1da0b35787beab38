// `ss` output in every layout an operator pastes: socket tables (-tan, -tanp, -ltn, -ti, -tin,
// -tnio, -tm, -o, -e, -O one-line mode, state filters without a State column, -H without header,
// Netid column of -a) and the `ss -s` summary. tcp_info, skmem, timers and users:(...) are read
// whether they sit on the socket line or on the indented continuation line below it.
import type { SkMem, SocketEntry, SocketState, SocketSummary, TcpInfo } from "../host/types.js";
import {
  commandOf,
  NO_PATH,
  parseDurationMs,
  parseRateBps,
  socketState,
  sourceRef,
  splitHostPort,
  splitLines,
  toInt,
  tokens,
  toNum,
  Warnings,
} from "./common.js";

export interface SsResult {
  sockets: SocketEntry[];
  /** `ss -s` totals (TCP line), when the text carries them. */
  summary?: SocketSummary;
  /** What the table carries: users:(...), tcp_info, skmem, timer:(...). */
  have: { processes: boolean; info: boolean; memory: boolean; timers: boolean };
  /**
   * The text holds a socket table (a header line or socket lines), even an empty one: "nothing
   * listens" is evidence, unlike an `ss -s` summary alone.
   */
  table: boolean;
  warnings: string[];
}

export interface SsOptions {
  /**
   * State of every socket when the table has no State column (`ss -tan state time-wait`) and the
   * text does not carry the command line. Without it such sockets are "UNKNOWN".
   */
  stateHint?: SocketState;
}

/** Congestion control names ss prints as a bare word in the tcp_info part. */
const CC_NAMES = new Set([
  "cubic",
  "bbr",
  "bbr2",
  "bbr3",
  "reno",
  "newreno",
  "dctcp",
  "vegas",
  "westwood",
  "htcp",
  "hybla",
  "illinois",
  "bic",
  "scalable",
  "yeah",
  "lp",
  "veno",
  "highspeed",
  "nv",
  "cdg",
  "prague",
]);

/** Words and key prefixes ss prints that carry nothing we keep (so they are not reported as unknown). */
const IGNORED_FLAGS = new Set(["<->", "-->", "<--", "---", "app_limited", "ecnseen", "fastopen", "ipv6only"]);
const IGNORED_KEYS = new Set([
  "sk",
  "cgroup",
  "v6only",
  "fwmark",
  "tos",
  "tclass",
  "class",
  "priority",
  "mark",
  "qack",
  "fackets",
  "delivered_ce",
  "bbr",
  "dctcp",
  "vegas",
  "tcp-ulp-tls",
  "tcp-ulp-mptcp",
  "ktls",
  "rcv_ooopack",
  "snd_ssthresh",
  "bpf",
  "netns",
  "dev",
  "ino_dev",
  "md5keys",
  "tcp-ulp",
]);

type NumField = keyof {
  [K in keyof TcpInfo as TcpInfo[K] extends number | undefined ? K : never]: true;
};

/** tcp_info "key:value" fields whose value is a plain number (times already in ms in ss output). */
const INFO_NUM = new Map<string, NumField>(
  Object.entries({
    rto: "rto",
    ato: "ato",
    mss: "mss",
    pmtu: "pmtu",
    rcvmss: "rcvmss",
    advmss: "advmss",
    cwnd: "cwnd",
    ssthresh: "ssthresh",
    bytes_sent: "bytesSent",
    bytes_retrans: "bytesRetrans",
    bytes_acked: "bytesAcked",
    bytes_received: "bytesReceived",
    segs_out: "segsOut",
    segs_in: "segsIn",
    data_segs_out: "dataSegsOut",
    data_segs_in: "dataSegsIn",
    delivered: "delivered",
    lastsnd: "lastsnd",
    lastrcv: "lastrcv",
    lastack: "lastack",
    unacked: "unacked",
    lost: "lost",
    sacked: "sacked",
    dsack_dups: "dsack",
    reordering: "reordering",
    reord_seen: "reordSeen",
    rcv_rtt: "rcvRtt",
    rcv_space: "rcvSpace",
    rcv_ssthresh: "rcvSsthresh",
    minrtt: "minrtt",
    notsent: "notsent",
    snd_wnd: "sndWnd",
    rcv_wnd: "rcvWnd",
    backoff: "backoff",
  } satisfies Record<string, NumField>),
);

/** Fields whose value is a duration ("busy:948ms", "rwnd_limited:28ms(3.0%)"). */
const INFO_MS = new Map<string, NumField>([
  ["busy", "busyMs"],
  ["rwnd_limited", "rwndLimitedMs"],
  ["sndbuf_limited", "sndbufLimitedMs"],
]);

/** Rates printed as "send 96.5Mbps" (value in the next token). */
const INFO_RATE_NEXT = new Map<string, NumField>([
  ["send", "sendBps"],
  ["pacing_rate", "pacingRateBps"],
  ["delivery_rate", "deliveryRateBps"],
]);

const NETIDS = new Set([
  "tcp",
  "mptcp",
  "udp",
  "raw",
  "u_str",
  "u_dgr",
  "u_seq",
  "u_sq",
  "p_raw",
  "p_dgr",
  "nl",
  "sctp",
  "v_str",
  "v_dgr",
  "xdp",
  "tipc",
  "icmp6",
  "udp6",
  "tcp6",
]);

/** Digits only in t[from, to) → their value; -1 when not all digits (or too long to be exact). */
function digitsAt(t: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Same result as toNum(t.slice(from, to)), without the slice and regex for plain decimals. */
function numberAt(t: string, from: number, to: number): number | undefined {
  const n = digitsAt(t, from, to);
  if (n >= 0) return n;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46) dots++;
    else return toNum(t.slice(from, to));
  }
  if (digits > 0 && dots <= 1) return Number(t.slice(from, to));
  return toNum(t.slice(from, to));
}

/** A count like "9.2K" or "1,234" or "12M" as hand-written examples show, else a plain integer. */
function looseCount(s: string): number | undefined {
  const d = digitsAt(s, 0, s.length);
  if (d >= 0) return d;
  const n = toInt(s);
  if (n !== undefined) return n;
  const m = /^(\d+(?:\.\d+)?)([KMG])$/.exec(s);
  if (m) return Math.round(Number(m[1]) * { K: 1e3, M: 1e6, G: 1e9 }[m[2] as "K" | "M" | "G"]);
  if (/^\d{1,3}(,\d{3})+$/.test(s)) return Number(s.replace(/,/g, ""));
  return undefined;
}

/** One process of users:(("name",pid=1,fd=2),...); global, so lastIndex is reset before each use. */
const USER_RE = /\("((?:[^"\\]|\\.)*)",(?:pid=)?(\d+),(?:fd=)?(\d+)\)/g;

function parseUsers(tok: string, from: number): { name: string; pid: number; fd: number }[] {
  const out: { name: string; pid: number; fd: number }[] = [];
  USER_RE.lastIndex = from;
  for (let m = USER_RE.exec(tok); m; m = USER_RE.exec(tok))
    out.push({ name: m[1], pid: Number(m[2]), fd: Number(m[3]) });
  return out;
}

/** skmem:(r0,rb131072,...) fields kept (current ss) and the four of the old mem:(r,w,f,t) form. */
const SKMEM_FIELDS = new Set(["r", "rb", "t", "tb", "f", "w", "o", "bl", "d"]);
const LEGACY_MEM_FIELDS = new Set(["r", "w", "f", "t"]);

/** Reads "name<digits>" parts, comma-separated, of t[from, to) into mem. */
function parseSkmem(t: string, from: number, to: number, legacy: boolean, mem: SkMem): void {
  // old `ss -m`: mem:(r<rmem_alloc>,w<wmem_queued>,f<fwd_alloc>,t<wmem_alloc>)
  const fields = legacy ? LEGACY_MEM_FIELDS : SKMEM_FIELDS;
  let a = from;
  while (a <= to) {
    let b = t.indexOf(",", a);
    if (b < 0 || b > to) b = to;
    let i = a;
    while (i < b) {
      const c = t.charCodeAt(i);
      if (c < 97 || c > 122) break;
      i++;
    }
    let name: string | undefined;
    let value: number | undefined;
    if (i > a && i < b) {
      const d = digitsAt(t, i, b);
      if (d >= 0) {
        name = t.slice(a, i);
        value = d;
      }
    }
    if (name === undefined) {
      // unusual spelling (spaces, long numbers): the general form
      const m = /^([a-z]+)(\d+)$/.exec(t.slice(a, b).trim());
      if (m) {
        name = m[1];
        value = Number(m[2]);
      }
    }
    if (name !== undefined && value !== undefined && fields.has(name)) mem[name as keyof SkMem] = value;
    a = b + 1;
  }
}

function parseTimer(inner: string): SocketEntry["timer"] {
  const parts = inner.split(",");
  const timer: NonNullable<SocketEntry["timer"]> = { name: parts[0] ?? "" };
  const exp = parts[1] !== undefined ? parseDurationMs(parts[1]) : undefined;
  if (exp !== undefined) timer.expiresMs = exp;
  const retrans = toInt(parts[2]);
  if (retrans !== undefined) timer.retrans = retrans;
  return timer;
}

/** What a bare word (no colon) after the address columns means. */
type Word =
  | { kind: "ignore" }
  | { kind: "app_limited" }
  | { kind: "flag"; flag: "ts" | "sack" | "ecn" }
  | { kind: "cc" }
  | { kind: "rate"; field: NumField };

/** What the key of a "key:value" token means. */
type Key =
  | { kind: "users" | "timer" | "skmem" | "mem" | "uid" | "ino" | "rtt" | "wscale" | "retrans" | "rate" }
  | { kind: "ignore"; cc: boolean }
  | { kind: "ms"; field: NumField }
  | { kind: "num"; field: NumField };

/** Every bare word in one map, so a token costs one lookup (earlier entries lose to later ones). */
const WORDS = new Map<string, Word>([
  ...[...INFO_RATE_NEXT].map(([w, field]): [string, Word] => [w, { kind: "rate", field }]),
  ...[...CC_NAMES].map((w): [string, Word] => [w, { kind: "cc" }]),
  ...(["ts", "sack", "ecn"] as const).map((flag): [string, Word] => [flag, { kind: "flag", flag }]),
  ...[...IGNORED_FLAGS].map((w): [string, Word] => [w, { kind: w === "app_limited" ? "app_limited" : "ignore" }]),
]);

/** Every known key in one map, so a key:value token costs one lookup. */
const KEYS = new Map<string, Key>([
  ...[...INFO_NUM].map(([k, field]): [string, Key] => [k, { kind: "num", field }]),
  ...[...INFO_MS].map(([k, field]): [string, Key] => [k, { kind: "ms", field }]),
  ...(["rtt", "wscale", "retrans", "rate"] as const).map((k): [string, Key] => [k, { kind: k }]),
  ...[...IGNORED_KEYS].map((k): [string, Key] => [
    k,
    { kind: "ignore", cc: k === "bbr" || k === "dctcp" || k === "vegas" },
  ]),
  ...(["users", "timer", "skmem", "mem", "uid", "ino"] as const).map((k): [string, Key] => [k, { kind: k }]),
]);

interface ExtraState {
  unknown: Set<string>;
}

/** Index of the first `ch` in t[from, to), else `to`. */
function indexIn(t: string, ch: string, from: number, to: number): number {
  const i = t.indexOf(ch, from);
  return i < 0 || i > to ? to : i;
}

/**
 * Reads the tokens toks[from..] (after the address columns, or of a continuation line) into the
 * socket. One map lookup per token decides what it is; values are read in place.
 */
function readExtras(toks: string[], from: number, sock: SocketEntry, st: ExtraState): void {
  const info: TcpInfo = sock.info ?? {};
  let infoSeen = false;
  for (let i = from; i < toks.length; i++) {
    const t = toks[i];
    const colon = t.indexOf(":");
    if (colon < 0) {
      const w = WORDS.get(t);
      if (w !== undefined) {
        if (w.kind === "ignore") continue;
        if (w.kind === "app_limited") {
          info.appLimited = true;
          infoSeen = true;
          continue;
        }
        if (w.kind === "flag") {
          info[w.flag] = true;
          infoSeen = true;
          continue;
        }
        if (w.kind === "cc") {
          info.cc = t;
          infoSeen = true;
          continue;
        }
        if (i + 1 < toks.length) {
          const v = parseRateBps(toks[i + 1]);
          if (v !== undefined) {
            info[w.field] = v;
            infoSeen = true;
            i++;
            continue;
          }
        }
      }
    }
    if (colon <= 0) {
      // unknown bare word: a congestion control module we do not list prints the same way
      if (
        /^[a-z][a-z0-9_]*$/.test(t) &&
        info.cc === undefined &&
        i + 1 < toks.length &&
        toks[i + 1].startsWith("wscale:")
      ) {
        info.cc = t;
        infoSeen = true;
      } else st.unknown.add(t);
      continue;
    }
    const key = t.slice(0, colon);
    const k = KEYS.get(key);
    const at = colon + 1;
    const end = t.length;
    if (k === undefined) {
      infoSeen = true;
      st.unknown.add(key);
      continue;
    }
    switch (k.kind) {
      case "users": {
        const procs = parseUsers(t, at);
        if (procs.length) sock.processes = sock.processes ? sock.processes.concat(procs) : procs;
        continue;
      }
      case "timer":
      case "skmem":
      case "mem": {
        // the value in parentheses: one "(" and one ")" around it are dropped
        const a = t.charCodeAt(at) === 40 ? at + 1 : at;
        const b = end > a && t.charCodeAt(end - 1) === 41 ? end - 1 : end;
        if (k.kind === "timer") sock.timer = parseTimer(t.slice(a, b));
        else {
          const mem: SkMem = {};
          parseSkmem(t, a, b, k.kind === "mem", mem);
          sock.skmem = mem;
        }
        continue;
      }
      case "uid":
      case "ino": {
        const d = digitsAt(t, at, end);
        const v = d >= 0 ? d : toInt(t.slice(at));
        if (v !== undefined) {
          if (k.kind === "uid") sock.uid = v;
          else sock.inode = v;
        }
        continue;
      }
      case "ignore":
        if (k.cc && info.cc === undefined) info.cc = key;
        continue;
    }
    infoSeen = true;
    switch (k.kind) {
      case "num": {
        const d = digitsAt(t, at, end);
        if (d >= 0) info[k.field] = d;
        else {
          const val = t.slice(at);
          const v = toNum(val) ?? looseCount(val);
          if (v !== undefined) info[k.field] = v;
        }
        break;
      }
      case "rtt": {
        // "a/b" read as split("/") would: b stops at a further "/"
        const slash = indexIn(t, "/", at, end);
        const rtt = numberAt(t, at, slash);
        const rttvar = slash < end ? numberAt(t, slash + 1, indexIn(t, "/", slash + 1, end)) : undefined;
        if (rtt !== undefined) info.rtt = rtt;
        if (rttvar !== undefined) info.rttvar = rttvar;
        break;
      }
      case "wscale":
      case "retrans": {
        const sep = k.kind === "wscale" ? "," : "/";
        const cut = indexIn(t, sep, at, end);
        const a = intAt(t, at, cut);
        const b = cut < end ? intAt(t, cut + 1, indexIn(t, sep, cut + 1, end)) : undefined;
        if (k.kind === "wscale") {
          if (a !== undefined) info.wscaleSnd = a;
          if (b !== undefined) info.wscaleRcv = b;
        } else {
          if (a !== undefined) info.retrans = a;
          if (b !== undefined) info.retransTotal = b;
        }
        break;
      }
      case "rate": {
        // not printed by ss; hand-written examples use it for the achieved rate
        const v = parseRateBps(t.slice(at));
        if (v !== undefined) info.deliveryRateBps = v;
        break;
      }
      case "ms": {
        const v = parseDurationMs(t.slice(at, indexIn(t, "(", at, end)));
        if (v !== undefined) info[k.field] = v;
        break;
      }
    }
  }
  if (infoSeen || sock.info) sock.info = info;
}

/** Same result as toInt(t.slice(from, to)). */
function intAt(t: string, from: number, to: number): number | undefined {
  const d = digitsAt(t, from, to);
  return d >= 0 ? d : toInt(t.slice(from, to));
}

/** "state time-wait" in an ss command line → that single state (groups such as "connected" → undefined). */
function stateFilterOf(cmd: string): SocketState | "group" | undefined {
  const m = /\b(?:state|exclude)\s+([a-z0-9-]+)/.exec(cmd);
  if (!m) return undefined;
  if (/\bexclude\b/.test(m[0])) return "group";
  // a second "state X" makes it a group too
  if ((cmd.match(/\bstate\s+/g) ?? []).length > 1) return "group";
  return socketState(m[1]) ?? "group";
}

/**
 * A file named after its state filter (ss-tan-state-time-wait.txt): the only place that says
 * which state a table without a State column lists, when the command line was not pasted.
 */
export function stateFromName(path: string): SocketState | undefined {
  const m = /state[-_. ]([a-z0-9-]+?)(?:\.[a-z]+)?$/i.exec(path);
  return m ? socketState(m[1]) : undefined;
}

const SUMMARY_TCP = /^TCP:\s+(\d+)\s*\((.*)\)/;

function parseSummaryParts(body: string, summary: SocketSummary): void {
  for (const part of body.split(",")) {
    const m = /^\s*([a-z]+)\s+(\d+)/.exec(part);
    if (!m) continue;
    const v = Number(m[2]);
    if (m[1] === "estab") summary.estab = v;
    else if (m[1] === "closed") summary.closed = v;
    else if (m[1] === "orphaned") summary.orphaned = v;
    else if (m[1] === "timewait") summary.timewait = v;
  }
}

/** True for a line of the `ss -s` "Transport Total IP IPv6" table or its header. */
function isSummaryTableLine(line: string): boolean {
  return (
    /^Transport\s+Total\s+IP\s+IPv6/.test(line) || /^(RAW|UDP|TCP|INET|FRAG)\s+\d+\s+\d+\s+\d+\s*$/.test(line)
  );
}

/**
 * Parses `ss` output. Never throws: lines it cannot read are reported in `warnings`.
 * Addresses are canonical (IPv6 RFC 5952, mapped IPv4 as ::ffff:a.b.c.d, zone dropped, "*" → 0.0.0.0).
 */
export function parseSs(text: string, path: string = NO_PATH, opts: SsOptions = {}): SsResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const sockets: SocketEntry[] = [];
  const have = { processes: false, info: false, memory: false, timers: false };
  const extra: ExtraState = { unknown: new Set() };
  let summary: SocketSummary | undefined;
  const baseHint = opts.stateHint ?? stateFromName(path);
  let stateHint: SocketState | undefined = baseHint;
  let groupFilter = false;
  let last: SocketEntry | undefined;
  let skipCountLine = false;
  let nonTcp = 0;
  let unknownState = 0;
  let named = false;
  let table = false;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "") continue;

    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      last = undefined;
      skipCountLine = /\|\s*wc\b/.test(cmd);
      if (/^ss\b/.test(cmd)) {
        const f = stateFilterOf(cmd);
        if (f === "group") {
          groupFilter = true;
          stateHint = undefined;
        } else if (f) {
          groupFilter = false;
          stateHint = f;
        } else {
          groupFilter = false;
          stateHint = baseHint;
        }
      }
      continue;
    }
    if (skipCountLine && /^\d+$/.test(trimmed)) {
      warnings.add(
        `${path}:${lineNo}: a line count (wc -l) is not a socket table; paste the ss output itself`,
      );
      skipCountLine = false;
      continue;
    }

    // continuation line: tcp_info / skmem below the socket line
    if ((raw[0] === " " || raw[0] === "\t") && last && !/^\s*(Netid\s+)?(State\s+)?Recv-Q/.test(raw)) {
      readExtras(tokens(trimmed), 0, last, extra);
      continue;
    }

    if (/^(Netid\s+)?(State\s+)?Recv-Q\s+Send-Q/.test(trimmed)) {
      last = undefined;
      table = true;
      continue;
    }
    const total = /^Total:\s+(\d+)/.exec(trimmed);
    if (total) {
      summary = summary ?? {};
      if (summary.total === undefined) summary.total = Number(total[1]);
      continue;
    }
    const tcpLine = SUMMARY_TCP.exec(trimmed);
    if (tcpLine) {
      summary = summary ?? {};
      summary.total = Number(tcpLine[1]);
      parseSummaryParts(tcpLine[2], summary);
      summary.source = sourceRef(path, lineNo, raw);
      continue;
    }
    if (isSummaryTableLine(trimmed)) continue;

    const toks = tokens(trimmed);
    let idx = 0;
    if (NETIDS.has(toks[0])) {
      if (toks[0] !== "tcp" && toks[0] !== "mptcp" && toks[0] !== "tcp6") {
        nonTcp++;
        last = undefined;
        continue;
      }
      idx++;
    }
    let state: SocketState | undefined = socketState(toks[idx] ?? "");
    if (state) idx++;
    else if (/^\d+$/.test(toks[idx] ?? "")) {
      state = stateHint;
      if (!state) {
        state = "UNKNOWN";
        unknownState++;
      }
    }
    const recvQ = looseCount(toks[idx] ?? "");
    const sendQ = looseCount(toks[idx + 1] ?? "");
    const local = toks[idx + 2] !== undefined ? splitHostPort(toks[idx + 2]) : undefined;
    const peer = toks[idx + 3] !== undefined ? splitHostPort(toks[idx + 3]) : undefined;
    if (!state || recvQ === undefined || sendQ === undefined || !local || !peer) {
      warnings.line(lineNo, raw, "not an ss socket line");
      last = undefined;
      continue;
    }
    if (local.named || peer.named) named = true;
    const sock: SocketEntry = {
      state,
      recvQ,
      sendQ,
      localIp: local.ip,
      localPort: local.port,
      peerIp: peer.ip,
      peerPort: peer.port,
      source: sourceRef(path, lineNo, trimmed),
    };
    readExtras(toks, idx + 4, sock, extra);
    sockets.push(sock);
    last = sock;
  }

  for (const s of sockets) {
    // a TIME-WAIT timer names the state even when the table has no State column
    if (s.state === "UNKNOWN" && s.timer?.name === "timewait") {
      s.state = "TIME-WAIT";
      unknownState--;
    }
    if (s.processes?.length) have.processes = true;
    if (s.info) have.info = true;
    if (s.skmem) have.memory = true;
    if (s.timer) have.timers = true;
  }
  if (nonTcp) warnings.add(`${path}: ${nonTcp} non-TCP socket line(s) skipped`);
  if (unknownState) {
    warnings.add(
      groupFilter
        ? `${path}: ${unknownState} socket(s) listed under a state group filter: their state is unknown`
        : `${path}: ${unknownState} socket(s) without a State column and no "state X" filter known: state unknown`,
    );
  }
  if (named)
    warnings.add(`${path}: addresses are host/service names (ss without -n): matching by address is weaker`);
  if (extra.unknown.size) {
    warnings.add(`${path}: ss fields not understood: ${[...extra.unknown].slice(0, 10).join(", ")}`);
  }
  const out: SsResult = { sockets, have, table: table || sockets.length > 0, warnings: warnings.result() };
  if (summary) out.summary = summary;
  return out;
}
