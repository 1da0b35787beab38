// What the benchmark times. Add an entry to time something new on the same inputs:
//   id      stable name (used by --only and in results.json)
//   group   "ours" (the reader), "reference" (other tools; --no-reference skips), "cli"
//           (tcpdoctor commands; --no-cli skips)
//   inputs  which inputs it runs on ("bulk", "mpps", "synflood"); all when absent
//   argv    (file) => command line; `stdin: "pipe"` feeds the file through a shell pipe from
//           cat instead, `stdin: "socket"` through a socket pair from cat
//   needs   files or tools that must exist, else the entry is skipped with the reason printed
//   json    the command prints one JSON line with { packets, seconds, maxRssMB } (our harness)
//   exits   exit codes that mean success (default [0]; `analyze` exits 1 when it finds something)
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const node = process.execPath;
const readCapture = join(root, "bench", "read-capture.mjs");
const cliMain = join(root, "dist", "bin", "tcpdoctor.js");
const readerBuild = [
  join(root, "dist", "io", "capture-source.js"),
  join(root, "dist", "core", "capture", "parser.js"),
];

export const entries = [
  {
    id: "reader+decoder",
    label: "tcpdoctor reader+decoder (file)",
    group: "ours",
    primary: true,
    json: true,
    inputs: ["bulk", "mpps"],
    needs: readerBuild,
    argv: (file) => [node, readCapture, "--decode", file],
  },
  {
    id: "reader+decoder-stdin",
    label: "tcpdoctor reader+decoder (cat file |)",
    group: "ours",
    json: true,
    stdin: "pipe",
    inputs: ["bulk", "mpps"],
    needs: [...readerBuild, "sh", "cat"],
    argv: () => [node, readCapture, "--decode", "-"],
  },
  {
    id: "reader+decoder-socket",
    label: "tcpdoctor reader+decoder (stdin a socket pair)",
    group: "ours",
    json: true,
    stdin: "socket",
    inputs: ["mpps"],
    needs: [...readerBuild, "cat"],
    argv: () => [node, readCapture, "--decode", "-"],
  },
  {
    id: "reader",
    label: "tcpdoctor reader only (file)",
    group: "ours",
    json: true,
    inputs: ["bulk", "mpps"],
    needs: readerBuild,
    argv: (file) => [node, readCapture, file],
  },
  {
    id: "capinfos",
    label: "capinfos",
    group: "reference",
    inputs: ["bulk", "mpps"],
    needs: ["capinfos"],
    argv: (file) => ["capinfos", file],
  },
  {
    // The yardstick of the analysis commands: their wall times are given as multiples of it.
    id: "tcptrace",
    label: "tcptrace -n",
    group: "reference",
    yardstick: true,
    needs: ["tcptrace"],
    argv: (file) => ["tcptrace", "-n", file],
  },
  {
    id: "tshark-conv",
    label: "tshark -q -z conv,tcp",
    group: "reference",
    needs: ["tshark"],
    argv: (file) => ["tshark", "-n", "-q", "-z", "conv,tcp", "-r", file],
  },
  // The analysis commands, whole process, output to /dev/null.
  {
    id: "conns",
    label: "tcpdoctor conns",
    group: "cli",
    needs: [cliMain],
    argv: (file) => [node, cliMain, "conns", file],
  },
  {
    id: "conns-json",
    label: "tcpdoctor conns --json",
    group: "cli",
    inputs: ["bulk", "mpps"],
    needs: [cliMain],
    argv: (file) => [node, cliMain, "conns", file, "--json"],
  },
  {
    id: "packets-json",
    label: "tcpdoctor packets --json",
    group: "cli",
    needs: [cliMain],
    argv: (file) => [node, cliMain, "packets", file, "--json"],
  },
  {
    id: "analyze",
    label: "tcpdoctor analyze",
    group: "cli",
    exits: [0, 1],
    needs: [cliMain],
    argv: (file) => [node, cliMain, "analyze", file],
  },
];
