// net-tools `netstat`: the socket table (-ant, -antp, -ante, -anto, and BSD/macOS `netstat -an`)
// and the `netstat -s` statistics, whose sentences are mapped back to nstat counter names where
// the mapping is clear (the rest are kept under "<Section>: <sentence>" so nothing is lost).
import type { SocketEntry, SourceRef } from "../host/types.js";
import { NO_PATH, socketState, sourceRef, splitHostPort, splitLines, toInt, Warnings } from "./common.js";

export interface NetstatSocketsResult {
  sockets: SocketEntry[];
  have: { processes: boolean; info: boolean; memory: boolean; timers: boolean };
  warnings: string[];
}

export interface NetstatStatsResult {
  /** Counters under nstat names (TcpRetransSegs, TcpExtListenOverflows, ...) and unmapped ones as "Tcp: <sentence>". */
  counters: Record<string, number>;
  /** Where each counter was read. */
  sources: Record<string, SourceRef>;
  warnings: string[];
}

/**
 * Parses the `netstat -ant[peo]` socket table. Columns: Proto Recv-Q Send-Q Local Foreign State,
 * then optional User Inode (-e), PID/Program name (-p), Timer (-o).
 */
export function parseNetstatSockets(text: string, path: string = NO_PATH): NetstatSocketsResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const sockets: SocketEntry[] = [];
  let nonTcp = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || /^Active (Internet|UNIX|Bluetooth)/.test(t) || /^Proto\s+Recv-Q/.test(t)) continue;
    const parts = t.split(/\s+/);
    const proto = parts[0].toLowerCase();
    if (!/^tcp[46]?$/.test(proto)) {
      if (/^(udp[46]?|raw[46]?|unix|udpl(ite)?[46]?|icm[p46]*)$/.test(proto)) nonTcp++;
      else if (/^(Proto|RefCnt)\b/.test(t)) continue;
      else warnings.line(i + 1, raw, "not a netstat socket line");
      continue;
    }
    const recvQ = toInt(parts[1]);
    const sendQ = toInt(parts[2]);
    const local = parts[3] !== undefined ? splitHostPort(parts[3]) : undefined;
    const peer = parts[4] !== undefined ? splitHostPort(parts[4]) : undefined;
    const state = parts[5] !== undefined ? socketState(parts[5]) : undefined;
    if (recvQ === undefined || sendQ === undefined || !local || !peer || !state) {
      warnings.line(i + 1, raw, "not a netstat socket line");
      continue;
    }
    const sock: SocketEntry = {
      state,
      recvQ,
      sendQ,
      localIp: local.ip,
      localPort: local.port,
      peerIp: peer.ip,
      peerPort: peer.port,
      source: sourceRef(path, i + 1, raw),
    };
    let rest = parts.slice(6).join(" ");
    // Timer (-o): "keepalive (7140.12/0/0)" at the end
    const timer = /(\S+)\s+\((-?\d+(?:\.\d+)?)\/(\d+)\/(\d+)\)\s*$/.exec(rest);
    if (timer) {
      if (timer[1] !== "off") {
        const secs = Number(timer[2]);
        sock.timer = { name: timer[1], retrans: Number(timer[3]) };
        if (secs >= 0) sock.timer.expiresMs = Math.round(secs * 1000);
        // keepalive/persist count probes in the third field, as ss does in its retrans slot
        if (timer[1] === "keepalive" || timer[1] === "probe") sock.timer.retrans = Number(timer[4]);
      }
      rest = rest.slice(0, timer.index).trim();
    }
    const restParts = rest === "" ? [] : rest.split(/\s+/);
    // User Inode (-e): a user name or uid, then a number
    if (restParts.length >= 2 && /^\d+$/.test(restParts[1]) && !restParts[0].includes("/")) {
      if (/^\d+$/.test(restParts[0])) sock.uid = Number(restParts[0]);
      sock.inode = Number(restParts[1]);
      restParts.splice(0, 2);
    }
    // PID/Program name (-p): "1234/python3" or "-"; program names may contain spaces
    if (restParts.length) {
      const prog = restParts.join(" ");
      const m = /^(\d+)\/(.+)$/.exec(prog);
      // netstat does not say which descriptor: fd -1
      if (m) sock.processes = [{ name: m[2].trim(), pid: Number(m[1]), fd: -1 }];
    }
    sockets.push(sock);
  }
  if (nonTcp) warnings.add(`${path}: ${nonTcp} non-TCP socket line(s) skipped`);
  const have = {
    processes: sockets.some((s) => s.processes),
    info: false,
    memory: false,
    timers: sockets.some((s) => s.timer),
  };
  return { sockets, have, warnings: warnings.result() };
}

/**
 * Sentences of `netstat -s` (net-tools) → nstat names, keyed by "<Section>|<sentence with the
 * number replaced by N>", lower case. Old and new spellings of the same sentence both appear.
 */
const SENTENCES: Record<string, string> = {
  // Ip
  "ip|n total packets received": "IpInReceives",
  "ip|n with invalid headers": "IpInHdrErrors",
  "ip|n with invalid addresses": "IpInAddrErrors",
  "ip|n forwarded": "IpForwDatagrams",
  "ip|n with unknown protocol": "IpInUnknownProtos",
  "ip|n incoming packets discarded": "IpInDiscards",
  "ip|n incoming packets delivered": "IpInDelivers",
  "ip|n requests sent out": "IpOutRequests",
  "ip|n outgoing packets dropped": "IpOutDiscards",
  "ip|n dropped because of missing route": "IpOutNoRoutes",
  "ip|n fragments dropped after timeout": "IpReasmTimeout",
  "ip|n reassemblies required": "IpReasmReqds",
  "ip|n packets reassembled ok": "IpReasmOKs",
  "ip|n packet reassemblies failed": "IpReasmFails",
  "ip|n fragments received ok": "IpFragOKs",
  "ip|n fragments failed": "IpFragFails",
  "ip|n fragments created": "IpFragCreates",
  // Icmp
  "icmp|n icmp messages received": "IcmpInMsgs",
  "icmp|n input icmp message failed": "IcmpInErrors",
  "icmp|n input icmp message failed.": "IcmpInErrors",
  "icmp|n icmp messages sent": "IcmpOutMsgs",
  "icmp|n icmp messages failed": "IcmpOutErrors",
  // Tcp
  "tcp|n active connection openings": "TcpActiveOpens",
  "tcp|n active connections openings": "TcpActiveOpens",
  "tcp|n passive connection openings": "TcpPassiveOpens",
  "tcp|n failed connection attempts": "TcpAttemptFails",
  "tcp|n connection resets received": "TcpEstabResets",
  "tcp|n connections established": "TcpCurrEstab",
  "tcp|n segments received": "TcpInSegs",
  "tcp|n segments sent out": "TcpOutSegs",
  "tcp|n segments send out": "TcpOutSegs",
  "tcp|n segments retransmitted": "TcpRetransSegs",
  "tcp|n segments retransmited": "TcpRetransSegs",
  "tcp|n bad segments received": "TcpInErrs",
  "tcp|n bad segments received.": "TcpInErrs",
  "tcp|n resets sent": "TcpOutRsts",
  // Udp
  "udp|n packets received": "UdpInDatagrams",
  "udp|n packets to unknown port received": "UdpNoPorts",
  "udp|n packets to unknown port received.": "UdpNoPorts",
  "udp|n packet receive errors": "UdpInErrors",
  "udp|n packets sent": "UdpOutDatagrams",
  "udp|n receive buffer errors": "UdpRcvbufErrors",
  "udp|n send buffer errors": "UdpSndbufErrors",
  // TcpExt
  "tcpext|n syn cookies sent": "TcpExtSyncookiesSent",
  "tcpext|n syn cookies received": "TcpExtSyncookiesRecv",
  "tcpext|n invalid syn cookies received": "TcpExtSyncookiesFailed",
  "tcpext|n resets received for embryonic syn_recv sockets": "TcpExtEmbryonicRsts",
  "tcpext|n packets pruned from receive queue because of socket buffer overrun": "TcpExtPruneCalled",
  "tcpext|n packets pruned from receive queue": "TcpExtRcvPruned",
  "tcpext|n packets dropped from out-of-order queue because of socket buffer overrun": "TcpExtOfoPruned",
  "tcpext|n icmp packets dropped because they were out-of-window": "TcpExtOutOfWindowIcmps",
  "tcpext|n icmp packets dropped because socket was locked": "TcpExtLockDroppedIcmps",
  "tcpext|n arp packets filtered": "TcpExtArpFilter",
  "tcpext|n tcp sockets finished time wait in fast timer": "TcpExtTW",
  "tcpext|n time wait sockets recycled by time stamp": "TcpExtTWRecycled",
  "tcpext|n tcp sockets finished time wait in slow timer": "TcpExtTWKilled",
  "tcpext|n passive connections rejected because of time stamp": "TcpExtPAWSPassive",
  "tcpext|n active connections rejected because of time stamp": "TcpExtPAWSActive",
  "tcpext|n packets rejects in established connections because of timestamp": "TcpExtPAWSEstab",
  "tcpext|n packets rejected in established connections because of timestamp": "TcpExtPAWSEstab",
  "tcpext|n delayed acks sent": "TcpExtDelayedACKs",
  "tcpext|n delayed acks further delayed because of locked socket": "TcpExtDelayedACKLocked",
  "tcpext|quick ack mode was activated n times": "TcpExtDelayedACKLost",
  "tcpext|n times the listen queue of a socket overflowed": "TcpExtListenOverflows",
  "tcpext|n syns to listen sockets dropped": "TcpExtListenDrops",
  "tcpext|n syns to listen sockets ignored": "TcpExtListenDrops",
  "tcpext|n packet headers predicted": "TcpExtTCPHPHits",
  "tcpext|n packets header predicted and directly queued to user": "TcpExtTCPHPHitsToUser",
  "tcpext|n acknowledgments not containing data payload received": "TcpExtTCPPureAcks",
  "tcpext|n acknowledgments not containing data received": "TcpExtTCPPureAcks",
  "tcpext|n predicted acknowledgments": "TcpExtTCPHPAcks",
  "tcpext|n times recovered from packet loss due to fast retransmit": "TcpExtTCPRenoRecovery",
  "tcpext|n times recovered from packet loss by selective acknowledgements": "TcpExtTCPSackRecovery",
  "tcpext|n bad sack blocks received": "TcpExtTCPSACKReneging",
  "tcpext|detected reordering n times using fack": "TcpExtTCPFACKReorder",
  "tcpext|detected reordering n times using sack": "TcpExtTCPSACKReorder",
  "tcpext|detected reordering n times using reno fast retransmit": "TcpExtTCPRenoReorder",
  "tcpext|detected reordering n times using time stamp": "TcpExtTCPTSReorder",
  "tcpext|n congestion windows fully recovered without slow start": "TcpExtTCPFullUndo",
  "tcpext|n congestion windows partially recovered using hoe heuristic": "TcpExtTCPPartialUndo",
  "tcpext|n congestion windows recovered without slow start by dsack": "TcpExtTCPDSACKUndo",
  "tcpext|n congestion windows recovered without slow start after partial ack": "TcpExtTCPLossUndo",
  "tcpext|n retransmits lost": "TcpExtTCPLostRetransmit",
  "tcpext|n timeouts after reno fast retransmit": "TcpExtTCPRenoFailures",
  "tcpext|n timeouts after sack recovery": "TcpExtTCPSackFailures",
  "tcpext|n timeouts in loss state": "TcpExtTCPLossFailures",
  "tcpext|n fast retransmits": "TcpExtTCPFastRetrans",
  "tcpext|n forward retransmits": "TcpExtTCPForwardRetrans",
  "tcpext|n retransmits in slow start": "TcpExtTCPSlowStartRetrans",
  "tcpext|n other tcp timeouts": "TcpExtTCPTimeouts",
  "tcpext|n classic reno fast retransmits failed": "TcpExtTCPRenoRecoveryFail",
  "tcpext|n sack retransmits failed": "TcpExtTCPSackRecoveryFail",
  "tcpext|n times receiver scheduled too late for direct processing": "TcpExtTCPSchedulerFailed",
  "tcpext|n packets collapsed in receive queue due to low socket buffer": "TcpExtTCPRcvCollapsed",
  "tcpext|n dsacks sent for old packets": "TcpExtTCPDSACKOldSent",
  "tcpext|n dsacks sent for out of order packets": "TcpExtTCPDSACKOfoSent",
  "tcpext|n dsacks received": "TcpExtTCPDSACKRecv",
  "tcpext|n dsacks for out of order packets received": "TcpExtTCPDSACKOfoRecv",
  "tcpext|n connections reset due to unexpected syn": "TcpExtTCPAbortOnSyn",
  "tcpext|n connections reset due to unexpected data": "TcpExtTCPAbortOnData",
  "tcpext|n connections reset due to early user close": "TcpExtTCPAbortOnClose",
  "tcpext|n connections aborted due to memory pressure": "TcpExtTCPAbortOnMemory",
  "tcpext|n connections aborted due to timeout": "TcpExtTCPAbortOnTimeout",
  "tcpext|n connections aborted after user close in linger timeout": "TcpExtTCPAbortOnLinger",
  "tcpext|n times unable to send rst due to no memory": "TcpExtTCPAbortFailed",
  "tcpext|tcp ran low on memory n times": "TcpExtTCPMemoryPressures",
  "tcpext|n tcp data loss events": "TcpExtTCPLoss",
  "tcpext|n packets directly queued to recvmsg prequeue.": "TcpExtTCPPrequeued",
  "tcpext|n bytes directly in process context from backlog": "TcpExtTCPDirectCopyFromBacklog",
  "tcpext|n bytes directly received in process context from prequeue": "TcpExtTCPDirectCopyFromPrequeue",
  "tcpext|n packets dropped from prequeue": "TcpExtTCPPrequeueDropped",
  "tcpext|n packets collapsed in receive queue due to low socket buffer.": "TcpExtTCPRcvCollapsed",
};

/** Section headers of `netstat -s` → nstat prefix. */
const SECTION_PREFIX: Record<string, string> = {
  Ip: "Ip",
  Icmp: "Icmp",
  IcmpMsg: "IcmpMsg",
  Tcp: "Tcp",
  Udp: "Udp",
  UdpLite: "UdpLite",
  TcpExt: "TcpExt",
  IpExt: "IpExt",
  MPTcpExt: "MPTcpExt",
  Ip6: "Ip6",
  Icmp6: "Icmp6",
  Udp6: "Udp6",
  UdpLite6: "UdpLite6",
  Sctp: "Sctp",
  TcpExt6: "TcpExt",
};

/**
 * Parses `netstat -s`. Lines "N sentence" and "sentence N times" map to nstat names through a
 * table; "Name: N" lines (counters net-tools has no sentence for) become <Section><Name>. ICMP
 * histogram lines ("destination unreachable: 3") and unmapped sentences keep their text.
 */
export function parseNetstatStats(text: string, path: string = NO_PATH): NetstatStatsResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const counters: Record<string, number> = {};
  const sources: Record<string, SourceRef> = {};
  let section: string | undefined;
  let histogram: string | undefined;
  let unmapped = 0;
  const put = (name: string, value: number, lineNo: number, raw: string) => {
    counters[name] = value;
    sources[name] = sourceRef(path, lineNo, raw);
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const header = /^([A-Za-z0-9]+):\s*$/.exec(raw);
    if (header && !/^\s/.test(raw)) {
      section = header[1];
      histogram = undefined;
      continue;
    }
    if (!section) {
      warnings.line(i + 1, raw, "outside a netstat -s section");
      continue;
    }
    const prefix = Object.hasOwn(SECTION_PREFIX, section) ? SECTION_PREFIX[section] : section;
    const hist = /^(ICMP|ICMPv6) (input|output) histogram:$/i.exec(t);
    if (hist) {
      histogram = hist[2].toLowerCase();
      continue;
    }
    const named = /^([A-Za-z][A-Za-z0-9_]*):\s*(-?\d+)$/.exec(t);
    if (named && !histogram) {
      put(`${prefix}${named[1]}`, Number(named[2]), i + 1, raw);
      continue;
    }
    const histLine = /^([a-z][a-z _-]*):\s*(\d+)$/i.exec(t);
    if (histLine) {
      put(`${section}: ${histogram ? `${histogram} ` : ""}${histLine[1]}`, Number(histLine[2]), i + 1, raw);
      continue;
    }
    const num = /(?:^|\s)(-?\d+)(?=\s|$)/.exec(t);
    if (!num) {
      warnings.line(i + 1, raw, "no number in netstat -s line");
      continue;
    }
    const value = Number(num[1]);
    const sentence =
      `${t.slice(0, num.index)}${num.index > 0 ? " " : ""}N${t.slice(num.index + num[0].length)}`
        .replace(/\s+/g, " ")
        .trim();
    const key = `${section.toLowerCase()}|${sentence.toLowerCase()}`;
    const bare = key.replace(/\.$/, "");
    const mapped = Object.hasOwn(SENTENCES, key)
      ? SENTENCES[key]
      : Object.hasOwn(SENTENCES, bare)
        ? SENTENCES[bare]
        : undefined;
    if (mapped) put(mapped, value, i + 1, raw);
    else {
      unmapped++;
      put(`${section}: ${sentence.replace(/^N /, "").replace(/ N /, " N ")}`, value, i + 1, raw);
    }
  }
  if (unmapped)
    warnings.add(`${path}: ${unmapped} netstat -s line(s) have no nstat name and are kept under their text`);
  return { counters, sources, warnings: warnings.result() };
}
