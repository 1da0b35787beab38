// Terminal output: one colour decision (TTY, NO_COLOR, --no-color) and a buffered stdout writer
// that respects back-pressure, so `packets --json > file` on a large capture stays fast and bounded.
import pc from "picocolors";

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
    if (!this.out.write(text)) {
      await new Promise<void>((resolve) => this.out.once("drain", resolve));
    }
  }
}

export function warn(message: string): void {
  process.stderr.write(`tcpdoctor: warning: ${message}\n`);
}
