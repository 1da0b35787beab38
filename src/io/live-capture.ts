// Live capture: spawns `tcpdump -U -w -` (argument array, no shell) and streams its pcap output
// straight into the analysis (CaptureParser → decodePacket → CaptureAnalysis) while it runs, tees
// the raw bytes to a file on request, and turns tcpdump's closing statistics ("N packets dropped by
// kernel") into capture-quality evidence. A small running tally names the likely problem while the
// capture is still going; the real rules run on the finished analysis.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { performance } from "node:perf_hooks";
import { UserError } from "../cli/errors.js";
import { CaptureParser } from "../core/capture/index.js";
import { decodePacket } from "../core/decode/index.js";
import { CaptureAnalysis } from "../core/pipeline.js";
import type { ConnectionSummary, PacketAnalysis } from "../core/tcp/types.js";
import type { CaptureFileInfo, DecodedPacket, PacketRecord } from "../core/types.js";
import type { CaptureFacts } from "../rules/types.js";

export interface LiveCaptureOptions {
  /** Interface to capture on (tcpdump -i); "any" for all. */
  iface: string;
  /** BPF filter; split on whitespace into separate words after "--" (tcpdump joins them). */
  filter?: string;
  /** Stop after this many seconds (counted from when tcpdump starts listening). */
  durationSec?: number;
  /** Stop after this many packets (tcpdump -c). */
  count?: number;
  /** Keep the raw pcap in this file too. */
  writePath?: string;
  /** tcpdump binary (default "tcpdump" from PATH). */
  tcpdump?: string;
  /** Run tcpdump under this uid/gid (tests of the permission message). */
  runAs?: { uid: number; gid: number };
  /** tcpdump is listening: its own words ("listening on any, link-type ..."). */
  onListening?: (line: string) => void;
  /** Seconds to wait for tcpdump to exit after SIGINT before killing it (default 5). */
  stopGraceSec?: number;
  /**
   * Seconds between a stop request and the SIGINT to tcpdump (default 1.1): libpcap hands packets
   * over in blocks that it releases at the latest after tcpdump's 1 s buffer timeout, and the block
   * under way when tcpdump is interrupted is lost. Waiting that long keeps the last packets before
   * the stop (the SYN and RST of the failure that made someone press Ctrl-C). Immediate mode would
   * avoid the wait but makes the kernel drop packets under load.
   */
  flushSec?: number;
  /** Every analysed TCP packet (e.g. the HTML report's series). */
  onPacket?: (pa: PacketAnalysis, pkt: DecodedPacket) => void;
}

/** What tcpdump says on stderr: where it listens, its closing counters, its errors. */
export interface TcpdumpReport {
  listening?: string;
  linkType?: string;
  captured?: number;
  receivedByFilter?: number;
  droppedByKernel?: number;
  droppedByInterface?: number;
  /** Lines that report a failure (everything else tcpdump says is informational). */
  errors: string[];
}

const INFO_LINE = /^tcpdump: (listening on|data link type|verbose output suppressed|WARNING:)/;

/** Parses tcpdump's stderr. Pure; tolerant of versions and of partial text. */
export function parseTcpdumpStderr(text: string): TcpdumpReport {
  const out: TcpdumpReport = { errors: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    let m = /^(?:tcpdump: )?listening on (\S+?),? link-type (\S+)/.exec(line);
    if (m) {
      out.listening = line.replace(/^tcpdump: /, "");
      out.linkType = m[2];
      continue;
    }
    m = /^(\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)$/.exec(line);
    if (m) {
      const n = Number(m[1]);
      if (m[2] === "captured") out.captured = n;
      else if (m[2] === "received by filter") out.receivedByFilter = n;
      else if (m[2] === "dropped by kernel") out.droppedByKernel = n;
      else out.droppedByInterface = n;
      continue;
    }
    if (INFO_LINE.test(line)) continue;
    if (/^tcpdump: /.test(line) || /^\(.*\)$/.test(line) || /^tcpdump\b.*(error|fail)/i.test(line)) {
      out.errors.push(line);
    }
  }
  return out;
}

/** The argument vector for tcpdump: packet-buffered pcap on stdout, the filter after "--". */
export function tcpdumpArgs(opts: Pick<LiveCaptureOptions, "iface" | "filter" | "count">): string[] {
  const args = ["-U", "-w", "-", "-i", opts.iface];
  if (opts.count !== undefined) args.push("-c", String(opts.count));
  const words = (opts.filter ?? "").split(/\s+/).filter(Boolean);
  if (words.length) args.push("--", ...words);
  return args;
}

/** One line saying what went wrong with tcpdump and how to fix it. */
export function describeTcpdumpFailure(
  failure: {
    stderr?: string;
    spawnError?: NodeJS.ErrnoException;
    exitCode?: number | null;
    signal?: string | null;
  },
  opts: Pick<LiveCaptureOptions, "iface" | "filter" | "tcpdump">,
): string {
  const bin = opts.tcpdump ?? "tcpdump";
  const err = failure.spawnError;
  if (err?.code === "ENOENT") {
    return `${bin} not found: install it (apt-get install tcpdump, dnf install tcpdump) or put it on PATH`;
  }
  if (err?.code === "EACCES" || err?.code === "EPERM") {
    return `cannot run ${bin} (${err.code}): run tcpdoctor capture as root, or give tcpdump CAP_NET_RAW (setcap cap_net_raw,cap_net_admin+eip "$(command -v tcpdump)")`;
  }
  if (err) return `cannot run ${bin}: ${err.message}`;
  const text = failure.stderr ?? "";
  const report = parseTcpdumpStderr(text);
  const first = report.errors[0]?.replace(/^tcpdump: /, "");
  if (/permission|Operation not permitted/i.test(text)) {
    return `no permission to capture on ${opts.iface}: run tcpdoctor capture as root, or give tcpdump CAP_NET_RAW (setcap cap_net_raw,cap_net_admin+eip "$(command -v tcpdump)")`;
  }
  if (/No such device|doesn't exist|no suitable device/i.test(text)) {
    return `no interface ${opts.iface} to capture on (list them with: ip -br link)`;
  }
  if (/can't parse filter expression|syntax error|illegal token|unknown host|not a valid/i.test(text)) {
    return `invalid capture filter "${opts.filter ?? ""}": ${first ?? "tcpdump rejected it"}`;
  }
  if (first) return `tcpdump failed: ${first}`;
  if (failure.signal) return `tcpdump was killed by ${failure.signal} before it captured anything`;
  return `tcpdump exited with status ${failure.exitCode ?? "unknown"} before it captured anything`;
}

// ------------------------------------------------------------------------------------ tally

/** The problem the packets so far point to (provisional: the rules decide at the end). */
export interface LiveTop {
  id: string;
  text: string;
}

interface StreamTally {
  syns: number;
  synAck: boolean;
  established: boolean;
  refused: boolean;
  reset: boolean;
}

/** At most this many streams are tracked for the running tally (oldest forgotten first). */
const MAX_TALLY_STREAMS = 50000;

/**
 * Running counts of the tell-tale packets, cheap enough for every packet: SYNs answered by a reset,
 * SYNs retransmitted without answer, ICMP unreachables, data retransmissions, zero windows, resets
 * of established connections.
 */
export class LiveTally {
  tcpPackets = 0;
  /** Highest stream number seen + 1: the connections so far. */
  connections = 0;
  private readonly streams = new Map<number, StreamTally>();
  private refused = 0;
  private unansweredRetried = 0;
  private unreachable = 0;
  private dataSegments = 0;
  private retransmissions = 0;
  private zeroWindows = 0;
  private resets = 0;

  observe(pkt: DecodedPacket, pa?: PacketAnalysis): void {
    if (pkt.icmp && !pkt.tcp) {
      if (pkt.icmp.kind === "unreachable") this.unreachable++;
      return;
    }
    if (!pa) return;
    this.tcpPackets++;
    if (pa.stream + 1 > this.connections) this.connections = pa.stream + 1;
    let s = this.streams.get(pa.stream);
    if (!s) {
      s = { syns: 0, synAck: false, established: false, refused: false, reset: false };
      this.streams.set(pa.stream, s);
      if (this.streams.size > MAX_TALLY_STREAMS) {
        const oldest = this.streams.keys().next().value;
        if (oldest !== undefined) this.streams.delete(oldest);
      }
    }
    const f = pa.flags;
    const syn = f.includes("S");
    const ack = f.includes("A");
    const rst = f.includes("R");
    if (syn && !ack) {
      s.syns++;
      if (s.syns === 2 && !s.synAck) this.unansweredRetried++;
    } else if (syn && ack) {
      if (!s.synAck && s.syns >= 2) this.unansweredRetried--;
      s.synAck = true;
    } else if (rst) {
      if (!s.synAck && s.syns > 0 && !pa.fromClient && !s.refused) {
        s.refused = true;
        this.refused++;
        if (s.syns >= 2) this.unansweredRetried--;
      } else if (s.established && !s.reset) {
        s.reset = true;
        this.resets++;
      }
    } else if (ack && s.synAck) s.established = true;
    if (pa.len > 0) {
      this.dataSegments++;
      if (
        pa.analysis.includes("retransmission") ||
        pa.analysis.includes("fast_retransmission") ||
        pa.analysis.includes("spurious_retransmission")
      ) {
        this.retransmissions++;
      }
    }
    if (pa.analysis.includes("zero_window")) this.zeroWindows++;
  }

  /** The most telling problem so far, or undefined when nothing stands out. */
  top(): LiveTop | undefined {
    if (this.refused > 0) {
      return {
        id: "connect-refused",
        text: `${this.refused} SYN${this.refused > 1 ? "s" : ""} answered by RST`,
      };
    }
    if (this.unansweredRetried > 0) {
      const n = this.unansweredRetried;
      return {
        id: "connect-timeout",
        text: `${n} connection attempt${n > 1 ? "s" : ""} retrying unanswered SYNs`,
      };
    }
    if (this.unreachable > 0) {
      return {
        id: "no-route",
        text: `${this.unreachable} ICMP unreachable${this.unreachable > 1 ? "s" : ""}`,
      };
    }
    const rate = this.dataSegments > 0 ? this.retransmissions / this.dataSegments : 0;
    if (this.retransmissions >= 5 && rate >= 0.01) {
      return {
        id: "packet-loss",
        text: `${(rate * 100).toFixed(1)}% of ${this.dataSegments} data segments retransmitted`,
      };
    }
    if (this.zeroWindows > 0) {
      return { id: "receiver-zero-window", text: `${this.zeroWindows} zero-window advertisements` };
    }
    if (this.resets > 0) {
      return {
        id: "reset",
        text: `${this.resets} established connection${this.resets > 1 ? "s" : ""} reset`,
      };
    }
    return undefined;
  }
}

// ------------------------------------------------------------------------------------ session

export interface LiveProgress {
  /** Seconds since tcpdump started listening (or was started). */
  seconds: number;
  packets: number;
  connections: number;
  top?: LiveTop;
  /** A stop was requested: tcpdump is handing over its last packets. */
  stopping: boolean;
}

export type StopReason = "duration" | "count" | "signal" | "exit";

export interface LiveCaptureResult {
  connections: ConnectionSummary[];
  capture: CaptureFacts;
  /** The pcap stream tcpdump wrote (format, link types, packets). */
  info: CaptureFileInfo;
  tcpdump: TcpdumpReport;
  /** "live:IF" — the input name in reports. */
  path: string;
  warnings: string[];
  stoppedBy: StopReason;
  seconds: number;
}

export interface LiveCapture {
  /** Asks tcpdump to stop (SIGINT: it flushes and prints its counters); the result follows. */
  stop(reason?: StopReason): void;
  /** Stops without waiting for tcpdump (SIGKILL); what was read so far is still analysed. */
  kill(): void;
  progress(): LiveProgress;
  /** Resolves once tcpdump has exited and everything is analysed; rejects with a UserError. */
  done: Promise<LiveCaptureResult>;
}

function openWriteStream(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const ws = createWriteStream(path, { flags: "w" });
    ws.once("open", () => resolve(ws));
    ws.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new UserError(
          `--write ${path}: ${err.code === "EACCES" ? "permission denied" : err.code === "ENOENT" ? "no such directory" : err.message}`,
        ),
      ),
    );
  });
}

/** Starts tcpdump and the streaming analysis. */
export function startLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  if (!opts.iface || opts.iface.startsWith("-") || /\s/.test(opts.iface)) {
    throw new UserError(`--interface "${opts.iface}": not an interface name`);
  }
  const tally = new LiveTally();
  // ICMP errors go to the tally from emit(), whether or not they quote a connection.
  const analysis = new CaptureAnalysis({
    onPacket: (pa, pkt) => {
      if (pkt.tcp) tally.observe(pkt, pa);
      opts.onPacket?.(pa, pkt);
    },
  });
  const parser = new CaptureParser();
  let child: ChildProcess | undefined;
  let stopReason: StopReason | undefined;
  let startedAt = performance.now();
  let exited = false;
  let durationTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  let records = 0;
  const emit = (rec: PacketRecord) => {
    records++;
    const pkt = decodePacket(rec);
    if (pkt.icmp && !pkt.tcp) tally.observe(pkt);
    analysis.push(pkt, rec);
  };

  const signalChild = (sig: NodeJS.Signals) => {
    if (child && !exited && child.exitCode === null) {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
  };
  const interrupt = () => {
    signalChild("SIGINT");
    if (!killTimer) {
      killTimer = setTimeout(() => signalChild("SIGKILL"), (opts.stopGraceSec ?? 5) * 1000);
      killTimer.unref();
    }
  };
  const stop = (reason: StopReason = "signal") => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    const flushSec = opts.flushSec ?? 1.1;
    if (flushSec > 0) flushTimer = setTimeout(interrupt, flushSec * 1000);
    else interrupt();
  };
  // Should tcpdoctor exit first (an uncaught error), tcpdump must not outlive it.
  const killOnExit = () => signalChild("SIGKILL");
  const armDuration = () => {
    if (opts.durationSec === undefined) return;
    if (durationTimer) clearTimeout(durationTimer);
    durationTimer = setTimeout(() => stop("duration"), opts.durationSec * 1000);
  };

  const done = (async (): Promise<LiveCaptureResult> => {
    const file = opts.writePath ? await openWriteStream(opts.writePath) : undefined;
    const bin = opts.tcpdump ?? "tcpdump";
    let stderr = "";
    let bytes = 0;
    let parseError: Error | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    let listening = false;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      // Its own process group: a Ctrl-C on the terminal reaches tcpdoctor only, which stops
      // tcpdump after the flush wait instead of losing the last packets.
      const proc = spawn(bin, tcpdumpArgs(opts), {
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
        ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
      });
      child = proc;
      process.once("exit", killOnExit);
      // Stopped while the --write file was being opened: nothing to wait for.
      if (stopReason !== undefined) interrupt();
      startedAt = performance.now();
      armDuration();
      proc.on("error", (err: NodeJS.ErrnoException) => {
        spawnError = err;
        exited = true;
        resolve({ code: null, signal: null });
      });
      proc.stdout!.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (file && !file.write(chunk)) {
          proc.stdout!.pause();
          file.once("drain", () => proc.stdout!.resume());
        }
        if (parseError) return;
        try {
          parser.push(chunk, emit);
        } catch (err) {
          parseError = err instanceof Error ? err : new Error(String(err));
          stopReason ??= "exit";
          interrupt();
        }
      });
      proc.stderr!.on("data", (chunk: Buffer) => {
        // Bounded: a chatty tcpdump must not grow memory; its counters come last.
        stderr = (stderr + chunk.toString("utf8")).slice(-65536);
        if (!listening) {
          const r = parseTcpdumpStderr(stderr);
          if (r.listening) {
            listening = true;
            startedAt = performance.now();
            armDuration();
            opts.onListening?.(r.listening);
          }
        }
      });
      proc.on("close", (code, signal) => {
        exited = true;
        resolve({ code, signal });
      });
    });
    process.off("exit", killOnExit);
    if (durationTimer) clearTimeout(durationTimer);
    if (flushTimer) clearTimeout(flushTimer);
    if (killTimer) clearTimeout(killTimer);
    const seconds = (performance.now() - startedAt) / 1000;
    if (file) await new Promise<void>((resolve) => file.end(resolve));
    const report = parseTcpdumpStderr(stderr);
    if (spawnError) throw new UserError(describeTcpdumpFailure({ spawnError }, opts));
    const failed = (exit.code !== 0 && exit.code !== null) || report.errors.length > 0;
    if (bytes === 0 && (failed || (exit.signal !== null && stopReason === undefined))) {
      throw new UserError(describeTcpdumpFailure({ stderr, exitCode: exit.code, signal: exit.signal }, opts));
    }
    if (parseError) {
      throw new UserError(`tcpdump output is not a readable capture: ${parseError.message}`);
    }
    const warnings: string[] = [];
    let info: CaptureFileInfo;
    if (bytes === 0) {
      info = { format: "pcap", gzip: false, tsPrecision: 6, interfaces: [], packets: 0, warnings: [] };
    } else {
      info = parser.end();
      for (const w of info.warnings) warnings.push(w);
    }
    if (report.droppedByKernel)
      warnings.push(`${report.droppedByKernel} packets dropped by kernel (tcpdump)`);
    if (report.droppedByInterface) {
      warnings.push(`${report.droppedByInterface} packets dropped by interface (tcpdump)`);
    }
    for (const e of report.errors) warnings.push(e);
    const path = `live:${opts.iface}`;
    analysis.addFileInfo({
      path,
      format: info.format,
      linkTypes: [...new Set(info.interfaces.map((i) => i.linkType))],
      snaplen: info.interfaces[0]?.snaplen,
      droppedByKernel: report.droppedByKernel,
      droppedByInterface: report.droppedByInterface ?? info.droppedByInterface,
      truncatedAt: info.truncatedAt,
      packets: info.packets,
    });
    const result = analysis.finish();
    const stoppedBy: StopReason =
      stopReason ?? (opts.count !== undefined && info.packets >= opts.count ? "count" : "exit");
    return {
      connections: result.connections,
      capture: result.capture,
      info,
      tcpdump: report,
      path,
      warnings,
      stoppedBy,
      seconds,
    };
  })();

  return {
    stop,
    kill: () => {
      stopReason ??= "signal";
      if (flushTimer) clearTimeout(flushTimer);
      signalChild("SIGKILL");
    },
    progress: () => ({
      seconds: (performance.now() - startedAt) / 1000,
      packets: records,
      connections: tally.connections,
      top: tally.top(),
      stopping: stopReason !== undefined,
    }),
    done,
  };
}
