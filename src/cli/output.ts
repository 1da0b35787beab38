// Terminal output: one colour decision (TTY, NO_COLOR, --no-color) and a buffered stdout writer
// that respects back-pressure, so `packets --json > file` on a large capture stays fast and bounded.
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import pc from "picocolors";
import { interruptPipeInputs, isPipeInput } from "../io/capture-source.js";
import { exitNow } from "../io/gc.js";
import { UserError } from "./errors.js";

export type Colors = ReturnType<typeof pc.createColors>;

export function useColor(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY);
}

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** Accumulates text and flushes in large writes; await `drain()` between batches to honour back-pressure. */
export class BufferedWriter {
  private parts: string[] = [];
  private size = 0;
  constructor(
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly limit = 1 << 16,
  ) {}

  /** Returns true when the caller should await flush() before writing more. */
  write(s: string): boolean {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= this.limit;
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.parts.join("");
    this.parts = [];
    this.size = 0;
    await writeWaiting(this.out, text);
  }
}

/**
 * Writes to stdout; when its buffer is full, returns a promise of the "drain" that lets the caller
 * wait before producing more (output of millions of rows stays bounded in memory).
 */
export function writeStdout(text: string): Promise<void> | undefined {
  return writeWaiting(process.stdout, text);
}

function writeWaiting(out: NodeJS.WritableStream, text: string): Promise<void> | undefined {
  if (out.write(text)) return undefined;
  return new Promise((resolve) => out.once("drain", resolve));
}

export function warn(message: string): void {
  process.stderr.write(`tcpdoctor: warning: ${message}\n`);
}

/**
 * Fails before any work when a file named by an option cannot be created: finding out after a
 * long analysis, with the report already printed, is worse.
 */
export async function checkOutputFile(option: string, path: string): Promise<void> {
  const dir = await stat(dirname(path)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new UserError(`${option} ${path}: no such directory`);
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new UserError(`${option} ${path}: is a directory, expected a file name`);
}

/** Whether stdin is a terminal; node:tty (and the net module it loads) only when asked. */
function stdinIsTerminal(): boolean {
  const tty = createRequire(import.meta.url)("node:tty") as typeof import("node:tty");
  return tty.isatty(0);
}

/**
 * Readies the command's inputs for reading:
 * - waiting silently for a terminal to type a capture looks like a hang: say what is awaited;
 * - when one is a pipe (`tcpdump -w - | tcpdoctor conns -`, a named pipe), the first Ctrl-C ends
 *   the input instead of the process, so what was read so far is still reported, as tcpdump
 *   itself does; a second Ctrl-C, or one once nothing is read from a pipe any more, quits (130).
 */
export function prepareInputs(inputs: string[]): void {
  // isatty(0), not process.stdin.isTTY: making process.stdin would turn a pipe non-blocking, and
  // the capture reader's own reads of pipes and sockets need them blocking.
  if (inputs.includes("-") && stdinIsTerminal())
    process.stderr.write(
      "tcpdoctor: reading from stdin (pipe a capture or command output in; Ctrl-D ends)\n",
    );
  if (!inputs.some(isPipeInput)) return;
  let interrupted = false;
  process.on("SIGINT", () => {
    if (!interrupted && interruptPipeInputs() > 0) {
      interrupted = true;
      process.stderr.write("tcpdoctor: interrupted: reporting what was read (Ctrl-C again quits)\n");
      return;
    }
    exitNow(EXIT_INTERRUPTED);
  });
}

/** Exit status of a command ended by Ctrl-C (128 + SIGINT, as a shell reports it). */
const EXIT_INTERRUPTED = 130;

/** A warning about one input, named once even when the parser already put the path in front. */
export function warnInput(path: string, message: string): void {
  warn(message.startsWith(`${path}:`) ? message : `${path}: ${message}`);
}
