// The socket-line reader finds tokens and fields in place (no per-token strings): these are the
// spellings where that is easy to get wrong (nested and spaced parentheses, quotes, tabs, long
// numbers, names that look alike), and a 20k-socket table to show the cost grows linearly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSs } from "../../src/text/ss.js";

const HEADER = "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process";

/** One socket line as `ss -tanpio -m -O` prints it on Linux 6.x. */
function ssLine(i: number): string {
  const port = 10_000 + (i % 50_000);
  return (
    `ESTAB 0      0          127.0.0.1:${port}     127.0.0.1:9100  users:(("python3",pid=${100 + (i % 7)},fd=${i + 3})) ` +
    `skmem:(r0,rb131072,t0,tb3939840,f0,w0,o0,bl0,d${i % 3}) ts sack bbr wscale:10,10 rto:204 rtt:0.007/0.003 ` +
    `mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:${i} segs_out:2 segs_in:1 ` +
    `bbr:(bw:0bps,mrtt:0.005,pacing_gain:1,cwnd_gain:1) send 523856000000bps lastsnd:${i} lastrcv:23812 ` +
    `lastack:23812 pacing_rate 1497102688120bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 ` +
    "minrtt:0.005 snd_wnd:65483" +
    " ".repeat(40)
  );
}

test("ss fields: a -O line of today's ss, every field in place", () => {
  const r = parseSs(`${HEADER}\n${ssLine(5)}\n`, "x");
  assert.deepEqual(r.warnings, []);
  const s = r.sockets[0];
  assert.deepEqual(s.processes, [{ name: "python3", pid: 105, fd: 8 }]);
  assert.deepEqual(s.skmem, { r: 0, rb: 131072, t: 0, tb: 3939840, f: 0, w: 0, o: 0, bl: 0, d: 2 });
  assert.equal(s.info?.cc, "bbr");
  assert.equal(s.info?.ts, true);
  assert.equal(s.info?.appLimited, true);
  assert.equal(s.info?.wscaleSnd, 10);
  assert.equal(s.info?.rtt, 0.007);
  assert.equal(s.info?.rttvar, 0.003);
  assert.equal(s.info?.bytesAcked, 5);
  assert.equal(s.info?.sendBps, 523_856_000_000);
  assert.equal(s.info?.pacingRateBps, 1_497_102_688_120);
  assert.equal(s.info?.minrtt, 0.005);
  assert.equal(s.info?.sndWnd, 65483);
  assert.equal(s.source?.text?.startsWith("ESTAB 0"), true);
});

test("ss fields: quotes, spaces and parentheses inside users:(...) keep it one token", () => {
  const line =
    'ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 users:(("Web Content (x)",pid=1,fd=2),("b c",pid=3,fd=4)) cubic rto:201';
  const s = parseSs(line, "x").sockets[0];
  assert.deepEqual(s.processes, [
    { name: "Web Content (x)", pid: 1, fd: 2 },
    { name: "b c", pid: 3, fd: 4 },
  ]);
  assert.equal(s.info?.cc, "cubic");
  assert.equal(s.info?.rto, 201);
});

test("ss fields: tabs separate fields like spaces", () => {
  const s = parseSs("ESTAB\t0\t0\t10.0.0.1:22\t10.0.0.2:5000\tcubic\twscale:7,6\trtt:1.5/0.5\tcwnd:12", "x")
    .sockets[0];
  assert.equal(s.peerPort, 5000);
  assert.equal(s.info?.cc, "cubic");
  assert.equal(s.info?.wscaleSnd, 7);
  assert.equal(s.info?.wscaleRcv, 6);
  assert.equal(s.info?.rtt, 1.5);
  assert.equal(s.info?.cwnd, 12);
});

test("ss fields: unusual parentheses fall back to reading the token as a whole", () => {
  // text right after ")" still belongs to the token; a space inside skmem:(...) does not split it
  const s = parseSs(
    "ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 timer:(keepalive,10sec,0)x skmem:(r0, rb100) cwnd:3",
    "x",
  ).sockets[0];
  assert.deepEqual(s.timer, { name: "keepalive", expiresMs: 10_000 });
  assert.deepEqual(s.skmem, { r: 0, rb: 100 });
  assert.equal(s.info?.cwnd, 3);
  // nested parentheses: bbr:(...) holds no field we keep, the fields after it are read
  const b = parseSs("ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 bbr:(bw:1Mbps,(x),mrtt:0.1) send 5Mbps", "x")
    .sockets[0];
  assert.equal(b.info?.cc, "bbr");
  assert.equal(b.info?.sendBps, 5_000_000);
});

test("ss fields: without a State column the fields start one column earlier", () => {
  // `ss -tan state time-wait` has no State column: the fifth column is already a field
  const r = parseSs(
    "0 0 10.0.0.1:1 10.0.0.2:2 skmem:(r0, rb100) cwnd:3\n0\t0\t10.0.0.1:3\t10.0.0.2:4\ttimer:(timewait,59sec,0)\twscale:,3\n",
    "ss-tan-state-time-wait.txt",
  );
  assert.deepEqual(r.sockets[0].skmem, { r: 0, rb: 100 });
  assert.equal(r.sockets[0].info?.cwnd, 3);
  assert.deepEqual(r.sockets[1].timer, { name: "timewait", expiresMs: 59_000, retrans: 0 });
  assert.equal(r.sockets[1].info?.wscaleRcv, 3);
  assert.deepEqual(r.warnings, []);
});

test("ss fields: the old mem:(r,w,f,t) form keeps only its four fields", () => {
  const s = parseSs("ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 mem:(r1,w2,f3,t4,rb5)", "x").sockets[0];
  assert.deepEqual(s.skmem, { r: 1, w: 2, f: 3, t: 4 });
});

test("ss fields: long numbers, split values and names that only look known", () => {
  const line =
    "ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 bytes_acked:12345678901234567 rtt:1/2/3 retrans:0/7 " +
    "ssabrcdh:5 cwnd:9.2K mycc wscale:7,7 send x";
  const r = parseSs(line, "x");
  const s = r.sockets[0];
  assert.equal(s.info?.bytesAcked, Number("12345678901234567"));
  assert.equal(s.info?.rtt, 1);
  assert.equal(s.info?.rttvar, 2);
  assert.equal(s.info?.retrans, 0);
  assert.equal(s.info?.retransTotal, 7);
  assert.equal(s.info?.ssthresh, undefined);
  assert.equal(s.info?.cwnd, 9200);
  // a bare word before wscale: is a congestion control module we do not list
  assert.equal(s.info?.cc, "mycc");
  assert.match(r.warnings.join("\n"), /not understood: ssabrcdh, send, x/);
});

test("ss fields: a 20k-socket table parses completely, in time linear in its size", () => {
  const table = (n: number) => {
    const lines = [HEADER];
    for (let i = 0; i < n; i++) lines.push(ssLine(i));
    return `${lines.join("\n")}\n`;
  };
  const small = table(2_000);
  const big = table(20_000);
  parseSs(small, "warm-up");
  const cpu = (text: string) => {
    const c0 = process.cpuUsage();
    const r = parseSs(text, "live:ss");
    const c = process.cpuUsage(c0);
    return { r, us: c.user + c.system };
  };
  const a = cpu(small);
  const b = cpu(big);
  assert.equal(b.r.sockets.length, 20_000);
  assert.deepEqual(b.r.warnings, []);
  assert.equal(b.r.sockets[19_999].info?.lastsnd, 19_999);
  assert.equal(b.r.sockets[19_999].processes?.[0]?.fd, 20_002);
  // ten times the lines: about ten times the work; a quadratic step would make it ~100 times
  assert.ok(b.us < 40 * Math.max(a.us, 1000), `2k: ${a.us} µs, 20k: ${b.us} µs`);
});
