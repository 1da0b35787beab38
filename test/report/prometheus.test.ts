import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostMetricFamilies, type MetricFamily, MetricsRenderer } from "../../src/report/prometheus.js";
import { many, owner, snap, sock } from "../fixtures/hostrules/snapshots.js";

function family(fams: MetricFamily[], name: string): MetricFamily {
  const f = fams.find((x) => x.name === name);
  assert.ok(f, `family ${name}`);
  return f;
}

/** Sample lines of the text format, "name{labels} value" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe("hostMetricFamilies", () => {
  const host = snap({
    sockets: [
      sock("LISTEN", "0.0.0.0:8080", "0.0.0.0:*", { recvQ: 3, sendQ: 128, ...owner("api", 10) }),
      // CLOSE-WAIT over 14 processes: 14 - 2 = 12 left over for the "other" bucket with topN 2.
      ...many(14, (i) =>
        sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.1:${41000 + i}`, owner(`p${i}`, 100 + i)),
      ),
      ...many(5, (i) => sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.3:${42000 + i}`, owner("big", 7))),
      ...many(30, (i) => sock("TIME-WAIT", `10.0.0.2:${40000 + i}`, "10.0.0.9:5432")),
      ...many(4, (i) => sock("TIME-WAIT", `10.0.0.2:${41000 + i}`, "10.0.0.8:443")),
      ...many(2, (i) => sock("TIME-WAIT", `10.0.0.2:${42000 + i}`, "10.0.0.7:80")),
      sock("NEW-SYN-RECV", "0.0.0.0:8080", "10.9.9.9:5000"),
    ],
    sysctls: { "net.ipv4.ip_local_port_range": "32768\t60999", "net.ipv4.tcp_max_orphans": "4096" },
    counters: { TcpRetransSegs: 12, TcpOutSegs: 3400, TcpExtListenOverflows: 2, TcpCurrEstab: 9 },
    conntrack: { count: 800, max: 1000 },
    sockstat: { tcpOrphan: 3 },
    processes: [
      { pid: 7, openFds: 900, fdLimit: 1024 },
      { pid: 10, name: "api", openFds: 10, fdLimit: 1024 },
      { pid: 11, name: "idle", openFds: 1, fdLimit: 1024 },
    ],
  });

  it("maps the socket table, limits and counters with bounded labels", () => {
    const fams = hostMetricFamilies(host, {
      topN: 2,
      findings: [
        { id: "close-wait-leak", severity: "warning" },
        { id: "close-wait-leak", severity: "critical" },
      ],
    });
    const states = family(fams, "tcpdoctor_sockets").samples;
    assert.equal(states.find((s) => s.labels.state === "CLOSE-WAIT")?.value, 19);
    assert.equal(states.find((s) => s.labels.state === "SYN-RECV")?.value, 1);
    assert.equal(states.find((s) => s.labels.state === "FIN-WAIT-2")?.value, 0);

    const cw = family(fams, "tcpdoctor_close_wait_by_process").samples;
    assert.equal(cw.length, 3, "top 2 and one 'other'");
    assert.deepEqual(cw[0], { labels: { process: "big", pid: "7" }, value: 5 });
    assert.equal(cw.find((s) => s.labels.process === "other")?.value, 13);
    assert.equal(
      cw.reduce((n, s) => n + s.value, 0),
      19,
      "the buckets add up to the total",
    );

    const tw = family(fams, "tcpdoctor_time_wait_by_destination").samples;
    assert.deepEqual(tw[0], { labels: { destination: "10.0.0.9:5432", side: "client" }, value: 30 });
    assert.deepEqual(tw[2], { labels: { destination: "other", side: "other" }, value: 2 });

    assert.equal(family(fams, "tcpdoctor_ephemeral_port_range_size").samples[0]?.value, 28232);
    assert.equal(family(fams, "tcpdoctor_conntrack_entries").samples[0]?.value, 800);
    assert.equal(family(fams, "tcpdoctor_conntrack_entries_limit").samples[0]?.value, 1000);
    assert.equal(family(fams, "tcpdoctor_orphan_sockets_limit").samples[0]?.value, 4096);

    const fds = family(fams, "tcpdoctor_process_open_fds").samples;
    assert.deepEqual(
      fds[0],
      { labels: { process: "big", pid: "7" }, value: 900 },
      "named from the socket table",
    );
    assert.equal(fds.length, 2);

    const retrans = family(fams, "node_netstat_Tcp_RetransSegs");
    assert.equal(retrans.type, "counter");
    assert.equal(retrans.samples[0]?.value, 12);
    assert.equal(family(fams, "node_netstat_TcpExt_ListenOverflows").samples[0]?.value, 2);
    assert.ok(
      !fams.some((f) => f.name.includes("CurrEstab")),
      "gauges of the counter files are not counters",
    );

    assert.deepEqual(family(fams, "tcpdoctor_finding").samples, [
      { labels: { id: "close-wait-leak", severity: "critical" }, value: 1 },
    ]);
  });

  it("renders the text format, and exposes a counter's new value after a reset", async () => {
    const r = new MetricsRenderer();
    const text1 = await r.render(hostMetricFamilies(host, { topN: 2 }));
    assert.match(text1, /^# TYPE node_netstat_Tcp_RetransSegs counter$/m);
    assert.match(text1, /^# TYPE tcpdoctor_sockets gauge$/m);
    const s1 = samples(text1);
    assert.equal(s1.get("node_netstat_Tcp_OutSegs"), 3400);
    assert.equal(s1.get('tcpdoctor_sockets{state="ESTAB"}'), 0);
    assert.equal(s1.get('tcpdoctor_close_wait_by_process{process="big",pid="7"}'), 5);

    const after = snap({ sockets: [], counters: { TcpRetransSegs: 1, TcpOutSegs: 40 } });
    const s2 = samples(await r.render(hostMetricFamilies(after, { topN: 2 })));
    assert.equal(s2.get("node_netstat_Tcp_OutSegs"), 40, "the smaller value after the reset, as is");
    assert.equal(
      s2.get('tcpdoctor_close_wait_by_process{process="big",pid="7"}'),
      undefined,
      "gone series vanish",
    );
    assert.equal(s2.has("tcpdoctor_conntrack_entries"), false, "families absent from the snapshot vanish");
    assert.equal(s2.has("node_netstat_TcpExt_ListenOverflows"), false);
  });

  it("escapes label values it cannot trust", async () => {
    const odd = snap({
      sockets: [sock("CLOSE-WAIT", "10.0.0.2:80", "10.0.0.1:5000", owner('we"ird\\name\n', 3))],
    });
    const text = await new MetricsRenderer().render(hostMetricFamilies(odd));
    assert.match(text, /tcpdoctor_close_wait_by_process\{process="we\\"ird\\\\name\\n",pid="3"\} 1/);
  });
});
