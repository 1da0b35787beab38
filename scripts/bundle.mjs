#!/usr/bin/env node
// Bundles the built command line (dist/cli/main.js, from tsc) into one CommonJS script,
// dist/bin/tcpdoctor-bundle.js, started by dist/bin/tcpdoctor.js (scripts/bin-launcher.cjs) with
// V8's code cache, which this script then makes by running a few commands. Loading ~50 modules
// one by one (resolve, stat, read, compile, link each) is ~30 ms of every run; one script whose
// bytecode is read back from the cache costs a fraction of that. Commands load lazily inside the
// bundle. The library (dist/index.js) stays tsc's module tree.
//
// Bundled: our code, commander and picocolors (on every command's path). Left to Node to load
// from node_modules when a command needs them: the larger dependencies of the HTML report, the
// config files and the Prometheus endpoint, which no capture command loads.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bin");

/**
 * Node modules that the bundle gets as small CommonJS stand-ins instead of importing them as
 * written (undefined: the import stays as it is). Named by kind and module: esbuild keeps one
 * module per name, and the two kinds of one module differ.
 * - commander requires node:child_process when it loads, for subcommands that are separate
 *   executables, which tcpdoctor has none of; loading it (and the net and dgram modules behind
 *   it) is ~4 ms of every run: commander's stand-in loads it on first use;
 * - `await import("node:zlib")` and the like, kept for rare paths, become a require() behind a
 *   promise (the bundle is run as a script, where import() would need Node's ES module loader).
 */
function standIn(args) {
  if (/^(node:)?child_process$/.test(args.path) && /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer))
    return {
      name: "lazy:child_process",
      contents: 'module.exports = { spawn: (...args) => require("node:child_process").spawn(...args) };',
    };
  if (args.path.startsWith("node:") && args.kind === "dynamic-import")
    return {
      name: `require:${args.path}`,
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
    };
  return undefined;
}

const nodeModuleStandIns = {
  name: "node-module-stand-ins",
  setup(b) {
    b.onResolve({ filter: /^(node:|child_process$)/ }, (args) => {
      const found = standIn(args);
      return found && { path: found.name, namespace: "stand-in", pluginData: found.contents };
    });
    b.onLoad({ filter: /.*/, namespace: "stand-in" }, (args) => ({
      contents: args.pluginData,
      loader: "js",
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const bundle = join(outdir, "tcpdoctor-bundle.js");
await build({
  entryPoints: [join(root, "dist", "cli", "main.js")],
  outfile: bundle,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["prom-client", "yaml", "zod", "uplot", "ipaddr.js"],
  // The few modules that locate files from import.meta.url get the bundle's own URL.
  define: { "import.meta.url": "__tcpdoctorModuleUrl" },
  banner: { js: 'var __tcpdoctorModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: "none",
  // Less source to read and keep (the comments alone are a third of commander). Names are kept,
  // so stack traces still say where.
  minifyWhitespace: true,
  plugins: [nodeModuleStandIns],
  logLevel: "warning",
});
// The launcher wraps the script in a function: no #! line inside it.
writeFileSync(bundle, readFileSync(bundle, "utf8").replace(/^#!.*\n/, ""));
// dist/bin holds CommonJS (the package is ES modules).
writeFileSync(join(outdir, "package.json"), '{ "type": "commonjs" }\n');
const bin = join(outdir, "tcpdoctor.js");
copyFileSync(join(root, "scripts", "bin-launcher.cjs"), bin);
chmodSync(bin, 0o755);

// The code cache: commands over the smallest capture of the repository (a SYN and its RST), each
// adding what it compiled. Measured on `conns` over bench's 1 GB capture (medians of 14-16 runs):
// no cache 1014 ms, this cache 965-971 ms, a cache made over a 105-packet capture with zero
// windows and retransmissions 1012-1044 ms; the small one gives the start-up gain without that
// loss. Without NODE_OPTIONS, whose V8 flags a cache would have to match at every later run.
const sample = join(root, "test", "fixtures", "conns", "refused.pcap");
const env = { ...process.env, TCPDOCTOR_CODE_CACHE: "write" };
delete env.NODE_OPTIONS;
for (const args of [
  ["analyze", sample],
  ["conns", sample],
  ["packets", "--json", sample],
]) {
  const run = spawnSync(process.execPath, [bin, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  // Findings make a non-zero exit; a crash has no exit code or says so on stderr.
  if (run.status === null || /internal error|Error:/.test(run.stderr.toString())) {
    throw new Error(`making the code cache: tcpdoctor ${args.join(" ")} failed: ${run.stderr}`);
  }
}
if (!existsSync(join(outdir, "tcpdoctor-bundle.cache")))
  throw new Error("making the code cache: no cache written");
