#!/usr/bin/env node
// Bundles the built command line (dist/cli/main.js, from tsc) into dist/bin/: the entry
// tcpdoctor.js plus one chunk per lazily loaded command and shared code. Loading ~50 modules one
// by one (resolve, stat, read, compile, link each) is ~30 ms of every run; a few bundled chunks
// load in a fraction of that. The library (dist/index.js) stays tsc's module tree.
//
// Bundled: our code, commander and picocolors (on every command's path). Left to Node to load
// from node_modules when a command needs them: the larger dependencies of the HTML report, the
// config files and the Prometheus endpoint, which no capture command loads.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bin");

/**
 * commander requires node:child_process when it loads, for subcommands that are separate
 * executables, which tcpdoctor has none of; loading it (and the net and dgram modules behind it)
 * is ~4 ms of every run. commander gets a stand-in that loads it on first use.
 */
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "child_process", namespace: "lazy-child-process" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-child-process" }, () => ({
      contents: 'module.exports = { spawn: (...args) => require("node:child_process").spawn(...args) };',
      loader: "js",
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { tcpdoctor: join(root, "dist", "cli", "main.js") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["prom-client", "yaml", "zod", "uplot", "ipaddr.js"],
  // commander is CommonJS: its require() of Node's own modules needs a require in ESM output.
  banner: {
    js: 'import { createRequire as __tcpdoctorRequire } from "node:module";\nconst require = __tcpdoctorRequire(import.meta.url);',
  },
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "none",
  // Less source for V8 to scan at every start (the comments alone are a third of commander):
  // ~5 ms of a small run. Names are kept, so stack traces still say where.
  minifyWhitespace: true,
  plugins: [lazyChildProcessForCommander],
  logLevel: "warning",
});
