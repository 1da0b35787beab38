// `tcpdoctor collect [dir]`: write this host's raw evidence as plain text, for `analyze <dir>` elsewhere.
import { hostname } from "node:os";
import { collectBundle } from "../../io/collect.js";
import { EXIT_OK } from "../errors.js";
import { parseSeconds } from "./host.js";

export default async function collect(dir: string | undefined, opts: { interval?: string }): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "").slice(0, 15);
  const target = dir ?? `tcpdoctor-${hostname()}-${stamp}`;
  const written = await collectBundle(target, { interval: parseSeconds(opts.interval, "interval", 1) });
  process.stdout.write(
    `${target}: ${written.length} files written; diagnose them anywhere with: tcpdoctor analyze ${target}\n`,
  );
  return EXIT_OK;
}
