// /proc/net files: snmp and netstat (header line / value line pairs), snmp6 (name value lines),
// sockstat and sockstat6, tcp and tcp6 (the kernel's socket table in hex).

import { formatIpv6 } from "../core/decode/address.js";
import type { HostSnapshot, SocketEntry, SocketState, SourceRef } from "../host/types.js";
import { NO_PATH, sourceRef, splitLines, toInt, Warnings } from "./common.js";

export interface ProcCountersResult {
  /** Counters under nstat names: "Tcp: RetransSegs" → TcpRetransSegs, "TcpExt: ListenOverflows" → TcpExtListenOverflows. */
  counters: Record<string, number>;
  /**
   * When the text holds the same counters twice (a before and an after reading pasted together):
   * the first reading. `counters` then holds the last one.
   */
  earlier?: Record<string, number>;
  sources: Record<string, SourceRef>;
  warnings: string[];
}

/**
 * Parses /proc/net/snmp, /proc/net/netstat (pairs of "Prefix: Name Name ..." and "Prefix: 1 2 ...")
 * and /proc/net/snmp6 ("Ip6InReceives 123"). Several files pasted one after the other are fine.
 */
export function parseProcNetCounters(text: string, path: string = NO_PATH): ProcCountersResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const counters: Record<string, number> = {};
  const sources: Record<string, SourceRef> = {};
  let earlier: Record<string, number> | undefined;
  let header: { prefix: string; names: string[] } | undefined;
  const set = (name: string, value: number) => {
    if (name in counters) {
      earlier = earlier ?? {};
      if (!(name in earlier)) earlier[name] = counters[name];
    }
    counters[name] = value;
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const m = /^([A-Za-z][A-Za-z0-9]*):\s+(.*)$/.exec(t);
    if (m) {
      const fields = m[2].trim().split(/\s+/);
      const numeric = fields.every((f) => /^-?\d+$/.test(f));
      if (!numeric) {
        header = { prefix: m[1], names: fields };
        continue;
      }
      if (!header || header.prefix !== m[1]) {
        warnings.line(i + 1, raw, "values without their header line");
        continue;
      }
      if (fields.length !== header.names.length) {
        warnings.line(i + 1, raw, `${fields.length} values for ${header.names.length} names`);
      }
      const n = Math.min(fields.length, header.names.length);
      for (let k = 0; k < n; k++) {
        const name = `${m[1]}${header.names[k]}`;
        set(name, Number(fields[k]));
        sources[name] = sourceRef(path, i + 1, `${m[1]}: ${header.names[k]} ${fields[k]}`);
      }
      header = undefined;
      continue;
    }
    // snmp6 style
    const kv = /^([A-Za-z][A-Za-z0-9_]*)\s+(-?\d+)$/.exec(t);
    if (kv) {
      set(kv[1], Number(kv[2]));
      sources[kv[1]] = sourceRef(path, i + 1, raw);
      continue;
    }
    warnings.line(i + 1, raw, "not a /proc/net counter line");
  }
  const out: ProcCountersResult = { counters, sources, warnings: warnings.result() };
  if (earlier) out.earlier = earlier;
  return out;
}

export interface SockstatResult {
  sockstat: NonNullable<HostSnapshot["sockstat"]>;
  source?: SourceRef;
  warnings: string[];
}

/** Parses /proc/net/sockstat and sockstat6 ("TCP: inuse 51 orphan 0 tw 0 alloc 52 mem 122", "TCP6: inuse 3"). */
export function parseSockstat(text: string, path: string = NO_PATH): SockstatResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const sockstat: NonNullable<HostSnapshot["sockstat"]> = {};
  let source: SourceRef | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const m = /^\s*([A-Z0-9]+|sockets):\s+(.*)$/.exec(raw);
    if (!m) {
      if (raw.trim() !== "") warnings.line(i + 1, raw, "not a sockstat line");
      continue;
    }
    const kv: Record<string, number> = {};
    const parts = m[2].trim().split(/\s+/);
    for (let k = 0; k + 1 < parts.length; k += 2) {
      const v = toInt(parts[k + 1]);
      if (v !== undefined) kv[parts[k]] = v;
    }
    if (m[1] === "TCP") {
      if (kv.inuse !== undefined) sockstat.tcpInuse = kv.inuse;
      if (kv.orphan !== undefined) sockstat.tcpOrphan = kv.orphan;
      if (kv.tw !== undefined) sockstat.tcpTw = kv.tw;
      if (kv.alloc !== undefined) sockstat.tcpAlloc = kv.alloc;
      if (kv.mem !== undefined) sockstat.tcpMem = kv.mem;
      source = sourceRef(path, i + 1, raw);
    } else if (m[1] === "TCP6") {
      if (kv.inuse !== undefined) sockstat.tcp6Inuse = kv.inuse;
      source = source ?? sourceRef(path, i + 1, raw);
    }
  }
  const out: SockstatResult = { sockstat, warnings: warnings.result() };
  if (source) out.source = source;
  return out;
}

/** st column of /proc/net/tcp → state. */
const PROC_STATES: Record<number, SocketState> = {
  1: "ESTAB",
  2: "SYN-SENT",
  3: "SYN-RECV",
  4: "FIN-WAIT-1",
  5: "FIN-WAIT-2",
  6: "TIME-WAIT",
  7: "CLOSE",
  8: "CLOSE-WAIT",
  9: "LAST-ACK",
  10: "LISTEN",
  11: "CLOSING",
  12: "NEW-SYN-RECV",
};

/** tr column → the timer name ss prints for it. */
const PROC_TIMERS: Record<number, string> = { 1: "on", 2: "keepalive", 3: "timewait", 4: "persist" };

/** /proc/net/tcp prints timer expiry in clock ticks of USER_HZ (100 per second on Linux). */
const MS_PER_TICK = 10;

/**
 * Hex address of /proc/net/tcp{,6}: the kernel prints each 32-bit word in host byte order
 * (little-endian on x86 and arm64), so every group of 8 hex digits is byte-reversed.
 */
function procAddress(hex: string): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    for (let b = 0; b < 4; b++) {
      const pos = w * 8 + (3 - b) * 2;
      const v = Number.parseInt(hex.slice(pos, pos + 2), 16);
      if (Number.isNaN(v)) return undefined;
      bytes[w * 4 + b] = v;
    }
  }
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  return formatIpv6(bytes, 0);
}

export interface ProcTcpResult {
  sockets: SocketEntry[];
  warnings: string[];
}

/**
 * Parses /proc/net/tcp and /proc/net/tcp6 into socket entries. Recv-Q/Send-Q are rx_queue/tx_queue
 * (for LISTEN, rx_queue is the accept queue length; the backlog limit is not in this file).
 * Timers: tr 1 → "on" (retransmit), 2 → "keepalive", 3 → "timewait", 4 → "persist"; expiry from
 * tm->when in ticks; retrans from retrnsmt, or from the probe count for keepalive/persist timers
 * (as ss reports them).
 */
export function parseProcNetTcp(text: string, path: string = NO_PATH): ProcTcpResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const sockets: SocketEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || /^sl\s+local_address/.test(t)) continue;
    const f = t.split(/\s+/);
    // sl: local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10 || !/^\d+:$/.test(f[0])) {
      warnings.line(i + 1, raw, "not a /proc/net/tcp line");
      continue;
    }
    const [lAddr, lPort] = f[1].split(":");
    const [rAddr, rPort] = f[2].split(":");
    const localIp = procAddress(lAddr ?? "");
    const peerIp = procAddress(rAddr ?? "");
    const st = Number.parseInt(f[3], 16);
    const [txq, rxq] = f[4].split(":");
    const [tr, when] = f[5].split(":");
    const state = PROC_STATES[st];
    if (!localIp || !peerIp || !state || lPort === undefined || rPort === undefined || rxq === undefined) {
      warnings.line(i + 1, raw, "not a /proc/net/tcp line");
      continue;
    }
    const sock: SocketEntry = {
      state,
      recvQ: Number.parseInt(rxq, 16),
      sendQ: Number.parseInt(txq, 16),
      localIp,
      localPort: Number.parseInt(lPort, 16),
      peerIp,
      peerPort: Number.parseInt(rPort, 16),
      source: sourceRef(path, i + 1, raw),
    };
    const timerCode = Number.parseInt(tr ?? "0", 16);
    const timerName = PROC_TIMERS[timerCode];
    if (timerName) {
      const retrans = Number.parseInt(f[6], 16);
      const probes = toInt(f[8]);
      const ticks = Number.parseInt(when ?? "", 16);
      sock.timer = { name: timerName };
      if (!Number.isNaN(ticks)) sock.timer.expiresMs = ticks * MS_PER_TICK;
      const r = timerName === "keepalive" || timerName === "persist" ? probes : retrans;
      if (r !== undefined && !Number.isNaN(r)) sock.timer.retrans = r;
    }
    const uid = toInt(f[7]);
    if (uid !== undefined) sock.uid = uid;
    const inode = toInt(f[9]);
    if (inode !== undefined) sock.inode = inode;
    sockets.push(sock);
  }
  return { sockets, warnings: warnings.result() };
}
