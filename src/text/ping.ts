// Path MTU evidence from `ping -M do -s SIZE` (Linux iputils and BSD/macOS ping, IPv4 and IPv6)
// and `tracepath`. Each ping run becomes a PingResult; an MTU the path reported becomes a pmtu
// observation.
import type { HostSnapshot, PingResult } from "../host/types.js";
import { canonicalIp, commandOf, NO_PATH, sourceRef, splitLines, toNum, Warnings } from "./common.js";

type Pmtu = NonNullable<HostSnapshot["pmtu"]>[number];

export interface PingParseResult {
  pings: PingResult[];
  pmtu: Pmtu[];
  warnings: string[];
}

/** Parses one or more ping runs. Never throws. */
export function parsePing(text: string, path: string = NO_PATH): PingParseResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const pings: PingResult[] = [];
  const pmtu: Pmtu[] = [];
  let cur: PingResult | undefined;
  let cmdDst: string | undefined;
  let cmdSize: number | undefined;
  const start = (dst: string, lineNo: number, raw: string): PingResult => {
    const p: PingResult = { dst: canonicalIp(dst), source: sourceRef(path, lineNo, raw) };
    pings.push(p);
    return p;
  };
  const noteMtu = (mtu: number, lineNo: number, raw: string) => {
    const p = cur ?? start(cmdDst ?? "?", lineNo, raw);
    cur = p;
    if (p.mtuReported === undefined) {
      p.mtuReported = mtu;
      pmtu.push({ dst: p.dst, pmtu: mtu, source: sourceRef(path, lineNo, raw) });
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      const m = /^ping6?\b(.*)$/.exec(cmd);
      if (m) {
        const args = m[1].trim().split(/\s+/);
        const s = args.indexOf("-s");
        cmdSize = s >= 0 ? toNum(args[s + 1]) : undefined;
        cmdDst = args
          .filter((a, k) => !a.startsWith("-") && !/^-[scMWiItwQl]$/.test(args[k - 1] ?? ""))
          .pop();
        cur = undefined;
      }
      continue;
    }
    // Linux: "PING 10.0.2.100 (10.0.2.100) 1472(1500) bytes of data." / "PING fd00::1(fd00::1) 1452 data bytes"
    // BSD:   "PING 10.0.2.100 (10.0.2.100): 1472 data bytes"
    const head =
      /^PING\s+(\S+?)\s*\(([^)]+)\)(?:\s+from\s+\S+(?:\s+\S+)?)?:?\s+(\d+)(?:\((\d+)\))?\s+(?:bytes of data|data bytes)/.exec(
        t,
      );
    if (head) {
      cur = start(head[2], i + 1, raw);
      const payload = Number(head[3]);
      if (head[4] !== undefined) cur.packetSize = Number(head[4]);
      else cur.packetSize = payload + (cur.dst.includes(":") ? 48 : 28);
      continue;
    }
    const frag =
      /Frag(?:mentation)? needed and DF set \(mtu\s*=\s*(\d+)\)/i.exec(t) ??
      /Packet too big:?\s*mtu\s*[=:]\s*(\d+)/i.exec(t);
    if (frag) {
      noteMtu(Number(frag[1]), i + 1, raw);
      continue;
    }
    const local = /local error:\s*message too long,?\s*mtu\s*[=:]\s*(\d+)/i.exec(t);
    if (local) {
      noteMtu(Number(local[1]), i + 1, raw);
      continue;
    }
    if (
      /^\d+ bytes from /.test(t) ||
      /^(From|Request timeout|ping: sendmsg|ping: sendto|ping: local error|---|PING)/i.test(t)
    ) {
      if (/^--- (\S+) ping statistics ---$/.test(t) && !cur) {
        const m = /^--- (\S+) ping statistics ---$/.exec(t);
        if (m) cur = start(m[1], i + 1, raw);
      }
      continue;
    }
    const stats =
      /^(\d+) packets transmitted, (\d+)(?: packets)? received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, ([\d.]+)% packet loss/.exec(
        t,
      );
    if (stats) {
      const p = cur ?? start(cmdDst ?? "?", i + 1, raw);
      cur = p;
      p.transmitted = Number(stats[1]);
      p.received = Number(stats[2]);
      if (stats[4] !== undefined) p.errors = Number(stats[4]);
      p.lossPercent = Number(stats[5]);
      if (p.packetSize === undefined && cmdSize !== undefined)
        p.packetSize = cmdSize + (p.dst.includes(":") ? 48 : 28);
      continue;
    }
    const rtt = /^(?:rtt|round-trip) min\/avg\/max\/(?:mdev|stddev) = ([\d.]+)\/([\d.]+)\//.exec(t);
    if (rtt) {
      if (cur) cur.rttAvgMs = Number(rtt[2]);
      continue;
    }
    warnings.line(i + 1, raw, "not a ping line");
  }
  return { pings, pmtu, warnings: warnings.result() };
}

/** Parses `tracepath` output: the path MTU it resumes with, and where it changed. Never throws. */
export function parseTracepath(text: string, path: string = NO_PATH): { pmtu: Pmtu[]; warnings: string[] } {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const pmtu: Pmtu[] = [];
  let dst: string | undefined;
  let lowest: { mtu: number; line: number; raw: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "") continue;
    const cmd = commandOf(raw);
    if (cmd !== undefined) {
      const m = /^tracepath6?\s+(?:-\S+\s+(?:\d+\s+)?)*(\S+)/.exec(cmd);
      if (m) dst = canonicalIp(m[1]);
      continue;
    }
    const resume = /^Resume:\s+pmtu\s+(\d+)/.exec(t);
    if (resume) {
      pmtu.push({ ...(dst ? { dst } : {}), pmtu: Number(resume[1]), source: sourceRef(path, i + 1, raw) });
      lowest = undefined;
      continue;
    }
    const hop = /^\d+\??:\s+(\S+)(.*)$/.exec(t);
    if (hop) {
      if (/\breached\b/.test(hop[2]) && hop[1] !== "[LOCALHOST]") dst = canonicalIp(hop[1]);
      const mtu = /\bpmtu (\d+)/.exec(hop[2]);
      if (mtu && (!lowest || Number(mtu[1]) < lowest.mtu)) lowest = { mtu: Number(mtu[1]), line: i + 1, raw };
      continue;
    }
    warnings.line(i + 1, raw, "not a tracepath line");
  }
  // no "Resume:" line (interrupted run): the lowest pmtu the hops showed
  if (lowest)
    pmtu.push({
      ...(dst ? { dst } : {}),
      pmtu: lowest.mtu,
      source: sourceRef(path, lowest.line, lowest.raw),
    });
  return { pmtu, warnings: warnings.result() };
}
