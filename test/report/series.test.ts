import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { AnalysisFlag, PacketAnalysis } from "../../src/core/tcp/types.js";
import type { DecodedPacket } from "../../src/core/types.js";
import { loadEvidence } from "../../src/io/evidence.js";
import { Mark, SeriesCollector, unwrapSeq } from "../../src/report/series.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const CLIENT = "10.0.0.1:40000";
const SERVER = "10.0.0.2:80";
const ISN_C = 1_000_000;
const ISN_S = 2 ** 32 - 150; // the server's absolute numbers wrap past 2^32 within its first segments

interface Pkt {
  frame: number;
  time: number;
  fromClient: boolean;
  flags: number;
  /** Relative sequence / acknowledgment numbers. */
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  analysis?: AnalysisFlag[];
  sack?: [number, number][];
  stream?: number;
  ackRtt?: number;
}

/** One packet as the analysis hands it to onPacket: its row and its decoded headers. */
function packet(p: Pkt): [PacketAnalysis, DecodedPacket] {
  const ownIsn = p.fromClient ? ISN_C : ISN_S;
  const peerIsn = p.fromClient ? ISN_S : ISN_C;
  const ack = p.ack ?? 0;
  const pa: PacketAnalysis = {
    frame: p.frame,
    time: p.time,
    stream: p.stream ?? 0,
    src: p.fromClient ? CLIENT : SERVER,
    dst: p.fromClient ? SERVER : CLIENT,
    flags: "",
    seq: p.seq >>> 0,
    ack: (p.flags & ACK) !== 0 ? ack >>> 0 : 0,
    len: p.len ?? 0,
    win: p.win ?? 65535,
    analysis: p.analysis ?? [],
    fromClient: p.fromClient,
  };
  if (p.ackRtt !== undefined) pa.ackRtt = p.ackRtt;
  const pkt: DecodedPacket = {
    frame: p.frame,
    tsSec: Math.floor(p.time),
    tsNsec: 0,
    linkType: 1,
    capLen: 60,
    origLen: 60,
    tcp: {
      srcPort: p.fromClient ? 40000 : 80,
      dstPort: p.fromClient ? 80 : 40000,
      seq: (ownIsn + p.seq) >>> 0,
      ack: (peerIsn + ack) >>> 0,
      headerLen: 20,
      flags: p.flags,
      window: p.win ?? 65535,
      urgent: 0,
      payloadLen: p.len ?? 0,
      capturedPayloadLen: 0,
      payloadOffset: 54,
      options: p.sack ? { sack: p.sack.map(([l, r]) => [(peerIsn + l) >>> 0, (peerIsn + r) >>> 0]) } : {},
    },
  };
  return [pa, pkt];
}

function feed(c: SeriesCollector, pkts: Pkt[]): void {
  for (const p of pkts) c.onPacket(...packet(p));
}

/** A handshake, then `n` full segments from the server, each ACKed by the client. */
function bulk(
  n: number,
  opts: { mss?: number; start?: number; frame?: number; stream?: number } = {},
): Pkt[] {
  const mss = opts.mss ?? 1000;
  let frame = opts.frame ?? 1;
  const t0 = opts.start ?? 0;
  const stream = opts.stream ?? 0;
  const out: Pkt[] = [
    { frame: frame++, time: t0, fromClient: true, flags: SYN, seq: 0, stream },
    { frame: frame++, time: t0 + 0.01, fromClient: false, flags: SYN | ACK, seq: 0, ack: 1, stream },
    { frame: frame++, time: t0 + 0.02, fromClient: true, flags: ACK, seq: 1, ack: 1, stream },
  ];
  for (let i = 0; i < n; i++) {
    const t = t0 + 0.02 + 0.002 * i;
    out.push({
      frame: frame++,
      time: t + 0.001,
      fromClient: false,
      flags: ACK,
      seq: 1 + i * mss,
      ack: 1,
      len: mss,
      stream,
    });
    const acked = 1 + (i + 1) * mss;
    out.push({
      frame: frame++,
      time: t + 0.002,
      fromClient: true,
      flags: ACK,
      seq: 1,
      ack: acked,
      win: 50000,
      stream,
    });
  }
  return out;
}

describe("series collector", () => {
  it("unwraps sequence numbers past 2^32 to the value nearest the reference", () => {
    assert.equal(unwrapSeq(5, 2 ** 32 - 10), 2 ** 32 + 5);
    assert.equal(unwrapSeq(2 ** 32 - 10, 2 ** 32 + 5), 2 ** 32 - 10);
    assert.equal(unwrapSeq(100, 50), 100);
  });

  it("records each packet with direction, ACK, window, SACK blocks, RTT and bytes in flight", () => {
    const c = new SeriesCollector();
    feed(c, [
      { frame: 1, time: 0, fromClient: true, flags: SYN, seq: 0 },
      { frame: 2, time: 0.02, fromClient: false, flags: SYN | ACK, seq: 0, ack: 1 },
      { frame: 3, time: 0.04, fromClient: true, flags: ACK, seq: 1, ack: 1, win: 1000 },
      { frame: 4, time: 0.05, fromClient: false, flags: ACK, seq: 1, ack: 1, len: 100 },
      { frame: 5, time: 0.051, fromClient: false, flags: ACK, seq: 101, ack: 1, len: 100 },
      { frame: 6, time: 0.052, fromClient: false, flags: ACK, seq: 201, ack: 1, len: 100 },
      // the segment at 101 was lost: duplicate ACK carrying a SACK block for 201-301
      {
        frame: 7,
        time: 0.07,
        fromClient: true,
        flags: ACK,
        seq: 1,
        ack: 101,
        win: 900,
        sack: [[201, 301]],
        analysis: ["duplicate_ack"],
        ackRtt: 0.02,
      },
      {
        frame: 8,
        time: 0.08,
        fromClient: false,
        flags: ACK,
        seq: 101,
        ack: 1,
        len: 100,
        analysis: ["retransmission"],
      },
      { frame: 9, time: 0.1, fromClient: true, flags: ACK | RST, seq: 1, ack: 301 },
    ]);
    const s = c.series().get(0);
    assert.ok(s);
    assert.equal(s.client, CLIENT);
    assert.equal(s.server, SERVER);
    assert.equal(s.packets, 9);
    assert.equal(s.kept, 9);
    const p = s.points;
    assert.deepEqual(p.frame, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(p.dir, [0, 1, 0, 1, 1, 1, 0, 1, 0]);
    // The server's absolute numbers wrap past 2^32; relative they climb from 0.
    assert.deepEqual(p.seq, [0, 0, 1, 1, 101, 201, 1, 101, 1]);
    assert.equal(p.ack[6], 101);
    assert.ok(Number.isNaN(p.ack[0]), "no ACK bit, no ack");
    assert.equal(p.win[6], 900);
    assert.equal(p.rtt[6], 0.02);
    assert.ok(p.marks[6] & Mark.DUPLICATE_ACK);
    assert.ok(p.marks[6] & Mark.SACK);
    assert.deepEqual(s.sacks, { point: [6], left: [201], right: [301] });
    // Frame 8 repeats bytes already sent: labelled and measured as such.
    assert.ok(p.marks[7] & Mark.RETRANSMISSION);
    assert.ok(p.marks[7] & Mark.REPEATED);
    assert.equal(p.marks[5] & Mark.REPEATED, 0);
    // In flight after frame 6: 300 bytes sent, nothing ACKed yet beyond 1; the window is the client's 1000.
    assert.equal(p.inFlight[5], 300);
    assert.equal(p.peerWindow[5], 1000);
    // The dup ACK leaves 200 bytes (101..301) unacknowledged, against its own 900-byte window.
    assert.equal(p.inFlight[6], 200);
    assert.equal(p.peerWindow[6], 900);
    assert.ok(p.flags[8] & RST);
    // Throughput: 400 payload bytes from the server of which 300 new.
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    assert.equal(sum(s.throughput.dirs[1].bytes), 400);
    assert.equal(sum(s.throughput.dirs[1].goodput), 300);
    assert.equal(sum(s.throughput.dirs[0].bytes), 0);
  });

  it("tells a segment that fills a hole never seen (reordering) from a repeat", () => {
    const c = new SeriesCollector();
    feed(c, [
      { frame: 1, time: 0, fromClient: true, flags: ACK, seq: 1, ack: 1, len: 100 },
      { frame: 2, time: 0.001, fromClient: true, flags: ACK, seq: 201, ack: 1, len: 100 },
      {
        frame: 3,
        time: 0.002,
        fromClient: true,
        flags: ACK,
        seq: 101,
        ack: 1,
        len: 100,
        analysis: ["out_of_order"],
      },
      { frame: 4, time: 0.003, fromClient: true, flags: ACK, seq: 151, ack: 1, len: 100 },
    ]);
    const m = c.series().get(0)?.points.marks ?? [];
    assert.equal(m[1] & (Mark.REPEATED | Mark.REORDERED), 0);
    assert.ok(m[2] & Mark.REORDERED);
    assert.equal(m[2] & Mark.REPEATED, 0);
    assert.ok(m[3] & Mark.REPEATED, "overlaps bytes already seen");
  });

  it("decimates ordinary packets past the cap, data and ACKs alike, and keeps every marked one", () => {
    const pkts = bulk(2000);
    // every 97th data segment is a retransmission, every 89th ACK a duplicate
    let d = 0;
    let a = 0;
    for (const p of pkts) {
      if (p.len && ++d % 97 === 0) p.analysis = ["retransmission"];
      if (!p.len && p.flags === ACK && ++a % 89 === 0) p.analysis = ["duplicate_ack"];
    }
    pkts.push({
      frame: pkts.length + 1,
      time: 10,
      fromClient: false,
      flags: FIN | ACK,
      seq: 2_000_001,
      ack: 1,
    });
    const c = new SeriesCollector({ maxPointsPerConnection: 200 });
    feed(c, pkts);
    const s = c.series().get(0);
    assert.ok(s);
    assert.equal(s.packets, pkts.length);
    const marked = pkts.filter((p) => p.analysis?.length || p.flags & (SYN | FIN | RST)).map((p) => p.frame);
    const kept = new Set(s.points.frame);
    for (const f of marked) assert.ok(kept.has(f), `marked frame ${f} kept`);
    const ordinary = s.kept - marked.length;
    assert.ok(
      ordinary <= 200 && ordinary >= 100,
      `ordinary points ${ordinary} within the cap, not far below`,
    );
    assert.ok(s.stride >= 16 && (s.stride & (s.stride - 1)) === 0, `stride ${s.stride} a power of two`);
    const data = s.points.len.filter((l) => l > 0).length;
    const acks = s.kept - data;
    assert.ok(Math.abs(data - acks) < 0.25 * s.kept, `data ${data} and ACKs ${acks} thin out alike`);
    // In order, and spread over the whole transfer rather than cut at the cap.
    const frames = s.points.frame;
    assert.deepEqual(
      [...frames].sort((x, y) => x - y),
      frames,
    );
    assert.ok(frames[frames.length - 2] > pkts.length - 100);
    // Bins are exact whatever was dropped.
    const sum = (x: number[]) => x.reduce((u, v) => u + v, 0);
    assert.equal(sum(s.throughput.dirs[1].bytes), 2000 * 1000);
  });

  it("keeps memory within the total budget by halving the biggest connection first", () => {
    const c = new SeriesCollector({ maxPointsTotal: 1000, maxPointsPerConnection: 100_000 });
    let frame = 1;
    const small = bulk(50, { stream: 0, frame });
    frame += small.length;
    const big = bulk(3000, { stream: 1, frame, start: 1 });
    feed(c, [...small, ...big]);
    assert.ok(c.stats.points <= 1000, `total ${c.stats.points} within budget`);
    const all = c.series();
    assert.equal(all.get(0)?.kept, small.length, "the small connection is untouched");
    assert.ok((all.get(1)?.stride ?? 0) > 1);
  });

  it("numbers streams across inputs as loadEvidence does, and drops series whose endpoints differ", () => {
    const c = new SeriesCollector();
    feed(c, [...bulk(3, { stream: 0 }), ...bulk(3, { stream: 1, frame: 20 })]);
    // second input: frame numbers start again, streams from 0 again
    feed(c, bulk(2, { stream: 0 }));
    const all = c.series();
    assert.deepEqual([...all.keys()].sort(), [0, 1, 2]);
    assert.equal(all.get(2)?.packets, 3 + 4);
    const conn = (stream: number, client: string) =>
      ({
        stream,
        client,
        server: SERVER,
      }) as unknown as import("../../src/core/tcp/types.js").ConnectionSummary;
    const checked = c.series({ connections: [conn(0, CLIENT), conn(1, "10.9.9.9:1"), conn(2, CLIENT)] });
    assert.deepEqual([...checked.keys()].sort(), [0, 2]);
    assert.deepEqual([...c.series({ streams: [1] }).keys()], [1]);
  });

  it("stops giving new connections a series past maxConnections, counting their packets", () => {
    const c = new SeriesCollector({ maxConnections: 2 });
    let frame = 1;
    for (let s = 0; s < 4; s++) {
      const pk = bulk(1, { stream: s, frame });
      frame += pk.length;
      feed(c, pk);
    }
    assert.equal(c.stats.connections, 2);
    assert.equal(c.stats.untrackedPackets, 10);
    assert.equal(c.stats.packets, 20);
  });

  it("merges throughput bins when the time runs past them, keeping the totals", () => {
    const c = new SeriesCollector({ maxBins: 16, initialBinSeconds: 0.001 });
    const pkts = bulk(100, { mss: 10 });
    pkts.forEach((p, i) => {
      p.time = i * 0.05; // 5 s in all: far past 16 bins of 1 ms
    });
    feed(c, pkts);
    const tp = c.series().get(0)?.throughput;
    assert.ok(tp);
    assert.ok(tp.binSeconds >= 5 / 16, `bins widened to ${tp.binSeconds}`);
    assert.ok(tp.dirs[1].bytes.length <= 16);
    assert.equal(
      tp.dirs[1].bytes.reduce((x, y) => x + y, 0),
      1000,
    );
    const act = c.activitySeries();
    assert.equal(
      act.packets.reduce((x, y) => x + y, 0),
      pkts.length,
    );
    assert.equal(
      act.syns.reduce((x, y) => x + y, 0),
      1,
    );
  });

  it(
    "keeps every retransmission and duplicate ACK Wireshark flags in a real lossy transfer, decimated",
    {
      skip: needsShared,
    },
    async () => {
      const c = new SeriesCollector({ maxPointsPerConnection: 300 });
      const ev = await loadEvidence([join(capturesDir, "loss-cubic", "capture.pcap")], {
        onPacket: c.onPacket,
      });
      const s = c.series({ connections: ev.connections }).get(0);
      assert.ok(s);
      assert.ok(s.kept < s.packets / 4, `decimated: ${s.kept} of ${s.packets}`);
      const tsv = readFileSync(join(capturesDir, "loss-cubic", "oracle", "tshark-flags.tsv"), "utf8")
        .trim()
        .split("\n");
      const head = tsv[0].split("\t");
      const col = (name: string) => head.indexOf(name);
      const flagged: number[] = [];
      for (const line of tsv.slice(1)) {
        const f = line.split("\t");
        const names = [
          "tcp.analysis.retransmission",
          "tcp.analysis.duplicate_ack",
          "tcp.analysis.out_of_order",
        ];
        if (names.some((n) => f[col(n)] === "1")) flagged.push(Number(f[col("frame.number")]));
      }
      assert.ok(flagged.length > 150);
      const kept = new Set(s.points.frame);
      const missing = flagged.filter((f) => !kept.has(f));
      assert.deepEqual(missing, []);
      // The bytes repeated on the wire are the connection's repeated segments, counted independently.
      const repeated = s.points.marks.filter((m) => m & Mark.REPEATED).length;
      assert.equal(repeated, ev.connections[0].dir.client.repeatedSegments);
    },
  );

  it("places SACK blocks of a capture that starts mid-transfer within the ACKed range", async () => {
    const c = new SeriesCollector();
    await loadEvidence([join(fixturesDir, "tcpdump", "loss-cubic-mid.pcap")], { onPacket: c.onPacket });
    const s = [...c.series().values()][0];
    assert.ok(s.sacks.point.length > 0);
    for (let k = 0; k < s.sacks.point.length; k++) {
      const ack = s.points.ack[s.sacks.point[k]];
      assert.ok(s.sacks.left[k] > ack, "a SACK block lies above the cumulative ACK");
      assert.ok(s.sacks.right[k] - s.sacks.left[k] > 0 && s.sacks.right[k] - ack < 1 << 20);
    }
  });
});
