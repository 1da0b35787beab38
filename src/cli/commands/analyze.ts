// `tcpdoctor analyze <input>...`: diagnose evidence from files, stdin and bundle directories.
import { loadConfig, thresholdsOf } from "../../io/config.js";
import { loadEvidence } from "../../io/evidence.js";
import { renderHuman } from "../../report/human.js";
import { reportJsonChunks } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { diagnose } from "../../rules/engine.js";
import { checkOutputFile, prepareInputs, useColor, warnInput, writeStdout } from "../output.js";

export interface AnalyzeOptions {
  json?: boolean;
  config?: string;
  connections?: boolean;
  color?: boolean;
  html?: string;
}

export default async function analyze(inputs: string[], opts: AnalyzeOptions): Promise<number> {
  prepareInputs(inputs);
  const config = await loadConfig(opts.config);
  if (opts.html) await checkOutputFile("--html", opts.html);
  // The HTML report's per-packet series are collected while the packets stream (only when asked).
  const series = opts.html ? new (await import("../../report/series.js")).SeriesCollector() : undefined;
  const ev = await loadEvidence(inputs, { onPacket: series?.onPacket });
  for (const i of ev.inputs) for (const w of i.warnings) warnInput(i.path, w);
  const findings = diagnose(
    { connections: ev.connections, capture: ev.capture, host: ev.host },
    { thresholds: thresholdsOf(config), disable: config.disable },
  );
  const report = buildReport({
    inputs: ev.inputs,
    findings,
    connections: ev.connections,
    host: ev.host,
    allConnections: opts.connections,
  });
  if (opts.json) {
    // In pieces, waiting whenever stdout is full: a flood's findings cite a million streams.
    for (const chunk of reportJsonChunks(report)) await writeStdout(chunk);
  } else
    process.stdout.write(
      renderHuman(report, {
        color: useColor(opts.color),
        connections: ev.connections,
        allConnections: opts.connections,
      }),
    );
  if (opts.html) {
    const { writeHtmlReport } = await import("../../report/html.js");
    await writeHtmlReport(opts.html, report, { connections: ev.connections, series, host: ev.host });
  }
  return exitCodeFor(findings);
}
