// `tcpdoctor conns <capture>... [--json]`: one row per TCP connection.
import { stat } from "node:fs/promises";
import { loadEvidence } from "../../io/evidence.js";
import { connsJsonChunks, connsTableChunks } from "../../report/conns.js";
import { EXIT_OK, UserError } from "../errors.js";
import { prepareInputs, useColor, warnInput, writeStdout } from "../output.js";

export default async function conns(
  inputs: string[],
  opts: { json?: boolean; color?: boolean },
): Promise<number> {
  // A directory would be read as a host bundle, which has no connections: refuse it before reading.
  for (const path of inputs) {
    if (path === "-") continue;
    const st = await stat(path).catch(() => undefined);
    if (st?.isDirectory()) throw new UserError(`${path}: is a directory, expected a capture`);
  }
  prepareInputs(inputs);
  const ev = await loadEvidence(inputs);
  const notCapture = ev.inputs.find((i) => i.packets === undefined);
  if (notCapture)
    throw new UserError(
      `${notCapture.path}: ${notCapture.format} output, not a capture (expected pcap, pcapng or tcpdump text; \`tcpdoctor analyze\` reads host evidence)`,
    );
  for (const i of ev.inputs) for (const w of i.warnings) warnInput(i.path, w);
  // Written piece by piece, waiting whenever stdout is full: a million connections are gigabytes.
  const chunks = opts.json
    ? connsJsonChunks(ev.connections)
    : connsTableChunks(ev.connections, { color: useColor(opts.color) });
  for (const chunk of chunks) await writeStdout(chunk);
  if (opts.json) await writeStdout("\n");
  return EXIT_OK;
}
