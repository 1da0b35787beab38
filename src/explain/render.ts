// Text rendering of explained lines: each input line as given, its notes indented below it.
import pc from "picocolors";
import type { ExplainedLine } from "./types.js";

export interface RenderExplainOptions {
  color: boolean;
  /** Wrap notes at this width (0 = no wrapping). Default 100. */
  width?: number;
  /** Closing conclusions, printed after the lines. */
  summary?: string[];
}

function wrap(text: string, width: number, indent: string): string[] {
  if (width <= 0 || indent.length + text.length <= width) return [indent + text];
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(indent + line);
  return out;
}

/** The input with its notes: original line, then "  ↳ note" lines (wrapped, continuation aligned). */
export function renderExplain(lines: ExplainedLine[], opts: RenderExplainOptions): string {
  const colors = pc.createColors(opts.color);
  const width = opts.width ?? 100;
  const out: string[] = [];
  for (const l of lines) {
    out.push(l.notes.length ? colors.bold(l.text) : colors.dim(l.text));
    for (const note of l.notes) {
      const wrapped = wrap(note, width, "      ");
      wrapped[0] = `    ${colors.cyan("↳")} ${wrapped[0].trimStart()}`;
      out.push(...wrapped);
    }
  }
  if (opts.summary?.length) {
    out.push("", colors.bold("In short:"));
    for (const s of opts.summary) {
      const wrapped = wrap(s, width, "    ");
      wrapped[0] = `  ${colors.yellow("•")} ${wrapped[0].trimStart()}`;
      out.push(...wrapped);
    }
  }
  return `${out.join("\n")}\n`;
}
