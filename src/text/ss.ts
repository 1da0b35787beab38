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

/** A count like "9.2K" or "1,234" or "12M" as hand-written examples show, else a plain integer. */
function looseCount(s: string): number | undefined {
  const n = toInt(s);
  if (n !== undefined) return n;
  const m = /^(\d+(?:\.\d+)?)([KMG])$/.exec(s);
  if (m) return Math.round(Number(m[1]) * { K: 1e3, M: 1e6, G: 1e9 }[m[2] as "K" | "M" | "G"]);
  if (/^\d{1,3}(,\d{3})+$/.test(s)) return Number(s.replace(/,/g, ""));
  return undefined;
}

function parseUsers(tok: string): { name: string; pid: number; fd: number }[] {
  const out: { name: string; pid: number; fd: number }[] = [];
  const re = /\("((?:[^"\\]|\\.)*)",(?:pid=)?(\d+),(?:fd=)?(\d+)\)/g;
  for (let m = re.exec(tok); m; m = re.exec(tok))
    out.push({ name: m[1], pid: Number(m[2]), fd: Number(m[3]) });
  return out;
}

function parseSkmem(inner: string, legacy: boolean): SkMem {
  const mem: SkMem = {};
  for (const part of inner.split(",")) {
    const m = /^([a-z]+)(\d+)$/.exec(part.trim());
    if (!m) continue;
    const v = Number(m[2]);
    if (legacy) {
      // old `ss -m`: mem:(r<rmem_alloc>,w<wmem_queued>,f<fwd_alloc>,t<wmem_alloc>)
      if (m[1] === "r") mem.r = v;
      else if (m[1] === "w") mem.w = v;
      else if (m[1] === "f") mem.f = v;
      else if (m[1] === "t") mem.t = v;
      continue;
    }
    switch (m[1]) {
      case "r":
      case "rb":
      case "t":
      case "tb":
      case "f":
      case "w":
      case "o":
      case "bl":
      case "d":
        mem[m[1]] = v;
        break;
    }
  }
  return mem;
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

interface ExtraState {
  unknown: Set<string>;
}

/** Reads the tokens after the address columns (or of a continuation line) into the socket. */
function readExtras(toks: string[], sock: SocketEntry, st: ExtraState): void {
  const info: TcpInfo = sock.info ?? {};
  let infoSeen = false;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (IGNORED_FLAGS.has(t)) {
      if (t === "app_limited") {
        info.appLimited = true;
        infoSeen = true;
      }
      continue;
    }
    if (t === "ts" || t === "sack" || t === "ecn") {
      info[t] = true;
      infoSeen = true;
      continue;
    }
    if (CC_NAMES.has(t)) {
      info.cc = t;
      infoSeen = true;
      continue;
    }
    const rateField = INFO_RATE_NEXT.get(t);
    if (rateField && i + 1 < toks.length) {
      const v = parseRateBps(toks[i + 1]);
      if (v !== undefined) {
        info[rateField] = v;
        infoSeen = true;
        i++;
        continue;
      }
    }
    const colon = t.indexOf(":");
    if (colon <= 0) {
      // unknown bare word: a congestion control module we do not list prints the same way
      if (
        /^[a-z][a-z0-9_]*$/.test(t) &&
        info.cc === undefined &&
        i + 1 < toks.length &&
        /^wscale:/.test(toks[i + 1])
      ) {
        info.cc = t;
        infoSeen = true;
      } else st.unknown.add(t);
      continue;
    }
    const key = t.slice(0, colon);
    const val = t.slice(colon + 1);
    if (key === "users") {
      const procs = parseUsers(val);
      if (procs.length) sock.processes = [...(sock.processes ?? []), ...procs];
      continue;
    }
    if (key === "timer") {
      sock.timer = parseTimer(val.replace(/^\(|\)$/g, ""));
      continue;
    }
    if (key === "skmem" || key === "mem") {
      sock.skmem = parseSkmem(val.replace(/^\(|\)$/g, ""), key === "mem");
      continue;
    }
    if (key === "uid") {
      const v = toInt(val);
      if (v !== undefined) sock.uid = v;
      continue;
    }
    if (key === "ino") {
      const v = toInt(val);
      if (v !== undefined) sock.inode = v;
      continue;
    }
    if (IGNORED_KEYS.has(key)) {
      if ((key === "bbr" || key === "dctcp" || key === "vegas") && info.cc === undefined) info.cc = key;
      continue;
    }
    infoSeen = true;
    if (key === "rtt") {
      const [a, b] = val.split("/");
      const rtt = toNum(a);
      const rttvar = toNum(b);
      if (rtt !== undefined) info.rtt = rtt;
      if (rttvar !== undefined) info.rttvar = rttvar;
      continue;
    }
    if (key === "wscale") {
      const [a, b] = val.split(",");
      const snd = toInt(a);
      const rcv = toInt(b);
      if (snd !== undefined) info.wscaleSnd = snd;
      if (rcv !== undefined) info.wscaleRcv = rcv;
      continue;
    }
    if (key === "retrans") {
      const [a, b] = val.split("/");
      const cur = toInt(a);
      const total = toInt(b);
      if (cur !== undefined) info.retrans = cur;
      if (total !== undefined) info.retransTotal = total;
      continue;
    }
    if (key === "rate") {
      // not printed by ss; hand-written examples use it for the achieved rate
      const v = parseRateBps(val);
      if (v !== undefined) info.deliveryRateBps = v;
      continue;
    }
    const msField = INFO_MS.get(key);
    if (msField) {
      const v = parseDurationMs(val.replace(/\(.*$/, ""));
      if (v !== undefined) info[msField] = v;
      continue;
    }
    const numField = INFO_NUM.get(key);
    if (numField) {
      const v = toNum(val) ?? looseCount(val);
      if (v !== undefined) info[numField] = v;
      continue;
    }
    st.unknown.add(key);
  }
  if (infoSeen || sock.info) sock.info = info;
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
      readExtras(tokens(trimmed), last, extra);
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
      source: sourceRef(path, lineNo, raw),
    };
    readExtras(toks.slice(idx + 4), sock, extra);
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
