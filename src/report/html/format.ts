// Text helpers of the HTML report: escaping, units, evidence values, and links from prose to the
// connections (streams) and packets (frames) it names.
import { fmtBps } from "../../rules/capture/common.js";
import { fmtSeconds } from "../../rules/probe/common.js";

// Durations and bit rates worded as the rules word them.
export { fmtSeconds as seconds };

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe for element content and quoted attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** JSON made safe inside <script type="application/json"> (no "</script", no "<!--"). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 10240) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Thousands separated with thin spaces (no locale: the report reads the same everywhere). */
export function count(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [int, frac] = String(Math.round(n * 1000) / 1000).split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  return frac ? `${grouped}.${frac}` : grouped;
}

/** camelCase key → "camel case", the unit suffix dropped (the value says it). */
export function label(key: string): string {
  return key
    .replace(/(Seconds|Bps)$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

/** Evidence keys whose numbers are frame numbers or stream numbers. */
function isFrameKey(key: string): boolean {
  return /(^f|F)rames?$/.test(key);
}
export function isStreamKey(key: string): boolean {
  return /(^s|S)treams?$/.test(key);
}

function frameLink(frame: number): string {
  return `<a class="frame-link" href="#frame-${frame}" data-frame="${frame}" title="show packet ${frame}">${frame}</a>`;
}

export function streamLink(stream: number, text?: string): string {
  return `<a class="conn-link" href="#conn-${stream}" data-stream="${stream}" title="show connection ${stream}">${esc(text ?? String(stream))}</a>`;
}

const SKIP_EVIDENCE = new Set(["more", "corroboratedBy", "explainedBy", "confidenceLoweredBecause"]);

/** One evidence value as HTML: units from the key, frames and streams as links. */
function evidenceValue(key: string, v: unknown, depth = 0): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 0 && isFrameKey(key)) return frameLink(v);
    if (Number.isInteger(v) && v >= 0 && isStreamKey(key)) return streamLink(v);
    if (key.endsWith("Seconds") || key === "seconds") return esc(fmtSeconds(v));
    if (key.endsWith("Bps")) return esc(fmtBps(v));
    if (key.endsWith("Rate") || key === "fraction") return esc(`${(v * 100).toFixed(v < 0.01 ? 2 : 1)}%`);
    if (/bytes|Bytes|Window|InFlight/.test(key) && v >= 10240) return esc(`${count(v)} (${bytes(v)})`);
    return esc(count(v));
  }
  if (typeof v === "string") return esc(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) {
    if (v.length === 0) return "none";
    const limit = 12;
    const shown = v.slice(0, limit).map((x) => evidenceValue(key, x, depth + 1));
    return `${shown.join(", ")}${v.length > limit ? `, … (${v.length})` : ""}`;
  }
  if (typeof v === "object") {
    if (depth > 2) return esc(JSON.stringify(v));
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `<span class="ev-k">${esc(label(k))}</span> ${evidenceValue(k, x, depth + 1)}`);
    return `<span class="ev-obj">{${parts.join(", ")}}</span>`;
  }
  return esc(String(v));
}

/** Evidence rows [label, value HTML], bookkeeping keys left out (as in the text report). */
export function evidenceRows(evidence: Record<string, unknown>): [string, string][] {
  return Object.entries(evidence)
    .filter(([k, v]) => !SKIP_EVIDENCE.has(k) && v !== undefined)
    .map(([k, v]) => [label(k), evidenceValue(k, v)]);
}

/**
 * Prose with "frame 19", "frames 3, 7 and 9", "stream 4", "streams 0, 1" turned into links; the
 * rest escaped. Only numbers right after those words become links.
 */
export function linkify(text: string): string {
  // A number after a comma counts only when no unit follows it ("at frame 38, 301 ms into" names one frame).
  const re =
    /\b(frames?|streams?)\s+#?\d+(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*[–-]\s*)#?\d+(?!\d|\.\d|\s*(?:ms|µs|s|%|[kKMG]i?B|bytes?|packets?|segments?|connections?)\b))*/gi;
  let out = "";
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out += esc(text.slice(last, m.index));
    const word = m[1];
    const isFrame = /^frame/i.test(word);
    const rest = m[0].slice(word.length);
    out +=
      esc(word) +
      rest.replace(/#?\d+|[^#\d]+/g, (part) => {
        const n = /^#?(\d+)$/.exec(part);
        if (!n) return esc(part);
        const num = Number(n[1]);
        return isFrame ? frameLink(num) : streamLink(num, part);
      });
    last = m.index + m[0].length;
  }
  return out + esc(text.slice(last));
}
