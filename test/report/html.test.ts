import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { PacketAnalysis } from "../../src/core/tcp/types.js";
import type { DecodedPacket } from "../../src/core/types.js";
import type { HostSnapshot, SocketEntry } from "../../src/host/types.js";
import { CLIENT_SCRIPT } from "../../src/report/html/client.js";
import { encodeSeries } from "../../src/report/html/data.js";
import { linkify } from "../../src/report/html/format.js";
import {
  closeWaitPerProcess,
  counterRates,
  portRange,
  socketsByState,
  timeWaitPerDestination,
} from "../../src/report/html/host.js";
import { niceTicks } from "../../src/report/html/svg.js";
import { renderHtml } from "../../src/report/html.js";
import { buildReport } from "../../src/report/model.js";
import { SeriesCollector } from "../../src/report/series.js";
import { makeFinding } from "../../src/rules/catalogue.js";
import { buildHtml } from "../fixtures/html/build.js";
import { conn } from "../fixtures/rules/connections.js";
import { capturesDir, fixturesDir, needsShared } from "../helpers.js";

const inputs = [{ path: "capture.pcap", format: "pcap", packets: 12, warnings: ["a <warning>"] }];

/** The JSON the page's script reads. */
function payload(html: string): Record<string, unknown> {
  const m = /<script type="application\/json" id="tcpdoctor-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, "data block present");
  return JSON.parse(m[1]);
}

function socket(state: SocketEntry["state"], local: string, peer: string, proc?: string): SocketEntry {
  const [localIp, localPort] = local.split(":");
  const [peerIp, peerPort] = peer.split(":");
  return {
    state,
    recvQ: 0,
    sendQ: 0,
    localIp,
    localPort: Number(localPort),
    peerIp,
    peerPort: Number(peerPort),
    processes: proc ? [{ name: proc.split("/")[0], pid: Number(proc.split("/")[1]), fd: 3 }] : undefined,
  };
}

describe("HTML report", () => {
  it("is one self-contained document: inline scripts and styles, nothing to fetch", () => {
    const report = buildReport({
      inputs,
      findings: [makeFinding("connect-refused", { streams: [0] })],
      connections: [conn()],
    });
    const html = renderHtml(report, { connections: [conn()] });
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.doesNotMatch(html, /<script[^>]+src=/i, "no external script");
    assert.doesNotMatch(html, /<link[^>]+rel="?stylesheet/i, "no external stylesheet");
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, "no network URL to load");
    assert.doesNotMatch(html, /url\(\s*['"]?https?:/i);
    assert.match(html, /var uPlot=/, "uPlot inlined");
    assert.match(html, /\.uplot/, "uPlot's stylesheet inlined");
    // Every <script> closes once: nothing in the data or the script ends it early.
    const opened = html.match(/<script\b/g)?.length ?? 0;
    const closed = html.match(/<\/script>/g)?.length ?? 0;
    assert.equal(opened, 3);
    assert.equal(closed, 3);
  });

  it("leads with the same verdict and ranked findings as the text report, evidence, fix and commands escaped", () => {
    const findings = [
      makeFinding("reset-by-server", {
        severity: "warning",
        summary: "stream 3: RST at frame 38, 301 ms into the connection </script><script>alert(1)</script>",
        evidence: { resetFrames: [38, 40], stream: 3, idleBeforeResetSeconds: 0.3, rate: 0.5 },
        streams: [3],
        confirm: ["grep -i reset <server logs>"],
        alternatives: ["first <b>", "second"],
      }),
      makeFinding("pmtu-reduced", { severity: "info", evidence: { firstIcmpFrame: 7 } }),
    ];
    const c = conn({ stream: 3 });
    const report = buildReport({ inputs, findings, connections: [c] });
    const html = renderHtml(report, { connections: [c] });
    assert.ok(
      html.includes(
        `<h1 class="verdict">${report.verdict.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</h1>`,
      ),
    );
    const ids = [
      ...html.matchAll(/<article class="finding sev-(\w+)" id="finding-(\d)" data-finding="([\w-]+)"/g),
    ].map((m) => [m[1], m[2], m[3]]);
    assert.deepEqual(ids, [
      ["warning", "1", "reset-by-server"],
      ["info", "2", "pmtu-reduced"],
    ]);
    assert.ok(!html.includes("<script>alert(1)"), "prose is escaped");
    assert.ok(html.includes("&lt;server logs&gt;"));
    assert.ok(html.includes("<li>first &lt;b&gt;</li>"));
    assert.ok(html.includes(findings[0].fix.replace(/'/g, "&#39;")), "the fix is there");
    // Frames and streams the finding cites are links, in the evidence and in the prose.
    assert.match(
      html,
      /<th>reset frames<\/th><td><a class="frame-link" href="#frame-38"[^>]*>38<\/a>, <a [^>]*href="#frame-40"/,
    );
    assert.match(html, /<th>stream<\/th><td><a class="conn-link" href="#conn-3"/);
    assert.match(html, /at frame <a class="frame-link" href="#frame-38"[^>]*>38<\/a>, 301 ms/);
    assert.match(html, /<th>idle before reset<\/th><td>300\.0 ms<\/td>/);
    // A note keeps its advice folded, like the text report.
    assert.match(html, /<details class="more"><summary>Cause, fix and how to confirm<\/summary>/);
    assert.ok(html.includes("warning: a &lt;warning&gt;"));
  });

  it("the page script parses and cannot close its own <script> element", () => {
    assert.doesNotThrow(() => new Function(CLIENT_SCRIPT));
    assert.ok(!/<\/script/i.test(CLIENT_SCRIPT));
    assert.ok(!CLIENT_SCRIPT.includes("${"), "no leftover template placeholder");
  });

  it("links prose to frames and streams, but not the numbers after them", () => {
    assert.equal(
      linkify("at frame 38, 301 ms"),
      'at frame <a class="frame-link" href="#frame-38" data-frame="38" title="show packet 38">38</a>, 301 ms',
    );
    const many = linkify("frames 3, 7 and 9; streams 0, 1");
    for (const f of [3, 7, 9]) assert.ok(many.includes(`href="#frame-${f}"`));
    for (const s of [0, 1]) assert.ok(many.includes(`href="#conn-${s}"`));
    assert.equal(linkify("no <numbers> 5 here"), "no &lt;numbers&gt; 5 here");
  });

  it("embeds the series of the connections it charts, the cited one drawn in full", async () => {
    const built = await buildHtml([join(fixturesDir, "conns", "slow-server.pcap")]);
    const data = payload(built.html) as {
      series: Record<string, { n: number; p: number }>;
      meta: Record<string, unknown>;
    };
    const streams = Object.keys(data.series);
    assert.deepEqual(streams, ["0"]);
    assert.equal(data.series["0"].n, data.series["0"].p, "no packet dropped from a small connection");
    assert.ok(data.meta["0"]);
    // The finding about it draws its packets as a ladder: one arrow per packet.
    if (built.report.findings.some((f) => f.streams?.includes(0))) {
      assert.match(built.html, /data-chart="ladder"/);
      assert.equal((built.html.match(/class="ld-arrow"/g) ?? []).length, data.series["0"].p);
    }
  });

  it("encodes the series compactly and losslessly (deltas per direction)", () => {
    const c = new SeriesCollector();
    const pa = (
      frame: number,
      fromClient: boolean,
      seq: number,
      ack: number,
      len: number,
    ): [PacketAnalysis, DecodedPacket] => [
      {
        frame,
        time: frame / 1000,
        stream: 0,
        src: fromClient ? "a:1" : "b:2",
        dst: fromClient ? "b:2" : "a:1",
        flags: "A",
        seq,
        ack,
        len,
        win: 1000,
        analysis: [],
        fromClient,
      },
      {
        frame,
        tsSec: 0,
        tsNsec: 0,
        linkType: 1,
        capLen: 60,
        origLen: 60,
        tcp: {
          srcPort: 1,
          dstPort: 2,
          seq: seq + 10,
          ack: ack + 20,
          headerLen: 20,
          flags: 0x10,
          window: 1000,
          urgent: 0,
          payloadLen: len,
          capturedPayloadLen: 0,
          payloadOffset: 54,
          options: {},
        },
      },
    ];
    c.onPacket(...pa(1, true, 1, 1, 100));
    c.onPacket(...pa(2, false, 1, 101, 0));
    c.onPacket(...pa(3, true, 101, 1, 100));
    const s = c.series().get(0);
    assert.ok(s);
    const e = encodeSeries(s);
    assert.deepEqual(e.q, [1, 1, 100], "sequence deltas per direction");
    assert.deepEqual(e.a, [1, 101, 0], "ack deltas per direction");
    assert.deepEqual(e.t, [0, 1000, 1000], "µs deltas");
    assert.deepEqual(e.f, [1, 1, 1]);
  });

  it("charts host sockets: by state, TIME-WAIT per destination against the port range, CLOSE-WAIT per process", () => {
    const host: HostSnapshot = {
      sources: [{ path: "ss.txt", kind: "ss" }],
      sysctls: { "net.ipv4.ip_local_port_range": "40000\t40999" },
      sockets: [
        ...Array.from({ length: 300 }, (_, i) =>
          socket("TIME-WAIT", `10.0.0.1:${40000 + i}`, "10.0.0.9:443"),
        ),
        ...Array.from({ length: 20 }, (_, i) =>
          socket("TIME-WAIT", `10.0.0.1:${40500 + i}`, "10.0.0.8:5432"),
        ),
        socket("TIME-WAIT", "10.0.0.1:8080", "10.0.0.7:50000"),
        ...Array.from({ length: 5 }, (_, i) =>
          socket("CLOSE-WAIT", "10.0.0.1:8080", `10.0.0.7:${50001 + i}`, "java/42"),
        ),
        socket("CLOSE-WAIT", "10.0.0.1:9090", "10.0.0.7:50100"),
        socket("ESTAB", "10.0.0.1:8080", "10.0.0.7:50200", "java/42"),
        socket("LISTEN", "0.0.0.0:8080", "0.0.0.0:0", "java/42"),
      ],
      counterDeltas: {
        seconds: 2,
        values: { TcpExtListenOverflows: 10, IpExtInOctets: 99999, TcpInSegs: 400, TcpRetransSegs: 0 },
      },
    };
    assert.deepEqual(portRange(host), { lo: 40000, hi: 40999, fromSysctl: true });
    assert.deepEqual(portRange({ sources: [] }), { lo: 32768, hi: 60999, fromSysctl: false });
    const states = socketsByState(host);
    assert.deepEqual(
      states.map((b) => [b.label, b.value]),
      [
        ["ESTAB", 1],
        ["TIME-WAIT", 321],
        ["CLOSE-WAIT", 6],
        ["LISTEN", 1],
      ],
    );
    const tw = timeWaitPerDestination(host);
    assert.deepEqual(
      tw.map((b) => [b.label, b.value, b.capacity, b.cls]),
      [
        ["→ 10.0.0.9:443", 300, 1000, "warn"],
        ["→ 10.0.0.8:5432", 20, 1000, undefined],
        ["10.0.0.1:8080 (local service)", 1, undefined, undefined],
      ],
    );
    assert.deepEqual(
      closeWaitPerProcess(host).map((b) => [b.label, b.value]),
      [
        ["java (pid 42)", 5],
        ["unknown process, 10.0.0.1:9090", 1],
      ],
    );
    const rates = counterRates(host, new Set(["TcpInSegs"]));
    assert.equal(rates.unit, "/s");
    assert.deepEqual(
      rates.bars.map((b) => [b.label, b.value, b.cls]),
      [
        ["TcpInSegs", 200, "hi"],
        ["TcpExtListenOverflows", 5, "warn"],
      ],
    );
    const html = renderHtml(buildReport({ inputs, findings: [], host }), { host });
    for (const id of ["host-states", "host-time-wait", "host-close-wait", "host-counters"]) {
      assert.ok(html.includes(`id="${id}"`), id);
    }
    assert.match(html, /300 of 1\u202f000 \(30\.0%\)/);
  });

  it("picks round axis ticks", () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 27), [5, 10, 15, 20, 25]);
  });

  it("keeps the file proportionate for a capture of many connections", { skip: needsShared }, async () => {
    const built = await buildHtml([join(capturesDir, "syn-flood", "capture.pcap")]);
    const data = payload(built.html) as { series: Record<string, unknown> };
    assert.ok(Object.keys(data.series).length <= 300, "at most 300 connections charted");
    assert.ok(built.html.length < 1_500_000, `${built.html.length} bytes for 8001 connections`);
    assert.match(built.html, /<select id="conn-select">/);
  });
});
