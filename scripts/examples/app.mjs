// Tiny bounded TCP behaviours for the example captures (run inside network namespaces).
// usage: node app.mjs <role> [args]; every role ends by itself within a few seconds.
import net from "node:net";

const [role, ...args] = process.argv.slice(2);
const port = Number(args[1] ?? 8080);
const host = args[0] ?? "0.0.0.0";
const bail = setTimeout(() => process.exit(3), 15000);
bail.unref();

if (role === "slow-server") {
  // answers one request after a delay (application think time)
  const delay = Number(args[2] ?? 1200);
  const srv = net.createServer((s) => {
    s.once("data", () => setTimeout(() => s.end("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"), delay));
    s.on("close", () => srv.close());
  });
  srv.listen(port, host);
} else if (role === "get") {
  // one request, read the response, close
  const s = net.connect(port, host, () => s.write("GET / HTTP/1.1\r\nhost: example\r\n\r\n"));
  s.on("data", () => {});
  s.on("end", () => s.end());
  s.on("error", (e) => {
    console.error(e.code);
    process.exit(1);
  });
} else if (role === "stall-server") {
  // small receive buffer, stops reading for a while: the sender sees a zero window
  const pause = Number(args[2] ?? 2000);
  const srv = net.createServer({ pauseOnConnect: true }, (s) => {
    setTimeout(() => {
      s.resume();
      s.on("data", () => {});
    }, pause);
    s.on("end", () => {
      s.end();
      srv.close();
    });
  });
  srv.listen(port, host);
} else if (role === "send") {
  const bytes = Number(args[2] ?? 300000);
  const s = net.connect(port, host, () => s.end(Buffer.alloc(bytes, 120)));
  s.on("data", () => {});
  s.on("error", () => process.exit(1));
} else {
  console.error(`unknown role ${role}`);
  process.exit(2);
}
