// Diagnoses from active connect probes: refused, silently dropped, unreachable, sometimes failing,
// accepted then reset, or connecting only after SYN retransmissions.

import { type DocumentedRule, readThresholds } from "../capture/common.js";
import { makeFinding } from "../catalogue.js";
import type { ProbeAttempt } from "../types.js";
import {
  attemptList,
  findingsPerSeries,
  fmtPct,
  fmtSeconds,
  type ProbeSeries,
  percentile,
  plural,
  sec,
  seriesLabel,
  seriesVars,
  siblings,
  synRetriesFor,
  synsWithin,
  UNREACHABLE_ERRNOS,
} from "./common.js";
import { localVerdict } from "./local.js";

/** Whether another address of the same name connects (the service is up, this address is not). */
function otherAddressesWork(all: ProbeSeries[], s: ProbeSeries): ProbeSeries[] {
  return siblings(all, s).filter((o) => o.connects.length > 0);
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  return percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

function times(ps: ProbeAttempt[]): number[] {
  return ps.map((p) => p.connectTime).filter((t): t is number => t !== undefined);
}

function ofAttempts(n: number, total: number): string {
  return n === total ? (total === 1 ? "The attempt" : `All ${total} attempts`) : `${n} of ${total} attempts`;
}

function alsoWorks(working: ProbeSeries[]): string {
  if (working.length === 0) return "";
  return ` Other addresses of the same name connect (${working.map((w) => w.endpoint).join(", ")}), so clients that pick this one fail while the rest succeed.`;
}

function endpointsOf(working: ProbeSeries[]): string[] | undefined {
  return working.length ? working.map((w) => w.endpoint) : undefined;
}

// ---------------------------------------------------------------------------- connect-refused

export const probeConnectRefused: DocumentedRule = {
  id: "connect-refused",
  description:
    "Every probe of an address answered at once with a reset (ECONNREFUSED): nothing listens there, or a reject rule answers for it.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsPerSeries(facts, (s, all) => {
      const refused = s.attempts.filter((p) => p.outcome === "refused");
      if (refused.length === 0 || s.connects.length > 0) return;
      const local = localVerdict(s);
      if (local && local.id !== "bound-elsewhere") return; // the listener rules say more
      const working = otherAddressesWork(all, s);
      const delay = median(times(refused));
      const elsewhere =
        local?.id === "bound-elsewhere"
          ? ` This host listens on port ${s.port} only at ${local.listeners.join(", ")}, not at ${s.address}: bind the service to ${s.address} or to all addresses.`
          : "";
      return makeFinding("connect-refused", {
        severity: working.length ? "warning" : "critical",
        confidence: "high",
        summary:
          `${ofAttempts(refused.length, s.attempts.length)} to connect to ${seriesLabel(s)} ${refused.length === 1 ? "was" : "were"} refused${delay !== undefined ? ` after ${fmtSeconds(delay)}` : ""} (ECONNREFUSED): the host answered the SYN with a reset, so it is reachable but nothing accepts connections on port ${s.port}, or a firewall rejects them with a reset.` +
          elsewhere +
          alsoWorks(working),
        evidence: {
          target: s.target,
          address: s.endpoint,
          attempts: s.attempts.length,
          refused: refused.length,
          errno: "ECONNREFUSED",
          refusedAfterSeconds: sec(delay),
          listenersOnPort: local?.listeners,
          otherAddressesConnect: endpointsOf(working),
        },
        vars: seriesVars(s),
        score: working.length ? 45 : 65,
      });
    }),
};

// ---------------------------------------------------------------------------- connect-timeout

export const probeConnectTimeout: DocumentedRule = {
  id: "connect-timeout",
  description:
    "Probes of an address got no answer at all within the connect timeout (no SYN-ACK, no reset, no ICMP error): SYNs are dropped silently.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsPerSeries(facts, (s, all) => {
      const timedOut = s.attempts.filter((p) => p.outcome === "timeout");
      if (timedOut.length === 0 || s.connects.length > 0) return;
      const working = otherAddressesWork(all, s);
      const waited = median(timedOut.map((p) => p.connectTime ?? p.timeout ?? 0)) ?? 0;
      const linear = timedOut[0].synLinearTimeouts;
      const syns = waited > 0 ? synsWithin(waited, linear ?? 0) : undefined;
      const schedule =
        syns !== undefined
          ? ` In ${fmtSeconds(waited)} this host's kernel sends about ${plural(syns, "SYN")}${linear !== undefined ? ` (tcp_syn_linear_timeouts=${linear})` : ""}; none was answered.`
          : "";
      return makeFinding("connect-timeout", {
        severity: working.length ? "warning" : "critical",
        confidence: timedOut.length > 1 ? "high" : "medium",
        summary:
          `${ofAttempts(timedOut.length, s.attempts.length)} to connect to ${seriesLabel(s)} timed out after ${fmtSeconds(waited)} without any answer — no SYN-ACK, no reset, no ICMP error: something drops the SYNs (or the answers) silently, or the host is down.` +
          schedule +
          alsoWorks(working),
        evidence: {
          target: s.target,
          address: s.endpoint,
          attempts: s.attempts.length,
          timedOut: timedOut.length,
          timeoutSeconds: sec(waited),
          synsSentEstimate: syns,
          synLinearTimeouts: linear,
          route: timedOut[0].route,
          otherAddressesConnect: endpointsOf(working),
        },
        vars: seriesVars(s),
        score: working.length ? 45 : 60,
      });
    }),
};

// ---------------------------------------------------------------------------- no-route

export const probeNoRoute: DocumentedRule = {
  id: "no-route",
  description:
    "Connects to an address fail with EHOSTUNREACH/ENETUNREACH (or a local EACCES/EPERM): no route, no neighbour, or an ICMP unreachable came back.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsPerSeries(facts, (s, all) => {
      const failed = s.attempts.filter((p) => p.outcome === "unreachable");
      if (failed.length === 0 || s.connects.length > 0) return;
      const errnos = [...new Set(failed.map((p) => p.errno ?? "unknown"))];
      const meaning = errnos
        .map((e) => (UNREACHABLE_ERRNOS[e] ? `${e} — ${UNREACHABLE_ERRNOS[e]}` : e))
        .join("; ");
      const route = failed.find((p) => p.route)?.route;
      const routeText = route?.error
        ? ` \`ip route get ${s.address}\` fails too: ${route.error}.`
        : route?.dev
          ? ` The kernel routes it via ${route.via ? `${route.via} on ` : ""}${route.dev}${route.src ? ` from ${route.src}` : ""}, so the failure is past this host's routing table (the next hop or a router beyond it).`
          : "";
      const delay = median(times(failed));
      return makeFinding("no-route", {
        confidence: route?.error || failed.length > 1 ? "high" : "medium",
        summary:
          `${ofAttempts(failed.length, s.attempts.length)} to connect to ${seriesLabel(s)} failed${delay !== undefined ? ` after ${fmtSeconds(delay)}` : ""}: ${meaning}.` +
          routeText +
          alsoWorks(otherAddressesWork(all, s)),
        evidence: {
          target: s.target,
          address: s.endpoint,
          attempts: s.attempts.length,
          unreachable: failed.length,
          errno: errnos.length === 1 ? errnos[0] : errnos,
          failedAfterSeconds: sec(delay),
          route,
        },
        vars: seriesVars(s),
        score: route?.error ? 65 : 55,
      });
    }),
};

// ---------------------------------------------------------------------------- reset-after-connect

export const probeResetAfterConnect: DocumentedRule = {
  id: "reset-after-connect",
  description:
    "Probes connect, then the peer resets (ECONNRESET/EPIPE) or closes before the expected reply: something accepts and aborts.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsPerSeries(facts, (s) => {
      const reset = s.attempts.filter((p) => p.outcome === "reset");
      if (reset.length === 0) return;
      const byRst = reset.filter((p) => p.exchange?.closedBy !== "fin");
      const byFin = reset.length - byRst.length;
      const after = median(
        reset.map((p) => p.exchange?.closedAfter).filter((t): t is number => t !== undefined),
      );
      const sent = reset.find((p) => (p.exchange?.sent ?? 0) > 0)?.exchange?.sent;
      const errnos = [...new Set(byRst.map((p) => p.errno).filter((e): e is string => !!e))];
      const how = [
        byRst.length
          ? `reset${errnos.length ? ` (${errnos.join(", ")})` : ""}${byRst.length < reset.length ? ` ${byRst.length}×` : ""}`
          : "",
        byFin ? `closed before the expected reply${byRst.length ? ` ${byFin}×` : ""}` : "",
      ]
        .filter(Boolean)
        .join(", ");
      return makeFinding("reset-after-connect", {
        confidence: reset.length === s.connects.length ? "high" : "medium",
        summary:
          `${ofAttempts(reset.length, s.attempts.length)} to ${seriesLabel(s)} completed the handshake and then the peer ${how}` +
          `${after !== undefined ? ` ${fmtSeconds(after)} after connecting` : ""}${sent ? `, after ${plural(sent, "byte")} were sent` : ""}. ` +
          "The port accepts TCP, but what answers drops the connection at once: a proxy without a healthy backend, a protocol mismatch (plain text to a TLS port), a connection limit, or an access rule applied after accept.",
        evidence: {
          target: s.target,
          address: s.endpoint,
          connected: s.connects.length,
          reset: byRst.length,
          closedBeforeExpectedReply: byFin || undefined,
          errno: errnos.length === 1 ? errnos[0] : errnos.length ? errnos : undefined,
          closedAfterSeconds: sec(after),
          bytesSent: sent,
          attemptsAffected: attemptList(reset),
        },
        vars: seriesVars(s),
        score: reset.length === s.connects.length ? 60 : 45,
      });
    }),
};

// ---------------------------------------------------------------------------- slow-handshake

const slowDefaults = {
  /** A connect this slow (seconds) is suspect: the SYN retransmission timeout starts at 1 s. */
  minSlowSeconds: 0.9,
  /** ... when it is this much slower (seconds) than the fastest connect of the same series. */
  minExtraSeconds: 0.8,
};

export const probeSlowHandshake: DocumentedRule = {
  id: "slow-handshake",
  description:
    "Probes connect, but some only after ~1 s, ~2-3 s, ~7 s: the time of SYN retransmissions (the first SYN or SYN-ACK was lost, or the server's SYN queue is overloaded).",
  needs: ["probes"],
  thresholds: slowDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, slowDefaults);
    return findingsPerSeries(facts, (s) => {
      const ct = s.connectTime;
      if (!ct) return;
      const fastest = ct.min;
      const slow = s.connects.filter(
        (p) =>
          p.connectTime !== undefined &&
          p.connectTime >= t.minSlowSeconds &&
          (p.connectTime - fastest >= t.minExtraSeconds || fastest >= t.minSlowSeconds),
      );
      if (slow.length === 0) return;
      const linear = slow[0].synLinearTimeouts;
      const base = fastest < t.minSlowSeconds ? fastest : 0;
      const retries = slow.map((p) => synRetriesFor(p.connectTime!, base, linear ?? 0));
      const slowTimes = times(slow);
      const allSlow = slow.length === s.connects.length;
      const baseText = allSlow
        ? "every connect took that long"
        : `the other ${plural(s.connects.length - slow.length, "connect")} took ${fmtSeconds(fastest)}${s.connects.length - slow.length > 1 ? " at best" : ""}`;
      return makeFinding("slow-handshake", {
        confidence: slow.length > 1 || !allSlow ? "high" : "medium",
        summary:
          `${ofAttempts(slow.length, s.connects.length)} that connected to ${seriesLabel(s)} needed ${slowTimes.map(fmtSeconds).slice(0, 5).join(", ")}${slowTimes.length > 5 ? " …" : ""} while ${baseText}: ` +
          `that is the SYN retransmission schedule (${Math.max(...retries) > 0 ? `about ${plural(Math.max(...retries), "retransmitted SYN")}` : "a retransmitted SYN"}), so the first SYN or its SYN-ACK was lost, or the server answers SYNs late.`,
        evidence: {
          target: s.target,
          address: s.endpoint,
          connected: s.connects.length,
          slow: slow.length,
          slowShare: Math.round((slow.length / s.connects.length) * 1000) / 1000,
          slowConnectSeconds: slowTimes.slice(0, 20).map((x) => sec(x)),
          fastestConnectSeconds: sec(fastest),
          synRetransmissionsEstimate: Math.max(...retries),
          synLinearTimeouts: linear,
          attemptsAffected: attemptList(slow),
        },
        vars: seriesVars(s),
        score: 40 + Math.min(30, Math.round((slow.length / s.connects.length) * 30)),
      });
    });
  },
};

// ---------------------------------------------------------------------------- intermittent

export const probeIntermittentConnectFailure: DocumentedRule = {
  id: "intermittent-connect-failure",
  description:
    "In a series of probes of one address, some connect and some fail (timeout, refused, unreachable).",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsPerSeries(facts, (s) => {
      if (s.connects.length === 0 || s.connectFailures.length === 0) return;
      const kinds: Record<string, number> = {};
      for (const p of s.connectFailures) kinds[p.outcome] = (kinds[p.outcome] ?? 0) + 1;
      const breakdown = Object.entries(kinds)
        .map(([k, n]) => `${k === "timeout" ? "timed out" : k} ${n}×`)
        .join(", ");
      const total = s.connects.length + s.connectFailures.length;
      const onlyRefused = Object.keys(kinds).length === 1 && kinds.refused !== undefined;
      const ct = s.connectTime;
      const why = onlyRefused
        ? "Refusals between successes mean the listener comes and goes (restarts, crashes, a pool of backends where some are down) or a reject rule matches only some attempts."
        : "When the failures are silent drops the service and the path work for some connections and not others: a limit on the way (connection-tracking table of a firewall/NAT, a per-source connection limit, an accept queue) or a lossy or overloaded device.";
      return makeFinding("intermittent-connect-failure", {
        confidence: s.connectFailures.length > 1 && s.connects.length > 1 ? "high" : "medium",
        summary:
          `${s.connectFailures.length} of ${total} attempts to connect to ${seriesLabel(s)} failed (${breakdown}; attempts ${attemptList(s.connectFailures)}) while ${s.connects.length} connected${ct ? ` (connect time p50 ${fmtSeconds(ct.p50)}, max ${fmtSeconds(ct.max)})` : ""}. ` +
          why,
        evidence: {
          target: s.target,
          address: s.endpoint,
          attempts: total,
          connected: s.connects.length,
          failed: s.connectFailures.length,
          failures: kinds,
          successRate: s.successRate !== undefined ? Math.round(s.successRate * 1000) / 1000 : undefined,
          successRateText: s.successRate !== undefined ? fmtPct(s.successRate) : undefined,
          failedAttempts: attemptList(s.connectFailures, 20),
          connectTimeSeconds: ct ? { p50: sec(ct.p50), p90: sec(ct.p90), max: sec(ct.max) } : undefined,
        },
        vars: seriesVars(s),
        score: 40 + Math.round((s.connectFailures.length / total) * 30),
      });
    }),
};

// ---------------------------------------------------------------------------- slow-server-response

export const probeSlowServerResponse: DocumentedRule = {
  id: "slow-server-response",
  description:
    "Probes with --expect connect quickly but get no reply at all within the timeout: the service accepts and then does not answer.",
  needs: ["probes"],
  thresholds: {},
  evaluate: (facts) =>
    findingsPerSeries(facts, (s) => {
      const silent = s.attempts.filter((p) => p.errno === "EXPECT_TIMEOUT");
      if (silent.length === 0) return;
      const ct = median(times(silent));
      const waited = silent[0].timeout;
      const sent = silent[0].exchange?.sent ?? 0;
      return makeFinding("slow-server-response", {
        confidence: sent > 0 && silent.length > 1 ? "medium" : "low",
        summary:
          `${ofAttempts(silent.length, s.attempts.length)} to ${seriesLabel(s)} connected${ct !== undefined ? ` in ${fmtSeconds(ct)}` : ""}` +
          `${sent ? ` and sent ${plural(sent, "byte")}` : ""}, then got no reply at all${waited !== undefined ? ` within ${fmtSeconds(waited)}` : ""}. ` +
          "The network and the listener work (the handshake was quick); the application behind the port does not answer in time — it is stuck or overloaded, or it waits for a request in another protocol.",
        evidence: {
          target: s.target,
          address: s.endpoint,
          silent: silent.length,
          connectSeconds: sec(ct),
          waitedSeconds: waited,
          bytesSent: sent,
          attemptsAffected: attemptList(silent),
        },
        vars: seriesVars(s),
        score: 45,
      });
    }),
};
