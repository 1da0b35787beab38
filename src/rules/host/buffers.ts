// buffers-below-bdp: a sender held back by its own send buffer at the sysctl maximum.
//
// tcp_info records how long a connection was limited by its send buffer (sndbuf_limited). When that
// is most of its busy time and the buffer already sits at the autotuning ceiling (tcp_wmem max), the
// ceiling is below what the path needs (bandwidth x RTT): throughput is capped at buffer / RTT.
//
// Thresholds (ctx.threshold("buffers-below-bdp", ...)):
//   limitedFraction  0.5   sndbuf_limited / busy time
//   minBusyMs        1000  busy time before the fraction means anything
//   ceilingFraction  0.9   socket send buffer (skmem tb) / tcp_wmem max that counts as at the ceiling
import type { SocketEntry } from "../../host/types.js";
import type { Rule } from "../types.js";
import { hostFinding } from "./finding.js";
import { cite, humanBytes, pct, peerOf, round, sockets, sysctlNumber, sysctlNumbers } from "./util.js";

export const buffersDefaults = { limitedFraction: 0.5, minBusyMs: 1000, ceilingFraction: 0.9 };

export const buffersBelowBdp: Rule = {
  id: "buffers-below-bdp",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const limitedFraction = ctx.threshold("limitedFraction", buffersDefaults.limitedFraction);
    const minBusy = ctx.threshold("minBusyMs", buffersDefaults.minBusyMs);
    const ceilingFraction = ctx.threshold("ceilingFraction", buffersDefaults.ceilingFraction);
    const wmem = sysctlNumbers(host, "net.ipv4.tcp_wmem");
    const wmemMax = wmem?.[2];
    const coreWmemMax = sysctlNumber(host, "net.core.wmem_max");
    const hits = sockets(host).filter((s) => {
      const i = s.info;
      if (!i?.busyMs || i.busyMs < minBusy || i.sndbufLimitedMs === undefined) return false;
      if (i.sndbufLimitedMs / i.busyMs < limitedFraction) return false;
      // Only at the ceiling is it the sysctl; below it the application fixed SO_SNDBUF itself.
      const tb = s.skmem?.tb;
      return wmemMax === undefined || tb === undefined || tb >= wmemMax * ceilingFraction;
    });
    if (hits.length === 0) return [];
    const s = hits[0] as SocketEntry;
    const i = s.info ?? {};
    const rttSec = (i.rtt ?? 0) / 1000;
    const buf = s.skmem?.tb ?? wmemMax;
    const cap = buf && rttSec > 0 ? (buf * 8) / rttSec : undefined;
    const cited = cite(hits);
    return [
      hostFinding("buffers-below-bdp", {
        severity: "warning",
        confidence: s.skmem?.tb !== undefined && wmemMax !== undefined ? "high" : "medium",
        summary: `${peerOf(s)} spent ${pct((i.sndbufLimitedMs ?? 0) / (i.busyMs ?? 1), 0)} of its busy time waiting for send buffer space; the buffer (${buf ? humanBytes(buf) : "?"}, tcp_wmem max ${wmemMax ? humanBytes(wmemMax) : "?"}) over a ${round(i.rtt ?? 0, 1)} ms round trip caps it at ${cap ? `${round(cap / 1e6, 1)} Mbit/s` : "buffer / RTT"}.`,
        evidence: {
          peer: peerOf(s),
          rttMs: i.rtt,
          sndbufLimitedMs: i.sndbufLimitedMs,
          busyMs: i.busyMs,
          sndbuf: s.skmem?.tb,
          tcpWmem: wmem?.join(" "),
          wmemMax: coreWmemMax,
          bufferCapMbps: cap ? round(cap / 1e6, 2) : undefined,
          sockets: hits.length,
        },
        vars: { serverIp: s.peerIp, server: peerOf(s) },
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};
