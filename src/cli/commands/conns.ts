// `tcpdoctor conns <capture>... [--json]`: one row per TCP connection.
import { loadEvidence } from "../../io/evidence.js";
import { connsJson, connsTable } from "../../report/conns.js";
import { EXIT_OK } from "../errors.js";
import { useColor, warn } from "../output.js";

export default async function conns(
  inputs: string[],
  opts: { json?: boolean; color?: boolean },
): Promise<number> {
  const ev = await loadEvidence(inputs);
  for (const i of ev.inputs) for (const w of i.warnings) warn(`${i.path}: ${w}`);
  if (opts.json) process.stdout.write(`${JSON.stringify(connsJson(ev.connections), null, 2)}\n`);
  else process.stdout.write(connsTable(ev.connections, { color: useColor(opts.color) }));
  return EXIT_OK;
}
