// The /metrics endpoint: node:http serving the text rendered after the last snapshot. A scrape never
// triggers a snapshot or a render, so any number of concurrent scrapes cost one string write each.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UserError } from "../cli/errors.js";

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * "9469", ":9469" → 127.0.0.1:9469 (loopback unless an address is given); "0.0.0.0:9469",
 * "[::]:9469", "10.0.0.1:9469", "localhost:9469" bind where they say.
 */
export function parseListenAddress(text: string): ListenAddress {
  const t = text.trim();
  let host = "127.0.0.1";
  let portText = t;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2] as string;
  } else if (t.includes(":")) {
    const i = t.lastIndexOf(":");
    if (t.indexOf(":") !== i)
      throw new UserError(`--prometheus: write an IPv6 address in brackets, e.g. [::1]:9469 (got "${text}")`);
    if (i > 0) host = t.slice(0, i);
    portText = t.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UserError(`--prometheus: expected [host:]port with a port from 0 to 65535, got "${text}"`);
  return { host, port };
}

export interface MetricsServerOptions extends ListenAddress {
  contentType?: string;
  /** Answers /healthz: whether the last snapshot is recent enough, and a line saying why not. */
  health?: () => { ok: boolean; message: string };
}

export interface MetricsServer {
  /** Where it listens, as a URL base ("http://127.0.0.1:9469"). */
  readonly url: string;
  readonly address: ListenAddress;
  /** Replaces the text /metrics serves. */
  update(text: string): void;
  close(): Promise<void>;
}

const INDEX = `<html><head><title>tcpdoctor</title></head><body><h1>tcpdoctor watch</h1><p><a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></p></body></html>\n`;

/** Starts the exporter; rejects with a UserError naming the address when it cannot bind. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const contentType = opts.contentType ?? "text/plain; version=0.0.4; charset=utf-8";
  let body: Buffer | undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" });
      res.end("method not allowed\n");
      return;
    }
    if (path === "/metrics") {
      if (!body) {
        res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "1" });
        res.end("no snapshot yet\n");
        return;
      }
      res.writeHead(200, { "Content-Type": contentType, "Content-Length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (path === "/healthz") {
      const h = opts.health?.() ?? { ok: body !== undefined, message: body ? "ok" : "no snapshot yet" };
      res.writeHead(h.ok ? 200 : 503, { "Content-Type": "text/plain" });
      res.end(`${h.message}\n`);
      return;
    }
    if (path === "/") {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(INDEX);
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found\n");
  };

  const server: Server = createServer(handle);
  // Scrapers keep connections alive; let close() end idle ones instead of waiting for them.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        new UserError(
          `--prometheus ${opts.host}:${opts.port}: cannot listen (${e.code === "EADDRINUSE" ? "address in use" : e.code === "EADDRNOTAVAIL" ? "no such local address" : (e.code ?? e.message)})`,
        ),
      );
    };
    server.once("error", onError);
    server.listen(opts.port, opts.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const address = { host: opts.host, port: addr.port };
  const hostPart = addr.family === "IPv6" || addr.address.includes(":") ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostPart}:${addr.port}`,
    address,
    update(text: string) {
      body = Buffer.from(text, "utf8");
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
