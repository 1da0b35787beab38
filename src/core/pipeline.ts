// The capture pipeline behind one analysis: decoded packets → Wireshark-compatible per-packet
// analysis (TcpAnalyzer) → per-connection facts (ConnectionTracker) and capture-wide facts.
// Pure: the caller reads the files and decodes the records.
//
// Several files pushed into one CaptureAnalysis are analysed as one capture: a single analyzer
// keeps numbering streams where the previous file left off (stream numbers never restart and a
// connection that spans two files stays one stream), and times are seconds since the first
// packet of the first file. Frame numbers stay those of the file each packet came from.

import type { CaptureFacts } from "../rules/types.js";
import { TcpAnalyzer } from "./tcp/analyzer.js";
import { CaptureFactsBuilder, type CaptureFileFacts } from "./tcp/capture-facts.js";
import { ConnectionTracker } from "./tcp/connections.js";
import type { ConnectionSummary, PacketAnalysis } from "./tcp/types.js";
import type { DecodedPacket, PacketRecord } from "./types.js";

export interface CaptureAnalysisOptions {
  /** Called for every TCP packet (and ICMP error quoting TCP) as it is analysed. */
  onPacket?: (pa: PacketAnalysis, pkt: DecodedPacket) => void;
  /** The packets come from tcpdump text rather than a binary capture. */
  fromText?: boolean;
  /**
   * Seconds without a packet after which a connection's state is released while streaming
   * (default 3600: longer than the idle timeouts of common load balancers and NATs, so a reset
   * after a long idle period still lands on its connection).
   */
  idleTimeoutSec?: number;
}

export interface CaptureResult {
  /** One summary per connection, ordered by stream number. */
  connections: ConnectionSummary[];
  capture: CaptureFacts;
}

export class CaptureAnalysis {
  /** Dropped by finish(): its per-connection state is not needed for the summaries. */
  private analyzer: TcpAnalyzer | undefined;
  private readonly tracker: ConnectionTracker;
  private readonly facts: CaptureFactsBuilder;
  private connections: ConnectionSummary[] = [];
  /** At finish() the list is allocated at its final size (no garbage of growing a huge array). */
  private filled = -1;
  private readonly onPacket?: (pa: PacketAnalysis, pkt: DecodedPacket) => void;
  private finished?: CaptureResult;
  /**
   * Without onPacket nothing keeps a packet or its analysis row past push(): the caller may refill
   * one packet object for every record (packetDecoder's reuse), and the analyzer refills one row.
   */
  readonly reusesPackets: boolean;

  constructor(opts: CaptureAnalysisOptions = {}) {
    const idleTimeoutSec = opts.idleTimeoutSec ?? 3600;
    this.onPacket = opts.onPacket;
    this.facts = new CaptureFactsBuilder({ fromText: opts.fromText });
    this.reusesPackets = !opts.onPacket;
    this.analyzer = new TcpAnalyzer({ idleTimeoutSec, reuseRows: this.reusesPackets });
    this.tracker = new ConnectionTracker({
      idleTimeoutSec,
      onFinal: (c) => {
        if (this.filled < 0) this.connections.push(c);
        else this.connections[this.filled++] = c;
        this.facts.connection(c);
      },
      onUnmatchedIcmp: (pkt, icmp) => this.facts.icmpUnmatched(pkt, icmp),
    });
  }

  addFileInfo(info: CaptureFileFacts): void {
    this.facts.addFile(info);
  }

  /**
   * One decoded packet, in capture order. With the raw record, duplicate detection also compares
   * the captured IP bytes. Exact duplicates (mirroring) still reach the per-packet analysis, as
   * they do in Wireshark, but are kept out of the connection facts. Nothing of `pkt` is kept past
   * the call but what onPacket keeps (see reusesPackets).
   */
  push(pkt: DecodedPacket, rec?: PacketRecord): void {
    // After the end nothing more counts (the result is made once).
    if (!this.analyzer) return;
    const duplicate = this.facts.packet(pkt, rec);
    const pa = this.analyzer.push(pkt);
    if (pa && this.onPacket) this.onPacket(pa, pkt);
    if (!duplicate) this.tracker.observe(pkt, pa);
  }

  /**
   * The records pushed so far are about to be overwritten (their reader reuses its buffers):
   * whatever is kept of their bytes is copied now.
   */
  detachRecords(): void {
    this.facts.detachRecords();
  }

  /** Connections seen so far (finished, and live). */
  get connectionCount(): number {
    return this.connections.length + this.tracker.liveCount;
  }

  /**
   * Ends the per-packet analysis: no more packets. Its memory (a record per connection ever seen)
   * is let go of, and can be reclaimed before finish() turns the live connections into summaries.
   */
  endPackets(): void {
    if (!this.analyzer) return;
    this.analyzer.finish();
    this.analyzer = undefined;
  }

  /** Ends the analysis; later calls return the same result. */
  finish(): CaptureResult {
    if (this.finished) return this.finished;
    this.endPackets();
    const all = new Array<ConnectionSummary>(this.connections.length + this.tracker.liveCount);
    for (let i = 0; i < this.connections.length; i++) all[i] = this.connections[i];
    this.filled = this.connections.length;
    this.connections = all;
    this.tracker.finish();
    all.length = this.filled;
    // The tracker hands over connections in stream order at the end, but those finalised while
    // streaming come first: sort unless already in order.
    const byStream = (a: ConnectionSummary, b: ConnectionSummary) => a.stream - b.stream || a.start - b.start;
    const conns = this.connections;
    for (let i = 1; i < conns.length; i++) {
      if (byStream(conns[i - 1], conns[i]) > 0) {
        conns.sort(byStream);
        break;
      }
    }
    this.finished = { connections: this.connections, capture: this.facts.result() };
    return this.finished;
  }
}
