// Plain SVG charts drawn on the server side: horizontal bar charts (host evidence) and a timeline
// of several connections (findings that cite many). Static, no script needed to read them.
import { count, esc, seconds } from "./format.js";

export interface Bar {
  label: string;
  value: number;
  /** The bar is drawn against this capacity (a track behind it), e.g. the ephemeral port range. */
  capacity?: number;
  /** Text after the value. */
  note?: string;
  /** Extra CSS class: "warn", "bad", "hi". */
  cls?: string;
  /** Tooltip. */
  title?: string;
}

export interface BarChartOptions {
  /** Unit after each value ("/s", " sockets"). */
  unit?: string;
  width?: number;
  /** Chart id (for links and tests). */
  id?: string;
  /** Shown when there is no bar. */
  empty?: string;
}

const ROW = 22;
const LABEL_W = 230;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A horizontal bar chart: one row per bar, value printed at the bar's end. */
export function barChart(title: string, bars: Bar[], opts: BarChartOptions = {}): string {
  const width = opts.width ?? 720;
  const id = opts.id ? ` id="${esc(opts.id)}"` : "";
  if (bars.length === 0) {
    return `<figure class="svg-chart"${id}><figcaption>${esc(title)}</figcaption><p class="empty">${esc(opts.empty ?? "nothing to show")}</p></figure>`;
  }
  const area = width - LABEL_W - 150;
  const top = 6;
  const height = top + bars.length * ROW + 6;
  const max = Math.max(...bars.map((b) => b.capacity ?? b.value), 1);
  const rows = bars.map((b, i) => {
    const y = top + i * ROW;
    const scale = b.capacity ?? max;
    const w = Math.max(b.value > 0 ? 1 : 0, Math.round((area * b.value) / Math.max(scale, 1)));
    const track =
      b.capacity !== undefined
        ? `<rect class="bar-track" x="${LABEL_W}" y="${y + 3}" width="${area}" height="${ROW - 8}" rx="2"/>`
        : "";
    const pct = b.capacity
      ? ` of ${count(b.capacity)} (${((100 * b.value) / b.capacity).toFixed(b.value / b.capacity < 0.01 ? 2 : 1)}%)`
      : "";
    const text = `${count(b.value)}${opts.unit ?? ""}${pct}${b.note ? ` ${b.note}` : ""}`;
    const tip = b.title ?? `${b.label}: ${text}`;
    return (
      `<g class="bar-row${b.cls ? ` ${esc(b.cls)}` : ""}"><title>${esc(tip)}</title>` +
      `<text class="bar-label" x="${LABEL_W - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${esc(clip(b.label, 34))}</text>${track}` +
      `<rect class="bar" x="${LABEL_W}" y="${y + 3}" width="${w}" height="${ROW - 8}" rx="2"/>` +
      `<text class="bar-value" x="${LABEL_W + (b.capacity !== undefined ? area : w) + 6}" y="${y + ROW / 2 + 4}">${esc(text)}</text></g>`
    );
  });
  return (
    `<figure class="svg-chart"${id}><figcaption>${esc(title)}</figcaption>` +
    `<svg class="bars" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}" preserveAspectRatio="xMinYMin meet">${rows.join("")}</svg></figure>`
  );
}

/** Round tick positions covering [min, max]. */
export function niceTicks(min: number, max: number, target = 6): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= target) ?? 10 * mag;
  const ticks: number[] = [];
  // Ticks as multiples of the step, cut to 12 significant digits (0.6, not 0.6000000000000001).
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++)
    ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

export interface TimelineRow {
  stream: number;
  label: string;
  start: number;
  end: number;
  /** "ok", "bad" or "odd": colour of the bar. */
  cls: string;
  /** Times of SYNs sent (attempts and retries). */
  syns: number[];
  fins: number[];
  rst?: number;
  title: string;
}

/** Connections as bars over the capture's time, SYN tries, FINs and RSTs marked; rows link to the connection. */
export function connectionTimeline(title: string, rows: TimelineRow[], more: number, id?: string): string {
  const width = 900;
  const labelW = 200;
  const area = width - labelW - 20;
  const rowH = 16;
  const top = 8;
  const axisH = 26;
  const height = top + rows.length * rowH + axisH;
  const t0 = Math.min(...rows.map((r) => Math.min(r.start, ...r.syns)));
  const t1 = Math.max(...rows.map((r) => Math.max(r.end, r.rst ?? r.end, ...r.fins)));
  const span = t1 - t0 > 0 ? t1 - t0 : 1;
  const x = (t: number) => labelW + (area * (t - t0)) / span;
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const x0 = x(r.start);
    const x1 = Math.max(x(r.end), x0 + 2);
    const marks: string[] = [];
    for (const s of r.syns)
      marks.push(`<path class="tl-syn" d="M${x(s).toFixed(1)} ${mid - 6}l5 6-5 6-5-6z"/>`);
    for (const f of r.fins)
      marks.push(`<rect class="tl-fin" x="${(x(f) - 1).toFixed(1)}" y="${mid - 5}" width="2" height="10"/>`);
    if (r.rst !== undefined) {
      const rx = x(r.rst);
      marks.push(`<path class="tl-rst" d="M${(rx - 4).toFixed(1)} ${mid - 4}l8 8m0-8l-8 8"/>`);
    }
    parts.push(
      `<a href="#conn-${r.stream}" class="tl-row conn-link${r.cls.includes("ctx") ? " ctx-row" : ""}" data-stream="${r.stream}"><title>${esc(r.title)}</title>` +
        `<rect class="tl-hit" x="0" y="${y}" width="${width}" height="${rowH}"/>` +
        `<text class="tl-label" x="${labelW - 8}" y="${mid + 4}" text-anchor="end">${esc(clip(r.label, 28))}</text>` +
        `<rect class="tl-bar tl-${esc(r.cls)}" x="${x0.toFixed(1)}" y="${mid - 3}" width="${(x1 - x0).toFixed(1)}" height="6" rx="2"/>${marks.join("")}</a>`,
    );
  });
  const axisY = top + rows.length * rowH + 4;
  const ticks = niceTicks(t0, t0 + span).filter((t) => t >= t0 - 1e-9 && t <= t0 + span + 1e-9);
  const axis = ticks
    .map(
      (t) =>
        `<line class="tl-tick" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${axisY}"/>` +
        `<text class="tl-axis" x="${x(t).toFixed(1)}" y="${axisY + 14}" text-anchor="middle">${esc(seconds(t))}</text>`,
    )
    .join("");
  const note = more > 0 ? `<p class="more">… and ${count(more)} more connections not drawn.</p>` : "";
  const legend =
    `<p class="tl-legend"><span class="lg lg-ok"></span>completed <span class="lg lg-odd"></span>unfinished ` +
    `<span class="lg lg-bad"></span>failed or reset <span class="lg-syn">◆</span> SYN sent <span class="lg-fin">▮</span> FIN <span class="lg-rst">✕</span> RST</p>`;
  return (
    `<figure class="svg-chart timeline"${id ? ` id="${esc(id)}"` : ""}><figcaption>${esc(title)}</figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}">${axis}${parts.join("")}</svg>${legend}${note}</figure>`
  );
}

export interface LadderRow {
  frame: number;
  /** Seconds since capture start. */
  time: number;
  fromClient: boolean;
  /** What the packet carried: "[S] seq 0 win 64240". */
  text: string;
  /** Analysis marks, e.g. "retransmission". */
  marks: string;
  /** An ICMP error from the path (drawn from the middle toward the endpoint it reports to). */
  icmp?: boolean;
  /** "bad" for RSTs and retransmissions. */
  cls?: string;
}

/** A packet ladder: client and server as two vertical lines, one arrow per packet, in order. */
export function packetLadder(
  title: string,
  client: string,
  server: string,
  rows: LadderRow[],
  more: number,
  id?: string,
): string {
  const width = 900;
  const left = 300;
  const right = 760;
  const rowH = 26;
  const top = 34;
  const height = top + rows.length * rowH + 12;
  const t0 = rows.length ? rows[0].time : 0;
  const parts: string[] = [
    `<text class="ld-end" x="${left}" y="16" text-anchor="middle">client ${esc(client)}</text>`,
    `<text class="ld-end" x="${right}" y="16" text-anchor="middle">server ${esc(server)}</text>`,
    `<line class="ld-life" x1="${left}" x2="${left}" y1="22" y2="${height - 4}"/>`,
    `<line class="ld-life" x1="${right}" x2="${right}" y1="22" y2="${height - 4}"/>`,
  ];
  // The longest silences are what a ladder is read for: they stand out.
  let longest = 0;
  for (let i = 1; i < rows.length; i++) longest = Math.max(longest, rows[i].time - rows[i - 1].time);
  const long = Math.max(0.1, longest / 2);
  let prev = t0;
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const gap = r.time - prev;
    prev = r.time;
    const from = r.icmp ? (left + right) / 2 : r.fromClient ? left : right;
    const to = r.icmp ? (r.fromClient ? left : right) : r.fromClient ? right : left;
    const dir = to > from ? 1 : -1;
    const y1 = y + 14;
    const cls = `ld-pkt${r.cls ? ` ${esc(r.cls)}` : ""}${r.icmp ? " icmp" : ""}`;
    const label = `${r.text}${r.marks ? `  · ${r.marks}` : ""}`;
    parts.push(
      `<a href="#frame-${r.frame}" class="frame-link ${cls}" data-frame="${r.frame}"><title>${esc(`frame ${r.frame} at ${r.time.toFixed(6)} s: ${label}`)}</title>` +
        `<text class="ld-time" x="${left - 110}" y="${y + 10}" text-anchor="end">${esc(seconds(r.time - t0))}</text>` +
        `<text class="ld-gap${i > 0 && gap >= long ? " long" : ""}" x="${left - 12}" y="${y + 10}" text-anchor="end">${i > 0 ? `+${esc(seconds(gap))}` : ""}</text>` +
        `<text class="ld-frame" x="${left - 110}" y="${y + 21}" text-anchor="end">#${r.frame}</text>` +
        `<line class="ld-arrow" x1="${from}" y1="${y + 2}" x2="${to - dir * 2}" y2="${y1}"/>` +
        `<path class="ld-head" d="M${to} ${y1}l${-dir * 8} -6v8z"/>` +
        `<text class="ld-label" x="${(left + right) / 2}" y="${y + 4}" text-anchor="middle">${esc(label.length > 80 ? `${label.slice(0, 79)}…` : label)}</text></a>`,
    );
  });
  const note =
    more > 0 ? `<p class="more">… and ${count(more)} more packets (see the connection's charts).</p>` : "";
  return (
    `<figure class="svg-chart ladder"${id ? ` id="${esc(id)}"` : ""}><figcaption>${esc(title)}</figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}">${parts.join("")}</svg>${note}</figure>`
  );
}
