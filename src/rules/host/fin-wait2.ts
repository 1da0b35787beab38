// fin-wait2-pileup: many FIN-WAIT-2 sockets towards one peer service.
//
// FIN-WAIT-2 = this side closed, the peer acknowledged the FIN and has not sent its own. The peer's
// FIN normally follows within a round trip; a pile-up towards one service means that service's
// application does not close (its CLOSE-WAIT leak) or the peers vanished.
//
// Thresholds (ctx.threshold("fin-wait2-pileup", ...)):
//   minSockets  10    FIN-WAIT-2 sockets towards one peer ip:port
//   minAgeMs    1000  a socket counts only once this old: orphans age from the FIN timer
//                     (tcp_fin_timeout minus the time left), others from tcp_info lastack
import type { SocketEntry } from "../../host/types.js";
import type { Rule } from "../types.js";
import { hostFinding, serviceVars } from "./finding.js";
import { cite, ownerOf, peerOf, sockets, sysctlNumber, tally } from "./util.js";

export const finWait2Defaults = { minSockets: 10, minAgeMs: 1000 };

/** Age of a FIN-WAIT-2 socket in ms, when it can be told. */
function ageMs(s: SocketEntry, finTimeoutSec: number): number | undefined {
  if (s.timer?.name === "timewait" && s.timer.expiresMs !== undefined) {
    return Math.max(0, finTimeoutSec * 1000 - s.timer.expiresMs);
  }
  if (s.info) return s.info.lastack ?? s.info.lastrcv ?? 0;
  return undefined;
}

export const finWait2Pileup: Rule = {
  id: "fin-wait2-pileup",
  needs: ["host"],
  evaluate(facts, ctx) {
    const host = facts.host;
    if (!host) return [];
    const minSockets = ctx.threshold("minSockets", finWait2Defaults.minSockets);
    const minAgeMs = ctx.threshold("minAgeMs", finWait2Defaults.minAgeMs);
    const finTimeout = sysctlNumber(host, "net.ipv4.tcp_fin_timeout") ?? 60;
    const all = sockets(host).filter((s) => s.state === "FIN-WAIT-2");
    const aged = all.filter((s) => (ageMs(s, finTimeout) ?? minAgeMs) >= minAgeMs);
    const groups = tally(aged, peerOf).filter(([, l]) => l.length >= minSockets);
    if (groups.length === 0) return [];
    const [peer, list] = groups[0] as [string, SocketEntry[]];
    const orphans = list.filter((s) => !s.processes?.length && s.timer?.name === "timewait").length;
    const held = list.filter((s) => s.processes?.length).length;
    const owner = list.map(ownerOf).find((o) => o);
    const { sockets: lines, sources } = cite(list);
    const heldNote =
      held > 0
        ? ` ${held} are still held by ${owner?.label ?? "the application"} and will not time out.`
        : "";
    return [
      hostFinding("fin-wait2-pileup", {
        severity: "warning",
        confidence: "medium",
        summary: `${list.length} sockets towards ${peer} wait in FIN-WAIT-2: this host closed, the peer acknowledged but never closes its side.${heldNote}`,
        evidence: {
          finWait2Total: all.length,
          byPeer: groups.slice(0, 5).map(([k, l]) => ({ peer: k, count: l.length })),
          orphaned: orphans,
          heldByApplication: held,
          tcpFinTimeoutSec: finTimeout,
        },
        scoreBonus: Math.min(10, Math.log2(list.length / minSockets) * 4),
        vars: serviceVars(peer),
        sockets: lines,
        sources,
      }),
    ];
  },
};
