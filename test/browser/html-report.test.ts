// The HTML report opened from disk in a real browser (Debian's Chromium through playwright-core):
// nothing leaves the page, no console error, the findings and their charts are there, the charts
// zoom, hover and follow links. Screenshots go to test-artifacts/browser/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Finding } from "../../src/rules/types.js";
import { buildHtml } from "../fixtures/html/build.js";
import { capturesDir, needsShared, repoRoot, scenarios } from "../helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const noChromium = existsSync(CHROMIUM)
  ? false
  : `skipped: ${CHROMIUM} is missing (apt-get install chromium)`;
const skip = noChromium || needsShared;
const artifacts = join(repoRoot, "test-artifacts", "browser");

interface Opened {
  page: Page;
  /** Requests for anything but file: and data: URLs. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

let browser: Browser | undefined;

async function open(file: string, width = 1280): Promise<Opened> {
  assert.ok(browser, "browser launched");
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => {
    if (!/^(file|data):/.test(r.url())) requests.push(r.url());
  });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction("window.tcpdoctor && window.tcpdoctor.ready === true", undefined, {
    timeout: 20_000,
  });
  // uPlot draws on the next frame.
  await page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
  return { page, requests, errors };
}

function js<T>(page: Page, expr: string): Promise<T> {
  return page.evaluate(expr) as Promise<T>;
}

/** [min, max] of the x scale of every chart of a group. */
function ranges(page: Page, group: string): Promise<[number, number][]> {
  return js(
    page,
    `tcpdoctor.groups[${JSON.stringify(group)}].charts.map((u) => [u.scales.x.min, u.scales.x.max])`,
  );
}

async function report(scenario: string, extra: string[] = []) {
  const out = join(artifacts, `${scenario}.html`);
  const built = await buildHtml([join(capturesDir, scenario, "capture.pcap"), ...extra], out);
  return { ...built, file: out };
}

async function assertClean(o: Opened, what: string): Promise<void> {
  assert.deepEqual(o.requests, [], `${what}: no request leaves the page`);
  assert.deepEqual(o.errors, [], `${what}: no console error`);
  assert.deepEqual(await js(o.page, "tcpdoctor.errors"), [], `${what}: no chart failed`);
}

/**
 * Every finding is there, in rank order, its figure drawn (canvas or SVG); a finding that cites
 * connections always has one.
 */
async function assertFindings(o: Opened, findings: Finding[], what: string): Promise<void> {
  const shown = await js<{ id: string; chart: string; drawn: boolean }[]>(
    o.page,
    `[...document.querySelectorAll("article.finding")].map((a) => {
      const fig = a.querySelector("figure.finding-chart");
      return { id: a.dataset.finding, chart: fig ? fig.dataset.chart : "none",
        drawn: !!fig && !!fig.querySelector("canvas, svg") };
    })`,
  );
  assert.deepEqual(
    shown.map((s) => s.id),
    findings.map((f) => f.id),
    `${what}: findings in rank order`,
  );
  shown.forEach((s, i) => {
    if (findings[i].streams?.length)
      assert.notEqual(s.chart, "none", `${what}: ${s.id} cites connections: a chart`);
    if (s.chart !== "none") assert.ok(s.drawn, `${what}: the chart of ${s.id} (${s.chart}) is drawn`);
  });
}

describe("HTML report in Chromium", { skip }, () => {
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });
  after(async () => {
    await browser?.close();
  });

  it(
    "loss: findings with their charts, the retransmissions marked in red, nothing fetched",
    {
      timeout: 120_000,
    },
    async () => {
      const r = await report("loss-cubic");
      const o = await open(r.file);
      try {
        await assertClean(o, "loss-cubic");
        assert.ok(r.report.findings.length >= 1);
        await assertFindings(o, r.report.findings, "loss-cubic");
        const verdict = await js<string>(o.page, `document.querySelector("h1.verdict").textContent`);
        assert.equal(verdict, r.report.verdict);
        // The finding's time-sequence graph carries a retransmission series with a mark per retransmission.
        const rtx = await js<{ series: string[]; marks: number; red: number }>(
          o.page,
          `(() => {
          const c = tcpdoctor.charts.find((c) => c.kind === "tseq" && c.place === "finding");
          const marks = c.u.tcpdoctorCols.rtx.filter((v) => v != null).length;
          const ctx = c.u.ctx, img = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height).data;
          let red = 0;
          for (let i = 0; i < img.length; i += 4)
            if (Math.abs(img[i] - 214) < 24 && Math.abs(img[i + 1] - 39) < 30 && Math.abs(img[i + 2] - 40) < 30) red++;
          return { series: c.series, marks, red };
        })()`,
        );
        assert.ok(rtx.series.includes("rtx"), "a retransmission series");
        assert.ok(rtx.marks >= 26, `${rtx.marks} retransmission marks (Wireshark labels 26)`);
        assert.ok(rtx.red > 50, `${rtx.red} red pixels drawn`);
        await o.page.screenshot({ path: join(artifacts, "loss-cubic.png"), fullPage: true });
      } finally {
        await o.page.close();
      }
    },
  );

  it(
    "zoom: a drag narrows the time axis of every chart of the connection, double-click restores it",
    {
      timeout: 120_000,
    },
    async () => {
      const r = await report("loss-cubic");
      const o = await open(r.file);
      try {
        const group = "conn-0";
        const before = await ranges(o.page, group);
        assert.ok(before.length >= 4, "time-sequence, RTT, throughput and in-flight charts");
        const over = o.page.locator("#conn-0 .tseq-box .u-over");
        await over.scrollIntoViewIfNeeded();
        const box = await over.boundingBox();
        assert.ok(box);
        const y = box.y + box.height / 2;
        await o.page.mouse.move(box.x + box.width * 0.3, y);
        await o.page.mouse.down();
        await o.page.mouse.move(box.x + box.width * 0.4, y, { steps: 4 });
        await o.page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
        await o.page.mouse.up();
        const zoomed = await ranges(o.page, group);
        const span = (x: [number, number]) => x[1] - x[0];
        const ratio = span(zoomed[0]) / span(before[0]);
        assert.ok(
          ratio > 0.15 && ratio < 0.25,
          `the drag over a fifth of the width kept ${ratio.toFixed(3)} of the range`,
        );
        for (const z of zoomed) {
          assert.ok(
            Math.abs(z[0] - zoomed[0][0]) < 1e-9 && Math.abs(z[1] - zoomed[0][1]) < 1e-9,
            "charts stay in sync",
          );
        }
        // The axis labels follow: the first tick is no longer the start of the capture.
        await o.page.mouse.move(box.x + box.width / 2, y);
        await o.page.mouse.wheel(0, -300);
        await o.page.waitForTimeout(100);
        const wheeled = await ranges(o.page, group);
        assert.ok(span(wheeled[0]) < span(zoomed[0]), "the wheel zooms in further");
        await o.page.mouse.dblclick(box.x + box.width / 2, y);
        const reset = await ranges(o.page, group);
        assert.ok(
          Math.abs(reset[0][0] - before[0][0]) < 1e-9 && Math.abs(reset[0][1] - before[0][1]) < 1e-9,
          "reset",
        );
        await o.page.locator("#conn-0").screenshot({ path: join(artifacts, "loss-cubic-conn.png") });
      } finally {
        await o.page.close();
      }
    },
  );

  it("hovering a retransmission shows its packet", { timeout: 120_000 }, async () => {
    const r = await report("loss-cubic");
    const o = await open(r.file);
    try {
      await o.page.locator("#conn-0 .tseq-box").scrollIntoViewIfNeeded();
      // Zoom on the first retransmission (uPlot applies a new scale on the next frame), then point at it.
      await js(
        o.page,
        `(() => {
          const v = tcpdoctor.views["conn-0"], rtx = v.tseq.tcpdoctorCols.rtx;
          const i = rtx.findIndex((x) => x != null);
          v.g.setX(v.d.t[i] - 0.01, v.d.t[i] + 0.01);
          return new Promise((r) => requestAnimationFrame(r));
        })()`,
      );
      const target = await js<{ frame: number; left: number; top: number }>(
        o.page,
        `(() => {
          const v = tcpdoctor.views["conn-0"], u = v.tseq, rtx = u.tcpdoctorCols.rtx;
          const i = rtx.findIndex((x) => x != null);
          const rect = u.over.getBoundingClientRect();
          return { frame: v.d.frame[i], left: rect.left + u.valToPos(v.d.t[i], "x"), top: rect.top + u.valToPos(rtx[i], "y") };
        })()`,
      );
      await o.page.mouse.move(target.left - 20, target.top - 20);
      await o.page.mouse.move(target.left, target.top + 2, { steps: 3 });
      await js(o.page, "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
      const info = await o.page.locator("#conn-0 .pkt-info").textContent();
      assert.match(info ?? "", new RegExp(`^frame ${target.frame} `));
      assert.match(info ?? "", /retransmission|bytes sent before/);
      assert.ok(await o.page.locator("#conn-0 .tooltip").isVisible());
    } finally {
      await o.page.close();
    }
  });

  it(
    "a frame link in a finding opens its connection zoomed on that packet",
    {
      timeout: 120_000,
    },
    async () => {
      const r = await report("zero-window");
      const o = await open(r.file);
      try {
        await assertClean(o, "zero-window");
        const link = o.page.locator("#finding-1 a.frame-link").first();
        const frame = Number(await link.getAttribute("data-frame"));
        await link.click();
        assert.equal(await js<string>(o.page, "location.hash"), `#frame-${frame}`);
        const at = await js<{ frame: number; t: number; range: [number, number]; full: [number, number] }>(
          o.page,
          `(() => {
          const v = tcpdoctor.views["conn-0"], i = v.highlight;
          return { frame: v.d.frame[i], t: v.d.t[i], range: v.g.range(), full: [v.g.t0, v.g.t1] };
        })()`,
        );
        assert.equal(at.frame, frame);
        assert.ok(at.range[0] < at.t && at.t < at.range[1], "the packet is in view");
        assert.ok(at.range[1] - at.range[0] < (at.full[1] - at.full[0]) / 2, "zoomed in on it");
        const info = await o.page.locator("#conn-0 .pkt-info").textContent();
        assert.match(info ?? "", new RegExp(`^frame ${frame} `));
        await o.page.screenshot({ path: join(artifacts, "zero-window-frame-link.png") });
      } finally {
        await o.page.close();
      }
    },
  );

  it(
    "host evidence: TIME-WAIT per destination against the port range, beside the finding",
    {
      timeout: 120_000,
    },
    async () => {
      const r = await report("time-wait", [join(capturesDir, "time-wait", "host", "client")]);
      const o = await open(r.file);
      try {
        await assertClean(o, "time-wait");
        await assertFindings(o, r.report.findings, "time-wait");
        const bars = await js<{ label: string; value: string }[]>(
          o.page,
          `[...document.querySelectorAll("#host-time-wait .bar-row")].map((g) => ({
          label: g.querySelector(".bar-label").textContent, value: g.querySelector(".bar-value").textContent }))`,
        );
        assert.equal(bars.length, 1);
        assert.match(bars[0].label, /10\.77\.0\.2:8080/);
        assert.match(bars[0].value, /^300 of 28\u202f232/);
        assert.equal(await o.page.locator("#finding-1 #finding-1-host-time-wait svg").count(), 1);
        await o.page.locator("#host").screenshot({ path: join(artifacts, "time-wait-host.png") });
      } finally {
        await o.page.close();
      }
    },
  );

  it("every corpus scenario renders without an error or a request", { timeout: 600_000 }, async () => {
    const all = scenarios();
    assert.ok(all.length >= 20);
    for (const s of all) {
      const hostDir = join(capturesDir, s, "host");
      const hosts = existsSync(hostDir)
        ? readdirSync(hostDir)
            .map((d) => join(hostDir, d))
            .filter((d) => statSync(d).isDirectory())
            .slice(0, 1)
        : [];
      const r = await report(s, hosts);
      const o = await open(r.file, 1100);
      try {
        await assertClean(o, s);
        await assertFindings(o, r.report.findings, s);
        const charts = await js<number>(o.page, "tcpdoctor.charts.length");
        if (r.report.stats?.total) assert.ok(charts >= 1, `${s}: charts drawn`);
        await o.page.screenshot({ path: join(artifacts, `all-${s}.png`) });
      } finally {
        await o.page.close();
      }
    }
  });
});
