// `tcpdoctor packets <capture> [--json]`: one row per TCP packet, Wireshark-compatible.
import { TcpAnalyzer } from "../../core/tcp/analyzer.js";
import { streamPackets } from "../../io/evidence.js";
import { packetJson, packetLine } from "../../report/packets.js";
import { EXIT_OK } from "../errors.js";
import { BufferedWriter, hintStdin, warnInput } from "../output.js";

export default async function packets(input: string, opts: { json?: boolean }): Promise<number> {
  hintStdin([input]);
  const analyzer = new TcpAnalyzer();
  const out = new BufferedWriter();
  const format = opts.json ? packetJson : packetLine;
  const info = await streamPackets(
    input,
    (pkt) => {
      const pa = analyzer.push(pkt);
      if (pa) out.write(`${format(pa)}\n`);
    },
    () => out.flush(),
  );
  analyzer.finish();
  await out.flush();
  for (const w of info.warnings) warnInput(info.path, w);
  return EXIT_OK;
}
