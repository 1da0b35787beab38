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
