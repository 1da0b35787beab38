#!/usr/bin/env node
// Where the per-packet time of `conns` goes: one run of the capture pipeline over a file, up to a
// given stage, timed every 4096 packets. Prints the warm-up (the first 40 marks minus what they
// would cost at the steady pace), the steady pace in µs per packet, and the whole run; the
// difference between two stages' paces is what the later stage costs. One stage per process:
// each must warm up on its own, as the command does.
// usage: node bench/stages.mjs [--stage decode|facts|analyzer|tracker] [--json] FILE
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const STAGES = ["decode", "facts", "analyzer", "tracker"];
const MARK = 4096;
const WARM_MARKS = 40;

const args = process.argv.slice(2);
const stageArg = args.includes("--stage") ? args[args.indexOf("--stage") + 1] : "tracker";
const stage = STAGES.indexOf(stageArg);
const file = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--stage").at(-1);
if (stage < 0 || !file) {
  console.error(`usage: stages.mjs [--stage ${STAGES.join("|")}] [--json] FILE`);
  process.exit(2);
}

const dist = (p) => import(join(root, "dist", p));
const { openInput } = await dist("io/capture-source.js");
const { CaptureParser } = await dist("core/capture/parser.js");
const { packetDecoder } = await dist("core/decode/index.js");
const { TcpAnalyzer } = await dist("core/tcp/analyzer.js");
const { CaptureFactsBuilder } = await dist("core/tcp/capture-facts.js");
const { ConnectionTracker } = await dist("core/tcp/connections.js");

const t0 = process.hrtime.bigint();
const input = await openInput(file);
input.reuseBuffers();
// The same stages, options and order as CaptureAnalysis.push (src/core/pipeline.ts).
const facts = new CaptureFactsBuilder({});
const analyzer = new TcpAnalyzer({ idleTimeoutSec: 3600, reuseRows: true });
const tracker = new ConnectionTracker({ idleTimeoutSec: 3600, onFinal: () => {}, onUnmatchedIcmp: () => {} });
const decodePacket = packetDecoder({ reuse: true });
let packets = 0;
let last = process.hrtime.bigint();
const marks = [];
const onRecord = (rec) => {
  if (++packets % MARK === 0) {
    const now = process.hrtime.bigint();
    marks.push(Number(now - last) / 1e6);
    last = now;
  }
  const pkt = decodePacket(rec);
  if (stage < 1) return;
  const duplicate = facts.packet(pkt, rec);
  if (stage < 2) return;
  const pa = analyzer.push(pkt);
  if (stage >= 3 && !duplicate) tracker.observe(pkt, pa);
};
const parser = new CaptureParser({ reusedChunks: true, reusedRecords: true });
for await (const chunk of input.chunks) {
  parser.push(chunk, onRecord);
  facts.detachRecords();
}
parser.end();
tracker.finish();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

const steadyMarks = marks.slice(WARM_MARKS).sort((a, b) => a - b);
const steadyMs = steadyMarks.length ? steadyMarks[steadyMarks.length >> 1] : Number.NaN;
const warmMs = marks.slice(0, WARM_MARKS).reduce((a, b) => a + b, 0);
const out = {
  stage: STAGES[stage],
  packets,
  seconds,
  steadyMicrosPerPacket: (steadyMs * 1000) / MARK,
  warmupExcessMs: warmMs - Math.min(WARM_MARKS, marks.length) * steadyMs,
};
if (args.includes("--json")) console.log(JSON.stringify(out));
else {
  console.log(
    `${out.stage}: ${packets} packets in ${seconds.toFixed(3)} s; steady ${out.steadyMicrosPerPacket.toFixed(3)} µs/packet ` +
      `(median of ${steadyMarks.length} marks of ${MARK}); warm-up ${out.warmupExcessMs.toFixed(0)} ms over steady in the first ${WARM_MARKS * MARK} packets`,
  );
}
