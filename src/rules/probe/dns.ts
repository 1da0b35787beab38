// dns-failure from probes: the target name did not resolve, so no connection was attempted.

import type { DocumentedRule } from "../capture/common.js";
import { makeFinding } from "../catalogue.js";
import type { Finding, ProbeAttempt } from "../types.js";

/** Resolver error codes (getaddrinfo, as Node names them) and what each means. */
export const DNS_ERRNOS: Record<string, string> = {
  ENOTFOUND: "the name does not exist (NXDOMAIN) or has no address",
  ENODATA: "the name exists but has no A/AAAA record",
  EAI_AGAIN:
    "the resolver gave no definite answer (temporary failure: resolver unreachable or timing out, or SERVFAIL)",
  EAI_FAIL: "the resolver failed for good (SERVFAIL or a refused query)",
  ESERVFAIL: "the DNS server failed to answer (SERVFAIL)",
  EREFUSED: "the DNS server refused the query",
  ETIMEOUT: "the DNS query timed out",
  ECONNREFUSED: "the DNS server could not be reached (connection refused)",
  EAI_NODATA: "the name exists but has no A/AAAA record",
  EAI_NONAME: "the name does not exist (NXDOMAIN) or has no address",
  EAI_ADDRFAMILY: "the name has no address of the requested family",
};

export const probeDnsFailure: DocumentedRule = {
  id: "dns-failure",
  description:
    "The target name of a probe did not resolve to any address (the resolver's error code is cited).",
  needs: ["probes"],
  thresholds: {},
  evaluate(facts) {
    const byTarget = new Map<string, ProbeAttempt[]>();
    for (const p of facts.probes ?? []) {
      if (p.outcome !== "dns-failure") continue;
      const list = byTarget.get(p.target);
      if (list) list.push(p);
      else byTarget.set(p.target, [p]);
    }
    const out: Finding[] = [];
    for (const [target, failed] of byTarget) {
      const errnos = [...new Set(failed.map((p) => p.errno ?? "unknown"))];
      const meaning = errnos.map((e) => `${e}${DNS_ERRNOS[e] ? ` — ${DNS_ERRNOS[e]}` : ""}`).join("; ");
      const definite = errnos.some((e) => e === "ENOTFOUND" || e === "ENODATA" || e === "EAI_NONAME");
      const name = (/^(.*):(\d+)$/.exec(target)?.[1] ?? target).replace(/^\[|\]$/g, "");
      out.push(
        makeFinding("dns-failure", {
          confidence: definite ? "high" : "medium",
          summary: `${name} did not resolve (${meaning}), so no connection to ${target} was even attempted.`,
          evidence: {
            target,
            name,
            errno: errnos.length === 1 ? errnos[0] : errnos,
            message: failed[0].message,
            lookups: failed.length,
          },
          confirm: [
            `getent ahosts ${name}`,
            `dig +short ${name}; dig ${name} @<resolver>`,
            "resolvectl status; cat /etc/resolv.conf",
          ],
          vars: { server: target, serverIp: name, serverPort: failed[0].port },
          score: definite ? 65 : 55,
        }),
      );
    }
    return out;
  },
};
