// tcpdump text (what `tcpdump -r` or a live tcpdump prints) back into DecodedPacket records, so a
// pasted trace goes through the same TCP analysis as a binary capture.
//
// What makes this more than a line regex:
// - tcpdump prints relative sequence numbers unless -S: the first ACK-bearing packet of a
//   connection (or any SYN with ACK) is printed absolute and sets the bases, later packets print
//   seq - base and ack - base. We replay that bookkeeping to recover the absolute values exactly.
// - pure ACKs carry no printed sequence number; it is inferred from what the sender sent before
//   (and keepalive / zero-window probes, which tcpdump cannot show, from the peer's ACK - 1).
// - -v splits one packet over two lines, ICMP errors quote the offending packet on further lines,
//   and pasted text brings prompts, "(… more …)" notes and odd spacing. Nothing here throws.
import {
  type DecodedPacket,
  type IcmpError,
  type IpHeader,
  LinkType,
  TcpFlag,
  type TcpHeader,
  type TcpOptions,
} from "../core/types.js";

export type TcpdumpTimestamps = "none" | "tt" | "ttt" | "tttt" | "clock";

export interface TcpdumpFormat {
  timestamps: TcpdumpTimestamps;
  /** -v/-vv: the IP header fields were printed (ttl, id, DF, length). */
  verbose: boolean;
  /** -S: sequence numbers were printed absolute (detected from the numbers themselves). */
  absoluteSeq: boolean;
  /** -e: link-layer headers (MAC addresses, ethertype) were printed. */
  linkHeaders: boolean;
}

export interface TcpdumpSkip {
  /** 1-based line number in the input. */
  line: number;
  text: string;
  reason: string;
  /**
   * True when the line should have carried a TCP or ICMP packet and could not be read (names
   * instead of numbers, a garbled or cut line); false for lines passed over on purpose (ARP, UDP,
   * prompts and other text around the trace).
   */
  unreadable: boolean;
}

export interface TcpdumpParseResult {
  packets: DecodedPacket[];
  skipped: TcpdumpSkip[];
  format: TcpdumpFormat;
  /** tcpdump's own closing statistics, when they were pasted along ("N packets dropped by kernel"). */
  droppedByKernel?: number;
}

/** One packet record of the text: where it starts and ends (1-based lines) and its frame number. */
export interface TcpdumpRecordSpan {
  frame: number;
  firstLine: number;
  lastLine: number;
}

const U32 = 0x1_0000_0000;
const u32 = (n: number): number => ((n % U32) + U32) % U32;

// ---------------------------------------------------------------------------------------------
// Cheap content detection

const TCP_CORE = /\S\.\d+\s+>\s+\S+\.\d+:\s+Flags \[[^\]]*\]/;
const ICMP_CORE = /\S\s+>\s+\S+:\s+(?:\[[^\]]*\] )?ICMP6?[ ,]/;

/** True when the text contains at least one line shaped like tcpdump's TCP or ICMP output. */
export function looksLikeTcpdump(text: string): boolean {
  let start = 0;
  for (let n = 0; n < 400 && start < text.length; n++) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + 2000));
    if (TCP_CORE.test(line) || (ICMP_CORE.test(line) && /\bIP6? |ethertype IPv/.test(line))) return true;
    start = end + 1;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Record splitting

const TS_TTTT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+/;
const TS_EPOCH = /^(\d+)\.(\d{1,9})\s+/;
const TS_CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/i;
/** How a packet line may begin when tcpdump printed no timestamp (-t). */
const PACKET_START =
  /^(?:IP6? |IP6?,|ARP,|RARP,|ip6?: |AF IPv|LLDP|STP |CDP|LACP|EAPOL|IPX|llc|vlan \d|(?:[0-9a-f]{2}:){5}[0-9a-f]{2} |\S+\s+(?:In|Out|B|M|P)\s+\S)/i;

interface RawLine {
  /** 1-based line number. */
  no: number;
  text: string;
}

interface RecordLines {
  frame: number;
  lines: RawLine[];
  /** Leading whitespace of the first line before the common indentation was removed. */
  leadingSpace: boolean;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function indentOf(line: string): number {
  const m = /^[ \t]*/.exec(line);
  return m ? m[0].length : 0;
}

function hasTimestamp(s: string): boolean {
  return TS_TTTT.test(s) || TS_EPOCH.test(s) || TS_CLOCK.test(s);
}

/**
 * Groups lines into packet records: a record starts at a non-indented line that begins with a
 * timestamp or a packet keyword; indented lines continue it (-v second line, payload, hex dump).
 * Lines that are neither (prompts, notes, tcpdump chatter) are returned as strays.
 */
function groupRecords(lines: string[]): { records: RecordLines[]; strays: RawLine[] } {
  // Pasted traces are often indented as a block: drop the indentation all lines share.
  let common = Number.POSITIVE_INFINITY;
  for (const l of lines) if (l.trim() !== "") common = Math.min(common, indentOf(l));
  if (!Number.isFinite(common)) common = 0;

  const records: RecordLines[] = [];
  const strays: RawLine[] = [];
  let current: RecordLines | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === "") continue;
    const line = raw.slice(common);
    const indented = /^[ \t]/.test(line);
    const trimmed = line.trimStart();
    // -ttt prints a leading space before every timestamp; such a line still starts a record.
    const startsRecord =
      (!indented || (/^ \d/.test(line) && hasTimestamp(trimmed))) &&
      (hasTimestamp(trimmed) || PACKET_START.test(trimmed));
    if (startsRecord) {
      current = { frame: records.length + 1, lines: [{ no: i + 1, text: trimmed }], leadingSpace: indented };
      records.push(current);
    } else if (indented && current) {
      current.lines.push({ no: i + 1, text: line });
    } else {
      current = undefined;
      strays.push({ no: i + 1, text: raw });
    }
  }
  return { records, strays };
}

/** Record boundaries of a tcpdump text, in the same frame numbering as parseTcpdump's packets. */
export function tcpdumpRecordSpans(text: string): TcpdumpRecordSpan[] {
  return groupRecords(splitLines(text)).records.map((r) => ({
    frame: r.frame,
    firstLine: r.lines[0].no,
    lastLine: r.lines[r.lines.length - 1].no,
  }));
}

// ---------------------------------------------------------------------------------------------
// Timestamps

interface Stamp {
  style: "tt" | "tttt" | "clock";
  /** Seconds (since the epoch for tt/tttt, since midnight for clock) and nanoseconds. */
  sec: number;
  nsec: number;
}

function fracToNs(frac: string | undefined): number {
  if (!frac) return 0;
  return Number(frac.padEnd(9, "0").slice(0, 9));
}

function takeTimestamp(s: string): { stamp?: Stamp; rest: string } {
  let m = TS_TTTT.exec(s);
  if (m) {
    const sec = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
    return { stamp: { style: "tttt", sec, nsec: fracToNs(m[7]) }, rest: s.slice(m[0].length) };
  }
  m = TS_EPOCH.exec(s);
  if (m) return { stamp: { style: "tt", sec: +m[1], nsec: fracToNs(m[2]) }, rest: s.slice(m[0].length) };
  m = TS_CLOCK.exec(s);
  if (m) {
    const sec = +m[1] * 3600 + +m[2] * 60 + +m[3];
    return { stamp: { style: "clock", sec, nsec: fracToNs(m[4]) }, rest: s.slice(m[0].length) };
  }
  return { rest: s };
}

// ---------------------------------------------------------------------------------------------
// One record → printed values (before sequence-number resolution)

interface PrintedTcp {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  flags: number;
  /** As printed: seq a[:b], ack, sack blocks. Resolved to absolute later. */
  seq?: number;
  seqEnd?: number;
  ack?: number;
  win: number;
  urg: number;
  length?: number;
  options: TcpOptions;
  /** Bytes of options as far as we can tell (for the header length). */
  optionBytes: number;
  /** tcpdump printed "[|tcp]": the capture ended inside the TCP header. */
  cut: boolean;
}

interface IpFields {
  version: 4 | 6;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  fragment?: { offset: number; more: boolean };
  protocol?: number;
  totalLen?: number;
  hasOptions?: boolean;
}

interface ParsedRecord {
  frame: number;
  line: number;
  stamp?: Stamp;
  ip: IpFields & { src: string; dst: string };
  tcp?: PrintedTcp;
  icmp?: IcmpError;
  /** The TCP header quoted inside an ICMP error (-v prints it). */
  quoted?: PrintedTcp;
  error?: string;
}

class SkipRecord extends Error {
  constructor(
    message: string,
    readonly unreadable: boolean,
  ) {
    super(message);
  }
}

/** Passes over a record that is not TCP or ICMP. */
function skip(reason: string): never {
  throw new SkipRecord(reason, false);
}

/** Gives up on a record that should have been TCP or ICMP. */
function fail(reason: string): never {
  throw new SkipRecord(reason, true);
}

/** Index just after the parenthesis that closes the one at `open`. */
function closeParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const PROTO_NUM: Record<string, number> = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  ICMP6: 58,
  GRE: 47,
  ESP: 50,
};

/** "(tos 0x0, ttl 64, id 42996, offset 0, flags [DF], proto TCP (6), length 60)" */
function parseIpv4Verbose(inner: string): IpFields {
  const f: IpFields = { version: 4 };
  const ttl = /\bttl (\d+)/.exec(inner);
  if (ttl) f.ttl = +ttl[1];
  const id = /\bid (\d+)/.exec(inner);
  if (id) f.id = +id[1];
  const off = /\boffset (\d+)/.exec(inner);
  const flags = /\bflags \[([^\]]*)\]/.exec(inner);
  if (flags) f.dontFragment = flags[1].includes("DF");
  const more = flags ? flags[1].includes("+") : false;
  const offset = off ? +off[1] : 0;
  if (more || offset > 0) f.fragment = { offset, more };
  const proto = /\bproto (\S+) \((\d+)\)/.exec(inner);
  if (proto) f.protocol = +proto[2];
  const len = /\blength (\d+)/.exec(inner);
  if (len) f.totalLen = +len[1];
  if (/\boptions \(/.test(inner)) f.hasOptions = true;
  return f;
}

/** "(flowlabel 0x5823d, hlim 64, next-header TCP (6) payload length: 40)" */
function parseIpv6Verbose(inner: string): IpFields {
  const f: IpFields = { version: 6 };
  const hlim = /\bhlim (\d+)/.exec(inner);
  if (hlim) f.ttl = +hlim[1];
  const nh = /\bnext-header \S+ \((\d+)\)/.exec(inner);
  if (nh) f.protocol = +nh[1];
  const len = /\bpayload length: (\d+)/.exec(inner);
  if (len) f.totalLen = 40 + +len[1];
  return f;
}

function isIPv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((x) => +x <= 255);
}

function isIPv6(s: string): boolean {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+(?:%\S+)?$/.test(s)) return false;
  const core = s.split("%")[0];
  const parts = core.split("::");
  return parts.length <= 2 && core.length >= 2;
}

/** "10.0.0.1.443" / "fd00::1.443" / "host.example.https" → address and port (or why not). */
function splitEndpoint(ep: string): { addr: string; port?: number; portName?: string; named: boolean } {
  const dot = ep.lastIndexOf(".");
  if (dot <= 0) return { addr: ep, named: !isIPv4(ep) && !isIPv6(ep) };
  const host = ep.slice(0, dot);
  const port = ep.slice(dot + 1);
  if (isIPv4(ep) || (isIPv6(ep) && !isIPv6(host))) return { addr: ep, named: false };
  const named = !isIPv4(host) && !isIPv6(host);
  if (/^\d+$/.test(port)) return { addr: host, port: +port, named };
  return { addr: host, portName: port, named };
}

function flagBits(letters: string): number {
  if (letters === "none") return 0;
  let f = 0;
  for (const c of letters) {
    if (c === "F") f |= TcpFlag.FIN;
    else if (c === "S") f |= TcpFlag.SYN;
    else if (c === "R") f |= TcpFlag.RST;
    else if (c === "P") f |= TcpFlag.PSH;
    else if (c === ".") f |= TcpFlag.ACK;
    else if (c === "U") f |= TcpFlag.URG;
    else if (c === "E") f |= TcpFlag.ECE;
    else if (c === "W") f |= TcpFlag.CWR;
    else if (c === "e") f |= 0x100; // AE (former NS)
  }
  return f;
}

/** Splits at ", " outside brackets, braces and parentheses. */
function splitTopLevel(s: string, sep = ","): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "[" || c === "{" || c === "(") depth++;
    else if (c === "]" || c === "}" || c === ")") depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter((x) => x !== "");
}

/** tcpdump's options list → TcpOptions (SACK edges still as printed) and their size in bytes. */
function parseOptions(list: string): { options: TcpOptions; bytes: number } {
  const o: TcpOptions = {};
  let bytes = 0;
  const unknown: number[] = [];
  for (const item of splitTopLevel(list)) {
    // "mss", "md5", "tcp-ao", and "unknown-" of "unknown-253"
    const word = /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)?-?/.exec(item)?.[0] ?? "";
    const nums = (item.match(/\d+/g) ?? []).map(Number);
    switch (word) {
      case "nop":
      case "eol":
        bytes += 1;
        break;
      case "mss":
        o.mss = nums[0];
        bytes += 4;
        break;
      case "wscale":
        o.wscale = nums[0];
        bytes += 3;
        break;
      case "sackOK":
        o.sackPermitted = true;
        bytes += 2;
        break;
      case "TS":
        // "TS val 1970160990 ecr 0"
        o.tsVal = nums[0];
        o.tsEcr = nums[1];
        bytes += 10;
        break;
      case "sack": {
        const blocks: [number, number][] = [];
        for (const b of item.matchAll(/\{(\d+):(\d+)\}/g)) blocks.push([+b[1], +b[2]]);
        if (blocks.length) o.sack = blocks;
        bytes += 2 + 8 * blocks.length;
        break;
      }
      case "tfo": {
        o.tfo = true;
        const cookie = /cookie ([0-9a-f]+)/i.exec(item);
        bytes += 2 + (cookie ? cookie[1].length / 2 : 0);
        break;
      }
      case "unknown-": {
        // "unknown-253 0xaabb"
        const hex = / 0x([0-9a-f]*)/i.exec(item);
        unknown.push(nums[0]);
        bytes += 2 + (hex ? hex[1].length / 2 : 0);
        break;
      }
      case "md5":
        unknown.push(19);
        bytes += 18;
        break;
      case "mptcp":
        // tcpdump prints the option length first: "mptcp 12 capable v1"
        unknown.push(30);
        bytes += nums[0] ?? 12;
        break;
      case "uto":
        unknown.push(28);
        bytes += 4;
        break;
      case "tcp-ao":
        unknown.push(29);
        bytes += 16;
        break;
      case "exp":
      case "experimental":
        unknown.push(254);
        bytes += 4;
        break;
      default:
        // the tail of the md5 text carries a comma of its own ("…with -M, can't check - …")
        if (!/^can't check/.test(item)) o.malformed = true;
    }
  }
  if (unknown.length) o.unknown = unknown;
  return { options: o, bytes };
}

/** The part after "src.port > dst.port: " of a TCP line: "Flags [S.], cksum …, seq …, length N…". */
function parseTcpBody(
  body: string,
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
): PrintedTcp | undefined {
  const fm = /^Flags \[([^\]]*)\]/.exec(body);
  if (!fm) return undefined;
  const t: PrintedTcp = {
    src,
    dst,
    srcPort,
    dstPort,
    flags: flagBits(fm[1]),
    win: 0,
    urg: 0,
    options: {},
    optionBytes: 0,
    cut: false,
  };
  let rest = body.slice(fm[0].length);
  // Items follow as ", name value"; the payload summary after "length N" may contain anything.
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, "");
    if (rest === "") break;
    if (rest.startsWith("[|tcp]") || rest.startsWith("[|")) {
      t.cut = true;
      break;
    }
    if (rest.startsWith("options [")) {
      // Options end at the "]" that closes the list ("[bad opt]" may leave it unclosed).
      let depth = 0;
      let end = -1;
      for (let i = "options ".length; i < rest.length; i++) {
        if (rest[i] === "[") depth++;
        else if (rest[i] === "]") {
          depth--;
          if (depth === 0) {
            end = i;
            break;
          }
        }
      }
      const list = rest.slice("options [".length, end < 0 ? rest.length : end);
      const parsed = parseOptions(list);
      t.options = parsed.options;
      t.optionBytes = parsed.bytes;
      if (end < 0) {
        t.options.malformed = true;
        break;
      }
      rest = rest.slice(end + 1);
      continue;
    }
    const lm = /^length (\d+)/.exec(rest);
    if (lm) {
      t.length = +lm[1];
      break;
    }
    const comma = nextTopLevelComma(rest);
    const item = comma < 0 ? rest : rest.slice(0, comma);
    rest = comma < 0 ? "" : rest.slice(comma + 1);
    const seq = /^seq (\d+)(?::(\d+))?/.exec(item);
    const field = /^(ack|win|urg) (\d+)/.exec(item);
    if (seq) {
      t.seq = +seq[1];
      if (seq[2] !== undefined) t.seqEnd = +seq[2];
    } else if (field) {
      if (field[1] === "ack") t.ack = +field[2];
      else if (field[1] === "win") t.win = +field[2];
      else t.urg = +field[2];
    } else if (/^\[\|/.test(item)) t.cut = true;
    // cksum, [tcp sum ok], [bad hdr length], …: nothing we need
  }
  return t;
}

function nextTopLevelComma(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "[" || c === "(" || c === "{") depth++;
    else if (c === "]" || c === ")" || c === "}") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) return i;
  }
  return -1;
}

/** "src > dst: rest" with endpoints as printed. */
const ENDPOINTS = /^(\S+)\s+>\s+(\S+):(?:\s+(.*))?$/;

interface Transport {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  body: string;
}

function parseTransport(s: string): Transport {
  const m = ENDPOINTS.exec(s);
  if (!m) fail("no 'source > destination:' part");
  const a = splitEndpoint(m[1]);
  const b = splitEndpoint(m[2]);
  if (a.named || b.named) fail("host names instead of addresses (print with tcpdump -n)");
  if (a.portName !== undefined || b.portName !== undefined)
    fail(`port name '${a.portName ?? b.portName}' instead of a number (print with tcpdump -nn)`);
  return { src: a.addr, dst: b.addr, srcPort: a.port, dstPort: b.port, body: (m[3] ?? "").trim() };
}

/** ICMP/ICMPv6 message text → error type/code/kind, MTU, and what it says about the quoted packet. */
function parseIcmpText(
  body: string,
  version: 4 | 6,
  outer: { src: string; dst: string },
): { icmp?: IcmpError; nonError?: string } {
  const text = body.replace(/^\[[^\]]*\]\s*/, "");
  // The quoted packet was sent by the host the error goes back to.
  const inner = (dst: string | undefined, protocol: number, dstPort?: number): IcmpError["inner"] =>
    dst ? { src: outer.dst, dst, protocol, ...(dstPort !== undefined ? { dstPort } : {}) } : undefined;
  const error = (type: number, code: number, kind: IcmpError["kind"], more?: Partial<IcmpError>) => {
    const icmp: IcmpError = { version, type, code, kind };
    if (more?.mtu !== undefined) icmp.mtu = more.mtu;
    if (more?.inner !== undefined) icmp.inner = more.inner;
    return { icmp };
  };
  if (version === 4) {
    if (!/^ICMP\b/.test(text)) return { nonError: "not an ICMP message" };
    const t = text.replace(/^ICMP,?\s*/, "");
    const frag = /^(\S+) unreachable - need to frag(?: \(mtu (\d+)\))?/.exec(t);
    if (frag)
      return error(3, 4, "frag-needed", { ...(frag[2] ? { mtu: +frag[2] } : {}), inner: inner(frag[1], 0) });
    const port = /^(\S+) (tcp|udp) port (\d+) unreachable/.exec(t);
    if (port)
      return error(3, 3, "unreachable", { inner: inner(port[1], port[2] === "tcp" ? 6 : 17, +port[3]) });
    const proto = /^(\S+) protocol (\d+) unreachable/.exec(t);
    if (proto) return error(3, 2, "unreachable", { inner: inner(proto[1], +proto[2]) });
    const hostNet = /^(net|host) (\S+) unreachable(?: - (.*?))?(?:, length \d+)?$/.exec(t);
    if (hostNet) {
      const detail = hostNet[3] ?? "";
      const net = hostNet[1] === "net";
      let code = net ? 0 : 1;
      if (/admin prohibited filter/.test(detail)) code = 13;
      else if (/admin prohibited/.test(detail)) code = net ? 9 : 10;
      else if (/tos/.test(detail)) code = net ? 11 : 12;
      else if (/source route failed/.test(detail)) code = 5;
      else if (/unknown/.test(detail)) code = net ? 6 : 7;
      return error(3, code, "unreachable", { inner: inner(hostNet[2], 0) });
    }
    const srcRoute = /^(\S+) unreachable - source route failed/.exec(t);
    if (srcRoute) return error(3, 5, "unreachable", { inner: inner(srcRoute[1], 0) });
    if (/^time exceeded in-transit/.test(t)) return error(11, 0, "time-exceeded");
    if (/^ip reassembly time exceeded/.test(t)) return error(11, 1, "time-exceeded");
    if (/^redirect /.test(t)) return error(5, 0, "other");
    if (/^parameter problem/.test(t)) return error(12, 0, "other");
    if (/\bunreachable\b/.test(t)) return error(3, 0, "unreachable");
    return { nonError: "ICMP message that is not an error" };
  }
  if (!/^ICMP6\b/.test(text)) return { nonError: "not an ICMPv6 message" };
  const t = text.replace(/^ICMP6,?\s*/, "");
  const ptb = /^packet too big, mtu (\d+)/.exec(t);
  if (ptb) return error(2, 0, "packet-too-big", { mtu: +ptb[1] });
  if (/^destination unreachable/.test(t)) {
    const u = t.replace(/^destination unreachable,?\s*/, "");
    const port = /^unreachable port,? (\S+) (tcp|udp) port (\d+)/.exec(u);
    if (port)
      return error(1, 4, "unreachable", { inner: inner(port[1], port[2] === "tcp" ? 6 : 17, +port[3]) });
    const codes: [RegExp, number][] = [
      [/^unreachable route/, 0],
      [/^unreachable prohibited/, 1],
      [/^beyond scope/, 2],
      [/^unreachable address/, 3],
      [/^unreachable port/, 4],
      [/^source address failed policy|^failed policy/, 5],
      [/^reject route/, 6],
    ];
    for (const [re, code] of codes) {
      if (re.test(u)) {
        const addr = /(?:route|prohibited|scope|address|port|policy)[, ]+(?:to )?([0-9a-f:.]+)/i.exec(u);
        return error(1, code, "unreachable", { inner: inner(addr?.[1], 0) });
      }
    }
    return error(1, 0, "unreachable");
  }
  if (/^time exceeded/.test(t)) {
    const addr = /for (\S+?),?(?:\s|$)/.exec(t);
    return error(3, /reassembly/.test(t) ? 1 : 0, "time-exceeded", { inner: inner(addr?.[1], 0) });
  }
  if (/^parameter problem/.test(t)) return error(4, 0, "other");
  return { nonError: "ICMPv6 message that is not an error" };
}

/** Everything before the network layer: link headers (-e), the any/SLL interface and direction. */
function stripLinkLayer(s: string): { rest: string; linkHeaders: boolean; ethertype?: string } {
  let rest = s;
  let linkHeaders = false;
  // Linux "any" (SLL2) and SLL: "eth0  Out IP …", "Out 02:00:… ethertype IPv4 (0x0800), length 76: …"
  const dirm = /^(?:(\S+)\s+)?(In|Out|B|M|P)\s+(?=\S)/.exec(rest);
  if (dirm && (dirm[1] === undefined ? /^(In|Out|B|M|P) (?:[0-9a-f]{2}:|ifindex)/.test(rest) : true)) {
    rest = rest.slice(dirm[0].length);
  }
  // tcpdump adds "ifindex N" on SLL2 with -e
  rest = rest.replace(/^ifindex \d+ /, "");
  let ethertype: string | undefined;
  const etherRe = /ethertype ([^(,]+?) \(0x[0-9a-f]{4}\)(?:, length \d+:)?,? ?/gi;
  if (MAC.test(rest) || /^ethertype /.test(rest) || /ethertype [^(,]+ \(0x/.test(rest.slice(0, 200))) {
    let last: RegExpExecArray | null = null;
    let m: RegExpExecArray | null;
    etherRe.lastIndex = 0;
    // biome-ignore lint/suspicious/noAssignInExpressions: regex scan loop
    while ((m = etherRe.exec(rest)) !== null) last = m;
    if (last) {
      linkHeaders = true;
      ethertype = last[1];
      rest = rest.slice(last.index + last[0].length);
      // VLAN tags sit between two ethertypes: "vlan 100, p 0, ethertype IPv4 (0x0800), …" (already skipped)
    }
  }
  // -e on raw IP and loopback
  let m = /^(ip6?): /.exec(rest);
  if (m) {
    linkHeaders = true;
    ethertype = m[1] === "ip6" ? "IPv6" : "IPv4";
    rest = rest.slice(m[0].length);
  }
  m = /^AF (IPv[46]) \(\d+\), length \d+: /.exec(rest);
  if (m) {
    linkHeaders = true;
    ethertype = m[1];
    rest = rest.slice(m[0].length);
  }
  return { rest, linkHeaders, ethertype };
}

interface RecordContext {
  verbose: boolean;
  linkHeaders: boolean;
}

/** Parses one grouped record (no sequence-number resolution yet). Throws SkipRecord with a reason. */
function parseRecord(rec: RecordLines, ctx: RecordContext): ParsedRecord {
  const first = rec.lines[0];
  const { stamp, rest: afterTs } = takeTimestamp(first.text);
  const link = stripLinkLayer(afterTs);
  if (link.linkHeaders) ctx.linkHeaders = true;
  let s = link.rest;
  let version: 4 | 6 | undefined;
  if (link.ethertype === "IPv4") version = 4;
  else if (link.ethertype === "IPv6") version = 6;
  else if (link.ethertype && /^(ARP|Reverse ARP)/i.test(link.ethertype)) skip("ARP, not TCP or ICMP");
  else if (link.ethertype) skip(`${link.ethertype.trim()} frame, not IP`);

  if (/^IP6\b/.test(s)) {
    version = 6;
    s = s.replace(/^IP6\s*/, "");
  } else if (/^IP\b/.test(s)) {
    version = 4;
    s = s.replace(/^IP\s*/, "");
  } else if (version === undefined) {
    const word = /^[A-Za-z0-9.-]+/.exec(s)?.[0] ?? s.slice(0, 20);
    if (/^(ARP|RARP)/i.test(s)) skip("ARP, not TCP or ICMP");
    skip(`${word || "line"} is not an IP packet`);
  }

  let ipf: IpFields = { version };
  let transportLine = s;
  let nextLine = 1;
  if (s.startsWith("(")) {
    const end = closeParen(s, 0);
    if (end < 0) fail("unterminated IP header in parentheses");
    const inside = s.slice(1, end - 1);
    ctx.verbose = true;
    ipf = version === 6 ? parseIpv6Verbose(inside) : parseIpv4Verbose(inside);
    transportLine = s.slice(end).trim();
    if (transportLine === "") {
      // -v on IPv4: the transport line is the next (indented) line
      const next = rec.lines[1];
      if (!next) fail("verbose IP header without its TCP/ICMP line");
      transportLine = next.text.trim();
      nextLine = 2;
    }
  }
  if (ipf.protocol !== undefined && ipf.protocol !== 6 && ipf.protocol !== 1 && ipf.protocol !== 58) {
    const name =
      Object.keys(PROTO_NUM).find((k) => PROTO_NUM[k] === ipf.protocol) ?? `protocol ${ipf.protocol}`;
    skip(`${name}, not TCP or ICMP`);
  }
  const tr = parseTransport(transportLine);
  const ip = { ...ipf, src: tr.src, dst: tr.dst };
  const out: ParsedRecord = { frame: rec.frame, line: first.no, stamp, ip };

  if (tr.srcPort !== undefined && tr.dstPort !== undefined) {
    const tcp = parseTcpBody(tr.body, tr.src, tr.dst, tr.srcPort, tr.dstPort);
    if (!tcp) {
      if (/^Flags \[/.test(tr.body)) fail("TCP line cut short in its flags");
      if (/^ip-proto-\d+/.test(tr.body)) skip("IP fragment without the TCP header");
      if (/^(UDP|\[udp|\d+[+*]? |domain|NTP|syslog|SNMP)/.test(tr.body)) skip("UDP, not TCP or ICMP");
      if (/^[SFRP.]+ \d+:\d+\(\d+\)|^[SFRP.] \d/.test(tr.body))
        fail("old tcpdump TCP format (before 4.0) is not read; print with a newer tcpdump");
      skip("no 'Flags [..]': not TCP");
    }
    out.ip.protocol = 6;
    out.tcp = tcp;
    return out;
  }
  if (/^ip-proto-\d+/.test(tr.body)) skip("IP fragment without the TCP header");
  const icmp = parseIcmpText(tr.body, version as 4 | 6, tr);
  if (icmp.nonError && /^(\[[^\]]*\] )?ICMP/.test(tr.body)) {
    // Echo, neighbour discovery…: an ICMP packet, but no error to attach to a connection.
    out.ip.protocol = version === 6 ? 58 : 1;
    return out;
  }
  if (!icmp.icmp) skip(icmp.nonError ?? "not TCP or ICMP");
  out.ip.protocol = version === 6 ? 58 : 1;
  out.icmp = icmp.icmp;
  // -v quotes the offending packet: "\tIP (…proto TCP (6)…)" then "    a.p > b.q: Flags […] …"
  for (let i = nextLine; i < rec.lines.length; i++) {
    const l = rec.lines[i].text.trim();
    const qm = /^IP6? (\(.*\))\s*(.*)$/.exec(l);
    if (!qm) continue;
    const v6 = l.startsWith("IP6");
    const qf = v6 ? parseIpv6Verbose(qm[1]) : parseIpv4Verbose(qm[1]);
    let qline = qm[2];
    if (qline === "" && i + 1 < rec.lines.length) qline = rec.lines[i + 1].text.trim();
    try {
      const qt = parseTransport(qline);
      const innerInfo: NonNullable<IcmpError["inner"]> = {
        src: qt.src,
        dst: qt.dst,
        protocol: qf.protocol ?? out.icmp.inner?.protocol ?? 0,
      };
      if (qt.srcPort !== undefined) innerInfo.srcPort = qt.srcPort;
      if (qt.dstPort !== undefined) innerInfo.dstPort = qt.dstPort;
      out.icmp.inner = innerInfo;
      if (qt.srcPort !== undefined && qt.dstPort !== undefined && qf.protocol === 6) {
        const q = parseTcpBody(qt.body, qt.src, qt.dst, qt.srcPort, qt.dstPort);
        if (q) out.quoted = q;
        else if (/^\s*\[\|tcp\]/.test(qt.body)) {
          // only the ports survived the quote
        }
      }
    } catch (e) {
      if (!(e instanceof SkipRecord)) throw e;
    }
    break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sequence numbers: from what tcpdump printed back to absolute values

interface ConnBases {
  /** Base of the sequence space of each endpoint, keyed by "addr|port". */
  base: Map<string, number>;
}

function endpointKey(addr: string, port: number): string {
  return `${addr}|${port}`;
}

function connKey(t: PrintedTcp): string {
  const a = endpointKey(t.src, t.srcPort);
  const b = endpointKey(t.dst, t.dstPort);
  return a < b ? `${a}>${b}` : `${b}>${a}`;
}

/** Signed distance a - b in 32-bit sequence space. */
function seqDiff(a: number, b: number): number {
  const d = u32(a - b);
  return d >= 0x8000_0000 ? d - U32 : d;
}

/**
 * Decides whether the numbers were printed absolute (-S). For every packet tcpdump would have
 * printed relative, compare "as printed is a small offset" with "as printed is near the base".
 */
function detectAbsolute(records: ParsedRecord[]): boolean {
  const conns = new Map<string, ConnBases>();
  let absVotes = 0;
  let relVotes = 0;
  const vote = (printed: number, base: number | undefined): void => {
    if (base === undefined) return;
    const asAbsolute = Math.abs(seqDiff(printed, base));
    const asRelative = Math.abs(seqDiff(printed, 0));
    if (asAbsolute < asRelative) absVotes++;
    else if (asRelative < asAbsolute) relVotes++;
  };
  const visit = (t: PrintedTcp): void => {
    if (!(t.flags & TcpFlag.ACK)) return;
    const key = connKey(t);
    const me = endpointKey(t.src, t.srcPort);
    const peer = endpointKey(t.dst, t.dstPort);
    let c = conns.get(key);
    if (!c || t.flags & TcpFlag.SYN) {
      if (!c) {
        c = { base: new Map() };
        conns.set(key, c);
      }
      if (t.seq !== undefined) c.base.set(me, t.seq);
      if (t.ack !== undefined) c.base.set(peer, u32(t.ack - 1));
      return;
    }
    if (t.seq !== undefined) vote(t.seq, c.base.get(me));
    if (t.ack !== undefined) vote(t.ack, c.base.get(peer));
  };
  for (const r of records) {
    if (r.tcp) visit(r.tcp);
    if (r.quoted) visit(r.quoted);
  }
  return absVotes > relVotes;
}

interface ResolvedTcp {
  seq?: number;
  seqEnd?: number;
  ack: number;
  sack?: [number, number][];
}

/** Replays tcpdump's relative-number bookkeeping (or passes -S numbers through). */
class SeqResolver {
  private readonly conns = new Map<string, ConnBases>();
  /** Highest sequence end sent by each endpoint, per connection, for bases tcpdump never printed. */
  private readonly nextSeq = new Map<string, number>();

  constructor(private readonly absolute: boolean) {}

  resolve(t: PrintedTcp): ResolvedTcp {
    const hasAck = (t.flags & TcpFlag.ACK) !== 0;
    const out: ResolvedTcp = { ack: hasAck && t.ack !== undefined ? u32(t.ack) : 0 };
    if (t.seq !== undefined) out.seq = u32(t.seq);
    if (t.seqEnd !== undefined) out.seqEnd = u32(t.seqEnd);
    if (t.options.sack) out.sack = t.options.sack.map(([l, r]) => [u32(l), u32(r)]);
    const key = connKey(t);
    const me = endpointKey(t.src, t.srcPort);
    const peer = endpointKey(t.dst, t.dstPort);
    if (!this.absolute && hasAck) {
      let c = this.conns.get(key);
      if (!c || t.flags & TcpFlag.SYN) {
        if (!c) {
          c = { base: new Map() };
          this.conns.set(key, c);
        }
        // The packet that (re)starts the bookkeeping is printed absolute; when it is a pure ACK
        // its sequence number was not printed: take what this side sent before, else 0, so that
        // later offsets stay consistent.
        const mySeq = t.seq ?? this.nextSeq.get(`${key}#${me}`) ?? 0;
        c.base.set(me, u32(mySeq));
        if (t.ack !== undefined) c.base.set(peer, u32(t.ack - 1));
        if (t.seq === undefined && out.seq === undefined) out.seq = u32(mySeq);
      } else {
        const myBase = c.base.get(me) ?? 0;
        const peerBase = c.base.get(peer) ?? 0;
        if (out.seq !== undefined) out.seq = u32(out.seq + myBase);
        if (out.seqEnd !== undefined) out.seqEnd = u32(out.seqEnd + myBase);
        out.ack = u32(out.ack + peerBase);
      }
      if (out.sack) {
        const peerBase = c.base.get(peer) ?? 0;
        out.sack = out.sack.map(([l, r]) => [u32(l + peerBase), u32(r + peerBase)]);
      }
    }
    if (out.seq !== undefined) {
      const len = t.length ?? (out.seqEnd !== undefined ? u32(out.seqEnd - out.seq) : 0);
      const end = u32(out.seq + len + (t.flags & TcpFlag.SYN ? 1 : 0) + (t.flags & TcpFlag.FIN ? 1 : 0));
      const k = `${key}#${me}`;
      const prev = this.nextSeq.get(k);
      if (prev === undefined || seqDiff(end, prev) > 0 || t.flags & TcpFlag.SYN) this.nextSeq.set(k, end);
    }
    return out;
  }
}

interface FlowState {
  /** Highest sequence end this side sent. */
  nxt?: number;
  /** Last ACK number and window this side sent. */
  lastAck?: number;
  lastWin?: number;
  lastTime?: number;
  seen: boolean;
  /** The peer sent data, SYN, FIN or a probe since this side's last packet (which an ACK answers). */
  triggered: boolean;
}

/**
 * Pure ACKs print no sequence number: the sender's next sequence number is what the packet carried,
 * except for keepalive and zero-window probes (seq = peer's ACK - 1), recognised as an ACK that
 * repeats this side's last ACK and window while the peer sent nothing that asks for an answer.
 */
function inferMissingSeqs(packets: DecodedPacket[], seqMissing: boolean[]): void {
  const flows = new Map<string, FlowState>();
  const state = (k: string): FlowState => {
    let f = flows.get(k);
    if (!f) {
      f = { seen: false, triggered: false };
      flows.set(k, f);
    }
    return f;
  };
  const unresolved: { idx: number; me: string; peer: string }[] = [];
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i];
    const t = p.tcp;
    if (!t || !p.ip) continue;
    const me = `${p.ip.src}|${t.srcPort}>${p.ip.dst}|${t.dstPort}`;
    const peer = `${p.ip.dst}|${t.dstPort}>${p.ip.src}|${t.srcPort}`;
    const mine = state(me);
    const theirs = state(peer);
    const hasAck = (t.flags & TcpFlag.ACK) !== 0;
    const time = p.tsSec + p.tsNsec / 1e9;
    let probe = false;
    if (seqMissing[i]) {
      // A probe is sent by a timer (keepalive ≥ 1 s, zero-window probe ≥ RTO ≥ 200 ms), repeats
      // this side's last ACK and window, carries no SACK, and answers nothing the peer sent.
      // Bursts of duplicate ACKs seen near the sender are close together and fail the timer test.
      const repeats = mine.seen && hasAck && mine.lastAck === t.ack && mine.lastWin === t.window;
      const timerGap = mine.lastTime !== undefined && time - mine.lastTime >= 0.2;
      const quiet = repeats && timerGap && !mine.triggered && !t.options.sack;
      if (quiet && theirs.lastAck !== undefined && t.payloadLen === 0) {
        t.seq = u32(theirs.lastAck - 1);
        probe = true;
      } else if (mine.nxt !== undefined) t.seq = mine.nxt;
      else if (theirs.lastAck !== undefined) t.seq = theirs.lastAck;
      else unresolved.push({ idx: i, me, peer });
    }
    const consumes = t.payloadLen + (t.flags & TcpFlag.SYN ? 1 : 0) + (t.flags & TcpFlag.FIN ? 1 : 0);
    if (!seqMissing[i] || probe) {
      const end = u32(t.seq + consumes);
      if (consumes > 0 && (mine.nxt === undefined || seqDiff(end, mine.nxt) > 0)) mine.nxt = end;
      else if (mine.nxt === undefined && !probe) mine.nxt = t.seq;
    }
    if (hasAck) {
      mine.lastAck = t.ack;
      mine.lastWin = t.window;
    }
    mine.seen = true;
    mine.lastTime = time;
    mine.triggered = false;
    if (consumes > 0 || probe) theirs.triggered = true;
  }
  // Nothing known before: use what comes after (this side's next sequence or the peer's next ACK).
  for (const u of unresolved) {
    const t = packets[u.idx].tcp as TcpHeader;
    let value: number | undefined;
    for (let j = u.idx + 1; j < packets.length && value === undefined; j++) {
      const q = packets[j];
      if (!q.tcp || !q.ip) continue;
      const key = `${q.ip.src}|${q.tcp.srcPort}>${q.ip.dst}|${q.tcp.dstPort}`;
      if (key === u.me && !seqMissing[j]) value = q.tcp.seq;
      else if (key === u.peer && q.tcp.flags & TcpFlag.ACK) value = q.tcp.ack;
    }
    t.seq = value ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Assembly

function optionsToAbsolute(o: TcpOptions, sack: [number, number][] | undefined): TcpOptions {
  const out: TcpOptions = { ...o };
  if (sack) out.sack = sack;
  else delete out.sack;
  return out;
}

function buildTcp(
  t: PrintedTcp,
  r: ResolvedTcp,
  ipHeaderLen: number,
  ipTotalLen: number | undefined,
): { tcp: TcpHeader; seqMissing: boolean } {
  let payloadLen = t.length;
  if (payloadLen === undefined) {
    payloadLen = r.seq !== undefined && r.seqEnd !== undefined ? u32(r.seqEnd - r.seq) : 0;
  }
  let headerLen = 20 + Math.ceil(t.optionBytes / 4) * 4;
  if (ipTotalLen !== undefined) {
    const fromIp = ipTotalLen - ipHeaderLen - payloadLen;
    if (fromIp >= 20 && fromIp <= 60) headerLen = fromIp;
  }
  const seqMissing = r.seq === undefined;
  const tcp: TcpHeader = {
    srcPort: t.srcPort,
    dstPort: t.dstPort,
    seq: r.seq ?? 0,
    ack: r.ack,
    headerLen,
    flags: t.flags,
    window: t.win,
    urgent: t.urg,
    payloadLen,
    // The text states the wire length; no payload bytes exist to be missing.
    capturedPayloadLen: payloadLen,
    payloadOffset: ipHeaderLen + headerLen,
    options: optionsToAbsolute(t.options, r.sack),
  };
  return { tcp, seqMissing };
}

/**
 * Capture times of every record (skipped ones too: -ttt deltas run across ARP and the like).
 * One style per file; -ttt prints deltas and starts at 00:00:00.000000, with or without the
 * leading space tcpdump puts before it.
 */
function recordTimes(records: RecordLines[]): { style: TcpdumpTimestamps; at: [number, number][] } {
  const stamps = records.map((r) => takeTimestamp(r.lines[0].text).stamp);
  const first = stamps.find((s) => s !== undefined);
  let style: TcpdumpTimestamps = first ? first.style : "none";
  if (style === "clock" && first) {
    let backwards = false;
    let prev = -1;
    for (const st of stamps) {
      if (!st) continue;
      const v = st.sec + st.nsec / 1e9;
      // going back in time, other than across midnight, means these are deltas
      if (prev >= 0 && v < prev && !(prev > 79200 && v < 7200)) backwards = true;
      prev = v;
    }
    if ((first.sec === 0 && first.nsec === 0) || records[0]?.leadingSpace || backwards) style = "ttt";
  }
  const at: [number, number][] = [];
  let accSec = 0;
  let accNsec = 0;
  let dayOffset = 0;
  let lastClock = -1;
  let lastSec = 0;
  let lastNsec = 0;
  for (let i = 0; i < records.length; i++) {
    const st = stamps[i];
    if (style === "none") {
      // No timestamps: keep the order with 1 µs steps so nothing looks like a delay.
      at.push([Math.floor(i / 1_000_000), (i % 1_000_000) * 1000]);
      continue;
    }
    if (!st) {
      at.push([lastSec, lastNsec]);
      continue;
    }
    if (style === "ttt") {
      accNsec += st.nsec;
      accSec += st.sec + Math.floor(accNsec / 1e9);
      accNsec %= 1e9;
      lastSec = accSec;
      lastNsec = accNsec;
    } else if (style === "clock") {
      const v = st.sec + st.nsec / 1e9;
      if (lastClock >= 0 && v + 43200 < lastClock) dayOffset += 86400;
      lastClock = v;
      lastSec = st.sec + dayOffset;
      lastNsec = st.nsec;
    } else {
      lastSec = st.sec;
      lastNsec = st.nsec;
    }
    at.push([lastSec, lastNsec]);
  }
  return { style, at };
}

/** Parses tcpdump text output into decoded packets; unreadable lines are reported, never thrown. */
export function parseTcpdump(text: string, _opts?: { path?: string }): TcpdumpParseResult {
  const lines = splitLines(text);
  const { records, strays } = groupRecords(lines);
  const skipped: TcpdumpSkip[] = [];
  const ctx: RecordContext = { verbose: false, linkHeaders: false };
  let droppedByKernel: number | undefined;
  for (const s of strays) {
    const dm = /^(\d+) packets? dropped by kernel/.exec(s.text.trim());
    if (dm) droppedByKernel = +dm[1];
    // a line shaped like a packet that did not start a record is a damaged one
    const damaged = TCP_CORE.test(s.text) || ICMP_CORE.test(s.text);
    skipped.push({
      line: s.no,
      text: s.text,
      reason: damaged ? "packet line without a recognisable start (timestamp or IP)" : "not a packet line",
      unreadable: damaged,
    });
  }

  const parsed: ParsedRecord[] = [];
  for (const rec of records) {
    try {
      parsed.push(parseRecord(rec, ctx));
    } catch (e) {
      const reason = e instanceof SkipRecord ? e.message : `unreadable: ${(e as Error).message}`;
      const unreadable = e instanceof SkipRecord ? e.unreadable : true;
      skipped.push({ line: rec.lines[0].no, text: rec.lines[0].text, reason, unreadable });
    }
  }

  const times = recordTimes(records);
  const style = times.style;
  const absolute = detectAbsolute(parsed);
  const resolver = new SeqResolver(absolute);
  const packets: DecodedPacket[] = [];
  const seqMissing: boolean[] = [];
  /** TCP ports seen per "src>dst" address pair, to name the connection an ICMP error is about. */
  const portsByPair = new Map<string, Set<string>>();
  for (const p of parsed) {
    const [tsSec, tsNsec] = times.at[p.frame - 1];
    const version = p.ip.version;
    const ipHeaderLen = version === 6 ? 40 : 20;
    const pkt: DecodedPacket = {
      frame: p.frame,
      tsSec,
      tsNsec,
      linkType: LinkType.RAW,
      capLen: 0,
      origLen: 0,
    };
    const ip: IpHeader = {
      version,
      src: p.ip.src,
      dst: p.ip.dst,
      ttl: p.ip.ttl ?? 0,
      protocol: p.ip.protocol ?? 0,
      headerLen: ipHeaderLen,
      totalLen: p.ip.totalLen ?? ipHeaderLen,
    };
    if (p.ip.id !== undefined) ip.id = p.ip.id;
    if (p.ip.dontFragment !== undefined) ip.dontFragment = p.ip.dontFragment;
    if (p.ip.fragment) ip.fragment = p.ip.fragment;
    if (p.ip.hasOptions) ip.hasOptions = true;
    pkt.ip = ip;
    if (p.tcp) {
      const r = resolver.resolve(p.tcp);
      const { tcp, seqMissing: missing } = buildTcp(p.tcp, r, ipHeaderLen, p.ip.totalLen);
      pkt.tcp = tcp;
      seqMissing[packets.length] = missing;
      if (p.ip.totalLen === undefined) ip.totalLen = ipHeaderLen + tcp.headerLen + tcp.payloadLen;
      if (p.tcp.cut) {
        pkt.truncated = true;
        pkt.error = "capture ended inside the TCP header";
      }
    }
    if (p.tcp) {
      const pair = `${p.tcp.src}>${p.tcp.dst}`;
      let ports = portsByPair.get(pair);
      if (!ports) {
        ports = new Set();
        portsByPair.set(pair, ports);
      }
      ports.add(`${p.tcp.srcPort}>${p.tcp.dstPort}`);
    }
    if (p.icmp) {
      pkt.icmp = p.icmp;
      const inner = pkt.icmp.inner;
      if (p.quoted && inner) {
        const r = resolver.resolve(p.quoted);
        if (r.seq !== undefined) inner.seq = r.seq;
        if (p.quoted.flags & TcpFlag.ACK) inner.ack = r.ack;
        inner.flags = p.quoted.flags;
        inner.window = p.quoted.win;
      } else if (inner && inner.srcPort === undefined) {
        // Without -v tcpdump names only the addresses: when exactly one TCP connection ran
        // between them, the error can only be about it.
        const ports = portsByPair.get(`${inner.src}>${inner.dst}`);
        const candidates = ports
          ? [...ports].filter((x) => inner.dstPort === undefined || x.endsWith(`>${inner.dstPort}`))
          : [];
        if (candidates.length === 1 && (inner.protocol === 0 || inner.protocol === 6)) {
          const [sp, dp] = candidates[0].split(">");
          inner.protocol = 6;
          inner.srcPort = +sp;
          inner.dstPort = +dp;
        }
      }
    }
    pkt.capLen = ip.totalLen;
    pkt.origLen = ip.totalLen;
    packets.push(pkt);
  }
  inferMissingSeqs(packets, seqMissing);
  skipped.sort((a, b) => a.line - b.line);

  const result: TcpdumpParseResult = {
    packets,
    skipped,
    format: { timestamps: style, verbose: ctx.verbose, absoluteSeq: absolute, linkHeaders: ctx.linkHeaders },
  };
  if (droppedByKernel !== undefined) result.droppedByKernel = droppedByKernel;
  return result;
}
