// Renderers for `tcpdoctor packets`: one line per analysed TCP packet, as JSON (the shape in
// spec/cli.md, comparable field by field with `tshark -T fields`) or as an aligned text line that
// reads like tcpdump with the analysis flags appended.
import type { PacketAnalysis } from "../core/tcp/types.js";

/**
 * One JSON object (no trailing newline): frame, time, stream, src, dst, flags, seq, ack, len, win,
 * analysis, and ackRtt when present. Built by hand: every string in a row is an address, a port
 * number or a fixed name, none of which needs escaping, and this runs once per packet.
 */
export function packetJson(pa: PacketAnalysis): string {
  let s = `{"frame":${pa.frame},"time":${seconds(pa.time)},"stream":${pa.stream},"src":${str(pa.src)},"dst":${str(pa.dst)},"flags":"${pa.flags}","seq":${pa.seq},"ack":${pa.ack},"len":${pa.len},"win":${pa.win},"analysis":[`;
  const a = pa.analysis;
  for (let i = 0; i < a.length; i++) s += i === 0 ? `"${a[i]}"` : `,"${a[i]}"`;
  s += "]";
  if (pa.ackRtt !== undefined) s += `,"ackRtt":${seconds(pa.ackRtt)}`;
  return `${s}}`;
}

/**
 * One aligned text line (no trailing newline), e.g.
 * `  12  0.020341  s0  10.77.0.1:40001 > 10.77.0.2:8080  [P.]  seq 1:74 ack 1 win 64256 len 73  [retransmission]`.
 */
export function packetLine(pa: PacketAnalysis): string {
  const ackBit = pa.flags.includes("A");
  let body = pa.len > 0 ? `seq ${pa.seq}:${(pa.seq + pa.len) % 4294967296}` : `seq ${pa.seq}`;
  if (ackBit) body += ` ack ${pa.ack}`;
  body += ` win ${pa.win} len ${pa.len}`;
  // Columns line up for IPv4 endpoints ("255.255.255.255:65535" is 21 characters).
  let line = `${String(pa.frame).padStart(4)}  ${pa.time.toFixed(6)}  ${`s${pa.stream}`.padEnd(3)} ${pa.src.padEnd(21)} > ${pa.dst.padEnd(21)} ${`[${tcpdumpFlags(pa.flags)}]`.padEnd(6)} ${body}`;
  if (pa.analysis.length > 0) {
    const names = pa.analysis.map((f) =>
      f === "duplicate_ack" && pa.dupAckNum !== undefined ? `duplicate_ack #${pa.dupAckNum}` : f,
    );
    line += `  [${names.join(", ")}]`;
  }
  return line;
}

// tcpdump's notation: F S R P, "." for ACK, then U E W (CWR), in that order.
const TCPDUMP_ORDER: [string, string][] = [
  ["F", "F"],
  ["S", "S"],
  ["R", "R"],
  ["P", "P"],
  ["A", "."],
  ["U", "U"],
  ["E", "E"],
  ["C", "W"],
];

const tcpdumpCache = new Map<string, string>();

/** Flag letters (F S R P A U E C) in tcpdump's bracket notation: "SA" -> "S.", "PA" -> "P.". */
export function tcpdumpFlags(letters: string): string {
  let out = tcpdumpCache.get(letters);
  if (out === undefined) {
    out = "";
    for (const [ours, theirs] of TCPDUMP_ORDER) if (letters.includes(ours)) out += theirs;
    if (out === "") out = "none";
    tcpdumpCache.set(letters, out);
  }
  return out;
}

/**
 * Seconds as JSON. Times are whole nanoseconds divided by 1e9, so they are written from the integer
 * (faster than the general double-to-text conversion, same value); anything else via num().
 */
function seconds(x: number): string {
  const ns = Math.round(x * 1e9);
  if (ns < 0 || ns > Number.MAX_SAFE_INTEGER || ns / 1e9 !== x) return num(x);
  const whole = Math.floor(ns / 1e9);
  let frac = ns - whole * 1e9;
  if (frac === 0) return String(whole);
  let digits = 9;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  return `${whole}.${String(frac).padStart(digits, "0")}`;
}

/** A finite number as JSON (non-finite values cannot occur in a row but must not break a line). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

/** Addresses never need escaping; anything that would (quote, backslash, control) goes through JSON.stringify. */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s);
  }
  return `"${s}"`;
}

// ---- byte-level writer ------------------------------------------------------------------------

const QUOTE = 0x22;
const COMMA = 0x2c;

/** Bytes of each fixed piece of a row, and of each analysis name in quotes, made once. */
const ASCII = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const P_FRAME = ASCII('{"frame":');
const P_TIME = ASCII(',"time":');
const P_STREAM = ASCII(',"stream":');
const P_SRC = ASCII(',"src":');
const P_DST = ASCII(',"dst":');
const P_FLAGS = ASCII(',"flags":');
const P_SEQ = ASCII(',"seq":');
const P_ACK = ASCII(',"ack":');
const P_LEN = ASCII(',"len":');
const P_WIN = ASCII(',"win":');
const P_ANALYSIS = ASCII(',"analysis":[');
const P_ACK_RTT = ASCII('],"ackRtt":');
const P_END_NO_RTT = ASCII("]}\n");
const P_END = ASCII("}\n");
const quotedNames = new Map<string, Uint8Array>();
/** "00" "01" … "99" as byte pairs. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) =>
  i % 2 === 0 ? 48 + Math.floor(i / 2 / 10) : 48 + (((i - 1) / 2) % 10),
);

/**
 * Writes `packets --json` rows as bytes, exactly the text of packetJson() plus a newline, into
 * large buffers handed to `sink` when full or on flush(). No string is built per row: numbers are
 * written digit by digit and every fixed piece is copied from bytes made once, which is what keeps
 * a million-packet capture from spending its time in string building and garbage collection. A
 * buffer handed to the sink is never written again (it may still be queued for output).
 */
export class PacketJsonWriter {
  private buf: Uint8Array;
  private pos = 0;
  /** `,"stream":…,"flags":…,"seq":` of recent rows, by stream and direction (see middle()). */
  private readonly middles: (Middle | undefined)[] = new Array(16).fill(undefined);

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    private readonly chunkBytes = 1 << 20,
  ) {
    this.buf = new Uint8Array(chunkBytes);
  }

  /** Bytes buffered and not yet handed to the sink. */
  get pending(): number {
    return this.pos;
  }

  write(pa: PacketAnalysis): void {
    // Room for the longest row this one can be: every flag, numbers as long as String() makes
    // them, strings escaped at worst six bytes a character.
    const room = 1024 + 6 * (pa.src.length + pa.dst.length + pa.flags.length);
    if (this.pos + room > this.buf.length) {
      this.flush();
      if (room > this.buf.length) this.buf = new Uint8Array(room);
    }
    const buf = this.buf;
    let p = put(buf, this.pos, P_FRAME);
    p = putInt(buf, p, pa.frame);
    p = put(buf, p, P_TIME);
    p = putNum(buf, p, pa.time);
    p = this.middle(buf, p, pa);
    p = putInt(buf, p, pa.seq);
    p = put(buf, p, P_ACK);
    p = putInt(buf, p, pa.ack);
    p = put(buf, p, P_LEN);
    p = putInt(buf, p, pa.len);
    p = put(buf, p, P_WIN);
    p = putInt(buf, p, pa.win);
    p = put(buf, p, P_ANALYSIS);
    const a = pa.analysis;
    for (let i = 0; i < a.length; i++) {
      if (i > 0) buf[p++] = COMMA;
      let q = quotedNames.get(a[i]);
      if (q === undefined) {
        q = utf8(`"${a[i]}"`);
        quotedNames.set(a[i], q);
      }
      p = put(buf, p, q);
    }
    if (pa.ackRtt !== undefined) {
      p = put(buf, p, P_ACK_RTT);
      p = putNum(buf, p, pa.ackRtt);
      p = put(buf, p, P_END);
    } else {
      p = put(buf, p, P_END_NO_RTT);
    }
    this.pos = p;
  }

  /** Hands the buffered bytes to the sink and starts a new buffer. */
  flush(): void {
    if (this.pos === 0) return;
    const out = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.chunkBytes);
    this.pos = 0;
    this.sink(out);
  }

  /**
   * `,"stream":…,"src":…,"dst":…,"flags":…,"seq":` is the same for the rows of one direction of a
   * connection with the same flags, so the last few are kept as bytes, a slot per stream and
   * direction (the analyzer hands out the same address strings for a connection's rows).
   */
  private middle(buf: Uint8Array, p: number, pa: PacketAnalysis): number {
    const slot = (pa.stream * 2 + (pa.fromClient ? 1 : 0)) & 15;
    const m = this.middles[slot];
    if (
      m !== undefined &&
      m.stream === pa.stream &&
      m.src === pa.src &&
      m.dst === pa.dst &&
      m.flags === pa.flags
    ) {
      return put(buf, p, m.bytes);
    }
    const start = p;
    p = put(buf, p, P_STREAM);
    p = putInt(buf, p, pa.stream);
    p = put(buf, p, P_SRC);
    p = putStr(buf, p, pa.src);
    p = put(buf, p, P_DST);
    p = putStr(buf, p, pa.dst);
    p = put(buf, p, P_FLAGS);
    p = putRaw(buf, p, `"${pa.flags}"`);
    p = put(buf, p, P_SEQ);
    this.middles[slot] = {
      stream: pa.stream,
      src: pa.src,
      dst: pa.dst,
      flags: pa.flags,
      bytes: buf.slice(start, p),
    };
    return p;
  }
}

interface Middle {
  stream: number;
  src: string;
  dst: string;
  flags: string;
  bytes: Uint8Array;
}

// Each put* writes at buf[p] and returns the position after what it wrote.

function put(buf: Uint8Array, p: number, b: Uint8Array): number {
  const n = b.length;
  // A loop beats TypedArray.set for short pieces, set() (a memory copy) for longer ones.
  if (n > 24) {
    buf.set(b, p);
    return p + n;
  }
  for (let i = 0; i < n; i++) buf[p++] = b[i];
  return p;
}

function putAscii(buf: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  return p;
}

/** A non-negative integer below 2^53 digit by digit; anything else as String() writes it. */
function putInt(buf: Uint8Array, p: number, n: number): number {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) return putAscii(buf, p, num(n));
  return putDigits(buf, p, n, 0);
}

/** Digits of a non-negative integer, left-padded with zeros to `width`. */
function putDigits(buf: Uint8Array, p: number, n: number, width: number): number {
  let len = n < 1e5 ? (n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 1e4 ? 4 : 5) : 6;
  for (let x = 1e6; x <= n && len < 16; x *= 10) len++;
  if (len < width) len = width;
  const end = p + len;
  p = end;
  if (n < 4294967296) {
    // Unsigned 32-bit arithmetic, two digits a step from a table.
    let left = len;
    while (left >= 2) {
      const q = (n / 100) >>> 0;
      const r = (n - q * 100) * 2;
      buf[--p] = DIGIT_PAIRS[r + 1];
      buf[--p] = DIGIT_PAIRS[r];
      n = q;
      left -= 2;
    }
    if (left === 1) buf[--p] = 48 + n;
    return end;
  }
  for (let i = 0; i < len; i++) {
    const q = Math.floor(n / 10);
    buf[--p] = 48 + (n - q * 10);
    n = q;
  }
  return end;
}

/**
 * Seconds as packetJson writes them (see seconds()): whole nanoseconds from the integer, digit by
 * digit, trailing zeros cut; anything else as String() writes it.
 */
function putNum(buf: Uint8Array, p: number, x: number): number {
  const ns = Math.round(x * 1e9);
  if (ns < 0 || ns > Number.MAX_SAFE_INTEGER || ns / 1e9 !== x) return putAscii(buf, p, num(x));
  const whole = Math.floor(ns / 1e9);
  const rest = ns - whole * 1e9;
  p = putDigits(buf, p, whole, 0);
  if (rest === 0) return p;
  // Below 1e9: integer arithmetic from here.
  let frac = rest | 0;
  let width = 9;
  for (let q = (frac / 10) | 0; q * 10 === frac; q = (frac / 10) | 0) {
    frac = q;
    width--;
  }
  buf[p++] = 0x2e;
  return putDigits(buf, p, frac, width);
}

/** Text written as it is (packetJson does not escape flag letters or analysis names). */
function putRaw(buf: Uint8Array, p: number, s: string): number {
  const start = p;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return put(buf, start, utf8(s));
    buf[p++] = c;
  }
  return p;
}

/** A string as packetJson writes it (addresses and flag letters need no escaping). */
function putStr(buf: Uint8Array, p: number, s: string): number {
  const start = p;
  buf[p++] = QUOTE;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return put(buf, start, utf8(JSON.stringify(s)));
    buf[p++] = c;
  }
  buf[p++] = QUOTE;
  return p;
}

const encoder = new TextEncoder();

function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
