// Local context of a probe, read without root: the route, source address and MTU the kernel would
// use (`ip route get`, spawned with an argument array), whether an address is this host's own, and
// this host's listening sockets on a port (/proc/net/tcp and tcp6).
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import type { SocketEntry } from "../host/types.js";
import { parseIpRoute } from "../text/iproute.js";
import { parseProcNetTcp } from "../text/procnet.js";

export interface RouteInfo {
  dst: string;
  dev?: string;
  src?: string;
  via?: string;
  /** Path MTU cached for the destination, else the device's MTU. */
  mtu?: number;
  /** `ip route get` failed ("Network is unreachable", "unreachable", "prohibit", ...). */
  error?: string;
  /** The kernel delivers it locally (route type local, device lo). */
  local: boolean;
}

export interface RouteOptions {
  /** The ip binary (default "ip" from PATH). */
  ip?: string;
  timeoutMs?: number;
}

/** Interface names as the kernel allows them: no slash, no dot-only names. */
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

function run(
  file: string,
  args: string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string } | undefined> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: "utf8" },
      (err, stdout, stderr) => {
        // A non-zero exit still carries the answer ("RTNETLINK answers: Network is unreachable").
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") resolve(undefined);
        else resolve({ stdout: stdout ?? "", stderr: stderr ?? "" });
      },
    );
  });
}

/**
 * What `ip route get ADDR` says about an address, or undefined when `ip` is not installed or says
 * nothing usable. The address must be an IP literal; it is passed as one argument, never to a shell.
 */
export async function routeGet(address: string, opts: RouteOptions = {}): Promise<RouteInfo | undefined> {
  const addr = address.replace(/%.*$/, "");
  if (!/^[0-9A-Fa-f.:]+$/.test(addr)) return undefined;
  const out = await run(opts.ip ?? "ip", ["route", "get", addr], opts.timeoutMs ?? 3000);
  if (!out) return undefined;
  const text = `$ ip route get ${addr}\n${out.stdout}${out.stderr}`;
  const route = parseIpRoute(text, "live:ip route get").routes[0];
  if (!route) return undefined;
  const info: RouteInfo = {
    dst: route.dst === "?" ? addr : route.dst,
    local: /^\s*local\s/.test(out.stdout),
  };
  if (route.dev) info.dev = route.dev;
  if (route.src) info.src = route.src;
  if (route.via) info.via = route.via;
  if (route.error) info.error = route.error;
  if (route.mtu !== undefined) info.mtu = route.mtu;
  else if (route.dev && IFNAME.test(route.dev) && route.dev !== "." && route.dev !== "..") {
    const mtu = await readFile(`/sys/class/net/${route.dev}/mtu`, "utf8").catch(() => undefined);
    const n = mtu === undefined ? Number.NaN : Number.parseInt(mtu, 10);
    if (Number.isFinite(n)) info.mtu = n;
  }
  if (route.dev === "lo") info.local = true;
  return info;
}

function canonical(ip: string): string {
  return ip
    .toLowerCase()
    .replace(/%.*$/, "")
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
}

/** Whether the address is one of this host's own (any interface, or loopback). */
export function isLocalAddress(address: string): boolean {
  const a = canonical(address);
  if (a.startsWith("127.") || a === "::1") return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (canonical(i.address) === a) return true;
  }
  return false;
}

/** Reads a proc file, or undefined when it is missing (no IPv6, other OS). */
export type TextReader = (path: string) => Promise<string | undefined>;

const readText: TextReader = (path) => readFile(path, "utf8").catch(() => undefined);

/** This host's LISTEN sockets (this network namespace), from /proc/net/tcp and /proc/net/tcp6. */
export async function listeningSockets(read: TextReader = readText): Promise<SocketEntry[] | undefined> {
  const [v4, v6] = await Promise.all([read("/proc/net/tcp"), read("/proc/net/tcp6")]);
  if (v4 === undefined && v6 === undefined) return undefined;
  const out: SocketEntry[] = [];
  for (const [text, path] of [
    [v4, "/proc/net/tcp"],
    [v6, "/proc/net/tcp6"],
  ] as const) {
    if (text === undefined) continue;
    for (const s of parseProcNetTcp(text, `live:${path}`).sockets) if (s.state === "LISTEN") out.push(s);
  }
  return out;
}

/** "ip:port" of a socket's local side, IPv6 in brackets. */
export function localEndpoint(s: SocketEntry): string {
  return s.localIp.includes(":") ? `[${s.localIp}]:${s.localPort}` : `${s.localIp}:${s.localPort}`;
}
