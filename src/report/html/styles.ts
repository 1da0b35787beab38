// The report's own styles (uPlot's stylesheet is inlined beside them). System fonts only: the file
// must render the same with no network.
export const REPORT_CSS = `
:root {
  color-scheme: light;
  --fg: #1b1f24; --muted: #5b6570; --line: #d9dee4; --bg: #ffffff; --panel: #f6f8fa;
  --crit: #b42318; --crit-bg: #fdecea; --warn: #9a6700; --warn-bg: #fff5d6; --ok: #1a7f37; --ok-bg: #e7f6ec;
  --info: #0b6bcb; --info-bg: #e8f1fb; --link: #0b5cad;
  --mono: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
header.top { padding: 18px 28px 14px; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-size: 13px; color: var(--muted); letter-spacing: .04em; text-transform: uppercase; }
header.top h1 { margin: 6px 0 8px; font-size: 22px; line-height: 1.3; }
header.top.sev-critical h1 { color: var(--crit); }
header.top.sev-warning h1 { color: var(--warn); }
header.top.sev-ok h1 { color: var(--ok); }
ul.inputs { list-style: none; padding: 0; margin: 0; color: var(--muted); font-size: 13px; }
ul.inputs .warning { color: var(--warn); }
nav.toc { padding: 8px 28px; border-bottom: 1px solid var(--line); font-size: 14px; position: sticky; top: 0; background: rgba(255,255,255,.95); z-index: 5; }
nav.toc a { margin-right: 18px; text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1280px; }
h2 { font-size: 19px; margin: 26px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 6px; }
h4 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 14px 0 4px; }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--info); border-radius: 6px; padding: 14px 18px; margin: 14px 0 20px; background: #fff; }
.finding.sev-critical { border-left-color: var(--crit); }
.finding.sev-warning { border-left-color: var(--warn); }
.badge { display: inline-block; font-size: 12px; font-weight: 700; padding: 1px 7px; border-radius: 4px; vertical-align: 2px; }
.sev-critical .badge { color: var(--crit); background: var(--crit-bg); }
.sev-warning .badge { color: var(--warn); background: var(--warn-bg); }
.sev-info .badge { color: var(--info); background: var(--info-bg); }
.fid { color: var(--muted); font-size: 13px; font-weight: normal; }
.summary { margin: 4px 0 8px; }
.finding-grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 10px 24px; }
table.evidence { border-collapse: collapse; font-size: 14px; }
table.evidence th { text-align: left; font-weight: 500; color: var(--muted); padding: 2px 14px 2px 0; vertical-align: top; white-space: nowrap; }
table.evidence td { padding: 2px 0; }
.ev-k { color: var(--muted); }
.fix { background: var(--ok-bg); border-radius: 6px; padding: 8px 12px; margin: 12px 0 6px; }
.fix h4 { color: var(--ok); margin-top: 0; }
.fix p { margin: 0; font-weight: 500; }
pre.cmd { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; margin: 4px 0; white-space: pre-wrap; word-break: break-word; }
pre.cmd::before { content: "$ "; color: var(--muted); }
pre.lines { background: var(--panel); border-radius: 4px; padding: 6px 10px; margin: 4px 0; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.lowered { color: var(--muted); font-size: 13px; }
details.more > summary { cursor: pointer; color: var(--muted); font-size: 14px; margin-top: 8px; }
figure { margin: 12px 0; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
figure.finding-chart { border-top: 1px dashed var(--line); padding-top: 10px; }
.chart-box { position: relative; min-height: 60px; }
.chart-title { font-size: 13px; font-weight: 600; margin: 10px 0 2px; }
.chart-empty { color: var(--muted); font-size: 13px; padding: 10px 0; }
.chart-tools { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; font-size: 13px; margin: 6px 0; }
.chart-tools button, .dir-toggle button { font: inherit; font-size: 13px; padding: 2px 10px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
.chart-tools button:hover, .dir-toggle button:hover { background: var(--panel); }
.dir-toggle button.on { background: var(--info-bg); border-color: var(--info); }
.hint { color: var(--muted); font-size: 12px; }
.pkt-info { font-family: var(--mono); font-size: 12px; min-height: 18px; color: var(--fg); background: var(--panel); border-radius: 4px; padding: 2px 8px; margin: 4px 0; white-space: pre-wrap; }
.tooltip { position: absolute; pointer-events: none; z-index: 20; background: rgba(27,31,36,.92); color: #fff; font: 12px/1.4 var(--mono); padding: 4px 8px; border-radius: 4px; white-space: pre; display: none; }
section, article, .finding-chart { scroll-margin-top: 44px; }
section.conn { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 14px 0 22px; }
section.conn.flash, .finding.flash { box-shadow: 0 0 0 3px rgba(11,107,203,.35); transition: box-shadow .3s; }
.conn-head { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; }
.conn-head h3 { margin: 0; }
.conn-facts { color: var(--muted); font-size: 13px; }
.state { font-family: var(--mono); font-size: 12px; padding: 0 6px; border-radius: 3px; background: var(--panel); }
.state.bad { color: var(--crit); background: var(--crit-bg); }
.state.odd { color: var(--warn); background: var(--warn-bg); }
.state.ok { color: var(--ok); background: var(--ok-bg); }
.chooser { display: flex; gap: 10px; align-items: center; margin: 10px 0; flex-wrap: wrap; }
.chooser select { font: inherit; font-size: 14px; max-width: 100%; padding: 3px; }
table.conns { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.conns th, table.conns td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid var(--line); }
table.conns td.num { text-align: right; font-variant-numeric: tabular-nums; }
.svg-chart svg { max-width: 900px; display: block; }
.svg-chart .bar { fill: #4c78a8; }
.svg-chart .warn .bar { fill: #e0a100; }
.svg-chart .bad .bar { fill: #d62728; }
.svg-chart .hi .bar { fill: #d62728; }
.svg-chart .bar-track { fill: #eef1f4; stroke: #d9dee4; }
.svg-chart text { font-size: 12px; fill: var(--fg); font-family: system-ui, sans-serif; }
.svg-chart .bar-label { fill: var(--muted); }
.svg-chart .empty, p.more { color: var(--muted); font-size: 13px; }
.timeline .tl-hit { fill: transparent; }
.timeline .tl-row:hover .tl-hit { fill: #eef4fb; }
.timeline .tl-label { font-family: var(--mono); font-size: 11px; fill: var(--link); }
.timeline .tl-bar.tl-ok { fill: #2ca02c; }
.timeline .tl-bar.tl-odd { fill: #e0a100; }
.timeline .tl-bar.tl-bad { fill: #d62728; }
.timeline .tl-bar.ctx { opacity: .35; }
.timeline .tl-row.ctx-row .tl-label { fill: var(--muted); }
.timeline .tl-syn { fill: #333; stroke: #fff; stroke-width: 1; }
.timeline .tl-fin { fill: #1f5fbf; }
.timeline .tl-rst { stroke: #111; stroke-width: 2; fill: none; }
.timeline .tl-tick { stroke: #eceff2; }
.timeline .tl-axis { fill: var(--muted); font-size: 11px; }
.tl-legend { font-size: 12px; color: var(--muted); margin: 2px 0; }
.lg { display: inline-block; width: 18px; height: 6px; border-radius: 2px; margin: 0 4px 1px 10px; }
.lg-ok { background: #2ca02c; } .lg-odd { background: #e0a100; } .lg-bad { background: #d62728; }
.lg-syn, .lg-fin, .lg-rst { margin-left: 10px; }
.lg-fin { color: #1f5fbf; }
.ladder svg { max-width: 900px; }
.ladder .ld-end { font-family: var(--mono); font-size: 12px; font-weight: 600; }
.ladder .ld-life { stroke: #9aa4ae; stroke-width: 2; }
.ladder .ld-arrow { stroke: #1f5fbf; stroke-width: 1.5; }
.ladder .ld-head { fill: #1f5fbf; }
.ladder .bad .ld-arrow { stroke: #d62728; }
.ladder .bad .ld-head { fill: #d62728; }
.ladder .icmp .ld-arrow { stroke: #a0522d; stroke-dasharray: 4 3; }
.ladder .icmp .ld-head { fill: #a0522d; }
.ladder .ld-label { font-family: var(--mono); font-size: 11px; fill: var(--fg); }
.ladder .bad .ld-label { fill: #b42318; }
.ladder .ld-time { font-family: var(--mono); font-size: 11px; fill: var(--fg); }
.ladder .ld-gap, .ladder .ld-frame { font-family: var(--mono); font-size: 10px; fill: var(--muted); }
.ladder .ld-gap.long { fill: #b42318; font-weight: 700; font-size: 11px; }
.ladder a:hover .ld-label { text-decoration: underline; }
.host-grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 6px; }
footer { color: var(--muted); font-size: 12px; padding: 16px 28px; border-top: 1px solid var(--line); }
.uplot { font-family: system-ui, sans-serif; }
.u-legend { font-size: 12px; text-align: left; }
.u-legend .u-marker { width: 0.9em; height: 0.9em; }
.noscript { background: var(--warn-bg); padding: 6px 10px; border-radius: 4px; }
@media print { nav.toc { position: static; } .chart-tools { display: none; } }
`;
