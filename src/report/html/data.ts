// The series as they travel inside the HTML file: integers, delta-encoded where values climb
// (times in µs, frames, sequence and acknowledgment numbers per direction), sparse columns listed
// only where they have a value. The page's script decodes them (client.ts, decodeSeries).
import type { ConnectionSummary } from "../../core/tcp/types.js";
import type { ActivitySeries, ConnectionSeries } from "../series.js";

const ACK = 0x10;

export interface EncodedSeries {
  /** stream, client, server */
  s: number;
  c: string;
  v: string;
  /** packets seen, kept, stride, marks decimated (0/1) */
  p: number;
  n: number;
  st: number;
  md: number;
  /** first time (s) and time deltas (µs) */
  t0: number;
  t: number[];
  f: number[];
  /** dir | flags << 1 */
  b: number[];
  m: number[];
  /** seq deltas per direction, lengths */
  q: number[];
  l: number[];
  /** ack deltas per direction and windows, for the points with the ACK bit only */
  a: number[];
  w: number[];
  /** RTT samples: point index deltas, µs */
  ri: number[];
  rv: number[];
  /** in flight: point index deltas, bytes, peer window (-1 unknown) */
  fi: number[];
  fv: number[];
  fw: number[];
  /** SACK blocks: point index deltas, left deltas from the point's ack, block sizes */
  ki: number[];
  kl: number[];
  ks: number[];
  ic: { i: number; type: number; code: number; kind: string; mtu?: number }[];
  /** throughput bins: origin (s), width (s), bytes/goodput per direction */
  tp: { o: number; w: number; b: [number[], number[]]; g: [number[], number[]] };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Bins without their trailing zeros. */
function trimBins(bins: number[]): number[] {
  let n = bins.length;
  while (n > 0 && bins[n - 1] === 0) n--;
  return n === bins.length ? bins : bins.slice(0, n);
}

export function encodeSeries(cs: ConnectionSeries): EncodedSeries {
  const p = cs.points;
  const n = cs.kept;
  const t0 = n ? p.time[0] : 0;
  const e: EncodedSeries = {
    s: cs.stream,
    c: cs.client,
    v: cs.server,
    p: cs.packets,
    n,
    st: cs.stride,
    md: cs.marksDecimated ? 1 : 0,
    t0: round6(t0),
    t: [],
    f: [],
    b: [],
    m: [],
    q: [],
    l: [],
    a: [],
    w: [],
    ri: [],
    rv: [],
    fi: [],
    fv: [],
    fw: [],
    ki: [],
    kl: [],
    ks: [],
    ic: cs.icmp.map((x) => ({ i: x.point, type: x.type, code: x.code, kind: x.kind, mtu: x.mtu })),
    // A direction without payload (most of a SYN flood's) travels as empty lists, not zeros.
    tp: {
      o: round6(cs.throughput.origin),
      w: cs.throughput.binSeconds,
      b: [trimBins(cs.throughput.dirs[0].bytes), trimBins(cs.throughput.dirs[1].bytes)],
      g: [trimBins(cs.throughput.dirs[0].goodput), trimBins(cs.throughput.dirs[1].goodput)],
    },
  };
  let prevT = 0;
  let prevF = 0;
  const prevSeq = [0, 0];
  const prevAck = [0, 0];
  let prevRtt = 0;
  let prevFlight = 0;
  for (let i = 0; i < n; i++) {
    const us = Math.round((p.time[i] - t0) * 1e6);
    e.t.push(us - prevT);
    prevT = us;
    e.f.push(p.frame[i] - prevF);
    prevF = p.frame[i];
    const dir = p.dir[i];
    e.b.push(dir | (p.flags[i] << 1));
    e.m.push(p.marks[i]);
    e.q.push(p.seq[i] - prevSeq[dir]);
    prevSeq[dir] = p.seq[i];
    e.l.push(p.len[i]);
    if ((p.flags[i] & ACK) !== 0 && !Number.isNaN(p.ack[i])) {
      e.a.push(p.ack[i] - prevAck[dir]);
      prevAck[dir] = p.ack[i];
      e.w.push(Number.isNaN(p.win[i]) ? 0 : p.win[i]);
    }
    if (!Number.isNaN(p.rtt[i])) {
      e.ri.push(i - prevRtt);
      prevRtt = i;
      e.rv.push(Math.round(p.rtt[i] * 1e6));
    }
    if (!Number.isNaN(p.inFlight[i])) {
      e.fi.push(i - prevFlight);
      prevFlight = i;
      e.fv.push(p.inFlight[i]);
      e.fw.push(Number.isNaN(p.peerWindow[i]) ? -1 : p.peerWindow[i]);
    }
  }
  let prevSack = 0;
  for (let k = 0; k < cs.sacks.point.length; k++) {
    const i = cs.sacks.point[k];
    e.ki.push(i - prevSack);
    prevSack = i;
    const base = Number.isNaN(p.ack[i]) ? 0 : p.ack[i];
    e.kl.push(cs.sacks.left[k] - base);
    e.ks.push(cs.sacks.right[k] - cs.sacks.left[k]);
  }
  return e;
}

/** What a connection view shows above its charts (from the connection summary). */
export interface ConnectionMeta {
  s: number;
  client: string;
  server: string;
  state: string;
  verdict: string;
  start: number;
  duration: number;
  packets: [number, number];
  bytes: [number, number];
  handshakeRtt?: number;
  rtt?: { min: number; avg: number; max: number; samples: number };
  retransmissions: [number, number];
  zeroWindows: number;
  throughput?: { direction: string; bps: number };
  firstFrame: number;
  lastFrame: number;
}

export function connectionMeta(c: ConnectionSummary): ConnectionMeta {
  return {
    s: c.stream,
    client: c.client,
    server: c.server,
    state: c.state,
    verdict: c.verdict,
    start: round6(c.start),
    duration: round6(c.duration),
    packets: [c.packets.client, c.packets.server],
    bytes: [c.bytes.client, c.bytes.server],
    handshakeRtt: c.handshake.rtt,
    rtt: c.rtt ? { min: c.rtt.min, avg: c.rtt.avg, max: c.rtt.max, samples: c.rtt.samples } : undefined,
    retransmissions: [c.dir.client.retransmissions.total, c.dir.server.retransmissions.total],
    zeroWindows: c.zeroWindow.episodes,
    throughput: c.throughput ? { direction: c.throughput.direction, bps: c.throughput.bps } : undefined,
    firstFrame: c.firstFrame,
    lastFrame: c.lastFrame,
  };
}

export interface EncodedActivity {
  o: number;
  w: number;
  packets: number[];
  bytes: number[];
  syns: number[];
  rsts: number[];
  retransmissions: number[];
  zeroWindows: number[];
}

export function encodeActivity(a: ActivitySeries): EncodedActivity {
  return {
    o: round6(a.origin),
    w: a.binSeconds,
    packets: a.packets,
    bytes: a.bytes,
    syns: a.syns,
    rsts: a.rsts,
    retransmissions: a.retransmissions,
    zeroWindows: a.zeroWindows,
  };
}
