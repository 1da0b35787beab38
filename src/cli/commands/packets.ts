// `tcpdoctor packets <capture> [--json]`: one row per TCP packet, Wireshark-compatible.
import { TcpAnalyzer } from "../../core/tcp/analyzer.js";
import { streamPackets } from "../../io/evidence.js";
import { DEFAULT_PIPE_BYTES } from "../../io/pipe-size.js";
import { PacketJsonWriter, packetLine } from "../../report/packets.js";
import { EXIT_OK } from "../errors.js";
import { BufferedWriter, prepareInputs, warnInput } from "../output.js";

export default async function packets(input: string, opts: { json?: boolean }): Promise<number> {
  prepareInputs([input]);
  const analyzer = new TcpAnalyzer();
  // Rows go out in large buffers; between input chunks the reading waits while stdout is full,
  // so memory stays bounded however slow the consumer.
  let full = false;
  const sink = (bytes: Uint8Array) => {
    if (!process.stdout.write(bytes)) full = true;
  };
  const drained = async () => {
    if (!full) return;
    full = false;
    await new Promise<void>((resolve) => process.stdout.once("drain", resolve));
  };
  let info: Awaited<ReturnType<typeof streamPackets>>;
  if (opts.json) {
    const out = new PacketJsonWriter(sink);
    info = await streamPackets(
      input,
      (pkt) => {
        const pa = analyzer.push(pkt);
        if (pa) out.write(pa);
      },
      (chunkBytes) => {
        // Written once a good share of the buffer is filled (input chunks are 1 MiB of capture),
        // or at once when a chunk is less than a pipe's worth: the input trickles in (a live
        // `tcpdump -U -w - |`) and rows keep pace.
        if (out.pending >= 1 << 19 || chunkBytes < DEFAULT_PIPE_BYTES) out.flush();
        return drained();
      },
    );
    out.flush();
  } else {
    const out = new BufferedWriter();
    info = await streamPackets(
      input,
      (pkt) => {
        const pa = analyzer.push(pkt);
        if (pa) out.write(`${packetLine(pa)}\n`);
      },
      () => out.flush(),
    );
    await out.flush();
  }
  analyzer.finish();
  await drained();
  for (const w of info.warnings) warnInput(info.path, w);
  return EXIT_OK;
}
