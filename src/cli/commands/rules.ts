// `tcpdoctor rules`: every diagnosis id, its default severity, the evidence that can produce it,
// and the configurable thresholds of the rules that evaluate it. With --prometheus: the alerting
// rules file for Prometheus over the metrics of `tcpdoctor watch --prometheus`.
import { loadConfig, thresholdsOf } from "../../io/config.js";
import { prometheusRuleGroups, prometheusRulesYaml } from "../../report/prometheus-rules.js";
import { listRules } from "../../rules/engine.js";
import { EXIT_OK } from "../errors.js";
import { colors, useColor } from "../output.js";

export default async function rules(opts: {
  json?: boolean;
  color?: boolean;
  prometheus?: boolean;
  config?: string;
}): Promise<number> {
  if (opts.prometheus) {
    const thresholds = thresholdsOf(await loadConfig(opts.config));
    if (opts.json)
      process.stdout.write(`${JSON.stringify({ groups: prometheusRuleGroups({ thresholds }) }, null, 2)}\n`);
    else process.stdout.write(prometheusRulesYaml({ thresholds }));
    return EXIT_OK;
  }
  const rows = listRules();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  const c = colors(useColor(opts.color));
  const w = Math.max(...rows.map((r) => r.id.length));
  let category = "";
  for (const r of rows) {
    if (r.category !== category) {
      category = r.category;
      process.stdout.write(`\n${c.bold(category)}\n`);
    }
    const thresholds = r.rules.flatMap((x) => Object.entries(x.thresholds).map(([k, v]) => `${k}=${v}`));
    process.stdout.write(
      `  ${c.cyan(r.id.padEnd(w))}  ${r.severity.padEnd(8)}  ${r.title}  ${c.dim(`[${r.evidence.join(", ")}]`)}${thresholds.length ? c.dim(`  thresholds: ${thresholds.join(" ")}`) : ""}\n`,
    );
  }
  return EXIT_OK;
}
