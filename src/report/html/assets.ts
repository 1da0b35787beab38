// uPlot's browser build and stylesheet, read from the installed package at run time (the build is
// plain tsc, so nothing is bundled); inlined into every report so it opens with no network.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface HtmlAssets {
  uplotJs: string;
  uplotCss: string;
}

let cached: HtmlAssets | undefined;

export function loadHtmlAssets(): HtmlAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const read = (file: string) => {
    try {
      return readFileSync(require.resolve(`uplot/dist/${file}`), "utf8");
    } catch (err) {
      throw new Error(
        `the HTML report needs the uplot package (uplot/dist/${file}): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  cached = { uplotJs: read("uPlot.iife.min.js"), uplotCss: read("uPlot.min.css") };
  return cached;
}
