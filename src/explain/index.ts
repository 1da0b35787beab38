// `tcpdoctor explain`: whatever an operator pastes — a tcpdump trace, ss output, counters,
// sysctls, or a shell transcript mixing them after "$ command" lines — annotated line by line.
// Each part is recognised from its content and read by the same parsers `analyze` uses.
import { TcpAnalyzer } from "../core/tcp/analyzer.js";
import type { PacketAnalysis } from "../core/tcp/types.js";
import type { DecodedPacket } from "../core/types.js";
import type { SocketEntry, SocketState } from "../host/types.js";
import { commandOf, splitLines } from "../text/common.js";
import { detectText } from "../text/detect.js";
import { parseNetstatSockets, parseNetstatStats } from "../text/netstat.js";
import { parseNstat } from "../text/nstat.js";
import { parseProcNetCounters } from "../text/procnet.js";
import { parseSs } from "../text/ss.js";
import { parseSysctl } from "../text/sysctl.js";
import { looksLikeTcpdump, parseTcpdump, tcpdumpRecordSpans } from "../text/tcpdump.js";
import { explainCounters } from "./counters.js";
import { bytes, count, duration, plural } from "./format.js";
import { explainSocket, explainSocketSummary } from "./socket.js";
import { explainSysctl } from "./sysctl.js";
import { type ConnOutcome, explainTraceWithSummary, type TraceSummary } from "./trace.js";
import type { ExplainedLine, ExplainResult } from "./types.js";

export { explainCounter, explainCounters } from "./counters.js";
export { renderExplain } from "./render.js";
export { explainSocket, explainSocketSummary } from "./socket.js";
export { explainSysctl } from "./sysctl.js";
export { explainTrace, explainTraceWithSummary, formatPacketLine } from "./trace.js";
export type { ExplainedLine, ExplainResult } from "./types.js";

export interface ExplainTextOptions {
  /** Input name, used in source references of the parsers. */
  path?: string;
}

/** Sockets of a table explained field by field; the rest get their state, queues and conclusions. */
const FULL_SOCKETS = 5;

/** Facts gathered across blocks for the closing summary. */
interface Gathered {
  stateCounts: Map<SocketState, number>;
  sockets: SocketEntry[];
  memoryGrowing: boolean;
  rssKiB?: number;
  process?: string;
}

const STATE_NAMES: Record<string, SocketState> = {
  established: "ESTAB",
  estab: "ESTAB",
  "syn-sent": "SYN-SENT",
  "syn-recv": "SYN-RECV",
  "fin-wait-1": "FIN-WAIT-1",
  "fin-wait-2": "FIN-WAIT-2",
  "time-wait": "TIME-WAIT",
  closed: "CLOSE",
  "close-wait": "CLOSE-WAIT",
  "last-ack": "LAST-ACK",
  listening: "LISTEN",
  closing: "CLOSING",
};

const COUNT_MEANING: Partial<Record<SocketState, string>> = {
  ESTAB: "open connections",
  "CLOSE-WAIT":
    "connections the peer has closed (its FIN arrived) but the local application has not close()d; the kernel cannot reclaim them, only the application can",
  "TIME-WAIT":
    "connections this host closed first, waiting 60 s before they disappear on their own: normal after an active close",
  "SYN-RECV": "half-open connections waiting for the client's final ACK",
  "SYN-SENT": "connection attempts still waiting for a SYN-ACK",
  "FIN-WAIT-2": "connections closed here, waiting for the peer to close its side",
};

/** "$ ss -tan state close-wait | wc -l" followed by "9821". */
function explainCountLine(cmd: string, value: number, gathered: Gathered): string[] {
  const stateWord = /\bstate\s+([a-z0-9-]+)/i.exec(cmd)?.[1]?.toLowerCase();
  const state = stateWord ? STATE_NAMES[stateWord] : undefined;
  const noHeader = /\s-\w*H/.test(cmd) || /--no-header/.test(cmd);
  const sockets = noHeader ? value : Math.max(0, value - 1);
  if (!/^ss\b|^netstat\b/.test(cmd)) return [`${count(value)} lines.`];
  if (state) gathered.stateCounts.set(state, (gathered.stateCounts.get(state) ?? 0) + sockets);
  const what = state ? (COUNT_MEANING[state] ?? `sockets in ${state}`) : "sockets";
  const header = noHeader ? "" : " (wc -l also counts ss's header line)";
  return [
    `${count(value)} lines = ${count(sockets)} ${state ? `sockets in ${state}` : "sockets"}${header}: ${what}.`,
  ];
}

/** `ps -o pid,stat,rss,cmd` output: the resident memory of the process in words. */
function explainPs(header: string, row: string, gathered: Gathered): string[] {
  const cols = header.trim().split(/\s+/);
  const [body, comment] = row.split(/\s#\s*/, 2);
  const vals = body.trim().split(/\s+/);
  const notes: string[] = [];
  const at = (name: string): string | undefined => {
    const i = cols.indexOf(name);
    return i >= 0 ? vals[i] : undefined;
  };
  const rss = Number(at("RSS") ?? Number.NaN);
  const cmdIdx = cols.findIndex((c) => c === "CMD" || c === "COMMAND" || c === "ARGS");
  const process = cmdIdx >= 0 ? vals.slice(cmdIdx).join(" ") : undefined;
  if (Number.isFinite(rss)) {
    gathered.rssKiB = rss;
    gathered.process = process;
    notes.push(
      `pid ${at("PID") ?? "?"}${process ? ` (${process})` : ""} holds ${bytes(rss * 1024)} of resident memory (RSS is in KiB).`,
    );
  }
  if (comment && /climb|grow|increas|ris|leak/i.test(comment)) {
    gathered.memoryGrowing = true;
    notes.push(
      "Memory that keeps growing while connections pile up points at per-connection state the application never frees.",
    );
  }
  return notes;
}

/** One connection's outcome in words; `detail` adds its numbers (RTT, bytes, counts). */
function outcome(c: ConnOutcome, timed: boolean, detail: boolean): string {
  if (c.refused) return "refused: the SYN was answered by a reset (nothing listening, or a firewall reject)";
  if (!c.synAckSeen && c.synCount > 1)
    return `timed out: ${detail ? `${c.synCount} SYNs, ` : "SYNs resent, "}no answer at all — a silent drop on the way (firewall, routing) or the host is down`;
  if (!c.synAckSeen && c.synCount === 1 && !c.established) return "SYN sent, no answer seen (yet)";
  if (c.synAckSeen && !c.established && !c.reset)
    return "half-open: SYN-ACK sent, the client's final ACK never came";
  const parts: string[] = [];
  parts.push(c.synCount > 0 ? "established" : "already running when the trace starts");
  if (detail) {
    if (c.handshakeRtt !== undefined && timed) parts.push(`handshake RTT ${duration(c.handshakeRtt)}`);
    const moved = c.dataBytes.client + c.dataBytes.server;
    if (moved > 0)
      parts.push(`${bytes(c.dataBytes.client)} client→server, ${bytes(c.dataBytes.server)} server→client`);
    if (c.retransmissions) parts.push(plural(c.retransmissions, "retransmission"));
    if (c.keepaliveProbes) parts.push(plural(c.keepaliveProbes, "keepalive probe"));
    if (c.icmp) parts.push(plural(c.icmp, "ICMP error"));
  }
  if (c.reset) {
    const how: Record<string, string> = {
      keepalive: `reset by the ${c.reset.by} after unanswered keepalives (dead peer)`,
      abort: `aborted by the ${c.reset.by} (RST)`,
      "after-close": "reset after an orderly close",
      handshake: `reset by the ${c.reset.by} during the handshake`,
    };
    parts.push(how[c.reset.kind] ?? `reset by the ${c.reset.by}`);
  } else if (c.finBy.length === 2) parts.push(`closed in an orderly way, first by the ${c.finBy[0]}`);
  else if (c.finBy.length === 1) {
    const closer = c.finBy[0];
    const other = closer === "client" ? "server" : "client";
    parts.push(
      c.finAcked.includes(closer)
        ? `closed by the ${closer} only: the ${other} acknowledged the FIN but had not closed its side when the trace ends (its application has not called close(): CLOSE-WAIT there)`
        : `half-closed by the ${closer} (FIN one way only)`,
    );
  }
  return parts.join(", ");
}

function traceSummary(s: TraceSummary, timed: boolean): string[] {
  const out: string[] = [];
  const conns = s.connections;
  const halfOpen = conns.filter((c) => c.synAckSeen && !c.established && !c.reset);
  if (halfOpen.length >= 2) {
    const sources = new Set(halfOpen.map((c) => c.client.replace(/:\d+$/, "")));
    out.push(
      `${plural(halfOpen.length, "handshake")} stopped after the server's SYN-ACK: no final ACK came back, from ${plural(sources.size, "distinct source address", "distinct source addresses")}. Many of these from random sources is a SYN flood with spoofed addresses (the SYN-ACKs go to hosts that never sent a SYN); with SYN cookies the server keeps no state for them and real clients still get in.`,
    );
  }
  if (conns.length <= 10) {
    for (const c of conns) out.push(`Connection ${c.client} → ${c.server}: ${outcome(c, timed, true)}.`);
    return out;
  }
  // many connections: count them by outcome
  const byOutcome = new Map<string, ConnOutcome[]>();
  for (const c of conns) {
    const k = outcome(c, timed, false);
    const list = byOutcome.get(k);
    if (list) list.push(c);
    else byOutcome.set(k, [c]);
  }
  for (const [what, list] of [...byOutcome].sort((a, b) => b[1].length - a[1].length)) {
    out.push(
      `${plural(list.length, "connection")} ${list.length === 1 ? "was" : "were"} ${what} (first: ${list[0].client} → ${list[0].server}).`,
    );
  }
  const churn = conns.filter((c) => c.finBy.length === 2 && c.duration < 1);
  const servers = new Set(churn.map((c) => c.server));
  if (churn.length >= 20 && servers.size <= 3) {
    const first = churn.filter((c) => c.finBy[0] === "client").length;
    out.push(
      `${churn.length} short connections (under a second each) to ${[...servers].join(", ")}${
        first > churn.length / 2
          ? ", each closed first by the client: every one leaves a TIME-WAIT socket on the client for 60 s"
          : ""
      }. This is connection churn: reuse connections (HTTP keep-alive, pooling) instead of one per request; widening ip_local_port_range or tcp_tw_reuse only treats the symptom.`,
    );
  }
  return out;
}

function crossSummary(g: Gathered): string[] {
  const out: string[] = [];
  const states = new Map(g.stateCounts);
  for (const s of g.sockets) states.set(s.state, (states.get(s.state) ?? 0) + 1);
  const closeWait = states.get("CLOSE-WAIT") ?? 0;
  if (!g.process) {
    // the process owning most CLOSE-WAIT sockets (ss -p) is the one to look at
    const owners = new Map<string, number>();
    for (const s of g.sockets) {
      if (s.state !== "CLOSE-WAIT") continue;
      for (const p of s.processes ?? []) {
        const k = `${p.name} (pid ${p.pid})`;
        owners.set(k, (owners.get(k) ?? 0) + 1);
      }
    }
    const top = [...owners].sort((a, b) => b[1] - a[1])[0];
    if (top) g.process = top[0];
  }
  const estab = states.get("ESTAB") ?? 0;
  const timeWait = states.get("TIME-WAIT") ?? 0;
  if (closeWait >= 10 && closeWait >= 0.05 * (estab + closeWait)) {
    out.push(
      `${count(closeWait)} sockets in CLOSE-WAIT${estab ? ` next to ${count(estab)} established` : ""}${
        g.memoryGrowing ? " and the process's memory keeps climbing" : ""
      }: a missing close() in the application — it does not close connections after the peer closes them, a socket and file-descriptor leak in the application, not a network or kernel problem.${
        g.memoryGrowing || g.rssKiB !== undefined
          ? " Every leaked connection keeps its buffers, its descriptor and the application's per-connection state, which is why memory grows."
          : ""
      } Look in the code that handles connections${g.process ? ` in ${g.process}` : ""} for paths that return without close(): error handling, early returns, a missing finally/with/defer, reads that hit EOF (0 bytes) without closing. No sysctl can clear CLOSE-WAIT; restarting only resets the count.`,
    );
    if (timeWait > 0) {
      out.push(
        `The ${count(timeWait)} TIME-WAIT sockets are normal after closing first and drain by themselves; they are not the problem here.`,
      );
    }
  } else if (timeWait >= 1000 && timeWait > estab) {
    out.push(
      `${count(timeWait)} sockets in TIME-WAIT: many short connections closed by this host (connection churn). Reuse connections (keep-alive, pooling); only then consider a wider ip_local_port_range or tcp_tw_reuse.`,
    );
  }
  const synRecv = states.get("SYN-RECV") ?? 0;
  if (synRecv >= 50) {
    out.push(
      `${count(synRecv)} half-open connections in SYN-RECV: a SYN flood or clients that cannot complete the handshake.`,
    );
  }
  return out;
}

interface Block {
  /** 0-based index of the first line. */
  start: number;
  lines: string[];
}

/** Splits unclaimed lines into blocks: a "$ command" line starts a new one, claimed lines end one. */
function blocks(lines: string[], claimed: boolean[]): Block[] {
  const out: Block[] = [];
  let cur: Block | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (claimed[i]) {
      cur = undefined;
      continue;
    }
    if (commandOf(lines[i]) !== undefined || !cur) {
      cur = { start: i, lines: [] };
      out.push(cur);
    }
    cur.lines.push(lines[i]);
  }
  return out.filter((b) => b.lines.some((l) => l.trim() !== ""));
}

/** Explains one block of non-trace text; returns the kind recognised, or undefined. */
function explainBlock(
  b: Block,
  out: ExplainedLine[],
  summary: string[],
  gathered: Gathered,
  path: string,
): string | undefined {
  const text = b.lines.join("\n");
  const at = (sourceLine: number | undefined): ExplainedLine | undefined =>
    sourceLine === undefined ? undefined : out[b.start + sourceLine - 1];
  const cmd = commandOf(b.lines[0]);

  if (cmd !== undefined && /\|\s*wc\s+-l\b/.test(cmd)) {
    const idx = b.lines.findIndex((l, i) => i > 0 && /^\s*\d+\s*$/.test(l));
    if (idx > 0) {
      out[b.start + idx].notes.push(...explainCountLine(cmd, Number(b.lines[idx].trim()), gathered));
      return /^ss\b/.test(cmd) ? "ss" : "transcript";
    }
  }
  if (cmd !== undefined && /^ps\b/.test(cmd)) {
    const hi = b.lines.findIndex((l, i) => i > 0 && /\bPID\b/.test(l));
    if (hi > 0 && b.lines[hi + 1] !== undefined) {
      out[b.start + hi + 1].notes.push(...explainPs(b.lines[hi], b.lines[hi + 1], gathered));
      return "ps";
    }
  }

  const kind = detectText(text).kind;
  switch (kind) {
    case "ss": {
      const r = parseSs(text, path);
      const starts = r.sockets.map((s) => s.source?.line ?? 0);
      r.sockets.forEach((s, i) => {
        // after the socket's continuation lines (tcp_info, skmem), before the next socket
        let last = s.source?.line;
        if (last !== undefined) {
          const limit = i + 1 < starts.length ? starts[i + 1] - 1 : b.lines.length;
          while (last < limit && /^\s+\S/.test(b.lines[last]) && commandOf(b.lines[last]) === undefined)
            last++;
        }
        const line = at(last);
        // long tables: every field in words for the first sockets, then the essentials
        if (line) line.notes.push(...explainSocket(s, { brief: i >= FULL_SOCKETS }));
      });
      gathered.sockets.push(...r.sockets);
      if (r.summary) {
        const line = at(r.summary.source?.line);
        if (line) line.notes.push(...explainSocketSummary(r.summary));
        // the totals count the same sockets a `state X | wc -l` may have counted: keep the larger
        const keep = (state: SocketState, n: number | undefined): void => {
          if (n !== undefined)
            gathered.stateCounts.set(state, Math.max(gathered.stateCounts.get(state) ?? 0, n));
        };
        keep("TIME-WAIT", r.summary.timewait);
        keep("ESTAB", r.summary.estab);
      }
      return kind;
    }
    case "netstat-sockets": {
      const r = parseNetstatSockets(text, path);
      r.sockets.forEach((s, i) => {
        const line = at(s.source?.line);
        if (line) line.notes.push(...explainSocket(s, { brief: i >= FULL_SOCKETS }));
      });
      gathered.sockets.push(...r.sockets);
      return kind;
    }
    case "nstat":
    case "proc-net-snmp":
    case "proc-net-netstat":
    case "proc-net-snmp6":
    case "netstat-stats": {
      let counters: Record<string, number> = {};
      let sources: Record<string, { line?: number }> = {};
      let delta = false;
      if (kind === "nstat") {
        const r = parseNstat(text, path);
        const first = r.snapshots[0];
        const last = r.snapshots[r.snapshots.length - 1];
        counters = last?.counters ?? {};
        sources = r.sources;
        delta = r.mode === "delta";
        if (r.snapshots.length >= 2 && first && last && r.mode === "absolute") {
          // before and after pasted together: what moved in between is what matters
          const moved: Record<string, number> = {};
          for (const [k, v] of Object.entries(last.counters)) {
            const d = v - (first.counters[k] ?? 0);
            if (d !== 0) moved[k] = d;
          }
          counters = moved;
          delta = true;
        }
      } else if (kind === "netstat-stats") {
        const r = parseNetstatStats(text, path);
        counters = r.counters;
        sources = r.sources;
      } else {
        const r = parseProcNetCounters(text, path);
        counters = r.counters;
        sources = r.sources;
      }
      const ex = explainCounters(counters, { delta });
      // a full dump lists hundreds of counters, mostly 0: only those that moved say something
      const few = Object.keys(counters).length <= 12;
      for (const [name, words] of Object.entries(ex.perCounter)) {
        if (!few && counters[name] === 0) continue;
        const line = at(sources[name]?.line);
        if (line && !line.notes.includes(words)) line.notes.push(words);
      }
      summary.push(...ex.summary);
      return kind;
    }
    case "sysctl": {
      const r = parseSysctl(text, path);
      for (const [name, value] of Object.entries(r.sysctls)) {
        const words = explainSysctl(name, value);
        const line = at(r.sources[name]?.line);
        if (words && line) line.notes.push(words);
      }
      return kind;
    }
    case "unknown":
      return undefined;
    default:
      return kind;
  }
}

/**
 * Explains decoded packets of a binary capture (no text): one rendered line per packet with its
 * notes, and the per-connection summary. `analyses` are TcpAnalyzer rows of the same packets;
 * without them the analyzer is run here.
 */
export function explainCapture(packets: DecodedPacket[], analyses?: PacketAnalysis[]): ExplainResult {
  let rows = analyses;
  if (!rows) {
    const analyzer = new TcpAnalyzer();
    rows = [];
    for (const p of packets) {
      const a = analyzer.push(p);
      if (a) rows.push(a);
    }
  }
  const trace = explainTraceWithSummary(packets, [], rows);
  return { lines: trace.lines, kind: "capture", summary: traceSummary(trace.summary, true) };
}

/**
 * Annotates a pasted text line by line. Every input line comes back, in order, with the notes
 * that apply to it; `summary` holds what several lines say together.
 */
export function explainText(text: string, opts?: ExplainTextOptions): ExplainResult {
  const path = opts?.path ?? "-";
  const lines = splitLines(text);
  const out: ExplainedLine[] = lines.map((t, i) => ({ line: i + 1, text: t, notes: [] }));
  const claimed = new Array<boolean>(lines.length).fill(false);
  const kinds = new Set<string>();
  const summary: string[] = [];
  const gathered: Gathered = { stateCounts: new Map(), sockets: [], memoryGrowing: false };

  if (looksLikeTcpdump(text)) {
    const joined = lines.join("\n");
    const parsed = parseTcpdump(joined, { path });
    const analyzer = new TcpAnalyzer();
    const analyses: PacketAnalysis[] = [];
    for (const p of parsed.packets) {
      const a = analyzer.push(p);
      if (a) analyses.push(a);
    }
    const timed = parsed.format.timestamps !== "none";
    const trace = explainTraceWithSummary(parsed.packets, lines, analyses, {
      absoluteSeq: parsed.format.absoluteSeq,
      timed,
    });
    for (let i = 0; i < out.length; i++) out[i].notes.push(...(trace.lines[i]?.notes ?? []));
    for (const s of tcpdumpRecordSpans(joined)) {
      for (let l = s.firstLine; l <= s.lastLine; l++) claimed[l - 1] = true;
    }
    for (const s of parsed.skipped) {
      if (/tcpdump -nn?\b/.test(s.reason)) out[s.line - 1]?.notes.push(`Not read: ${s.reason}.`);
    }
    // the command line that produced the trace belongs to it
    for (let i = 0; i < lines.length; i++) {
      const cmd = commandOf(lines[i]);
      if (cmd !== undefined && /^tcpdump\b/.test(cmd)) claimed[i] = true;
      else if (cmd === undefined && /^\s*\$\s*(sudo\s+)?tcpdump\b/.test(lines[i])) claimed[i] = true;
    }
    summary.push(...traceSummary(trace.summary, timed));
    if (parsed.packets.length) kinds.add("tcpdump");
  }

  for (const b of blocks(lines, claimed)) {
    const kind = explainBlock(b, out, summary, gathered, path);
    if (kind) kinds.add(kind);
  }
  summary.push(...crossSummary(gathered));

  const named = [...kinds].filter((k) => k !== "ps" && k !== "transcript");
  const kind =
    named.length === 0 ? (kinds.size ? "transcript" : "unknown") : named.length === 1 ? named[0] : "mixed";
  return { lines: out, kind, summary };
}
