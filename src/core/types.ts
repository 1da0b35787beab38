// Shared data shapes of the pure core: capture records, decoded layers.
// Everything here is plain data so it can cross module boundaries and be serialised.

/**
 * Zero for number fields that later hold doubles (durations, 32-bit sequence numbers, IPv4
 * addresses): -0 is the one zero V8 keeps as a double, so the field is a double from the start.
 * Starting as a small integer, the first larger value would change the shape of every object of
 * that kind and deoptimise the code that reads them. A reused object's double is then rewritten
 * in place. Compares equal to 0; reported values add 0 (-0 + 0 is 0).
 */
export const DOUBLE_ZERO = -0;

/** Link-layer header types (LINKTYPE_* numbers of the pcap/pcapng formats). */
export const LinkType = {
  NULL: 0, // BSD loopback, host-endian AF_ value
  ETHERNET: 1,
  RAW: 101, // raw IPv4/IPv6 (LINKTYPE_RAW)
  RAW_OPENBSD: 12, // DLT_RAW on some platforms
  RAW_ALT: 14, // DLT_RAW on others
  LOOP: 108, // OpenBSD loopback, network-order AF_ value
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/**
 * One packet as stored in a capture file: its captured bytes are `bytes[start, start + capLen)`,
 * where `bytes` is mostly the chunk that was read (no copy, and no view made per packet, unless
 * the record straddled two input chunks); they stay valid after later records unless the reader
 * reuses its buffers. `recordBytes()` (core/capture) returns them as one view.
 */
export interface PacketRecord {
  /** 1-based frame number in the file (every packet counts, TCP or not). */
  frame: number;
  /** Capture timestamp: whole seconds since the epoch, and nanoseconds within that second. */
  tsSec: number;
  tsNsec: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  linkType: number;
  /** Bytes captured (the record's length in `bytes`). */
  capLen: number;
  origLen: number;
  /** The buffer holding the record's bytes. */
  bytes: Uint8Array;
  /** Index of the record's first byte in `bytes`. */
  start: number;
}

/** Facts about the capture file itself, known once reading is done (or as it goes). */
export interface CaptureFileInfo {
  format: "pcap" | "pcapng";
  gzip: boolean;
  /** Timestamp precision of the format, in decimal digits (6 = µs, 9 = ns). */
  tsPrecision: number;
  interfaces: { linkType: number; snaplen: number; name?: string }[];
  packets: number;
  /** Drops reported by the capture file (pcapng interface statistics isb_ifdrop/isb_osdrop). */
  droppedByInterface?: number;
  /** The file ended in the middle of a record: byte offset of the incomplete record. */
  truncatedAt?: number;
  warnings: string[];
}

/** A warning raised while reading (the reader keeps going). */
export interface ReaderWarning {
  code: string;
  offset: number;
  message: string;
}

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks as [left, right) absolute sequence numbers. */
  sack?: [number, number][];
  tsVal?: number;
  tsEcr?: number;
  /** TCP Fast Open cookie option present (kind 34, or experimental 254/0xF989). */
  tfo?: boolean;
  /** Option kinds we do not decode, kept by number. */
  unknown?: number[];
  /** The option list was cut short (bad length or snaplen). */
  malformed?: boolean;
}

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** Absolute 32-bit sequence and acknowledgment numbers (unsigned). */
  seq: number;
  ack: number;
  /** Header length in bytes. */
  headerLen: number;
  /** Flag bits (TcpFlag), low 8 bits of the flags field; NS in bit 8. */
  flags: number;
  /** Raw (unscaled) window field. */
  window: number;
  urgent: number;
  /** TCP payload length from the IP total/payload length, not from the captured bytes. */
  payloadLen: number;
  /** Payload bytes actually present in the capture (may be less than payloadLen under snaplen). */
  capturedPayloadLen: number;
  /** Index of the TCP payload in the record's `bytes` (PacketRecord.bytes, when captured). */
  payloadOffset: number;
  options: TcpOptions;
}

export interface IpHeader {
  version: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  /** Upper-layer protocol after walking IPv6 extension headers. */
  protocol: number;
  /** IP header length including IPv4 options / IPv6 extension headers. */
  headerLen: number;
  /** Length of the IP packet according to the header (IPv4 total length, IPv6 40 + payload length). */
  totalLen: number;
  /** IPv4 identification (or IPv6 fragment id). */
  id?: number;
  dontFragment?: boolean;
  /** Part of a fragmented datagram (MF set or offset > 0). Only the first fragment carries the TCP header. */
  fragment?: { offset: number; more: boolean };
  /** IPv4 header had options. */
  hasOptions?: boolean;
  /**
   * IPv4 source and destination as unsigned 32-bit numbers, from binary captures: connection
   * tables key on them without parsing the text. Absent for IPv6 and for tcpdump text input.
   */
  srcV4?: number;
  dstV4?: number;
}

/** An ICMP/ICMPv6 error that quotes the start of the offending IP packet. */
export interface IcmpError {
  version: 4 | 6;
  type: number;
  code: number;
  kind: "frag-needed" | "packet-too-big" | "unreachable" | "time-exceeded" | "other";
  /** Next-hop MTU for fragmentation needed / packet too big. */
  mtu?: number;
  /** The quoted packet: who sent it, to whom, and its TCP ports and sequence number when present. */
  inner?: {
    src: string;
    dst: string;
    protocol: number;
    srcPort?: number;
    dstPort?: number;
    seq?: number;
    /** Quoted TCP acknowledgment number, flag bits and raw window, when the quote is long enough (20 bytes of TCP). */
    ack?: number;
    flags?: number;
    window?: number;
  };
}

/** A packet decoded down to TCP (or ICMP). Produced by core/decode, also by the tcpdump text parser. */
export interface DecodedPacket {
  frame: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  capLen: number;
  origLen: number;
  ip?: IpHeader;
  tcp?: TcpHeader;
  icmp?: IcmpError;
  /** The packet could not be decoded completely; the layers decoded so far are kept. */
  error?: string;
  /** The captured bytes end before the headers we needed (snaplen). */
  truncated?: boolean;
}
