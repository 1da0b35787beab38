#!/usr/bin/env node
// One measured run of our reader (optionally + decoder) over a file or stdin, in its own process
// so its peak RSS is its own. Prints one JSON line: packets, bytes, seconds, maxRssMB, ...
// usage: node bench/read-capture.mjs [--decode] [--via-parser] FILE|-
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const decode = args.includes("--decode");
const path = args.filter((a) => !a.startsWith("--")).at(-1);
if (!path) {
  console.error("usage: read-capture.mjs [--decode] FILE|-");
  process.exit(2);
}

const { readCaptureFile } = await import(join(root, "dist/io/capture-source.js"));
// Hook: the decoder is timed when its build is present, else the reader alone.
const decoderPath = join(root, "dist/core/decode/index.js");
let decodePacket;
if (decode && existsSync(decoderPath)) ({ decodePacket } = await import(decoderPath));

let packets = 0;
let bytes = 0;
let tcp = 0;
const onRecord = decodePacket
  ? (rec) => {
      packets++;
      bytes += rec.capLen;
      if (decodePacket(rec).tcp !== undefined) tcp++;
    }
  : (rec) => {
      packets++;
      bytes += rec.capLen;
    };

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
// Records are not kept past the callback: the reader may reuse its buffers, as the CLI does.
const info = await readCaptureFile(path, onRecord, { transientRecords: true });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const out = {
  packets,
  bytes,
  tcp,
  decoded: Boolean(decodePacket),
  decoderMissing: decode && !decodePacket,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  format: info.format,
  gzip: info.gzip,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
