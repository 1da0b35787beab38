// What this host's own sockets say about a refused probe of one of its own addresses: a listener
// that should have accepted (so a firewall rule answered), one bound to loopback only, one bound to
// another address, or none at all.
import { isLoopback, isWildcard, type ProbeSeries, splitEndpoint } from "./common.js";

export interface LocalVerdict {
  id: "firewall-reject" | "listener-loopback-only" | "no-listener" | "bound-elsewhere";
  /** The listener that decides the verdict ("ip:port"). */
  listener?: string;
  /** Every listener on the probed port. */
  listeners: string[];
}

function sameIp(a: string, b: string): boolean {
  const n = (x: string) => x.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  return n(a) === n(b);
}

/**
 * The verdict for a series that was refused, when the probed address is this host's own and its
 * listeners were read; undefined otherwise (a remote host: the refusal speaks for itself).
 */
export function localVerdict(s: ProbeSeries): LocalVerdict | undefined {
  const refused = s.attempts.filter((p) => p.outcome === "refused");
  if (refused.length === 0) return undefined;
  const withContext = refused.find((p) => p.localAddress && p.localListeners !== undefined);
  if (!withContext) return undefined;
  const listeners = withContext.localListeners ?? [];
  const parsed = listeners
    .map((l) => ({ text: l, ep: splitEndpoint(l) }))
    .filter((l) => l.ep !== undefined && l.ep.port === s.port);
  const onPort = parsed.map((l) => l.text);
  const v6 = s.address.includes(":") && !/^::ffff:\d/.test(s.address);
  // "::" takes IPv4 too unless the socket is v6-only, which /proc/net/tcp6 does not show.
  const reachable = parsed.find(
    (l) => sameIp(l.ep!.ip, s.address) || (isWildcard(l.ep!.ip) && (l.ep!.ip !== "0.0.0.0" || !v6)),
  );
  if (reachable) return { id: "firewall-reject", listener: reachable.text, listeners: onPort };
  const loop = parsed.find((l) => isLoopback(l.ep!.ip));
  if (loop && !isLoopback(s.address)) {
    return { id: "listener-loopback-only", listener: loop.text, listeners: onPort };
  }
  if (parsed.length > 0) return { id: "bound-elsewhere", listener: parsed[0].text, listeners: onPort };
  return { id: "no-listener", listeners: onPort };
}
