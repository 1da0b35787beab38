// listen-overflow: the accept queue of a listener is full and the kernel drops SYNs / handshake ACKs.
//
// For a LISTEN socket ss shows the accept queue length as Recv-Q and the backlog (listen() argument
// capped by net.core.somaxconn) as Send-Q. The kernel counts the queue full once it holds more than
// the backlog and then drops (TcpExtListenOverflows and TcpExtListenDrops rise).
//
// Thresholds (ctx.threshold("listen-overflow", ...)):
//   fullFraction   1.0   LISTEN Recv-Q / Send-Q at which the queue counts as full now
//   minDrops       1     ListenOverflows increase over the sampled interval to report
//   absoluteRatio  0.01  without an interval: overflows / passive opens since boot to report (as a warning of low confidence)
import type { SocketEntry } from "../../host/types.js";
import type { Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import {
  cite,
  counter,
  counterNote,
  counterRefs,
  localOf,
  pct,
  round,
  sockets,
  sysctlNumber,
} from "./util.js";

export const listenOverflowDefaults = { fullFraction: 1, minDrops: 1, absoluteRatio: 0.01 };

export const listenOverflow: Rule = {
  id: "listen-overflow",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const fullFraction = ctx.threshold("fullFraction", listenOverflowDefaults.fullFraction);
    const minDrops = ctx.threshold("minDrops", listenOverflowDefaults.minDrops);
    const absRatio = ctx.threshold("absoluteRatio", listenOverflowDefaults.absoluteRatio);

    // Recv-Q > 0 guards backlog-0 listeners that are merely idle.
    const full = sockets(host)
      .filter((s) => s.state === "LISTEN" && s.recvQ > 0 && s.recvQ >= Math.max(1, s.sendQ * fullFraction))
      .sort((a, b) => b.recvQ / Math.max(1, b.sendQ) - a.recvQ / Math.max(1, a.sendQ));

    const overflows = counter(host, "TcpExtListenOverflows");
    const drops = counter(host, "TcpExtListenDrops");
    const passive = counter(host, "TcpPassiveOpens");
    let counterSignal: "delta" | "absolute" | undefined;
    if (overflows?.kind === "delta" && overflows.value >= minDrops) counterSignal = "delta";
    else if (overflows?.kind === "absolute" && overflows.value > 0) {
      const opens = passive?.kind === "absolute" ? passive.value : 0;
      if (overflows.value / Math.max(1, opens + overflows.value) >= absRatio) counterSignal = "absolute";
    }
    if (full.length === 0 && !counterSignal) return [];

    const somaxconn = sysctlNumber(host, "net.core.somaxconn");
    const l = full[0] as SocketEntry | undefined;
    const owner = l?.processes?.[0];
    const evidence: Record<string, unknown> = {};
    if (l) {
      evidence.listener = localOf(l);
      evidence.acceptQueue = l.recvQ;
      evidence.backlog = l.sendQ;
      if (owner) evidence.process = `${owner.name}(pid ${owner.pid})`;
      evidence.fullListeners = full
        .slice(0, 5)
        .map((s) => ({ listener: localOf(s), queued: s.recvQ, backlog: s.sendQ }));
    }
    if (overflows) {
      evidence.listenOverflows = overflows.value;
      evidence.counters = counterNote(overflows);
      if (overflows.kind === "delta" && overflows.seconds)
        evidence.overflowsPerSecond = round(overflows.value / overflows.seconds, 2);
    }
    if (drops) evidence.listenDrops = drops.value;
    if (passive) evidence.passiveOpens = passive.value;
    if (somaxconn !== undefined) evidence.somaxconn = somaxconn;

    const parts: string[] = [];
    if (l) {
      parts.push(
        `the accept queue of ${localOf(l)}${owner ? ` (${owner.name}, pid ${owner.pid})` : ""} holds ${l.recvQ} connections for a backlog of ${l.sendQ}`,
      );
    }
    if (overflows && counterSignal === "delta")
      parts.push(
        `the kernel dropped connection attempts ${overflows.value} times (ListenOverflows ${counterNote(overflows)})`,
      );
    else if (overflows && overflows.value > 0) {
      parts.push(
        `ListenOverflows is ${overflows.value}${passive ? ` against ${passive.value} accepted connections (${pct(overflows.value / Math.max(1, passive.value + overflows.value))})` : ""} since boot`,
      );
    }
    const summary = `${parts.join("; ")}: the application does not accept() fast enough and clients see SYN retries or failed connects.`;
    const severity = l || counterSignal === "delta" ? "critical" : "warning";
    const cited = l ? cite(full) : { sockets: [], sources: [] };
    if (overflows && overflows.value > 0)
      cited.sources.push(...counterRefs(host, ["TcpExtListenOverflows", "TcpExtListenDrops"]));
    return [
      hostFinding("listen-overflow", {
        severity,
        confidence: l || counterSignal === "delta" ? "high" : "low",
        summary: summary.charAt(0).toUpperCase() + summary.slice(1),
        evidence,
        scoreBonus:
          (l ? 3 : 0) + (counterSignal === "delta" ? 3 : 0) - (l || counterSignal === "delta" ? 0 : 15),
        vars: l
          ? { ...serviceVars(localOf(l)), ...(owner ? { pid: owner.pid, process: owner.name } : {}) }
          : {},
        sockets: cited.sockets,
        sources: cited.sources,
      }),
    ];
  },
};
