// firewall-reject, no-listener and listener-loopback-only: refused connections (from a capture or a
// probe) checked against this host's listening sockets.
//
// A SYN answered by a reset looks the same on the wire whether the kernel found no listener or a
// firewall rule rejected it. The host's socket table tells them apart, but only when the snapshot is
// of the server: some socket of the host must be bound to the refused address (or a listener on the
// refused port proves it). A listener on that address or a wildcard means a firewall reset it; a
// listener on loopback only means remote clients cannot reach it; none means nothing listens.
// With an interval of counters, TcpOutRsts not moving while the refusals happened confirms that the
// TCP stack did not send the resets.
import type { FirewallRule, HostSnapshot, SocketEntry } from "../../host/types.js";
import type { Facts, Finding, Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import {
  cite,
  counter,
  counterRefs,
  endpoint,
  hostAddresses,
  isLoopback,
  isWildcard,
  listeners,
  localOf,
  sameIp,
  sockets,
} from "./util.js";

interface Refusal {
  ip: string;
  port: number;
  streams: number[];
  frames: number[];
  probes: number;
  clients: Set<string>;
}

/** Refused connection attempts named by the other evidence, grouped by address and port. */
export function refusals(facts: Facts): Refusal[] {
  const byTarget = new Map<string, Refusal>();
  const get = (ip: string, port: number): Refusal => {
    const key = endpoint(ip, port);
    let r = byTarget.get(key);
    if (!r) {
      r = { ip, port, streams: [], frames: [], probes: 0, clients: new Set() };
      byTarget.set(key, r);
    }
    return r;
  };
  for (const c of facts.connections ?? []) {
    if (c.state !== "REJ" && !c.handshake.refused) continue;
    const r = get(c.serverIp, c.serverPort);
    r.streams.push(c.stream);
    r.frames.push(c.firstFrame);
    r.clients.add(c.clientIp);
  }
  for (const p of facts.probes ?? []) {
    if (p.outcome !== "refused") continue;
    get(p.address, p.port).probes++;
  }
  return [...byTarget.values()];
}

/** Firewall rules that reject TCP to this port (nft/iptables evidence of the host). */
function rejectRules(host: HostSnapshot, port: number): FirewallRule[] {
  return (host.firewall ?? [])
    .filter(
      (r) =>
        r.verdict === "reject" &&
        (r.protocol === undefined || r.protocol === "tcp") &&
        (r.dports === undefined || r.dports.includes(port)),
    )
    .sort((a, b) => (b.packets ?? 0) - (a.packets ?? 0));
}

/**
 * Whether the snapshot is of the host that owns this address: one of its interface addresses or
 * bound socket addresses, or the source of one of its routes. With no address known at all, a
 * wildcard listener on the port plus a reject rule for it is taken as this host.
 */
function hostOwns(host: HostSnapshot, ip: string, port: number): boolean {
  const addrs = hostAddresses(host);
  if (addrs.some((a) => sameIp(a, ip))) return true;
  if ((host.routes ?? []).some((r) => r.src !== undefined && sameIp(r.src, ip))) return true;
  if (addrs.length > 0) return false;
  const wildcardListener = sockets(host).some(
    (s) => s.state === "LISTEN" && s.localPort === port && isWildcard(s.localIp),
  );
  return wildcardListener && rejectRules(host, port).length > 0;
}

type Verdict = {
  id: "firewall-reject" | "listener-loopback-only" | "no-listener";
  listener?: SocketEntry;
  others: SocketEntry[];
};

function judge(host: HostSnapshot, r: Refusal): Verdict | undefined {
  if (!hostOwns(host, r.ip, r.port)) return undefined;
  const onPort = listeners(host).filter((l) => l.localPort === r.port);
  const reachable = onPort.find((l) => sameIp(l.localIp, r.ip) || isWildcard(l.localIp));
  if (reachable) return { id: "firewall-reject", listener: reachable, others: onPort };
  const loop = onPort.find((l) => isLoopback(l.localIp));
  if (loop && !isLoopback(r.ip)) return { id: "listener-loopback-only", listener: loop, others: onPort };
  return { id: "no-listener", others: listeners(host) };
}

function evaluateFor(id: Verdict["id"], facts: Facts): Finding[] {
  const host = facts.host;
  if (!host) return [];
  const out: Finding[] = [];
  for (const r of refusals(facts)) {
    const v = judge(host, r);
    if (!v || v.id !== id) continue;
    const target = endpoint(r.ip, r.port);
    const vars = { ...serviceVars(target), clientIp: [...r.clients][0] };
    const attempts = r.streams.length + r.probes;
    const what = r.streams.length
      ? `${r.streams.length} connection attempt${r.streams.length > 1 ? "s" : ""} in the capture`
      : `${r.probes} probe${r.probes > 1 ? "s" : ""}`;
    const rsts = counter(host, "TcpOutRsts");
    const stackSilent = rsts?.kind === "delta" && rsts.value === 0;
    const evidence: Record<string, unknown> = {
      target,
      refusedAttempts: attempts,
      streams: r.streams.slice(0, 20),
      firstFrames: r.frames.slice(0, 20),
      clients: [...r.clients].slice(0, 5),
    };
    if (rsts) evidence.tcpOutRsts = { value: rsts.value, kind: rsts.kind };
    const cited = v.listener ? cite([v.listener]) : { sockets: [], sources: [] };
    if (id === "firewall-reject" && v.listener) {
      const owner = v.listener.processes?.[0];
      const rules = rejectRules(host, r.port);
      const ruleHit = rules.find((x) => (x.packets ?? 0) > 0) ?? rules[0];
      const parts = [
        `${what} to ${target} ${attempts > 1 ? "were" : "was"} answered by a reset, yet ${owner ? `${owner.name} (pid ${owner.pid})` : "a service"} listens on ${localOf(v.listener)}: a firewall REJECT rule sends the resets, not the service.`,
      ];
      if (ruleHit) {
        parts.push(
          `Rule: "${ruleHit.rule}"${ruleHit.chain ? ` (${ruleHit.table ? `${ruleHit.table} ` : ""}chain ${ruleHit.chain})` : ""}${ruleHit.packets !== undefined ? `, matched ${ruleHit.packets} packet${ruleHit.packets === 1 ? "" : "s"}` : ""}.`,
        );
      }
      if (stackSilent) parts.push("The host's TCP stack sent no reset itself (TcpOutRsts did not move).");
      const sources = [
        ...(ruleHit?.source ? [ruleHit.source] : []),
        ...cited.sources,
        ...(stackSilent ? counterRefs(host, ["TcpOutRsts"]) : []),
      ];
      out.push(
        hostFinding(id, {
          severity: "critical",
          confidence: stackSilent || (ruleHit?.packets ?? 0) > 0 ? "high" : "medium",
          summary: parts.join(" "),
          evidence: {
            ...evidence,
            listener: localOf(v.listener),
            backlog: v.listener.sendQ,
            tcpStackSentNoReset: stackSilent,
            ...(ruleHit
              ? { rejectRule: ruleHit.rule, rejectRulePackets: ruleHit.packets, rejectChain: ruleHit.chain }
              : {}),
          },
          scoreBonus: (stackSilent ? 3 : 0) + (ruleHit ? 3 : 0),
          vars,
          streams: r.streams,
          sockets: cited.sockets,
          sources,
        }),
      );
    } else if (id === "listener-loopback-only" && v.listener) {
      out.push(
        hostFinding(id, {
          severity: "critical",
          confidence: "high",
          summary: `${what} to ${target} ${attempts > 1 ? "were" : "was"} refused: the service listens on ${localOf(v.listener)} only, which remote clients cannot reach.`,
          evidence: { ...evidence, listener: localOf(v.listener) },
          scoreBonus: 3,
          vars,
          streams: r.streams,
          sockets: cited.sockets,
          sources: cited.sources,
        }),
      );
    } else if (id === "no-listener") {
      const listening = v.others.map((l) => localOf(l));
      const c2 = cite(v.others, 5);
      out.push(
        hostFinding(id, {
          severity: "critical",
          confidence: "high",
          summary: `${what} to ${target} ${attempts > 1 ? "were" : "was"} refused and nothing on this host listens on port ${r.port}${listening.length ? ` (listening: ${listening.slice(0, 5).join(", ")})` : ""}: the service is down or the clients use the wrong port.`,
          evidence: { ...evidence, listening },
          scoreBonus: 3,
          vars,
          streams: r.streams,
          sockets: c2.sockets,
          sources: c2.sources,
        }),
      );
    }
  }
  return out;
}

/** One rule per verdict: they share the judging, each reports its own diagnosis. */
function verdictRule(id: Verdict["id"]): Rule {
  return { id, needs: ["host"], evaluate: (facts) => evaluateFor(id, facts) };
}

export const firewallReject = verdictRule("firewall-reject");
export const listenerLoopbackOnly = verdictRule("listener-loopback-only");
export const noListener = verdictRule("no-listener");
