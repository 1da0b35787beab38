// Connection facts on every scenario of the shared corpus, checked against what really happened:
// truth.json (written from how each fault was built: kernel counters, nft counters, parameters)
// and, for who sent which packet first, Wireshark's own per-packet table (oracle/tshark-flags.tsv).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket } from "../../../src/core/decode/index.js";
import { CaptureAnalysis, type CaptureResult } from "../../../src/core/pipeline.js";
import type { ConnectionSummary } from "../../../src/core/tcp/types.js";
import { readCaptureFile } from "../../../src/io/capture-source.js";
import { capturesDir, needsShared, scenarios } from "../../helpers.js";

interface Truth {
  scenario: string;
  capture_point: string;
  client: { ip: string; port: number | string };
  server: { ip: string; port: number };
  params: Record<string, unknown>;
}

const truthOf = (s: string): Truth => JSON.parse(readFileSync(join(capturesDir, s, "truth.json"), "utf8"));
const num = (t: Truth, k: string): number => Number(t.params[k]);

const results = new Map<string, Promise<CaptureResult>>();

/** The pipeline's result for one corpus file (computed once per file). */
function analyse(scenario: string, file = "capture.pcap"): Promise<CaptureResult> {
  const path = join(capturesDir, scenario, file);
  let r = results.get(path);
  if (!r) {
    r = (async () => {
      const analysis = new CaptureAnalysis();
      await readCaptureFile(path, (rec) => analysis.push(decodePacket(rec), rec));
      return analysis.finish();
    })();
    results.set(path, r);
  }
  return r;
}

/** What Wireshark saw per stream: endpoints, packets, who sent the first FIN and the first RST. */
interface OracleStream {
  endpoints: Set<string>;
  packets: number;
  firstFin?: string;
  firstRst?: string;
}

function endpointOf(ip: string, port: string): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function oracleStreams(scenario: string, stem?: string): Map<string, OracleStream[]> {
  const path = join(capturesDir, scenario, "oracle", ...(stem ? [stem] : []), "tshark-flags.tsv");
  const lines = readFileSync(path, "utf8").split("\n");
  const head = lines[0].split("\t");
  const col = (name: string) => head.indexOf(name);
  const [cSrc, cSrc6, cSport, cDst, cDst6, cDport, cStream, cFlags] = [
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "ip.dst",
    "ipv6.dst",
    "tcp.dstport",
    "tcp.stream",
    "tcp.flags.str",
  ].map(col);
  // First the endpoints of each stream (from its first row), then everything else.
  const byStream = new Map<string, OracleStream & { rows: string[][] }>();
  for (const line of lines.slice(1)) {
    const f = line.split("\t");
    if (f.length < head.length || f[cStream] === "") continue;
    let s = byStream.get(f[cStream]);
    if (!s) {
      const src = endpointOf(f[cSrc] || f[cSrc6], f[cSport]);
      const dst = endpointOf(f[cDst] || f[cDst6], f[cDport]);
      s = { endpoints: new Set([src, dst]), packets: 0, rows: [] };
      byStream.set(f[cStream], s);
    }
    s.rows.push(f);
  }
  const byTuple = new Map<string, OracleStream[]>();
  for (const s of byStream.values()) {
    for (const f of s.rows) {
      const src = endpointOf(f[cSrc] || f[cSrc6], f[cSport]);
      // ICMP errors quoting the connection carry its stream number but come from a router.
      if (!s.endpoints.has(src)) continue;
      s.packets++;
      const flags = f[cFlags];
      // tcp.flags.str: ... A(7) P(8) R(9) S(10) F(11)
      if (flags[11] === "F" && !s.firstFin) s.firstFin = src;
      if (flags[9] === "R" && !s.firstRst) s.firstRst = src;
    }
    const key = [...s.endpoints].sort().join(" ");
    const list = byTuple.get(key) ?? [];
    list.push({ endpoints: s.endpoints, packets: s.packets, firstFin: s.firstFin, firstRst: s.firstRst });
    byTuple.set(key, list);
  }
  return byTuple;
}

const tupleOf = (c: ConnectionSummary) => [c.client, c.server].sort().join(" ");
const endpointOfSide = (c: ConnectionSummary, side?: "client" | "server") =>
  side === "client" ? c.client : side === "server" ? c.server : undefined;

function portMatches(spec: number | string, port: number): boolean {
  if (typeof spec === "number") return spec === port;
  const m = /^(\d+)-(\d+)$/.exec(spec);
  if (m) return port >= Number(m[1]) && port <= Number(m[2]);
  return true; // "ephemeral"
}

function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );
}

/** Checks that hold on every capture: orientation, packet counts and who closed/reset first, per Wireshark. */
async function checkAgainstOracle(
  scenario: string,
  file: string,
  stem?: string,
  capturedAt?: "client" | "server",
): Promise<void> {
  const truth = truthOf(scenario);
  const { connections } = await analyse(scenario, file);
  const oracle = oracleStreams(scenario, stem);
  const oracleCount = [...oracle.values()].reduce((a, l) => a + l.length, 0);
  assert.equal(connections.length, oracleCount, "one connection per Wireshark tcp.stream");
  const used = new Map<string, number>();
  const server = endpointOf(truth.server.ip, String(truth.server.port));
  for (const c of connections) {
    const key = tupleOf(c);
    const i = used.get(key) ?? 0;
    used.set(key, i + 1);
    const o = oracle.get(key)?.[i];
    assert.ok(o, `stream ${c.stream} ${key} has a Wireshark counterpart`);
    assert.equal(c.packets.client + c.packets.server, o.packets, `stream ${c.stream} packets`);
    assert.equal(endpointOfSide(c, c.close.firstFin), o.firstFin, `stream ${c.stream}: first FIN`);
    assert.equal(endpointOfSide(c, c.close.firstRst), o.firstRst, `stream ${c.stream}: first RST`);
    // The service is the server, never the client.
    if (o.endpoints.has(server)) assert.equal(c.server, server, `stream ${c.stream} orientation`);
  }
  const truthClient = connections.filter(
    (c) => c.clientIp === truth.client.ip && portMatches(truth.client.port, c.clientPort),
  );
  assert.ok(truthClient.length > 0, `a connection from the truth client ${truth.client.ip}`);
  // Where the capture was taken (truth.capture_point describes capture.pcap), when the facts allow a guess.
  const side =
    capturedAt ??
    (/^client interface/.test(truth.capture_point)
      ? "client"
      : /^server interface/.test(truth.capture_point)
        ? "server"
        : undefined);
  for (const c of truthClient) {
    if (c.captureSide && side) assert.equal(c.captureSide, side, `stream ${c.stream} capture side`);
  }
}

type Check = (cs: ConnectionSummary[], truth: Truth, res: CaptureResult) => void;

const mainConn = (cs: ConnectionSummary[], truth: Truth): ConnectionSummary => {
  const c = cs.find((x) => x.clientIp === truth.client.ip && x.serverPort === truth.server.port);
  assert.ok(c, "the truth client's connection");
  return c;
};

/** What truth.json says happened, per scenario. */
const EXPECT: Partial<Record<string, Check>> = {
  clean: (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "SF");
    assert.equal(c.handshake.ackSeen, true);
    assert.equal(c.close.firstRst, undefined);
    assert.equal(c.dir.client.repeatedSegments + c.dir.server.repeatedSegments, 0);
    assert.equal(c.bytes.server - c.dir.server.uniqueBytes, 0);
    assert.ok(c.bytes.server > num(t, "response_bytes"), "response body plus headers");
  },
  "clean-v6": (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.ipVersion, 6);
    assert.equal(c.state, "SF");
    assert.equal(c.client, `[${t.client.ip}]:${t.client.port}`);
  },
  refused: (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "REJ");
    assert.equal(c.handshake.refused, true);
    assert.equal(c.serverPort, num(t, "target_port"));
  },
  "fw-reject": (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "REJ");
    assert.equal(c.handshake.refused, true);
  },
  timeout: (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "S0");
    assert.equal(c.handshake.synCount, num(t, "syns_dropped_by_nft"));
    assert.equal(c.handshake.synCount, 3);
  },
  "timeout-linear": (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "S0");
    assert.equal(c.handshake.synCount, num(t, "syns_dropped_by_nft"));
  },
  "rst-abort": (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "RSTR");
    assert.equal(c.close.firstRst, "server");
    assert.equal(c.close.firstFin, undefined);
    // "all data ACKed before the RST"
    assert.equal(c.close.rstWithDataInFlight, false);
    assert.ok(c.dir.server.uniqueBytes >= num(t, "response_bytes"));
  },
  "rst-client": (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "RSTO");
    assert.equal(c.close.firstRst, "client");
    // "RST from the client while data is flowing from the server"
    assert.equal(c.close.rstWithDataInFlight, true);
    assert.match(c.verdict, /reset by client/);
  },
  "close-wait": (cs, t) => {
    assert.equal(cs.length, num(t, "connections"));
    for (const c of cs) {
      assert.equal(c.state, "S2");
      assert.equal(c.close.firstFin, "client");
      assert.equal(c.close.halfClosedBy, "server");
    }
  },
  "time-wait": (cs, t) => {
    assert.equal(cs.length, num(t, "connections"));
    for (const c of cs) {
      assert.equal(c.state, "SF");
      assert.equal(c.close.firstFin, "client", `stream ${c.stream}: the client closes first`);
    }
  },
  keepalive: (cs, t) => {
    const c = mainConn(cs, t);
    assert.ok(c.keepalive.probes >= num(t, "keepcnt"));
    assert.equal(c.dir.client.keepAlives, c.keepalive.probes, "probes come from the client");
    assert.equal(c.keepalive.answered, c.keepalive.probes);
    assert.equal(c.keepalive.unansweredTail, 0);
    assert.equal(c.close.firstRst, undefined);
  },
  "keepalive-dead": (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.state, "RSTO");
    assert.equal(c.close.firstRst, "client");
    assert.ok(c.keepalive.answered >= 1, "probes answered before the fault");
    assert.equal(c.keepalive.unansweredTail, num(t, "keepcnt"));
    assert.ok(c.keepalive.probes >= c.keepalive.answered + num(t, "keepcnt"));
  },
  "zero-window": (cs, t) => {
    const c = mainConn(cs, t);
    const pause = num(t, "reader_pause_s");
    const longest = Math.max(...c.zeroWindow.spans.map((s) => s.end - s.start));
    near(longest, pause, 0.5, "longest zero-window stall");
    assert.ok(
      c.zeroWindow.spans.every((s) => s.side === "server"),
      "the receiving server advertised the zero window",
    );
    assert.ok(c.zeroWindow.totalStall >= longest);
    // Linux probes (seq = SND.UNA-1) are zero-window probes, not keepalives.
    assert.ok(c.dir.client.zeroWindowProbes >= 1);
    assert.equal(c.dir.client.keepAlives, 0);
  },
  reorder: (cs, t) => {
    const c = mainConn(cs, t);
    assert.equal(c.dir.client.reorderedSegments, num(t, "swapped_pairs"));
    assert.equal(c.dir.client.repeatedSegments, 0, "no retransmissions from the sender");
    assert.equal(c.dir.client.lostBeforeCapture ?? 0, 0);
  },
  "reorder-real": (cs, t) => {
    const c = mainConn(cs, t);
    const held = num(t, "held_back_segments");
    near(c.dir.client.reorderedSegments, held, Math.ceil(held * 0.15), "reordered segments");
    // The sender retransmitted only this often (its TcpRetransSegs): the late originals are not losses.
    assert.ok(c.dir.client.repeatedSegments <= num(t, "sender_tcp_retrans_segs") + 1);
    assert.ok((c.dir.client.lostBeforeCapture ?? 0) <= 2);
  },
  "loss-cubic": (cs, t) => {
    const c = mainConn(cs, t);
    const retrans = num(t, "tcp_retrans_segs");
    near(
      c.dir.client.repeatedSegments,
      retrans,
      Math.ceil(retrans * 0.1),
      "repeated segments vs TcpRetransSegs",
    );
    assert.equal(c.dir.client.reorderedSegments, 0);
  },
  "loss-bbr": (cs, t) => {
    const c = mainConn(cs, t);
    const retrans = num(t, "tcp_retrans_segs");
    near(
      c.dir.client.repeatedSegments,
      retrans,
      Math.ceil(retrans * 0.1),
      "repeated segments vs TcpRetransSegs",
    );
  },
  ratelimit: (cs, t) => {
    const c = mainConn(cs, t);
    const drops = num(t, "tbf_dropped");
    near(c.dir.server.repeatedSegments, drops, Math.ceil(drops * 0.1), "repeated segments vs tbf drops");
    // Rate limit, not receiver: the throughput sits near the 4 Mbit/s shaper.
    assert.equal(c.throughput?.direction, "server");
    near((c.throughput?.bps ?? 0) / 1e6, num(t, "rate_mbit"), 0.5, "throughput Mbit/s");
  },
  "pmtu-blackhole": (cs, t, res) => {
    const c = mainConn(cs, t);
    const s = c.dir.server;
    assert.ok(s.fullSizeRetransmissions > 0, "full-size segments retransmitted");
    assert.ok(s.maxIpLen > num(t, "link_mtu"), "segments larger than the 1400-byte hop");
    assert.ok(s.smallSegmentsDelivered >= 1, "small segments get through");
    assert.equal(c.icmp.length, 0, "no ICMP reaches the sender");
    assert.equal(res.capture.unmatchedIcmp.length, 0);
    assert.equal(
      c.close.halfClosedBy,
      "server",
      "the client gave up and closed; the stalled server never finished",
    );
  },
  "pmtu-ok": (cs, t) => {
    const c = mainConn(cs, t);
    const frag = c.icmp.filter((i) => i.kind === "frag-needed");
    assert.ok(frag.length > 0, "ICMP fragmentation needed tied to the connection");
    assert.ok(frag.every((i) => i.mtu === num(t, "link_mtu")));
    assert.equal(c.state, "SF");
  },
  "slow-server": (cs, t) => {
    const c = mainConn(cs, t);
    const delays = t.params.server_delays_s as number[];
    const slow = c.thinkTimes[0];
    near(slow.gap, Math.max(...delays), 0.1, "largest think time");
    assert.ok(slow.ackAt !== undefined && slow.ackAt - slow.requestAt < 0.2, "request ACKed quickly");
    assert.equal(c.thinkTimes.length, delays.length);
    near(c.handshake.rtt ?? 0, num(t, "rtt_ms") / 1000, 0.005, "handshake RTT");
  },
  "syn-flood": (cs, t) => {
    const attempts = cs.filter((c) => !c.handshake.ackSeen && c.handshake.synSeen);
    assert.ok(attempts.length >= 1000, `${attempts.length} half-open attempts`);
    assert.ok(new Set(attempts.map((c) => c.clientIp)).size >= 1000, "from many sources");
    assert.ok(attempts.every((c) => c.state === "S0" || c.state === "S1"));
    const legit = cs.find((c) => c.clientIp === t.client.ip && c.clientPort === t.client.port);
    assert.ok(legit?.handshake.ackSeen, "the legitimate client connects");
  },
  "listen-overflow": (cs, t) => {
    assert.equal(cs.length, num(t, "clients"));
    const unanswered = cs.filter((c) => !c.handshake.synAckSeen);
    // "SYN retransmissions from 8 client ports with no SYN-ACK"; "only the first two handshakes complete"
    assert.equal(unanswered.length, num(t, "clients") - 2);
    assert.ok(unanswered.every((c) => c.handshake.synCount >= 2 && c.state === "S0"));
    assert.equal(cs.filter((c) => c.handshake.ackSeen).length, 2);
  },
  "conntrack-limit": (cs, t) => {
    assert.equal(cs.length, num(t, "clients"));
    assert.equal(cs.filter((c) => c.handshake.ackSeen).length, num(t, "limit"));
    const dropped = cs.filter((c) => c.state === "S0");
    assert.equal(dropped.length, num(t, "clients") - num(t, "limit"));
    assert.ok(
      dropped.every((c) => c.handshake.synCount >= 2),
      "SYNs retransmitted",
    );
  },
};

/** Second capture points of some scenarios, with what they must show. */
const EXTRA: { scenario: string; file: string; side: "client" | "server"; check: Check }[] = [
  {
    scenario: "loss-cubic",
    file: "capture-receiver.pcap",
    side: "server",
    check: (cs, t) => {
      // Receiver side: the drops happened upstream, so only the retransmissions pass the capture point.
      const c = mainConn(cs, t);
      const retrans = num(t, "tcp_retrans_segs");
      near(
        c.dir.client.lostBeforeCapture ?? 0,
        retrans,
        Math.ceil(retrans * 0.1),
        "lost before capture vs TcpRetransSegs",
      );
      assert.equal(c.dir.client.repeatedSegments, 0);
      assert.equal(c.dir.client.reorderedSegments, 0);
    },
  },
  {
    scenario: "loss-bbr",
    file: "capture-receiver.pcap",
    side: "server",
    check: (cs, t) => {
      const c = mainConn(cs, t);
      const retrans = num(t, "tcp_retrans_segs");
      near(
        c.dir.client.lostBeforeCapture ?? 0,
        retrans,
        Math.ceil(retrans * 0.1),
        "lost before capture vs TcpRetransSegs",
      );
    },
  },
  {
    scenario: "ratelimit",
    file: "capture-client.pcap",
    side: "client",
    check: (cs, t) => {
      const c = mainConn(cs, t);
      const drops = num(t, "tbf_dropped");
      near(
        c.dir.server.lostBeforeCapture ?? 0,
        drops,
        Math.ceil(drops * 0.1),
        "lost before capture vs tbf drops",
      );
      assert.equal(c.captureSide, "client");
    },
  },
  {
    scenario: "reorder-real",
    file: "capture-sender.pcap",
    side: "client",
    check: (cs, t) => {
      // At the sender the segments leave in order: no reordering, and only the sender's own retransmissions.
      const c = mainConn(cs, t);
      assert.equal(c.dir.client.reorderedSegments, 0);
      assert.equal(c.dir.client.repeatedSegments, num(t, "sender_tcp_retrans_segs"));
    },
  },
  {
    scenario: "pmtu-blackhole",
    file: "capture-client.pcap",
    side: "client",
    check: (cs, t) => {
      // "client capture: handshake + request + (at most) small segments, then silence"
      const c = mainConn(cs, t);
      assert.ok(c.dir.server.maxIpLen <= num(t, "link_mtu"));
      assert.equal(c.dir.server.repeatedSegments, 0);
      assert.equal(c.icmp.length, 0);
    },
  },
];

describe("connection facts on the shared corpus", { skip: needsShared }, () => {
  for (const scenario of scenarios()) {
    it(`${scenario}: rows agree with Wireshark on streams, packets and who closed first`, async () => {
      await checkAgainstOracle(scenario, "capture.pcap");
    });
    const check = EXPECT[scenario];
    it(
      `${scenario}: facts match truth.json`,
      {
        skip: check ? false : `no expectation written for ${scenario}`,
      },
      async () => {
        const res = await analyse(scenario);
        check?.(res.connections, truthOf(scenario), res);
      },
    );
  }
  for (const x of EXTRA) {
    const stem = x.file.replace(/\.pcap$/, "");
    const present = existsSync(join(capturesDir, x.scenario, x.file));
    it(
      `${x.scenario}/${x.file}: facts at the second capture point`,
      {
        skip: present ? false : `${x.file} not in the corpus`,
      },
      async () => {
        const res = await analyse(x.scenario, x.file);
        x.check(res.connections, truthOf(x.scenario), res);
        if (existsSync(join(capturesDir, x.scenario, "oracle", stem, "tshark-flags.tsv")))
          await checkAgainstOracle(x.scenario, x.file, stem, x.side);
      },
    );
  }
  it("has an expectation for every scenario", () => {
    const missing = scenarios().filter((s) => !EXPECT[s]);
    assert.deepEqual(missing, []);
  });
});
