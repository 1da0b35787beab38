// `tcpdoctor analyze <input>...`: diagnose evidence from files, stdin and bundle directories.
import { loadConfig, thresholdsOf } from "../../io/config.js";
import { loadEvidence } from "../../io/evidence.js";
import { renderHuman } from "../../report/human.js";
import { reportJson } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { diagnose } from "../../rules/engine.js";
import { useColor, warn } from "../output.js";

export interface AnalyzeOptions {
  json?: boolean;
  config?: string;
  connections?: boolean;
  color?: boolean;
}

export default async function analyze(inputs: string[], opts: AnalyzeOptions): Promise<number> {
  const config = await loadConfig(opts.config);
  const ev = await loadEvidence(inputs);
  for (const i of ev.inputs) for (const w of i.warnings) warn(`${i.path}: ${w}`);
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
  if (opts.json) process.stdout.write(`${reportJson(report)}\n`);
  else
    process.stdout.write(
      renderHuman(report, {
        color: useColor(opts.color),
        connections: ev.connections,
        allConnections: opts.connections,
      }),
    );
  return exitCodeFor(findings);
}
