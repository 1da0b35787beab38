// `tc -s qdisc`: per-device queueing disciplines with their drop, overlimit and backlog counters
// (a shaper dropping or throttling is the bottleneck a capture only shows indirectly).
import type { QdiscStats } from "../host/types.js";
import {
  commandOf,
  NO_PATH,
  parseRateBps,
  parseSizeBytes,
  sourceRef,
  splitLines,
  Warnings,
} from "./common.js";

export interface TcResult {
  qdiscs: QdiscStats[];
  warnings: string[];
}

/** Parses `tc -s qdisc` (and `tc qdisc`) output. Never throws. */
export function parseTcQdisc(text: string, path: string = NO_PATH): TcResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const qdiscs: QdiscStats[] = [];
  let cur: QdiscStats | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || commandOf(raw) !== undefined) continue;
    const head =
      /^qdisc\s+(\S+)\s+([0-9a-f]*:[0-9a-f]*)?\s*(?:dev\s+(\S+)\s+)?(root|parent\s+\S+|ingress)?(.*)$/.exec(
        t,
      );
    if (head) {
      cur = { dev: head[3] ?? "?", kind: head[1], source: sourceRef(path, i + 1, raw) };
      if (head[2]) cur.handle = head[2];
      if (head[4]) cur.parent = head[4].replace(/^parent\s+/, "");
      const rate = /\brate (\S+)/.exec(head[5]);
      if (rate) {
        const bps = parseRateBps(rate[1]);
        if (bps !== undefined) cur.rateBps = bps;
      }
      qdiscs.push(cur);
      continue;
    }
    if (!cur) {
      warnings.line(i + 1, raw, "not a tc qdisc line");
      continue;
    }
    const sent = /^Sent (\d+) bytes (\d+) pkts? \(dropped (\d+), overlimits (\d+) requeues (\d+)\)/.exec(t);
    if (sent) {
      cur.sentBytes = Number(sent[1]);
      cur.sentPackets = Number(sent[2]);
      cur.dropped = Number(sent[3]);
      cur.overlimits = Number(sent[4]);
      cur.requeues = Number(sent[5]);
      continue;
    }
    const backlog = /^backlog (\S+) (\d+)p\b/.exec(t);
    if (backlog) {
      const b = parseSizeBytes(backlog[1]);
      if (b !== undefined) cur.backlogBytes = b;
      cur.backlogPackets = Number(backlog[2]);
    }
    // rate estimators, per-class details (fq_codel maxpacket, ecn_mark, ...) carry nothing we keep
  }
  return { qdiscs, warnings: warnings.result() };
}
