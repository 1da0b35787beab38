// Output shapes of the TCP analysis engine: one record per TCP packet (Wireshark-compatible)
// and one summary per connection (what really happened, for the diagnosis rules).

/** Wireshark tcp.analysis.* flag names, as used in `packets --json`. */
export type AnalysisFlag =
  | "retransmission"
  | "fast_retransmission"
  | "spurious_retransmission"
  | "out_of_order"
  | "lost_segment"
  | "ack_lost_segment"
  | "duplicate_ack"
  | "zero_window"
  | "zero_window_probe"
  | "zero_window_probe_ack"
  | "window_full"
  | "window_update"
  | "keep_alive"
  | "keep_alive_ack"
  | "reused_ports";

/** One TCP packet after sequence analysis: the row of `tcpdoctor packets`. */
export interface PacketAnalysis {
  frame: number;
  /** Seconds since the first packet of the capture. */
  time: number;
  /** 0-based connection number, numbered like Wireshark's tcp.stream. */
  stream: number;
  src: string; // "ip:port" (IPv6 as "[addr]:port")
  dst: string;
  /** Flag letters in the order F S R P A U E C, e.g. "S", "SA", "PA", "FA", "R", "RA". */
  flags: string;
  seq: number; // relative
  ack: number; // relative (0 when the ACK bit is clear)
  len: number;
  /** Window scaled when the handshake (both window scales) was seen, else the raw value. */
  win: number;
  analysis: AnalysisFlag[];
  /** Number of this duplicate ACK (1, 2, ...) when duplicate_ack is set. */
  dupAckNum?: number;
  /** Seconds from the segment this ACK acknowledges to the ACK. */
  ackRtt?: number;
  /** Handshake RTT (SYN to final ACK), once known, on every packet of the stream like tcp.analysis.initial_rtt. */
  iRtt?: number;
  /** Packet sent by the connection's client (SYN sender, else first sender). */
  fromClient: boolean;
}

/** A time span inside a connection, in seconds since the first packet of the capture. */
export interface Span {
  start: number;
  end: number;
  /** First frame of the span. */
  frame: number;
}

export interface RetransmissionCounts {
  /** All segments that repeat sequence space already sent (Wireshark's retransmission family). */
  total: number;
  fast: number;
  /** Retransmitted after a timeout (no dup-ACK trigger): RTO or tail-loss probe. */
  rto: number;
  spurious: number;
  /** SYN / SYN-ACK retransmissions. */
  syn: number;
  synAck: number;
}

/** A stretch in which the peer sent no packet at all while this side retransmitted. */
export interface PeerSilence {
  /** The peer's last packet before it (seconds since the first packet of the capture). */
  start: number;
  /** The peer's first packet after it; without one, this side's last packet. */
  end: number;
  /** The peer sent something again before the capture ended. */
  answered: boolean;
  /** Frames of the first and the last retransmission in it. */
  firstFrame: number;
  lastFrame: number;
  /** Retransmitted segments sent in it (every resend of every range). */
  retransmissions: number;
  /** When the lowest unacknowledged segment was resent in it, in order (at most 32). */
  headRetransmissionTimes: number[];
  /** Distinct ranges really lost (as lostAfterCapture counts them) of the data outstanding during it. */
  lostSegments: number;
}

/** Per-direction facts. "client" = data sent by the client. */
export interface DirectionFacts {
  packets: number;
  /** TCP payload bytes including retransmissions. */
  bytes: number;
  /** Unique payload bytes (highest sequence reached minus ISN). */
  uniqueBytes: number;
  retransmissions: RetransmissionCounts;
  /** Sequence ranges sent more than once, counted from the bytes (independent of Wireshark's labels). */
  repeatedSegments: number;
  /** Segments that arrived below the highest sequence seen but were never sent before (reordering). */
  reorderedSegments: number;
  /** Maximum reordering distance observed, in segments. */
  maxReorderDistance: number;
  /** Wireshark flags counted in this direction. */
  duplicateAcks: number;
  outOfOrder: number;
  lostSegments: number; // "previous segment not captured"
  ackedUnseen: number; // "ACKed unseen segment"
  zeroWindows: number; // zero-window advertisements sent by this side
  zeroWindowProbes: number; // probes sent by this side (including Linux seq=SND.UNA-1 probes)
  keepAlives: number;
  keepAliveAcks: number;
  windowFull: number;
  windowUpdates: number;
  /** Largest payload seen, and the largest segment (IP total length) seen. */
  maxSegment: number;
  maxIpLen: number;
  mss?: number;
  wscale?: number;
  /** Smallest / largest advertised window (scaled when known) after the handshake. */
  minWindow?: number;
  maxWindow?: number;
  /** Max bytes in flight sent by this side (unacknowledged by the peer). */
  maxInFlight: number;
  finAt?: number;
  finFrame?: number;
  rstAt?: number;
  rstFrame?: number;
  /** Retransmissions of full-size segments vs small ones (PMTU black-hole signature). */
  fullSizeRetransmissions: number;
  smallSegmentsDelivered: number;
  /**
   * Segments lost between the sender and the capture point: seen once, filling a sequence hole
   * later than reordering explains (half the handshake RTT), i.e. only their retransmission passed.
   */
  lostBeforeCapture?: number;
  /** Segments the peer ACKed that the capture never showed and nobody retransmitted: capture loss, not network loss. */
  missedSegments?: number;
  /**
   * Segments lost after the capture point, counted once per distinct sequence range however often
   * it was resent, leaving out resends the receiver already had: data ACKed before the resend, a
   * D-SACK reporting it twice, or the ACK/SACK covering it echoing the original's timestamp or
   * arriving too soon (under half the RTT) to answer the resend.
   */
  lostAfterCapture?: number;
  /** Distinct resent ranges the receiver already had (left out of lostAfterCapture). */
  unneededRetransmissions?: number;
  /** The longest stretch in which the peer sent nothing while this side retransmitted. */
  peerSilence?: PeerSilence;
  /** This side's last retransmissions, after which the peer sent nothing until the capture ended. */
  silentTail?: PeerSilence;
  /** RTT of this side's data as ACKed by the peer (ACKs covering retransmitted data excluded), seconds. */
  ackRtt?: { min: number; avg: number; max: number; samples: number; p50?: number; p95?: number };
}

export interface ThinkTime {
  /** Request data end (last client data segment before the response). */
  requestAt: number;
  requestFrame: number;
  /** When the server ACKed the request (pure ACK), if it did so before responding. */
  ackAt?: number;
  /** First response byte. */
  responseAt: number;
  responseFrame: number;
  /** responseAt - requestAt, seconds. */
  gap: number;
}

/** Lifecycle and measurements of one TCP connection: the row of `tcpdoctor conns`. */
export interface ConnectionSummary {
  stream: number;
  client: string; // "ip:port"
  server: string;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  ipVersion: 4 | 6;
  start: number; // seconds since first packet of the capture
  duration: number;
  firstFrame: number;
  lastFrame: number;
  /** Zeek conn_state code. */
  state:
    "S0" | "S1" | "SF" | "REJ" | "S2" | "S3" | "RSTO" | "RSTR" | "RSTOS0" | "RSTRH" | "SH" | "SHR" | "OTH";
  /** Zeek-style history letters (upper case = client/originator, lower = server/responder). */
  history: string;
  /** One short sentence: "refused", "timed out after 3 SYNs", "closed by server (FIN)", ... */
  verdict: string;
  handshake: {
    synSeen: boolean;
    synAckSeen: boolean;
    ackSeen: boolean;
    /** Number of SYNs sent for this attempt (1 = no retry). */
    synCount: number;
    synAckCount: number;
    firstSynAt?: number;
    synAckAt?: number;
    completedAt?: number;
    /** SYN→SYN-ACK as seen at the capture point. */
    synToSynAck?: number;
    /** Handshake RTT as Wireshark's iRTT (SYN to ACK of SYN-ACK). */
    rtt?: number;
    /** The SYN was answered by RST (refused). */
    refused: boolean;
    sackPermitted: boolean;
    timestamps: boolean;
    windowScaling: boolean;
    tfo: boolean;
  };
  packets: { client: number; server: number };
  bytes: { client: number; server: number };
  /** RTT samples from data ACKs (ambiguous ACKs of retransmitted data excluded), seconds. */
  rtt?: { min: number; avg: number; max: number; samples: number; p50?: number; p95?: number };
  /** Facts per sending direction. */
  dir: { client: DirectionFacts; server: DirectionFacts };
  /** Zero-window episodes (by either side), with total stall time. */
  zeroWindow: { episodes: number; totalStall: number; spans: (Span & { side: "client" | "server" })[] };
  /** Largest idle gaps (no packet either way), largest first, at most 5. */
  idleGaps: Span[];
  /** Request→response gaps (server think time), largest first, at most 5. */
  thinkTimes: ThinkTime[];
  /** Who ended it and how. */
  close: {
    firstFin?: "client" | "server";
    firstRst?: "client" | "server";
    rstAt?: number;
    rstFrame?: number;
    /** Data was still unacknowledged / in flight when the RST was sent. */
    rstWithDataInFlight?: boolean;
    /** Seconds of idle before the RST (for idle-timeout resets). */
    idleBeforeRst?: number;
    /** The peer's FIN was ACKed but this side never sent FIN/RST before the capture ended. */
    halfClosedBy?: "client" | "server";
  };
  /** ICMP errors quoting this connection. */
  icmp: { frame: number; time: number; type: number; code: number; kind: string; mtu?: number }[];
  /** Throughput of the main data direction over the data-transfer period, bits per second. */
  throughput?: { direction: "client" | "server"; bps: number; bytes: number; seconds: number };
  /** Which side of the capture point the capture looks taken from: "client", "server", or unknown. */
  captureSide?: "client" | "server" | "middle";
  /** Only one direction was seen. */
  oneSided: boolean;
  /** Keep-alive probes by the client / server and whether they were answered. */
  keepalive: { probes: number; answered: number; unansweredTail: number };
}
