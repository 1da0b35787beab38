// The tcpdump text parser against the binary captures the text was printed from: every text
// variant of test/fixtures/tcpdump (written by tcpdump 4.99 from the .pcap beside it, see
// SOURCES.txt there) must give back the packets the capture decoder reads from the pcap.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodePacket } from "../../src/core/decode/index.js";
import { type DecodedPacket, TcpFlag } from "../../src/core/types.js";
import { readCaptureFile } from "../../src/io/capture-source.js";
import { looksLikeTcpdump, parseTcpdump, tcpdumpRecordSpans } from "../../src/text/tcpdump.js";
import { fixturesDir } from "../helpers.js";

const dir = join(fixturesDir, "tcpdump");
const text = (name: string): string => readFileSync(join(dir, name), "utf8");

async function decodeFile(name: string): Promise<DecodedPacket[]> {
  const out: DecodedPacket[] = [];
  // Records are views into read buffers: decode them while they are valid.
  await readCaptureFile(join(dir, name), (r) => out.push(structuredClone(decodePacket(r))));
  return out;
}

/** Packets the text must carry: TCP segments and ICMP/ICMPv6 messages. */
function tcpOrIcmp(p: DecodedPacket): boolean {
  return p.tcp !== undefined || p.ip?.protocol === 1 || p.ip?.protocol === 58;
}

type Clock = "epoch" | "day" | "relative";

/** Compares what the text can say about each packet with the binary decode of the same frame. */
function assertSamePackets(
  fromText: DecodedPacket[],
  fromPcap: DecodedPacket[],
  clock: Clock,
  label: string,
): void {
  const expected = fromPcap.filter(tcpOrIcmp);
  assert.equal(fromText.length, expected.length, `${label}: packet count`);
  const byFrame = new Map(fromText.map((p) => [p.frame, p]));
  const first = fromPcap[0];
  for (const b of expected) {
    const t = byFrame.get(b.frame);
    assert.ok(t, `${label}: frame ${b.frame} missing`);
    const at = `${label} frame ${b.frame}`;
    assert.equal(t.ip?.src, b.ip?.src, `${at}: src`);
    assert.equal(t.ip?.dst, b.ip?.dst, `${at}: dst`);
    assert.equal(t.ip?.version, b.ip?.version, `${at}: version`);
    if (clock === "epoch") assert.deepEqual([t.tsSec, t.tsNsec], [b.tsSec, b.tsNsec], `${at}: time`);
    else if (clock === "day")
      assert.deepEqual([t.tsSec, t.tsNsec], [b.tsSec % 86400, b.tsNsec], `${at}: time of day`);
    else {
      const since = (b.tsSec - first.tsSec) * 1e9 + (b.tsNsec - first.tsNsec);
      assert.equal(t.tsSec * 1e9 + t.tsNsec, since, `${at}: time since first packet`);
    }
    if (b.tcp) {
      const bt = b.tcp;
      const tt = t.tcp;
      assert.ok(tt, `${at}: tcp`);
      assert.equal(tt.srcPort, bt.srcPort, `${at}: srcPort`);
      assert.equal(tt.dstPort, bt.dstPort, `${at}: dstPort`);
      assert.equal(tt.flags, bt.flags, `${at}: flags`);
      assert.equal(tt.seq, bt.seq, `${at}: seq`);
      if (bt.flags & TcpFlag.ACK) assert.equal(tt.ack, bt.ack, `${at}: ack`);
      assert.equal(tt.payloadLen, bt.payloadLen, `${at}: payload length`);
      assert.equal(tt.window, bt.window, `${at}: window`);
      assert.equal(tt.headerLen, bt.headerLen, `${at}: TCP header length`);
      assert.equal(t.ip?.totalLen, b.ip?.totalLen, `${at}: IP length`);
      for (const k of ["mss", "wscale", "sackPermitted", "tsVal", "tsEcr", "tfo"] as const) {
        assert.equal(tt.options[k], bt.options[k], `${at}: option ${k}`);
      }
      assert.deepEqual(tt.options.sack, bt.options.sack, `${at}: SACK blocks`);
    }
    if (b.icmp) {
      assert.ok(t.icmp, `${at}: icmp`);
      assert.equal(t.icmp.type, b.icmp.type, `${at}: icmp type`);
      assert.equal(t.icmp.code, b.icmp.code, `${at}: icmp code`);
      assert.equal(t.icmp.kind, b.icmp.kind, `${at}: icmp kind`);
      assert.equal(t.icmp.mtu, b.icmp.mtu, `${at}: mtu`);
      if (t.icmp.inner && b.icmp.inner) {
        assert.equal(t.icmp.inner.src, b.icmp.inner.src, `${at}: quoted src`);
        assert.equal(t.icmp.inner.dst, b.icmp.inner.dst, `${at}: quoted dst`);
        if (t.icmp.inner.dstPort !== undefined) assert.equal(t.icmp.inner.dstPort, b.icmp.inner.dstPort);
        if (t.icmp.inner.seq !== undefined)
          assert.equal(t.icmp.inner.seq, b.icmp.inner.seq, `${at}: quoted seq`);
      }
    }
  }
}

const variants: [
  txt: string,
  pcap: string,
  clock: Clock,
  format: Partial<ReturnType<typeof parseTcpdump>["format"]>,
][] = [
  ["clean-clock.txt", "clean.pcap", "day", { timestamps: "clock", absoluteSeq: false, verbose: false }],
  ["clean-ttt.txt", "clean.pcap", "relative", { timestamps: "ttt" }],
  ["clean-tttt.txt", "clean.pcap", "epoch", { timestamps: "tttt" }],
  ["clean-nano.txt", "clean.pcap", "epoch", { timestamps: "tt" }],
  ["clean-e.txt", "clean.pcap", "day", { linkHeaders: true }],
  ["clean-vv.txt", "clean.pcap", "day", { verbose: true, absoluteSeq: false }],
  ["clean-v6-ev.txt", "clean-v6.pcap", "day", { verbose: true, linkHeaders: true }],
  ["clean-v6-ttt-S.txt", "clean-v6.pcap", "relative", { timestamps: "ttt", absoluteSeq: true }],
  ["clean-sll2-ev.txt", "clean-sll2.pcap", "epoch", { verbose: true, linkHeaders: true }],
  ["keepalive-clock.txt", "keepalive.pcap", "day", {}],
  ["pmtu-ok-head.txt", "pmtu-ok-head.pcap", "epoch", {}],
  ["pmtu-ok-head-v.txt", "pmtu-ok-head.pcap", "epoch", { verbose: true }],
  ["zero-window-head-tttt.txt", "zero-window-head.pcap", "epoch", { timestamps: "tttt" }],
  ["icmp-errors.txt", "icmp-errors.pcap", "epoch", {}],
  ["icmp-errors-v.txt", "icmp-errors.pcap", "epoch", { verbose: true }],
];

describe("tcpdump text variants give the packets of their pcap", () => {
  for (const [txt, pcap, clock, format] of variants) {
    it(`${txt} ↔ ${pcap}`, async () => {
      const res = parseTcpdump(text(txt));
      for (const [k, v] of Object.entries(format)) {
        assert.equal(res.format[k as keyof typeof res.format], v, `format.${k}`);
      }
      assertSamePackets(res.packets, await decodeFile(pcap), clock, txt);
      for (const s of res.skipped) {
        assert.match(s.reason, /ARP|not an IP|not TCP|not a packet/, `${txt}:${s.line}`);
        assert.equal(s.unreadable, false, `${txt}:${s.line} passed over, not unreadable`);
      }
    });
  }

  it("no timestamps (-t): order kept, strictly increasing synthetic times, same TCP fields", async () => {
    const res = parseTcpdump(text("clean-none.txt"));
    assert.equal(res.format.timestamps, "none");
    const pcap = (await decodeFile("clean.pcap")).filter(tcpOrIcmp);
    assert.equal(res.packets.length, pcap.length);
    for (let i = 0; i < pcap.length; i++) {
      assert.equal(res.packets[i].tcp?.seq, pcap[i].tcp?.seq);
      if (i > 0) {
        const a = res.packets[i - 1];
        const b = res.packets[i];
        assert.ok(b.tsSec * 1e9 + b.tsNsec > a.tsSec * 1e9 + a.tsNsec);
      }
    }
  });

  it("names instead of numbers (no -n): TCP lines skipped with a reason that says how to print them", () => {
    const res = parseTcpdump(text("clean-names.txt"));
    assert.equal(res.packets.length, 0);
    const tcpLines = text("clean-names.txt")
      .split("\n")
      .filter((l) => l.includes("Flags ["));
    const named = res.skipped.filter((s) => /-nn?\b/.test(s.reason));
    assert.equal(named.length, tcpLines.length);
    assert.ok(named.every((s) => s.unreadable));
  });

  it("-e with a VLAN tag, UDP and IP fragments", async () => {
    const res = parseTcpdump(text("vlan-frag-e.txt"));
    assert.equal(res.format.linkHeaders, true);
    const pcap = await decodeFile("vlan-frag.pcap");
    const tcpFrames = pcap.filter((p) => p.tcp).map((p) => p.frame);
    assert.deepEqual(
      res.packets.map((p) => p.frame),
      tcpFrames,
    );
    assert.equal(res.packets[0].tcp?.ack, pcap[0].tcp?.ack);
    const reasons = res.skipped.map((s) => s.reason).join(" | ");
    assert.match(reasons, /UDP/);
    assert.match(reasons, /fragment/);
  });

  it("an excerpt starting mid-transfer: the sender's seq, the receiver's ack and SACK blocks are exact", async () => {
    // tcpdump set its bases from the first line, a pure ACK whose own seq it did not print: the
    // receiver's sequence numbers cannot be recovered, everything about the sender's bytes can.
    const res = parseTcpdump(text("loss-cubic-mid.txt"));
    const pcap = (await decodeFile("loss-cubic-mid.pcap")).filter(tcpOrIcmp);
    assert.equal(res.packets.length, pcap.length);
    let sacks = 0;
    for (let i = 0; i < pcap.length; i++) {
      const b = pcap[i].tcp;
      const t = res.packets[i].tcp;
      assert.ok(b && t);
      if (b.srcPort === 40005) assert.equal(t.seq, b.seq, `frame ${pcap[i].frame}: sender seq`);
      else {
        assert.equal(t.ack, b.ack, `frame ${pcap[i].frame}: receiver ack`);
        assert.deepEqual(t.options.sack, b.options.sack, `frame ${pcap[i].frame}: SACK`);
        if (b.options.sack) sacks++;
      }
    }
    assert.ok(sacks >= 3, "the excerpt carries SACK blocks");
  });

  it("unusual options: unknown kinds, TFO, ECN flags, bad option list", () => {
    const res = parseTcpdump(text("odd-options.txt"));
    assert.equal(res.packets.length, 2);
    assert.deepEqual(res.packets[0].tcp?.options.unknown, [253, 19, 28]);
    assert.equal(res.packets[1].tcp?.options.malformed, true);
  });
});

describe("pasted traces", () => {
  it("hand-edited lines: odd spacing, millisecond times, absolute numbers, no length", () => {
    const trace = [
      "14:02:11.001 IP 10.0.0.5.51514 > 10.0.0.9.6379: Flags [S],  seq 1000000, win 64240, length 0",
      "14:02:11.001 IP 10.0.0.9.6379  > 10.0.0.5.51514: Flags [S.], seq 4200000, ack 1000001, win 65160, length 0",
      "14:02:11.002 IP 10.0.0.5.51514 > 10.0.0.9.6379: Flags [.],  seq 1000001, ack 4200001, win 64240, length 0",
      "14:02:11.002 IP 10.0.0.5.51514 > 10.0.0.9.6379: Flags [P.], seq 1000001, ack 4200001, win 64240, length 14",
      "14:02:11.250 IP 10.0.0.9.6379 > 10.0.0.5.51514: Flags [P.], seq 4200001:4200101, ack 1000015",
    ].join("\n");
    const res = parseTcpdump(trace);
    assert.equal(res.skipped.length, 0);
    assert.equal(res.format.absoluteSeq, true);
    assert.equal(res.format.timestamps, "clock");
    const [syn, synAck, ack, data, reply] = res.packets;
    assert.equal(syn.tcp?.seq, 1000000);
    assert.equal(synAck.tcp?.ack, 1000001);
    assert.equal(ack.tcp?.seq, 1000001);
    assert.equal(data.tcp?.payloadLen, 14);
    assert.equal(data.tcp?.flags, TcpFlag.PSH | TcpFlag.ACK);
    assert.equal(reply.tcp?.payloadLen, 100, "length from the seq range when 'length' is missing");
    assert.equal(reply.tcp?.seq, 4200001);
    assert.equal(reply.tsSec * 1000 + reply.tsNsec / 1e6, (14 * 3600 + 2 * 60 + 11) * 1000 + 250);
  });

  it("a transcript with prompts, notes and counters: packets read, the rest skipped with line numbers", () => {
    const trace = [
      "$ sudo tcpdump -i eth0 'tcp[tcpflags] & tcp-syn != 0' -tnn",
      "IP 203.0.113.7.40001 > 198.51.100.10.443: Flags [S],  seq 100, win 29200, length 0",
      "IP 198.51.100.10.443 > 203.0.113.7.40001: Flags [S.], seq 3851629874, ack 101, win 28960, length 0",
      "(thousands more SYNs from random sources; almost none send the final ACK)",
      "$ nstat -az | grep -i syncookies",
      "TcpExtSyncookiesSent            41827",
    ].join("\n");
    const res = parseTcpdump(trace);
    assert.equal(res.packets.length, 2);
    assert.equal(res.format.timestamps, "none");
    assert.deepEqual(
      res.skipped.map((s) => s.line),
      [1, 4, 5, 6],
    );
    assert.deepEqual(
      res.packets.map((p) => p.frame),
      [1, 2],
    );
    assert.equal(res.packets[1].tcp?.seq, 3851629874);
    assert.equal(res.packets[1].tcp?.ack, 101);
    assert.equal(looksLikeTcpdump(trace), true);
  });

  it("tcpdump's closing statistics: the kernel drop count is kept", () => {
    const trace = [
      "12:00:00.000000 IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [S], seq 5, win 100, length 0",
      "1 packet captured",
      "1 packet received by filter",
      "42 packets dropped by kernel",
    ].join("\n");
    const res = parseTcpdump(trace);
    assert.equal(res.droppedByKernel, 42);
    assert.equal(res.packets.length, 1);
    assert.ok(res.skipped.every((s) => !s.unreadable));
  });

  it("-ttt deltas accumulate, also without tcpdump's leading space", () => {
    const trace = [
      "00:00:00.000000 IP 192.168.1.10.45678 > 10.0.0.5.443: Flags [S], seq 123",
      "00:00:00.001234 IP 10.0.0.5.443 > 192.168.1.10.45678: Flags [S.], seq 456, ack 124",
      "00:00:00.000100 IP 192.168.1.10.45678 > 10.0.0.5.443: Flags [.], ack 457",
      "00:00:02.345678 IP 10.0.0.5.443 > 192.168.1.10.45678: Flags [P.], seq 457:1200",
    ].join("\n");
    const res = parseTcpdump(trace);
    assert.equal(res.format.timestamps, "ttt");
    const t = res.packets.map((p) => p.tsSec + p.tsNsec / 1e9);
    assert.deepEqual(
      t.map((x) => Math.round(x * 1e6)),
      [0, 1234, 1334, 2347012],
    );
    assert.equal(res.packets[2].tcp?.seq, 124, "pure ACK: the client's next sequence number");
    assert.equal(res.packets[3].tcp?.payloadLen, 743);
  });

  it("an excerpt without the handshake: tcpdump's first line is absolute, later ones relative to it", () => {
    const trace = [
      "10:00:00.000000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [P.], seq 2596412345:2596413345, ack 771234567, win 500, length 1000",
      "10:00:00.010000 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [.], ack 1000, win 500, length 0",
      "10:00:00.020000 IP 10.0.0.1.5000 > 10.0.0.2.80: Flags [P.], seq 1000:2000, ack 1, win 500, length 1000",
      "10:00:00.030000 IP 10.0.0.2.80 > 10.0.0.1.5000: Flags [P.], seq 1:11, ack 2000, win 500, length 10",
    ].join("\n");
    const res = parseTcpdump(trace);
    assert.equal(res.format.absoluteSeq, false);
    const [, ackPkt, next, reply] = res.packets;
    // The first segment ends at 2596413345: the ACK covers it and the next segment starts there.
    assert.equal(ackPkt.tcp?.ack, 2596413345);
    assert.equal(next.tcp?.seq, 2596413345);
    assert.equal(next.tcp?.ack, 771234567);
    // The server's base is the first line's ack - 1, as tcpdump keeps it.
    assert.equal(reply.tcp?.seq, 771234567);
    assert.equal(reply.tcp?.ack, 2596414345);
    assert.equal(ackPkt.tcp?.seq, 771234567, "pure ACK from the server: its next sequence number");
  });

  it("garbage, binary-looking and truncated input: nothing thrown, everything skipped with a reason", () => {
    const inputs = [
      "",
      "\u0000\u0001\u0002garbage\nmore garbage",
      "12:00:00.000000 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S",
      "12:00:00.000000 IP 10.0.0.1.1 > ",
      "12:00:00.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)",
      "12:00:00.000000 IP6 (hlim 64, next-header TCP (6) payload length: 40",
      "12:00:00.000000 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq 99999999999999999999, win x",
    ];
    for (const input of inputs) {
      const res = parseTcpdump(input);
      for (const p of res.packets) {
        assert.ok(p.tcp === undefined || (p.tcp.seq >= 0 && p.tcp.seq < 2 ** 32), "32-bit sequence numbers");
      }
      for (const s of res.skipped) assert.ok(s.line >= 1 && s.reason.length > 0);
    }
    assert.equal(parseTcpdump(inputs[3]).packets.length, 0);
    assert.equal(parseTcpdump(inputs[4]).skipped.length, 1);
    for (const input of inputs.slice(2, 6)) {
      assert.ok(
        parseTcpdump(input).skipped.every((s) => s.unreadable),
        `unreadable: ${input}`,
      );
    }
  });

  it("looksLikeTcpdump: tcpdump lines yes, other tools' output no", () => {
    assert.equal(looksLikeTcpdump(text("clean-vv.txt")), true);
    assert.equal(looksLikeTcpdump(text("icmp-errors.txt")), true);
    assert.equal(
      looksLikeTcpdump(
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.5:44120 203.0.113.20:443",
      ),
      false,
    );
    assert.equal(looksLikeTcpdump("#kernel\nTcpExtSyncookiesSent 41827 0.0\n"), false);
    assert.equal(looksLikeTcpdump("net.ipv4.tcp_syncookies = 1\n"), false);
  });

  it("record spans: -v records cover their continuation lines, frames count every record", () => {
    const spans = tcpdumpRecordSpans(text("pmtu-ok-head-v.txt"));
    const res = parseTcpdump(text("pmtu-ok-head-v.txt"));
    assert.equal(spans.length, 24);
    const icmp = res.packets.find((p) => p.icmp);
    assert.ok(icmp);
    const span = spans[icmp.frame - 1];
    assert.equal(span.lastLine - span.firstLine, 3, "ICMP header, message, quoted IP, quoted TCP");
  });
});
