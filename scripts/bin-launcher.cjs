#!/usr/bin/env node
// The command line's entry (copied to dist/bin/tcpdoctor.js by scripts/bundle.mjs). It runs the
// bundled command line (tcpdoctor-bundle.js) with V8's code cache beside it: the bytecode of the
// modules, and of the functions that analysing a capture runs, is read back instead of being
// compiled again at every start (~20 ms of `conns` over a small capture, ~45 ms over bench's 1 GB
// one, where the functions of the analysis no longer wait to be compiled).
// Node 20 has no such cache for ES modules, hence one CommonJS script. A cache that does not
// match this Node and its flags is refused by V8, and the script is then compiled as usual.
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { join } = require("node:path");
const { setFlagsFromString } = require("node:v8");
const { Script, constants } = require("node:vm");

const bundle = join(__dirname, "tcpdoctor-bundle.js");
const cacheFile = join(__dirname, "tcpdoctor-bundle.cache");
// Every run turns this flag on before it exits (the full collection of src/io/gc.ts), and a cache
// only matches the flags it was made with: on from the start, when the cache is made and used.
setFlagsFromString("--expose-gc");

let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache (a build that skipped making it): compiled as usual.
}
const script = new Script(
  `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`,
  // import() of a package that is only an ES module goes to Node's loader, as in a module.
  { filename: bundle, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER },
);
// TCPDOCTOR_CODE_CACHE=write: scripts/bundle.mjs makes the cache by running a few commands so,
// each adding the functions it compiled to those read from the cache. =report: says on stderr
// whether the cache was used (a test checks that the build's cache is).
const mode = process.env.TCPDOCTOR_CODE_CACHE;
if (mode === "write") process.on("exit", () => writeFileSync(cacheFile, script.createCachedData()));
else if (mode === "report") {
  const state = cachedData === undefined ? "absent" : script.cachedDataRejected ? "rejected" : "used";
  process.stderr.write(`tcpdoctor: code cache ${state}\n`);
}
const bundled = { exports: {} };
script.runInThisContext()(bundled.exports, createRequire(bundle), bundled, bundle, __dirname);
