// One socket of `ss` (or netstat, /proc/net/tcp) in plain words: its state, its queues, and what
// each tcp_info field says about this connection, then what they say together.
import type { SocketEntry, SocketState, SocketSummary, TcpInfo } from "../host/types.js";
import { bytes, count, ms, percent, rate } from "./format.js";

const STATE_WORDS: Record<SocketState, string> = {
  ESTAB: "ESTABLISHED: the connection is open and data can flow both ways.",
  "SYN-SENT":
    "SYN-SENT: this side called connect() and sent a SYN; no SYN-ACK has come back yet. Many of these point at an unreachable or filtering destination.",
  "SYN-RECV":
    "SYN-RECV: a SYN arrived and the SYN-ACK went out; the client's final ACK is still awaited. Many of these are a SYN flood or clients that cannot reach back.",
  "FIN-WAIT-1": "FIN-WAIT-1: this side closed (sent FIN) and waits for the peer to acknowledge it.",
  "FIN-WAIT-2":
    "FIN-WAIT-2: this side's FIN was acknowledged; it waits for the peer to close its side too (bounded by tcp_fin_timeout once the application has closed).",
  "TIME-WAIT":
    "TIME-WAIT: closed; this side closed first and keeps the connection 60 s (Linux) to absorb late packets. Normal after an active close, and it drains by itself.",
  CLOSE: "CLOSE: the socket is not connected (closed, or created and never connected).",
  "CLOSE-WAIT":
    "CLOSE-WAIT: the peer has closed its side (its FIN arrived), but the local application has not called close() yet. The kernel cannot clear this state; only the application can.",
  "LAST-ACK": "LAST-ACK: both sides closed; this side waits for the ACK of its own FIN.",
  LISTEN: "LISTEN: a server socket waiting for connections.",
  CLOSING: "CLOSING: both sides sent FIN at the same time; waiting for the ACK of ours.",
  "NEW-SYN-RECV":
    "NEW-SYN-RECV: a half-open connection waiting in a listener's SYN queue for the client's final ACK.",
  UNKNOWN: "State not shown in the table (a filtered `ss ... state X` listing names it on the command line).",
};

const CC_WORDS: Record<string, string> = {
  cubic:
    "CUBIC, the Linux default: loss-based — every loss episode cuts the congestion window to 0.7×, then it grows back along a cubic curve.",
  reno: "Reno: loss-based, halves the congestion window on every loss and grows it by one segment per round trip.",
  bbr: "BBR: model-based — paces at the measured bottleneck bandwidth and minimum RTT, and does not treat random loss as congestion.",
  bbr2: "BBRv2: model-based like BBR, with some reaction to loss and ECN.",
  bbr3: "BBRv3: model-based like BBR, with some reaction to loss and ECN.",
  dctcp: "DCTCP: reacts to ECN marks in proportion; meant for data centres with ECN-marking switches.",
  vegas: "Vegas: delay-based; backs off when the RTT grows.",
  westwood: "Westwood+: estimates bandwidth from ACKs to set the window after a loss (wireless links).",
  htcp: "H-TCP: loss-based, tuned for high bandwidth × delay paths.",
};

function stateLine(e: SocketEntry): string {
  return STATE_WORDS[e.state] ?? `${e.state}.`;
}

function queueWords(e: SocketEntry): string[] {
  const notes: string[] = [];
  if (e.state === "LISTEN") {
    notes.push(
      `Recv-Q ${e.recvQ}: connections fully established and waiting for accept(); Send-Q ${e.sendQ}: the accept-queue limit (the listen() backlog capped by net.core.somaxconn).${
        e.recvQ >= e.sendQ && e.sendQ > 0
          ? " The queue is full: new handshakes are being dropped (ListenOverflows) because the application does not accept() fast enough."
          : e.recvQ > 0
            ? " Connections are waiting: the application accepts more slowly than clients arrive."
            : ""
      }`,
    );
    return notes;
  }
  if (e.recvQ === 1 && (e.state === "CLOSE-WAIT" || e.state === "LAST-ACK" || e.state === "CLOSING")) {
    notes.push(
      "Recv-Q 1: just the peer's FIN (it counts as one byte) that the application has not consumed — its next read() would return 0, end of file.",
    );
  } else if (e.recvQ > 0) {
    notes.push(
      `Recv-Q ${count(e.recvQ)}: bytes that arrived but the application has not read yet${
        e.recvQ > 64 * 1024
          ? " — a lot: the reading application is slow or stuck, and the window it advertises shrinks toward zero"
          : ""
      }.`,
    );
  }
  if (e.sendQ > 0) {
    notes.push(
      `Send-Q ${count(e.sendQ)}: bytes sent (or queued) but not yet acknowledged by the peer${
        e.sendQ > 256 * 1024
          ? " — a lot: the peer reads slowly (small window) or the path is slow or losing packets"
          : ""
      }.`,
    );
  }
  if (e.recvQ === 0 && e.sendQ === 0 && e.state === "ESTAB")
    notes.push("Recv-Q and Send-Q are 0: nothing waiting in either direction right now.");
  return notes;
}

/** What each tcp_info field says, one note per field that is present. */
function infoWords(i: TcpInfo): string[] {
  const n: string[] = [];
  if (i.cc) n.push(`Congestion control ${CC_WORDS[i.cc] ?? `${i.cc}.`}`);
  if (i.wscaleSnd !== undefined && i.wscaleRcv !== undefined) {
    const maxRcv = 65535 * 2 ** i.wscaleRcv;
    n.push(
      `wscale ${i.wscaleSnd},${i.wscaleRcv}: the peer's windows count in units of ${2 ** i.wscaleSnd} bytes, ours in units of ${2 ** i.wscaleRcv}; windows up to ${bytes(maxRcv)} are possible, so the window-scale option is not what limits this connection.`,
    );
  }
  if (i.rtt !== undefined) {
    n.push(
      `RTT ${ms(i.rtt)} smoothed${i.rttvar !== undefined ? `, varying by ${ms(i.rttvar)}` : ""}${
        i.rtt >= 100
          ? ": a long path (intercontinental, or a congested queue on the way)"
          : i.rtt < 1
            ? ": a local path"
            : ""
      }.${i.minrtt !== undefined ? ` The smallest RTT seen is ${ms(i.minrtt)}${i.rtt > 2 * i.minrtt ? ": queues along the path add the difference" : ""}.` : ""}`,
    );
  }
  if (i.rto !== undefined) {
    n.push(
      `RTO ${ms(i.rto)}: how long the sender waits for an ACK before retransmitting (at least 200 ms on Linux)${
        i.backoff
          ? `, currently backed off ${i.backoff} time${i.backoff === 1 ? "" : "s"} (doubling each time): retransmissions are going unanswered`
          : ""
      }.`,
    );
  }
  if (i.mss !== undefined) {
    const hint =
      i.mss === 1448
        ? " — the normal value on Ethernet: 1500 MTU − 20 IP − 20 TCP − 12 bytes of timestamp option"
        : i.mss === 1460
          ? " — the normal value on Ethernet without timestamps"
          : i.mss < 1200
            ? " — small: a low MTU on the path or MSS clamping"
            : "";
    n.push(`MSS ${i.mss} bytes per segment${hint}.`);
  }
  if (i.pmtu !== undefined && i.pmtu < 1500)
    n.push(`Path MTU ${i.pmtu}: smaller than Ethernet's 1500 somewhere on the path.`);
  if (i.cwnd !== undefined) {
    let w = `cwnd ${i.cwnd}: at most ${i.cwnd} segments${i.mss ? ` (${bytes(i.cwnd * i.mss)})` : ""} in flight per round trip`;
    if (i.ssthresh !== undefined) {
      w +=
        i.ssthresh < i.cwnd * 4 && i.ssthresh <= 2 * i.cwnd
          ? `; ssthresh ${i.ssthresh}: the slow-start threshold was set there when loss was detected, so the window is in congestion avoidance after being cut`
          : `; ssthresh ${i.ssthresh}`;
    } else {
      w += "; no ssthresh shown: no loss has cut the window yet (still in slow start)";
    }
    n.push(`${w}.`);
  }
  if (i.bytesSent !== undefined || i.bytesAcked !== undefined) {
    const parts: string[] = [];
    if (i.bytesSent !== undefined) parts.push(`${bytes(i.bytesSent)} sent`);
    if (i.bytesAcked !== undefined) parts.push(`${bytes(i.bytesAcked)} acknowledged`);
    if (i.bytesReceived !== undefined) parts.push(`${bytes(i.bytesReceived)} received`);
    let w = `Bytes: ${parts.join(", ")}`;
    if (i.bytesRetrans !== undefined && i.bytesSent) {
      w += `; ${bytes(i.bytesRetrans)} retransmitted (${percent(i.bytesRetrans, i.bytesSent)} of what was sent)`;
    }
    n.push(`${w}.`);
  }
  if (i.retransTotal !== undefined || i.retrans !== undefined) {
    const now = i.retrans ?? 0;
    const total = i.retransTotal ?? now;
    n.push(
      `retrans ${now}/${total}: ${count(total)} segment${total === 1 ? "" : "s"} retransmitted over the connection's life, ${now} outstanding right now${
        total > 0 && i.segsOut ? ` (${percent(total, i.segsOut)} of ${count(i.segsOut)} segments sent)` : ""
      }${total > 0 ? ": the path is losing packets (or reordering them badly)" : ""}.`,
    );
  }
  if (i.lost) n.push(`lost ${i.lost}: segments the sender currently considers lost.`);
  if (i.sacked) n.push(`sacked ${i.sacked}: segments the receiver reported holding beyond a gap (SACK).`);
  if (i.dsack)
    n.push(
      `dsack ${i.dsack}: the receiver reported duplicates — some retransmissions were unnecessary (reordering or a too-eager timer).`,
    );
  if (i.reordering !== undefined) {
    n.push(
      `reordering ${i.reordering}: the kernel has seen segments arrive up to ${i.reordering} positions out of order${
        i.reordering > 3
          ? " (default 3): real reordering on the path, which can look like loss"
          : " (the default assumption)"
      }.`,
    );
  }
  if (i.unacked) n.push(`unacked ${i.unacked}: segments in flight, not yet acknowledged.`);
  if (i.sendBps !== undefined) n.push(`send ${rate(i.sendBps)}: the rate cwnd × MSS / RTT allows.`);
  if (i.pacingRateBps !== undefined)
    n.push(`pacing rate ${rate(i.pacingRateBps)}: how fast the kernel spaces out segments.`);
  if (i.deliveryRateBps !== undefined)
    n.push(
      `Delivery rate ${rate(i.deliveryRateBps)}: what the connection is actually achieving${i.appLimited ? " (app-limited: the application gives it too little to send)" : ""}.`,
    );
  if (i.busyMs !== undefined && (i.rwndLimitedMs || i.sndbufLimitedMs)) {
    if (i.rwndLimitedMs)
      n.push(
        `rwnd_limited ${ms(i.rwndLimitedMs)} of ${ms(i.busyMs)} busy (${percent(i.rwndLimitedMs, i.busyMs)}): the receiver's window held the sender back.`,
      );
    if (i.sndbufLimitedMs)
      n.push(
        `sndbuf_limited ${ms(i.sndbufLimitedMs)} of ${ms(i.busyMs)} busy (${percent(i.sndbufLimitedMs, i.busyMs)}): the local send buffer was too small.`,
      );
  }
  if (i.notsent) n.push(`notsent ${bytes(i.notsent)}: written by the application but not yet sent.`);
  if (i.rcvSpace !== undefined)
    n.push(
      `rcv_space ${bytes(i.rcvSpace)}: the receive buffer autotuning's current estimate of what one RTT needs.`,
    );
  if (i.lastsnd !== undefined && i.lastrcv !== undefined && i.lastsnd > 60000 && i.lastrcv > 60000) {
    n.push(
      `Nothing sent for ${ms(i.lastsnd)} and nothing received for ${ms(i.lastrcv)}: an idle connection.`,
    );
  }
  return n;
}

/** The tcp_info fields read together: what limits this connection. */
function verdict(e: SocketEntry): string[] {
  const i = e.info;
  if (!i) return [];
  const out: string[] = [];
  const lossBased =
    i.cc === undefined || ["cubic", "reno", "htcp", "bic", "highspeed", "scalable"].includes(i.cc);
  const retrans = i.retransTotal ?? i.retrans ?? 0;
  if (i.cwnd !== undefined && i.mss !== undefined && i.rtt !== undefined && i.rtt > 0) {
    const ceiling = (i.cwnd * i.mss * 8) / (i.rtt / 1000);
    const achieved = i.deliveryRateBps ?? i.sendBps;
    if (retrans > 0 && i.cwnd <= 32 && i.rtt >= 50 && lossBased) {
      out.push(
        `RTT ${ms(i.rtt)}, cwnd ${i.cwnd}${i.ssthresh !== undefined ? ` with ssthresh ${i.ssthresh}` : ""} and ${count(retrans)} retransmissions under ${i.cc ?? "a loss-based algorithm"}: the congestion window is held down by loss on a long path. With ${i.cwnd} × ${i.mss} bytes per ${ms(i.rtt)} round trip the connection cannot exceed about ${rate(ceiling)}${
          achieved !== undefined ? ` — and it delivers ${rate(achieved)}` : ""
        }, however fast the link is. The window scale and MSS are not the limit.`,
      );
      out.push(
        'The one change: move this traffic to BBR (per socket with setsockopt TCP_CONGESTION "bbr", or net.ipv4.tcp_congestion_control=bbr with net.core.default_qdisc=fq), which does not shrink its rate on random loss; and find where the path loses packets.',
      );
    } else if (
      e.state === "ESTAB" &&
      (i.bytesSent ?? 0) > 1024 * 1024 &&
      achieved !== undefined &&
      achieved < ceiling / 4 &&
      i.appLimited
    ) {
      out.push(
        `The connection is application-limited: it could send about ${rate(ceiling)} but the application writes only ${rate(achieved)}.`,
      );
    }
  }
  if (i.busyMs && i.rwndLimitedMs && i.rwndLimitedMs > i.busyMs / 2) {
    out.push(
      "The receiver's window, not the network, limits this transfer: the peer reads slowly or its receive buffer is too small.",
    );
  }
  if (i.busyMs && i.sndbufLimitedMs && i.sndbufLimitedMs > i.busyMs / 2) {
    out.push("The local send buffer limits this transfer: raise SO_SNDBUF / net.ipv4.tcp_wmem's maximum.");
  }
  return out;
}

/**
 * What an `ss` socket line (with its tcp_info when present) says about this connection. With
 * `brief`, only the state, the queues and the conclusions (for long tables).
 */
export function explainSocket(entry: SocketEntry, opts?: { brief?: boolean }): string[] {
  const notes: string[] = [];
  const peer = entry.peerPort === 0 ? "" : ` with ${entry.peerIp}:${entry.peerPort}`;
  notes.push(`${entry.localIp}:${entry.localPort}${peer} — ${stateLine(entry)}`);
  notes.push(...queueWords(entry));
  if (entry.timer) {
    const t = entry.timer;
    const words: Record<string, string> = {
      on: "the retransmission timer is running (data in flight)",
      keepalive: "the keepalive timer is running",
      timewait: "the TIME-WAIT timer is running",
      persist: "the persist timer is running: the peer's window is zero and this side is probing it",
    };
    notes.push(
      `timer ${t.name}: ${words[t.name] ?? "a timer is running"}${t.expiresMs !== undefined ? `, fires in ${ms(t.expiresMs)}` : ""}${
        t.retrans ? `, ${t.retrans} retransmission${t.retrans === 1 ? "" : "s"} so far` : ""
      }.`,
    );
  }
  if (entry.processes?.length) {
    notes.push(`Owned by ${entry.processes.map((p) => `${p.name} (pid ${p.pid}, fd ${p.fd})`).join(", ")}.`);
  }
  // a listener's tcp_info describes no connection
  if (entry.info && entry.state !== "LISTEN" && !opts?.brief) notes.push(...infoWords(entry.info));
  if (entry.skmem) {
    const m = entry.skmem;
    if (m.d)
      notes.push(
        `skmem d${m.d}: ${m.d} packets dropped at this socket (receive buffer full or backlog limit).`,
      );
    if (m.r !== undefined && m.rb !== undefined && m.rb > 0 && m.r > m.rb * 0.8)
      notes.push(`Receive memory ${bytes(m.r)} of ${bytes(m.rb)}: the receive buffer is almost full.`);
  }
  notes.push(...verdict(entry));
  return notes;
}

/** The `ss -s` TCP line in words. */
export function explainSocketSummary(s: SocketSummary): string[] {
  const parts: string[] = [];
  if (s.total !== undefined) parts.push(`${count(s.total)} TCP sockets in total`);
  if (s.estab !== undefined) parts.push(`${count(s.estab)} established`);
  if (s.closed !== undefined)
    parts.push(
      `${count(s.closed)} "closed" (sockets the kernel still holds outside any connection: never connected, or already closed)`,
    );
  if (s.orphaned !== undefined)
    parts.push(
      `${count(s.orphaned)} orphaned (closed by the application, the kernel still finishing the close)`,
    );
  if (s.timewait !== undefined)
    parts.push(`${count(s.timewait)} in TIME-WAIT (normal after closing first; each drains after 60 s)`);
  const notes = [`${parts.join("; ")}.`];
  notes.push("ss -s does not count CLOSE-WAIT separately: list them with `ss -tan state close-wait`.");
  return notes;
}
