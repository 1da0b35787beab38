// Prometheus alerting rules for the host diagnoses, over the metrics `tcpdoctor watch --prometheus`
// exports (and the node_netstat_* counters node_exporter exports under the same names). Thresholds
// are the host rules' defaults (or a config's), so an alert in Prometheus and a finding of
// `tcpdoctor host` agree on what "too many" means. Pure: returns data or YAML text.
import { stringify } from "yaml";
import { catalogue, diagnosisIds, fillPlaceholders } from "../rules/catalogue.js";
import { closeWaitDefaults } from "../rules/host/close-wait.js";
import { hostRules } from "../rules/host/index.js";
import { listenOverflowDefaults } from "../rules/host/listen-overflow.js";
import { packetLossDefaults } from "../rules/host/loss.js";
import { resetStormDefaults } from "../rules/host/resets.js";
import { conntrackDefaults, fdLimitDefaults, orphanDefaults } from "../rules/host/resources.js";
import { synFloodDefaults } from "../rules/host/syn.js";
import { portExhaustionDefaults } from "../rules/host/time-wait.js";
import type { Severity, Thresholds } from "../rules/types.js";
import { WATCH_DEFAULTS } from "../watch/checks.js";

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string; diagnosis: string };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertingRule[];
}

export interface RulesOptions {
  /** Thresholds per diagnosis id (a config's `thresholds`); the host rules' defaults otherwise. */
  thresholds?: Thresholds;
}

/** Threshold defaults of the alerts that have no host-rule counterpart. */
export const ALERT_DEFAULTS = {
  /** dead-peer: connections aborted after retransmission/keepalive timeouts, per minute. */
  "dead-peer": { abortsPerMinute: 1 },
  /** close-wait-leak: CLOSE-WAIT growth of one process over 10 minutes. */
  "close-wait-leak": { growthIn10m: closeWaitDefaults.minSockets },
};

/** Words for placeholders the catalogue texts use, where an alert has no label to fill them. */
const GENERIC_VARS: Record<string, string> = {
  server: "the affected ip:port",
  serverIp: "the server",
  serverPort: "the service's port",
  client: "the client",
  clientIp: "the client",
  iface: "each interface",
  process: "the process",
};

function fixText(id: string, vars: Record<string, string> = {}): string {
  const entry = catalogue[id];
  if (!entry) throw new Error(`no catalogue entry for ${id}`);
  return fillPlaceholders(entry.fix, { ...GENERIC_VARS, ...vars });
}

/** PromQL number: plain decimal, no exponent. */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}

/** "close-wait-leak" → "CloseWaitLeak". */
function camel(id: string): string {
  return id
    .split("-")
    .map((w) => (w ? w[0]?.toUpperCase() + w.slice(1) : w))
    .join("");
}

export function prometheusRuleGroups(opts: RulesOptions = {}): RuleGroup[] {
  const th = opts.thresholds ?? {};
  const t = (id: string, name: string, fallback: number): number => {
    const v = th[id]?.[name];
    return typeof v === "number" && Number.isFinite(v) ? v : fallback;
  };
  const rule = (
    alert: string,
    diagnosis: string,
    severity: Severity,
    expr: string,
    forDuration: string | undefined,
    summary: string,
    vars: Record<string, string> = {},
  ): AlertingRule => {
    // Key order as Prometheus documents it: alert, expr, for, labels, annotations.
    const r: AlertingRule = {
      alert,
      expr,
      ...(forDuration ? { for: forDuration } : {}),
      labels: { severity, diagnosis },
      annotations: {
        summary,
        description: `${catalogue[diagnosis]?.title ?? diagnosis}. Fix: ${fixText(diagnosis, vars)} Evidence and the specific fix: run \`tcpdoctor host\` on {{ $labels.instance }}.`,
      },
    };
    return r;
  };

  // ------------------------------------------------------------ kernel counters (node_netstat_*)
  const lossRatio = t("packet-loss", "ratio", packetLossDefaults.ratio);
  const lossCritical = t("packet-loss", "criticalRatio", packetLossDefaults.criticalRatio);
  const minRetrans = t("packet-loss", "minRetrans", packetLossDefaults.minRetrans);
  const retransRatio = "rate(node_netstat_Tcp_RetransSegs[5m]) / rate(node_netstat_Tcp_OutSegs[5m])";
  const retransEnough = `increase(node_netstat_Tcp_RetransSegs[5m]) >= ${num(minRetrans)}`;
  const minCookies = t("syn-flood", "minCookiesSent", synFloodDefaults.minCookiesSent);
  const maxReturn = t("syn-flood", "maxReturnRatio", synFloodDefaults.maxReturnRatio);
  const abortsPerMinute = t("dead-peer", "abortsPerMinute", ALERT_DEFAULTS["dead-peer"].abortsPerMinute);
  const counters: AlertingRule[] = [
    rule(
      "TcpRetransmissionRatioHigh",
      "packet-loss",
      "warning",
      `(${retransRatio}) >= ${num(lossRatio)} and ${retransEnough}`,
      "10m",
      "{{ $labels.instance }}: {{ $value | humanizePercentage }} of TCP segments sent are retransmissions",
    ),
    rule(
      "TcpRetransmissionRatioCritical",
      "packet-loss",
      "critical",
      `(${retransRatio}) >= ${num(lossCritical)} and ${retransEnough}`,
      "5m",
      "{{ $labels.instance }}: {{ $value | humanizePercentage }} of TCP segments sent are retransmissions",
    ),
    rule(
      "TcpListenOverflows",
      "listen-overflow",
      "critical",
      `increase(node_netstat_TcpExt_ListenOverflows[5m]) >= ${num(t("listen-overflow", "minDrops", listenOverflowDefaults.minDrops))}`,
      "1m",
      "{{ $labels.instance }}: accept queues overflowed {{ $value | humanize }} times in 5 minutes (connection attempts dropped)",
    ),
    rule(
      "TcpSynCookiesFlood",
      "syn-flood",
      "critical",
      `increase(node_netstat_TcpExt_SyncookiesSent[5m]) >= ${num(minCookies)} and (increase(node_netstat_TcpExt_SyncookiesRecv[5m]) / increase(node_netstat_TcpExt_SyncookiesSent[5m])) <= ${num(maxReturn)}`,
      "2m",
      "{{ $labels.instance }}: {{ $value | humanize }} SYN cookies sent in 5 minutes and almost none returned: a SYN flood",
    ),
    rule(
      "TcpResetStorm",
      "reset-storm",
      "warning",
      `rate(node_netstat_Tcp_OutRsts[5m]) >= ${num(t("reset-storm", "minRatePerSec", resetStormDefaults.minRatePerSec))}`,
      "5m",
      "{{ $labels.instance }}: sending {{ $value | humanize }} TCP resets per second",
    ),
    rule(
      "TcpAbortsOnTimeout",
      "dead-peer",
      "warning",
      `rate(node_netstat_TcpExt_TCPAbortOnTimeout[10m]) * 60 >= ${num(abortsPerMinute)}`,
      "10m",
      "{{ $labels.instance }}: {{ $value | humanize }} connections per minute abandoned after their retransmission or keepalive timeouts ran out",
    ),
  ];

  // ------------------------------------------------------------ tcpdoctor's own gauges
  const twRatio = t("time-wait-port-exhaustion", "ratio", portExhaustionDefaults.ratio);
  const twCritical = t("time-wait-port-exhaustion", "criticalRatio", portExhaustionDefaults.criticalRatio);
  const twShare =
    'tcpdoctor_time_wait_by_destination{side="client"} / ignoring(destination, side) group_left tcpdoctor_ephemeral_port_range_size';
  const cwCritical = t(
    "close-wait-leak",
    "total",
    t("close-wait-leak", "critical", WATCH_DEFAULTS["close-wait-leak"].total),
  );
  const cwPerProcess = t("close-wait-leak", "critical", closeWaitDefaults.critical);
  const cwGrowth = t("close-wait-leak", "growthIn10m", ALERT_DEFAULTS["close-wait-leak"].growthIn10m);
  const cwSeries = 'tcpdoctor_close_wait_by_process{process!="other"}';
  const ratioRule = (
    alert: string,
    id: string,
    severity: Severity,
    num1: string,
    den: string,
    at: number,
    forDuration: string,
    summary: string,
    vars: Record<string, string> = {},
  ) =>
    rule(alert, id, severity, `(${num1} / ${den}) >= ${num(at)} and ${den} > 0`, forDuration, summary, vars);
  const procVars = {
    server: "{{ $labels.process }} (pid {{ $labels.pid }})",
    process: "{{ $labels.process }}",
    pid: "{{ $labels.pid }}",
  };
  const sockets: AlertingRule[] = [
    rule(
      "TcpTimeWaitPortRangeUse",
      "time-wait-port-exhaustion",
      "warning",
      `(${twShare}) >= ${num(twRatio)}`,
      "5m",
      "{{ $labels.instance }}: TIME-WAIT towards {{ $labels.destination }} ties up {{ $value | humanizePercentage }} of the ephemeral port range",
      { server: "{{ $labels.destination }}" },
    ),
    rule(
      "TcpTimeWaitPortRangeCritical",
      "time-wait-port-exhaustion",
      "critical",
      `(${twShare}) >= ${num(twCritical)}`,
      "2m",
      "{{ $labels.instance }}: TIME-WAIT towards {{ $labels.destination }} ties up {{ $value | humanizePercentage }} of the ephemeral port range: connect() is about to fail with EADDRNOTAVAIL",
      { server: "{{ $labels.destination }}" },
    ),
    rule(
      "TcpTimeWaitHigh",
      "connection-churn",
      "warning",
      `tcpdoctor_sockets{state="TIME-WAIT"} >= ${num(t("connection-churn", "timeWaitTotal", WATCH_DEFAULTS["connection-churn"].timeWaitTotal))}`,
      "10m",
      "{{ $labels.instance }}: {{ $value }} sockets in TIME-WAIT",
    ),
    rule(
      "TcpCloseWaitHigh",
      "close-wait-leak",
      "critical",
      `${cwSeries} >= ${num(cwPerProcess)}`,
      "5m",
      "{{ $labels.instance }}: {{ $labels.process }} (pid {{ $labels.pid }}) holds {{ $value }} sockets in CLOSE-WAIT",
      procVars,
    ),
    rule(
      "TcpCloseWaitHostHigh",
      "close-wait-leak",
      "critical",
      `tcpdoctor_sockets{state="CLOSE-WAIT"} >= ${num(cwCritical)} unless ignoring(state) (max without(process, pid) (${cwSeries}) >= ${num(cwPerProcess)})`,
      "5m",
      "{{ $labels.instance }}: {{ $value }} sockets in CLOSE-WAIT, spread over several processes",
    ),
    rule(
      "TcpCloseWaitGrowing",
      "close-wait-leak",
      "warning",
      `delta(${cwSeries}[10m]) >= ${num(cwGrowth)} and deriv(${cwSeries}[10m]) > 0`,
      "10m",
      "{{ $labels.instance }}: CLOSE-WAIT sockets of {{ $labels.process }} (pid {{ $labels.pid }}) keep growing (+{{ $value }} in 10 minutes): a leak",
      procVars,
    ),
    rule(
      "TcpSynRecvHigh",
      "syn-flood",
      "critical",
      `tcpdoctor_sockets{state="SYN-RECV"} >= ${num(t("syn-flood", "synRecvTotal", t("syn-flood", "minSynRecv", WATCH_DEFAULTS["syn-flood"].synRecvTotal)))}`,
      "1m",
      "{{ $labels.instance }}: {{ $value }} half-open connections (SYN-RECV)",
    ),
    ratioRule(
      "TcpListenQueueFull",
      "listen-overflow",
      "critical",
      "tcpdoctor_listen_queue_length",
      "tcpdoctor_listen_queue_limit",
      t("listen-overflow", "fullFraction", listenOverflowDefaults.fullFraction),
      "1m",
      "{{ $labels.instance }}: the accept queue of {{ $labels.listener }} is full",
      { server: "{{ $labels.listener }}" },
    ),
    ratioRule(
      "TcpConntrackNearFull",
      "conntrack-near-full",
      "warning",
      "tcpdoctor_conntrack_entries",
      "tcpdoctor_conntrack_entries_limit",
      t("conntrack-near-full", "ratio", conntrackDefaults.ratio),
      "5m",
      "{{ $labels.instance }}: the connection tracking table is {{ $value | humanizePercentage }} full",
    ),
    ratioRule(
      "TcpConntrackFull",
      "conntrack-near-full",
      "critical",
      "tcpdoctor_conntrack_entries",
      "tcpdoctor_conntrack_entries_limit",
      t("conntrack-near-full", "criticalRatio", conntrackDefaults.criticalRatio),
      "1m",
      "{{ $labels.instance }}: the connection tracking table is {{ $value | humanizePercentage }} full: new connections are dropped",
    ),
    ratioRule(
      "TcpProcessFdNearLimit",
      "fd-limit-near",
      "warning",
      "tcpdoctor_process_open_fds",
      "tcpdoctor_process_max_fds",
      t("fd-limit-near", "ratio", fdLimitDefaults.ratio),
      "5m",
      "{{ $labels.instance }}: {{ $labels.process }} (pid {{ $labels.pid }}) uses {{ $value | humanizePercentage }} of its open-file limit",
      procVars,
    ),
    ratioRule(
      "TcpProcessFdAtLimit",
      "fd-limit-near",
      "critical",
      "tcpdoctor_process_open_fds",
      "tcpdoctor_process_max_fds",
      t("fd-limit-near", "criticalRatio", fdLimitDefaults.criticalRatio),
      "1m",
      "{{ $labels.instance }}: {{ $labels.process }} (pid {{ $labels.pid }}) uses {{ $value | humanizePercentage }} of its open-file limit: accept() and connect() are about to fail",
      procVars,
    ),
    ratioRule(
      "TcpOrphanSocketsHigh",
      "orphan-sockets-high",
      "warning",
      "tcpdoctor_orphan_sockets",
      "tcpdoctor_orphan_sockets_limit",
      t("orphan-sockets-high", "ratio", orphanDefaults.ratio),
      "5m",
      "{{ $labels.instance }}: orphaned sockets at {{ $value | humanizePercentage }} of net.ipv4.tcp_max_orphans",
    ),
  ];

  // ------------------------------------------------------------ findings of tcpdoctor watch
  // The watch already debounces (fires after N intervals over), so these fire without a `for`.
  const hostIds = new Set(hostRules.map((r) => r.id));
  const findings = diagnosisIds
    .filter((id) => hostIds.has(id))
    .map((id) =>
      rule(
        `Tcpdoctor${camel(id)}`,
        id,
        "{{ $labels.severity }}" as Severity,
        `tcpdoctor_finding{id="${id}"} == 1`,
        undefined,
        `{{ $labels.instance }}: ${catalogue[id]?.title ?? id}`,
      ),
    );

  return [
    { name: "tcpdoctor-kernel-counters", rules: counters },
    { name: "tcpdoctor-sockets", rules: sockets },
    { name: "tcpdoctor-findings", rules: findings },
  ];
}

/** The rules file Prometheus loads (rule_files:), as YAML. */
export function prometheusRulesYaml(opts: RulesOptions = {}): string {
  const header = [
    "# Prometheus alerting rules for tcpdoctor's host diagnoses.",
    "# Generated by `tcpdoctor rules --prometheus`; metrics from `tcpdoctor watch --prometheus HOST:PORT`",
    "# (node_netstat_* also from node_exporter). Load with rule_files: in prometheus.yml.",
    "",
  ].join("\n");
  return header + stringify({ groups: prometheusRuleGroups(opts) }, { lineWidth: 0 });
}
