// `tcpdoctor explain [<input>|-]`: the input line by line in plain words, then the findings `analyze` gives.
import { CaptureParser, captureFormatOf } from "../../core/capture/index.js";
import { decodePacket } from "../../core/decode/index.js";
import { TcpAnalyzer } from "../../core/tcp/analyzer.js";
import type { DecodedPacket } from "../../core/types.js";
import { explainCapture, explainText, renderExplain } from "../../explain/index.js";
import { assertDecodable, loadEvidence, openBytes, readInputBytes } from "../../io/evidence.js";
import { renderHuman } from "../../report/human.js";
import { reportJson } from "../../report/json.js";
import { buildReport, exitCodeFor } from "../../report/model.js";
import { diagnose } from "../../rules/engine.js";
import { errorLine, isInternalError, UserError } from "../errors.js";
import { prepareInputs, useColor, warnInput } from "../output.js";

/** A binary capture is explained packet by packet, up to this many packets. */
const MAX_EXPLAINED_PACKETS = 5000;

export default async function explain(input: string | undefined, opts: { json?: boolean; color?: boolean }) {
  const path = input ?? "-";
  const name = path === "-" ? "stdin" : path;
  prepareInputs([path]);
  const bytes = await readInputBytes(path);
  if (bytes.length === 0)
    throw new UserError(`${name}: empty input (expected a trace, a socket table or counters)`);
  let head: Uint8Array;
  try {
    head = openBytes(bytes).head;
  } catch (err) {
    throw new UserError(`${name}: corrupt gzip data (${errorLine(err)})`);
  }
  let result: ReturnType<typeof explainText>;
  if (captureFormatOf(head)) {
    const packets: DecodedPacket[] = [];
    const parser = new CaptureParser();
    try {
      for await (const chunk of openBytes(bytes).chunks)
        parser.push(chunk, (rec) => {
          if (packets.length < MAX_EXPLAINED_PACKETS) packets.push(decodePacket(rec));
        });
      assertDecodable(name, parser.end());
    } catch (err) {
      if (err instanceof UserError || isInternalError(err)) throw err;
      throw new UserError(`${name}: ${errorLine(err)}`);
    }
    const analyzer = new TcpAnalyzer();
    const analyses = packets.map((p) => analyzer.push(p)).filter((a) => a !== undefined);
    result = explainCapture(packets, analyses);
  } else {
    result = explainText(Buffer.from(bytes).toString("utf8"), { path: name });
    if (result.kind === "unknown")
      throw new UserError(
        `${name}: nothing recognised to explain (expected pcap, pcapng, tcpdump text, ss, netstat, nstat, /proc/net, sysctl)`,
      );
  }
  const ev = await loadEvidence([{ name, bytes }]).catch(() => undefined);
  for (const i of ev?.inputs ?? []) for (const w of i.warnings) warnInput(i.path, w);
  const findings = ev ? diagnose({ connections: ev.connections, capture: ev.capture, host: ev.host }) : [];
  const color = useColor(opts.color);
  if (opts.json) {
    const report = ev
      ? buildReport({ inputs: ev.inputs, findings, connections: ev.connections, host: ev.host })
      : undefined;
    process.stdout.write(
      `${JSON.stringify({ kind: result.kind, lines: result.lines, summary: result.summary, findings: report ? JSON.parse(reportJson(report)).findings : [] }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(renderExplain(result.lines, { color, summary: result.summary }));
    if (ev) {
      const report = buildReport({ inputs: ev.inputs, findings, connections: ev.connections, host: ev.host });
      process.stdout.write(`\n${renderHuman(report, { color, connections: ev.connections })}`);
    }
  }
  return exitCodeFor(findings);
}
