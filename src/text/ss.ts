// `ss` output in every layout an operator pastes: socket tables (-tan, -tanp, -ltn, -ti, -tin,
// -tnio, -tm, -o, -e, -O one-line mode, state filters without a State column, -H without header,
// Netid column of -a) and the `ss -s` summary. tcp_info, skmem, timers and users:(...) are read
// whether they sit on the socket line or on the indented continuation line below it.
//
// A live table can hold 100k sockets of ~40 fields each, so the socket line is read in place:
// tokens are found with string searches, names looked up by position (no substring per token),
// numbers read digit by digit; the general patterns are kept for the unusual spellings.
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

function parseUsers(tok: string): { name: string; pid: number; fd: number }[] {
  const out: { name: string; pid: number; fd: number }[] = [];
  USER_RE.lastIndex = 0;
  for (let m = USER_RE.exec(tok); m; m = USER_RE.exec(tok))
    out.push({ name: m[1], pid: Number(m[2]), fd: Number(m[3]) });
  return out;
}

/**
 * users:(...) value at line[a, b). The usual single owner, (("name",pid=1,fd=2)) with no escapes,
 * is read in place; any other spelling goes through the pattern.
 */
function usersAt(line: string, a: number, b: number): { name: string; pid: number; fd: number }[] {
  if (line.startsWith('(("', a) && line.startsWith("))", b - 2)) {
    const q = indexIn(line, '"', a + 3, b);
    if (q < b && indexIn(line, "\\", a + 3, q) === q && line.startsWith(",pid=", q + 1)) {
      const pidEnd = indexIn(line, ",", q + 6, b);
      const pid = digitsAt(line, q + 6, pidEnd);
      if (pid >= 0 && line.startsWith(",fd=", pidEnd)) {
        const fd = digitsAt(line, pidEnd + 4, b - 2);
        if (fd >= 0) return [{ name: line.slice(a + 3, q), pid, fd }];
      }
    }
  }
  return parseUsers(line.slice(a, b));
}

/**
 * Names looked up by position in a line, so the 40 tokens of a socket line are never cut out as
 * strings just to be found in a map. Keyed by a cheap hash, confirmed by comparing the text.
 */
class NameTable<T> {
  private readonly slots = new Map<number, NameSlot<T>>();

  /** Later entries replace earlier ones of the same name. */
  constructor(entries: [string, T][]) {
    for (const [name, value] of entries) {
      const h = NameTable.hash(name, 0, name.length);
      let slot = this.slots.get(h);
      while (slot !== undefined && slot.name !== name) slot = slot.next;
      if (slot !== undefined) slot.value = value;
      else this.slots.set(h, { name, value, next: this.slots.get(h) });
    }
  }

  static hash(s: string, a: number, b: number): number {
    const n = b - a;
    if (n <= 0) return 0;
    const mid = s.charCodeAt(a + (n >> 1));
    const second = n > 1 ? s.charCodeAt(a + 1) : 0;
    return ((((n * 31 + s.charCodeAt(a)) * 31 + second) * 31 + mid) * 31 + s.charCodeAt(b - 1)) & 0x3fffffff;
  }

  /** The value named by s[a, b), else undefined. */
  get(s: string, a: number, b: number): T | undefined {
    const n = b - a;
    for (let slot = this.slots.get(NameTable.hash(s, a, b)); slot !== undefined; slot = slot.next) {
      const name = slot.name;
      if (name.length !== n) continue;
      let i = 0;
      while (i < n && name.charCodeAt(i) === s.charCodeAt(a + i)) i++;
      if (i === n) return slot.value;
    }
    return undefined;
  }
}

interface NameSlot<T> {
  name: string;
  value: T;
  next: NameSlot<T> | undefined;
}

/** skmem:(r0,rb131072,...) fields kept (current ss); the old mem:(r,w,f,t) form has four of them. */
const SKMEM_FIELDS = new NameTable<keyof SkMem>(
  (["r", "rb", "t", "tb", "f", "w", "o", "bl", "d"] as const).map((n): [string, keyof SkMem] => [n, n]),
);

/** mem[field] = v with a store per field (see setInfoNumber). */
function setSkmem(mem: SkMem, field: keyof SkMem, v: number, legacy: boolean): void {
  switch (field) {
    case "r":
      mem.r = v;
      return;
    case "w":
      mem.w = v;
      return;
    case "f":
      mem.f = v;
      return;
    case "t":
      mem.t = v;
      return;
  }
  // old `ss -m`: mem:(r<rmem_alloc>,w<wmem_queued>,f<fwd_alloc>,t<wmem_alloc>)
  if (legacy) return;
  switch (field) {
    case "rb":
      mem.rb = v;
      return;
    case "tb":
      mem.tb = v;
      return;
    case "o":
      mem.o = v;
      return;
    case "bl":
      mem.bl = v;
      return;
    case "d":
      mem.d = v;
      return;
  }
}

/** Reads "name<digits>" parts, comma-separated, of t[from, to) into mem. */
function parseSkmem(t: string, from: number, to: number, legacy: boolean, mem: SkMem): void {
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
    const d = i > a && i < b ? digitsAt(t, i, b) : -1;
    if (d >= 0) {
      const field = SKMEM_FIELDS.get(t, a, i);
      if (field !== undefined) setSkmem(mem, field, d, legacy);
    } else {
      // unusual spelling (spaces, long numbers): the general form
      const m = /^([a-z]+)(\d+)$/.exec(t.slice(a, b).trim());
      const field = m ? SKMEM_FIELDS.get(m[1], 0, m[1].length) : undefined;
      if (m && field !== undefined) setSkmem(mem, field, Number(m[2]), legacy);
    }
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
  | { kind: "cc"; name: string }
  | { kind: "rate"; field: NumField };

/** What the key of a "key:value" token means. */
type Key =
  | { kind: "users" | "timer" | "skmem" | "mem" | "uid" | "ino" | "rtt" | "wscale" | "retrans" | "rate" }
  | { kind: "ignore"; name: string; cc: boolean }
  | { kind: "ms"; field: NumField }
  | { kind: "num"; field: NumField };

/** Every bare word in one table, so a token costs one lookup (earlier entries lose to later ones). */
const WORDS = new NameTable<Word>([
  ...[...INFO_RATE_NEXT].map(([w, field]): [string, Word] => [w, { kind: "rate", field }]),
  ...[...CC_NAMES].map((w): [string, Word] => [w, { kind: "cc", name: w }]),
  ...(["ts", "sack", "ecn"] as const).map((flag): [string, Word] => [flag, { kind: "flag", flag }]),
  ...[...IGNORED_FLAGS].map((w): [string, Word] => [
    w,
    { kind: w === "app_limited" ? "app_limited" : "ignore" },
  ]),
]);

/** Every known key in one table, so a key:value token costs one lookup. */
const KEYS = new NameTable<Key>([
  ...[...INFO_NUM].map(([k, field]): [string, Key] => [k, { kind: "num", field }]),
  ...[...INFO_MS].map(([k, field]): [string, Key] => [k, { kind: "ms", field }]),
  ...(["rtt", "wscale", "retrans", "rate"] as const).map((k): [string, Key] => [k, { kind: k }]),
  ...[...IGNORED_KEYS].map((k): [string, Key] => [
    k,
    { kind: "ignore", name: k, cc: k === "bbr" || k === "dctcp" || k === "vegas" },
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

/** First index at or after `from` that is not a space or tab (the separators tokens() knows). */
function skipBlanks(line: string, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

/**
 * End of the token starting at `from`, delimited as tokens() does: blanks inside (...) or "..."
 * do not end it.
 */
function tokenEnd(line: string, from: number, end: number): number {
  let depth = 0;
  let quote = false;
  for (let i = from; i < end; i++) {
    const c = line.charCodeAt(i);
    if (quote) {
      if (c === 34) quote = false;
      continue;
    }
    if (c === 32 || c === 9) {
      if (depth === 0) return i;
      continue;
    }
    if (c === 34) quote = true;
    else if (c === 40) depth++;
    else if (c === 41 && depth > 0) depth--;
  }
  return end;
}

/**
 * Finds token ends in one line as tokens() would, with the string search builtins: a token ends
 * at the next space unless a "(", '"' or tab comes first, and only then are characters scanned.
 * One per parse, reset per line.
 */
class TokenScanner {
  private line = "";
  private end = 0;
  private paren = -1;
  private quote = -1;
  private tab = -1;
  /** Start of the last token asked about: the cached positions hold for starts at or after it. */
  private from = 0;

  reset(line: string, end: number): void {
    this.line = line;
    this.end = end;
    this.paren = -1;
    this.quote = -1;
    this.tab = -1;
    this.from = 0;
  }

  /** End of the token starting at `a` (a non-blank). */
  tokenEnd(a: number): number {
    const { line, end } = this;
    if (a < this.from) {
      // going back (the extras start before the last leading column read): search again
      this.paren = -1;
      this.quote = -1;
      this.tab = -1;
    }
    this.from = a;
    if (this.paren < a) this.paren = indexIn(line, "(", a, end);
    if (this.quote < a) this.quote = indexIn(line, '"', a, end);
    if (this.tab < a) this.tab = indexIn(line, "\t", a, end);
    const space = indexIn(line, " ", a, end);
    if (this.tab < space && this.tab < this.paren && this.tab < this.quote) return this.tab;
    if (this.paren >= space && this.quote >= space) return space;
    if (this.paren < this.quote && this.tab > this.paren) {
      // the usual "key:(a,b,c)": ends at its ")" when nothing is nested inside
      const close = indexIn(line, ")", this.paren, end);
      if (
        close < end &&
        close < this.quote &&
        close < this.tab &&
        indexIn(line, "(", this.paren + 1, close) === close
      ) {
        const after = close + 1;
        if (after === end || line.charCodeAt(after) === 32) return after;
      }
    }
    return tokenEnd(line, a, end);
  }
}

/** Same result as parseRateBps(line.slice(a, b)); "<digits>bps", what ss prints, read in place. */
function rateAt(line: string, a: number, b: number): number | undefined {
  if (b - a > 3 && line.startsWith("bps", b - 3)) {
    const d = digitsAt(line, a, b - 3);
    if (d >= 0) return d;
  }
  return parseRateBps(line.slice(a, b));
}

/**
 * Reads the tokens of line[pos, end) (after the address columns, or a continuation line) into the
 * socket. One table lookup per token decides what it is; values are read in place. `scan` is
 * reset to this line by the caller.
 */
function readExtras(
  line: string,
  pos: number,
  end: number,
  sock: SocketEntry,
  st: ExtraState,
  scan: TokenScanner,
): void {
  const info: TcpInfo = sock.info ?? {};
  let infoSeen = false;
  let a = skipBlanks(line, pos, end);
  while (a < end) {
    const b = scan.tokenEnd(a);
    // the next token, needed by "send 96.5Mbps" and "<cc> wscale:..."
    const na = skipBlanks(line, b, end);
    const colon = indexIn(line, ":", a, b);
    if (colon === b) {
      const w = WORDS.get(line, a, b);
      if (w !== undefined) {
        if (w.kind === "ignore") {
          a = na;
          continue;
        }
        if (w.kind === "app_limited") {
          info.appLimited = true;
          infoSeen = true;
          a = na;
          continue;
        }
        if (w.kind === "flag") {
          info[w.flag] = true;
          infoSeen = true;
          a = na;
          continue;
        }
        if (w.kind === "cc") {
          info.cc = w.name;
          infoSeen = true;
          a = na;
          continue;
        }
        if (na < end) {
          const nb = scan.tokenEnd(na);
          const v = rateAt(line, na, nb);
          if (v !== undefined) {
            setInfoNumber(info, w.field, v);
            infoSeen = true;
            a = skipBlanks(line, nb, end);
            continue;
          }
        }
      }
    }
    if (colon === b || colon === a) {
      // unknown bare word: a congestion control module we do not list prints the same way
      const t = line.slice(a, b);
      if (
        colon === b &&
        /^[a-z][a-z0-9_]*$/.test(t) &&
        info.cc === undefined &&
        na < end &&
        line.startsWith("wscale:", na)
      ) {
        info.cc = t;
        infoSeen = true;
      } else st.unknown.add(t);
      a = na;
      continue;
    }
    const k = KEYS.get(line, a, colon);
    const at = colon + 1;
    if (k === undefined) {
      infoSeen = true;
      st.unknown.add(line.slice(a, colon));
      a = na;
      continue;
    }
    a = na;
    switch (k.kind) {
      case "users": {
        const procs = usersAt(line, at, b);
        if (procs.length) sock.processes = sock.processes ? sock.processes.concat(procs) : procs;
        continue;
      }
      case "timer":
      case "skmem":
      case "mem": {
        // the value in parentheses: one "(" and one ")" around it are dropped
        const va = line.charCodeAt(at) === 40 && at < b ? at + 1 : at;
        const vb = b > va && line.charCodeAt(b - 1) === 41 ? b - 1 : b;
        if (k.kind === "timer") sock.timer = parseTimer(line.slice(va, vb));
        else {
          const mem: SkMem = {};
          parseSkmem(line, va, vb, k.kind === "mem", mem);
          sock.skmem = mem;
        }
        continue;
      }
      case "uid":
      case "ino": {
        const v = intAt(line, at, b);
        if (v !== undefined) {
          if (k.kind === "uid") sock.uid = v;
          else sock.inode = v;
        }
        continue;
      }
      case "ignore":
        if (k.cc && info.cc === undefined) info.cc = k.name;
        continue;
    }
    infoSeen = true;
    switch (k.kind) {
      case "num": {
        const d = digitsAt(line, at, b);
        if (d >= 0) setInfoNumber(info, k.field, d);
        else {
          const val = line.slice(at, b);
          const v = toNum(val) ?? looseCount(val);
          if (v !== undefined) setInfoNumber(info, k.field, v);
        }
        break;
      }
      case "rtt": {
        // "a/b" read as split("/") would: b stops at a further "/"
        const slash = indexIn(line, "/", at, b);
        const rtt = numberAt(line, at, slash);
        const rttvar = slash < b ? numberAt(line, slash + 1, indexIn(line, "/", slash + 1, b)) : undefined;
        if (rtt !== undefined) info.rtt = rtt;
        if (rttvar !== undefined) info.rttvar = rttvar;
        break;
      }
      case "wscale":
      case "retrans": {
        const sep = k.kind === "wscale" ? "," : "/";
        const cut = indexIn(line, sep, at, b);
        const first = intAt(line, at, cut);
        const second = cut < b ? intAt(line, cut + 1, indexIn(line, sep, cut + 1, b)) : undefined;
        if (k.kind === "wscale") {
          if (first !== undefined) info.wscaleSnd = first;
          if (second !== undefined) info.wscaleRcv = second;
        } else {
          if (first !== undefined) info.retrans = first;
          if (second !== undefined) info.retransTotal = second;
        }
        break;
      }
      case "rate": {
        // not printed by ss; hand-written examples use it for the achieved rate
        const v = rateAt(line, at, b);
        if (v !== undefined) info.deliveryRateBps = v;
        break;
      }
      case "ms": {
        // "rwnd_limited:28ms(3.0%)": the share in parentheses is not kept
        const v = parseDurationMs(line.slice(at, b).replace(/\(.*$/, ""));
        if (v !== undefined) setInfoNumber(info, k.field, v);
        break;
      }
    }
  }
  if (infoSeen || sock.info) sock.info = info;
}

/**
 * info[field] = v with a store per field: one store site seeing forty names would be slow on a
 * table of 100k sockets.
 */
function setInfoNumber(info: TcpInfo, field: NumField, v: number): void {
  switch (field) {
    case "rto":
      info.rto = v;
      return;
    case "ato":
      info.ato = v;
      return;
    case "mss":
      info.mss = v;
      return;
    case "pmtu":
      info.pmtu = v;
      return;
    case "rcvmss":
      info.rcvmss = v;
      return;
    case "advmss":
      info.advmss = v;
      return;
    case "cwnd":
      info.cwnd = v;
      return;
    case "ssthresh":
      info.ssthresh = v;
      return;
    case "bytesSent":
      info.bytesSent = v;
      return;
    case "bytesRetrans":
      info.bytesRetrans = v;
      return;
    case "bytesAcked":
      info.bytesAcked = v;
      return;
    case "bytesReceived":
      info.bytesReceived = v;
      return;
    case "segsOut":
      info.segsOut = v;
      return;
    case "segsIn":
      info.segsIn = v;
      return;
    case "dataSegsOut":
      info.dataSegsOut = v;
      return;
    case "dataSegsIn":
      info.dataSegsIn = v;
      return;
    case "delivered":
      info.delivered = v;
      return;
    case "lastsnd":
      info.lastsnd = v;
      return;
    case "lastrcv":
      info.lastrcv = v;
      return;
    case "lastack":
      info.lastack = v;
      return;
    case "unacked":
      info.unacked = v;
      return;
    case "lost":
      info.lost = v;
      return;
    case "sacked":
      info.sacked = v;
      return;
    case "dsack":
      info.dsack = v;
      return;
    case "reordering":
      info.reordering = v;
      return;
    case "reordSeen":
      info.reordSeen = v;
      return;
    case "rcvRtt":
      info.rcvRtt = v;
      return;
    case "rcvSpace":
      info.rcvSpace = v;
      return;
    case "rcvSsthresh":
      info.rcvSsthresh = v;
      return;
    case "minrtt":
      info.minrtt = v;
      return;
    case "notsent":
      info.notsent = v;
      return;
    case "sndWnd":
      info.sndWnd = v;
      return;
    case "rcvWnd":
      info.rcvWnd = v;
      return;
    case "backoff":
      info.backoff = v;
      return;
    case "busyMs":
      info.busyMs = v;
      return;
    case "rwndLimitedMs":
      info.rwndLimitedMs = v;
      return;
    case "sndbufLimitedMs":
      info.sndbufLimitedMs = v;
      return;
    case "sendBps":
      info.sendBps = v;
      return;
    case "pacingRateBps":
      info.pacingRateBps = v;
      return;
    case "deliveryRateBps":
      info.deliveryRateBps = v;
      return;
    default:
      info[field] = v;
  }
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

/** First letters of the header (Netid, State, Recv-Q) and `ss -s` lines (Total, TCP, Transport, RAW, UDP, INET, FRAG). */
const HEADER_LEADS = "NSRTUIF";

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
  const scan = new TokenScanner();
  // leading columns of the current line and where each ends (reused line after line)
  const toks: string[] = [];
  const ends: number[] = [];
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
      scan.reset(trimmed, trimmed.length);
      readExtras(trimmed, 0, trimmed.length, last, extra, scan);
      continue;
    }

    // header and `ss -s` lines start with one of these: ESTAB, LISTEN, CLOSE-WAIT... lines skip them
    if (HEADER_LEADS.includes(trimmed[0])) {
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
    }

    // the leading columns: [Netid] [State] Recv-Q Send-Q Local Peer; the rest is read in place
    const end = trimmed.length;
    toks.length = 0;
    ends.length = 0;
    scan.reset(trimmed, end);
    for (let pos = 0; toks.length < 6 && pos < end;) {
      const b = scan.tokenEnd(pos);
      toks.push(trimmed.slice(pos, b));
      ends.push(b);
      pos = skipBlanks(trimmed, b, end);
    }
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
    readExtras(trimmed, ends[idx + 3], end, sock, extra, scan);
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
