// Active connect probes: resolve a name to every address, connect to each (with a timeout), and
// classify what happened — connected (with its connect time), refused, timed out, unreachable,
// reset after connect — together with the local context the kernel would use (route, source, MTU,
// this host's own listeners when the address is local). Host strings never reach a shell.
import { lookup as dnsLookup } from "node:dns";
import { readFile } from "node:fs/promises";
import { isIP, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { UserError } from "../cli/errors.js";
import type { SocketEntry } from "../host/types.js";
import type { ProbeAttempt } from "../rules/types.js";
import { isLocalAddress, listeningSockets, localEndpoint, type RouteInfo, routeGet } from "./route.js";

export interface ProbeTarget {
  /** As given on the command line. */
  input: string;
  host: string;
  port: number;
}

/** Parses "host:port", "ip:port" or "[v6addr]:port" (a zone like %eth0 is kept). */
export function parseTarget(input: string): ProbeTarget {
  const s = input.trim();
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
    if (isIP(host.replace(/%.*$/, "")) !== 6)
      throw new UserError(`${input}: not an IPv6 address in brackets`);
  } else {
    const colon = s.lastIndexOf(":");
    if (colon <= 0) throw new UserError(`${input}: expected host:port (or [IPv6]:port)`);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(":"))
      throw new UserError(`${input}: write IPv6 addresses in brackets: [${host}]:${portText}`);
    if (isIP(host) === 0 && !/^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$/.test(host)) {
      throw new UserError(`${input}: "${host}" is not a host name or IP address`);
    }
  }
  if (!/^\d{1,5}$/.test(portText)) throw new UserError(`${input}: the port must be a number 1-65535`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new UserError(`${input}: the port must be a number 1-65535`);
  return { input, host, port };
}

/** Expands \r \n \t \\ \0 and \xHH in --send / --expect strings (they come from a shell word). */
export function unescapeProbeText(s: string): string {
  return s.replace(/\\(x[0-9A-Fa-f]{2}|[rnt0\\])/g, (_, e: string) => {
    if (e[0] === "x") return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return ({ r: "\r", n: "\n", t: "\t", "0": "\0", "\\": "\\" } as Record<string, string>)[e];
  });
}

export interface ProbeOptions {
  /** Attempts per address (default 1). */
  count?: number;
  /** Seconds between the starts of consecutive attempts to one address (default 1). */
  intervalSec?: number;
  /** Connect timeout per attempt, and the wait for --expect after connecting, seconds (default 10). */
  timeoutSec?: number;
  /** Bytes to send once connected (already unescaped). */
  send?: string;
  /** Text expected in the reply (already unescaped). */
  expect?: string;
  /**
   * Seconds to stay connected when there is nothing to send or expect, so a peer that accepts and
   * resets at once is seen (default 0.1).
   */
  holdSec?: number;
  /** Called as each attempt ends (for live output). */
  onAttempt?: (a: ProbeAttempt) => void;
  /** Stops starting new attempts (Ctrl-C); attempts under way finish. */
  signal?: AbortSignal;
  /** Series probed at the same time at most (default 16). */
  parallel?: number;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The side effects of probing, injectable for tests. */
export interface ProbeDeps {
  lookup(host: string, timeoutSec: number): Promise<ResolvedAddress[]>;
  routeGet(address: string): Promise<RouteInfo | undefined>;
  isLocalAddress(address: string): boolean;
  listeningSockets(): Promise<SocketEntry[] | undefined>;
  synLinearTimeouts(): Promise<number | undefined>;
}

/** An error of the resolver, with its code (ENOTFOUND, EAI_AGAIN, ...). */
class LookupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function lookupAll(host: string, timeoutSec: number): Promise<ResolvedAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LookupError("ETIMEOUT", `no answer from the resolver within ${timeoutSec} s`)),
      timeoutSec * 1000,
    );
    timer.unref();
    dnsLookup(host, { all: true, order: "verbatim" }, (err, addrs) => {
      clearTimeout(timer);
      if (err) reject(new LookupError(err.code ?? "EAI_FAIL", err.message));
      else resolve(addrs.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });
}

async function readSynLinearTimeouts(): Promise<number | undefined> {
  const text = await readFile("/proc/sys/net/ipv4/tcp_syn_linear_timeouts", "utf8").catch(() => undefined);
  const n = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
}

export const liveProbeDeps: ProbeDeps = {
  lookup: lookupAll,
  routeGet: (a) => routeGet(a),
  isLocalAddress,
  listeningSockets: () => listeningSockets(),
  synLinearTimeouts: readSynLinearTimeouts,
};

/** Error codes of a connect that mean the address cannot be reached at all. */
const UNREACHABLE = new Set([
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EACCES",
  "EPERM",
  "EADDRNOTAVAIL",
]);
/** Error codes of an established connection the peer aborted. */
const RESET = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

export interface AttemptSpec {
  address: string;
  family: 4 | 6;
  port: number;
  timeoutSec: number;
  send?: string;
  expect?: string;
  holdSec: number;
}

/** The result of one connect attempt, before the probe run adds target, timing base and context. */
export type AttemptResult = Pick<ProbeAttempt, "outcome" | "connectTime" | "errno" | "message" | "exchange">;

/** One connect attempt with its follow-up (send, expect, hold); never rejects. */
export function attemptConnect(spec: AttemptSpec): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const t0 = performance.now();
    let connectedAt: number | undefined;
    let done = false;
    let received = 0;
    let sent = 0;
    let replyText = "";
    let timer: NodeJS.Timeout | undefined;
    const elapsed = () => (performance.now() - t0) / 1000;
    const sinceConnect = () => (connectedAt === undefined ? 0 : (performance.now() - connectedAt) / 1000);

    const finish = (r: AttemptResult) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      sock.removeAllListeners();
      sock.on("error", () => {}); // late errors of a socket we are done with
      sock.destroy();
      if (r.exchange && r.exchange.expectMatched === undefined && spec.expect !== undefined) {
        r.exchange.expectMatched = false;
      }
      resolve(r);
    };
    const exchange = (extra: Partial<NonNullable<ProbeAttempt["exchange"]>> = {}) => ({
      sent,
      received,
      ...(spec.expect !== undefined ? { expectMatched: replyText.includes(spec.expect) } : {}),
      ...extra,
    });
    const connectTime = () => (connectedAt === undefined ? undefined : (connectedAt - t0) / 1000);

    sock.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "EUNKNOWN";
      if (connectedAt === undefined) {
        const outcome: AttemptResult["outcome"] =
          code === "ECONNREFUSED"
            ? "refused"
            : code === "ETIMEDOUT"
              ? "timeout"
              : UNREACHABLE.has(code)
                ? "unreachable"
                : RESET.has(code)
                  ? "reset"
                  : "error";
        // A reset can overtake the connect event: the handshake completed, then the peer aborted.
        const after =
          outcome === "reset" ? { exchange: exchange({ closedBy: "reset", closedAfter: 0 }) } : {};
        finish({ outcome, connectTime: elapsed(), errno: code, message: err.message, ...after });
        return;
      }
      finish({
        outcome: RESET.has(code) ? "reset" : "error",
        connectTime: connectTime(),
        errno: code,
        message: err.message,
        exchange: exchange({ closedBy: RESET.has(code) ? "reset" : undefined, closedAfter: sinceConnect() }),
      });
    });

    sock.on("connect", () => {
      connectedAt = performance.now();
      if (timer) clearTimeout(timer);
      if (spec.send !== undefined && spec.send.length > 0) {
        const bytes = Buffer.from(spec.send, "latin1");
        sent = bytes.length;
        sock.write(bytes);
      }
      if (spec.expect !== undefined) {
        timer = setTimeout(() => {
          finish({
            outcome: "error",
            connectTime: connectTime(),
            errno: received > 0 ? "EXPECT_MISMATCH" : "EXPECT_TIMEOUT",
            message:
              received > 0
                ? `the reply (${received} bytes) did not contain the expected text within ${spec.timeoutSec} s`
                : `no reply within ${spec.timeoutSec} s after connecting`,
            exchange: exchange(),
          });
        }, spec.timeoutSec * 1000);
        return;
      }
      // Nothing to wait for: stay a moment (longer after sending, a round trip or so) so an
      // immediate reset by the peer is seen.
      const rtt = (connectedAt - t0) / 1000;
      const hold = sent > 0 ? Math.min(spec.timeoutSec, spec.holdSec + 4 * rtt + 0.1) : spec.holdSec;
      timer = setTimeout(
        () => finish({ outcome: "connected", connectTime: connectTime(), exchange: exchange() }),
        hold * 1000,
      );
    });

    sock.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (spec.expect === undefined) return;
      // Keep only what can still complete a match.
      replyText = (replyText + chunk.toString("latin1")).slice(-Math.max(65536, spec.expect.length * 2));
      if (replyText.includes(spec.expect)) {
        finish({
          outcome: "connected",
          connectTime: connectTime(),
          exchange: exchange({ expectMatched: true }),
        });
      }
    });

    sock.on("end", () => {
      // The peer closed (FIN). Before an expected reply that is a failure of the service.
      if (spec.expect !== undefined) {
        finish({
          outcome: "reset",
          connectTime: connectTime(),
          message: `the peer closed the connection before the expected reply (${received} bytes received)`,
          exchange: exchange({ closedBy: "fin", closedAfter: sinceConnect() }),
        });
      } else {
        finish({
          outcome: "connected",
          connectTime: connectTime(),
          exchange: exchange({ closedBy: "fin", closedAfter: sinceConnect() }),
        });
      }
    });

    timer = setTimeout(
      () =>
        finish({
          outcome: "timeout",
          connectTime: elapsed(),
          errno: "ETIMEDOUT",
          message: `no answer within ${spec.timeoutSec} s`,
        }),
      spec.timeoutSec * 1000,
    );
    sock.connect({ host: spec.address, port: spec.port, family: spec.family });
  });
}

export interface ProbeRun {
  attempts: ProbeAttempt[];
  /** Seconds the run took. */
  seconds: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Runs tasks with at most `limit` under way at once. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function routeOf(r: RouteInfo | undefined): ProbeAttempt["route"] {
  if (!r) return undefined;
  const out: NonNullable<ProbeAttempt["route"]> = {};
  if (r.dev) out.dev = r.dev;
  if (r.src) out.src = r.src;
  if (r.via) out.via = r.via;
  if (r.mtu !== undefined) out.mtu = r.mtu;
  if (r.error) out.error = r.error;
  return out;
}

/**
 * Probes every target: resolves it (every A/AAAA), then runs `count` attempts against each address,
 * the series of different addresses side by side. Attempts come back ordered by target, address
 * and attempt number; `at` is seconds since the run started.
 */
export async function runProbes(
  targets: ProbeTarget[],
  opts: ProbeOptions = {},
  deps: Partial<ProbeDeps> = {},
): Promise<ProbeRun> {
  const d: ProbeDeps = { ...liveProbeDeps, ...deps };
  const count = opts.count ?? 1;
  const intervalSec = opts.intervalSec ?? 1;
  const timeoutSec = opts.timeoutSec ?? 10;
  const holdSec = opts.holdSec ?? 0.1;
  const start = performance.now();
  const now = () => (performance.now() - start) / 1000;
  const [linear, listeners] = await Promise.all([d.synLinearTimeouts(), d.listeningSockets()]);

  const resolved = await Promise.all(
    targets.map(async (t) => {
      const at = now();
      const family = isIP(t.host.replace(/%.*$/, ""));
      if (family) return { t, addrs: [{ address: t.host, family: family as 4 | 6 }] };
      try {
        const addrs = await d.lookup(t.host, timeoutSec);
        if (addrs.length === 0) throw new LookupError("ENODATA", `${t.host} has no address`);
        return { t, addrs };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        const failure: ProbeAttempt = {
          target: t.input,
          address: "",
          port: t.port,
          outcome: "dns-failure",
          errno: e.code ?? "EAI_FAIL",
          message: e.message ?? String(err),
          at,
          connectTime: now() - at,
        };
        opts.onAttempt?.(failure);
        return { t, addrs: [] as ResolvedAddress[], failure };
      }
    }),
  );

  const attempts: ProbeAttempt[] = [];
  const series: (() => Promise<ProbeAttempt[]>)[] = [];
  for (const r of resolved) {
    if (r.failure) attempts.push(r.failure);
    for (const a of r.addrs) {
      series.push(async () => {
        const route = await d.routeGet(a.address);
        const local = d.isLocalAddress(a.address) || route?.local === true;
        const context: Partial<ProbeAttempt> = { timeout: timeoutSec };
        const rt = routeOf(route);
        if (rt) context.route = rt;
        if (local) context.localAddress = true;
        if (local && listeners) {
          context.localListeners = listeners.filter((s) => s.localPort === r.t.port).map(localEndpoint);
        }
        if (linear !== undefined) context.synLinearTimeouts = linear;
        const out: ProbeAttempt[] = [];
        const seriesStart = performance.now();
        for (let i = 0; i < count; i++) {
          if (opts.signal?.aborted) break;
          if (i > 0) {
            const due = seriesStart + i * intervalSec * 1000;
            await sleep(due - performance.now(), opts.signal);
            if (opts.signal?.aborted) break;
          }
          const at = now();
          const res = await attemptConnect({
            address: a.address,
            family: a.family,
            port: r.t.port,
            timeoutSec,
            send: opts.send,
            expect: opts.expect,
            holdSec,
          });
          const attempt: ProbeAttempt = {
            target: r.t.input,
            address: a.address,
            port: r.t.port,
            outcome: res.outcome,
            at,
            seq: i + 1,
            ...context,
          };
          if (res.connectTime !== undefined) attempt.connectTime = res.connectTime;
          if (res.errno) attempt.errno = res.errno;
          if (res.message) attempt.message = res.message;
          if (res.exchange) attempt.exchange = res.exchange;
          opts.onAttempt?.(attempt);
          out.push(attempt);
        }
        return out;
      });
    }
  }
  const results = await pool(series, opts.parallel ?? 16);
  for (const list of results) attempts.push(...list);
  // Target order first (a failed lookup sits with its target); within a target, address order.
  const order = new Map<string, number>();
  targets.forEach((t, i) => {
    if (!order.has(t.input)) order.set(t.input, i);
  });
  attempts.sort((a, b) => (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0));
  return { attempts, seconds: now() };
}
