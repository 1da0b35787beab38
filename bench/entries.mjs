// What the reader benchmark times. Add an entry to time something new on the same inputs:
//   id      stable name (used by --only and in results.json)
//   group   "ours" (always), "reference" (other tools; --no-reference skips), "cli" (tcpdoctor
//           commands; run with --cli once they exist)
//   argv    (file) => command line; `stdin: true` feeds the file through `cat file |` instead
//   needs   files or tools that must exist, else the entry is skipped with the reason printed
//   json    the command prints one JSON line with { packets, seconds, maxRssMB } (our harness)
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const node = process.execPath;
const readCapture = join(root, "bench", "read-capture.mjs");
const cliMain = join(root, "dist", "cli", "main.js");
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
    needs: readerBuild,
    argv: (file) => [node, readCapture, "--decode", file],
  },
  {
    id: "reader+decoder-stdin",
    label: "tcpdoctor reader+decoder (cat file |)",
    group: "ours",
    json: true,
    stdin: true,
    needs: readerBuild,
    argv: () => [node, readCapture, "--decode", "-"],
  },
  {
    id: "reader",
    label: "tcpdoctor reader only (file)",
    group: "ours",
    json: true,
    needs: readerBuild,
    argv: (file) => [node, readCapture, file],
  },
  {
    id: "capinfos",
    label: "capinfos",
    group: "reference",
    needs: ["capinfos"],
    argv: (file) => ["capinfos", file],
  },
  {
    id: "tcptrace",
    label: "tcptrace -n",
    group: "reference",
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
  // Hooks for the analysis commands: whole-pipeline figures on the same inputs.
  {
    id: "conns",
    label: "tcpdoctor conns",
    group: "cli",
    needs: [cliMain],
    argv: (file) => [node, cliMain, "conns", file],
  },
  {
    id: "packets-json",
    label: "tcpdoctor packets --json",
    group: "cli",
    needs: [cliMain],
    argv: (file) => [node, cliMain, "packets", file, "--json"],
  },
];
