// The findings model (the public contract of diagnoses.md) and the shape of a rule.
import type { ConnectionSummary } from "../core/tcp/types.js";
import type { HostSnapshot, SourceRef } from "../host/types.js";

export type Severity = "critical" | "warning" | "info";
export type Confidence = "high" | "medium" | "low";

export interface Finding {
  /** Stable id from the catalogue (src/rules/catalogue.ts). */
  id: string;
  severity: Severity;
  confidence: Confidence;
  title: string;
  summary: string;
  /** Concrete numbers and references: frames, streams, socket lines, counter deltas, sysctls. */
  evidence: Record<string, unknown>;
  cause: string;
  /** The single highest-leverage change, application-level before any sysctl. */
  fix: string;
  alternatives: string[];
  confirm: string[];
  streams?: number[];
  sockets?: string[];
  /** Exact input lines the finding came from (text evidence). */
  sources?: SourceRef[];
  /** Ranking weight computed by the rule (higher = more likely "what is wrong here"). */
  score?: number;
}

/** Capture-wide facts beyond the per-connection summaries. */
export interface CaptureFacts {
  files: {
    path: string;
    format: string;
    packets: number;
    linkTypes: number[];
    snaplen?: number;
    droppedByInterface?: number;
    /** tcpdump's "packets dropped by kernel" (live capture). */
    droppedByKernel?: number;
    truncatedAt?: number;
  }[];
  packets: number;
  tcpPackets: number;
  /** Seconds between first and last packet. */
  duration: number;
  /** Packets whose TCP payload was cut by the snaplen. */
  snaplenTruncated: number;
  /** Exact duplicate frames (port mirroring / capture on several interfaces). */
  duplicates: number;
  /** Connections that showed only one direction. */
  oneSidedConnections: number;
  /** Connections whose handshake was not captured. */
  noHandshakeConnections: number;
  /** "ACKed unseen segment" / "previous segment not captured" that look like capture loss, not network loss. */
  captureLossSegments: number;
  /** ICMP errors that quote no connection we saw. */
  unmatchedIcmp: { frame: number; type: number; code: number; kind: string; mtu?: number }[];
  /** The evidence is tcpdump text rather than a binary capture (less precise). */
  fromText: boolean;
  /** Decode errors (malformed packets). */
  decodeErrors: number;
}

/** Result of one active probe attempt (tcpdoctor probe). */
export interface ProbeAttempt {
  target: string; // as given, host:port
  address: string;
  port: number;
  outcome: "connected" | "refused" | "timeout" | "unreachable" | "reset" | "dns-failure" | "error";
  /** Connect time in seconds (when connected or failed with a timing). */
  connectTime?: number;
  errno?: string;
  message?: string;
  /** Seconds since the probe run started, when the attempt began. */
  at: number;
  /** 1-based number of the attempt within its series (same target, address and port). */
  seq?: number;
  /** Connect timeout of the attempt, seconds. */
  timeout?: number;
  /** What followed a successful connect: bytes sent (--send) and received, how the peer ended it. */
  exchange?: {
    sent: number;
    received: number;
    /** --expect was given: whether the reply contained it. */
    expectMatched?: boolean;
    /** The peer reset ("reset") or closed ("fin") the connection this many seconds after connect. */
    closedBy?: "reset" | "fin";
    closedAfter?: number;
  };
  /** Where the kernel would send it (`ip route get`): device, source address, gateway, MTU. */
  route?: { dev?: string; src?: string; via?: string; mtu?: number; error?: string };
  /** The address belongs to this host (a probe of a local service). */
  localAddress?: boolean;
  /** This host's LISTEN sockets on the probed port ("ip:port"); read when the address is local. */
  localListeners?: string[];
  /** net.ipv4.tcp_syn_linear_timeouts of this host: SYN retries at 1 s steps before backing off. */
  synLinearTimeouts?: number;
}

export interface Facts {
  connections: ConnectionSummary[];
  capture?: CaptureFacts;
  host?: HostSnapshot;
  probes?: ProbeAttempt[];
}

/** Thresholds per rule id, overriding each rule's documented defaults. */
export type Thresholds = Record<string, Record<string, number>>;

export interface RuleContext {
  /** Threshold lookup: the configured value for this rule, else the default given. */
  threshold(name: string, fallback: number): number;
}

/**
 * A diagnosis as a small unit: which evidence it needs, and a pure function from facts to findings.
 * Adding a diagnosis = adding one Rule (plus its catalogue text) — the engine is never touched.
 */
export interface Rule {
  id: string;
  /** The evidence the rule reads; it is skipped when none of it is present. */
  needs: ("connections" | "capture" | "host" | "probes")[];
  evaluate(facts: Facts, ctx: RuleContext): Finding[];
}
