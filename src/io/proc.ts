// Thin system adapters for the live host snapshot: run a program (argument array, never a shell),
// read a file, list a directory, the clock. Everything above them takes an implementation of
// HostIo, so tests can fake the whole machine.
import { spawn } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { readFile as fsReadFile, readdir } from "node:fs/promises";

export interface ExecResult {
  /** Exit status, or null when killed (timeout) or never started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run to completion: "ENOENT" (not installed), "EACCES", "TIMEOUT", "TOO-LARGE", other errno. */
  error?: string;
}

export interface ExecOptions {
  /** Kill the program after this long (default 60 s). */
  timeoutMs?: number;
  /** Refuse output beyond this many bytes (default 1 GiB). */
  maxBytes?: number;
}

export interface HostIo {
  exec(file: string, args: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Reads a text file; rejects with the errno in `code` (ENOENT, EACCES...). */
  readFile(path: string): Promise<string>;
  /** Names in a directory; rejects like readFile. */
  readDir(path: string): Promise<string[]>;
  /**
   * Every symbolic link in a directory with its target, in directory order ([name, target]); links
   * that vanish while read are left out. Rejects like readDir. Made for /proc/PID/fd.
   */
  readLinks(path: string): Promise<[string, string][]>;
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Wall-clock time as ISO text. */
  wallClock(): string;
  /** Effective user id (0 = root: every process's sockets and descriptors are visible). */
  uid(): number;
}

/** Runs a program with an argument array (no shell) and collects its output. */
export function execFile(file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024 * 1024;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let error: string | undefined;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    } catch (e) {
      resolve({
        code: null,
        stdout: "",
        stderr: String(e),
        error: (e as NodeJS.ErrnoException).code ?? "ERROR",
      });
      return;
    }
    const timer = setTimeout(() => {
      error = "TIMEOUT";
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout?.on("data", (b: Buffer) => {
      size += b.length;
      if (size > maxBytes) {
        error = "TOO-LARGE";
        child.kill("SIGKILL");
        return;
      }
      out.push(b);
    });
    child.stderr?.on("data", (b: Buffer) => {
      if (err.length < 64) err.push(b);
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      error = error ?? e.code ?? "ERROR";
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code: error ? null : code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ...(error ? { error } : {}),
      });
    });
  });
}

/** Links read between two turns of the event loop, so a process with 100k descriptors does not stall it. */
const LINKS_PER_TURN = 2048;

/**
 * readLinks of the real machine. A process can hold 100k descriptors: the links are read with the
 * synchronous calls (far cheaper than a promise per link), a batch at a time.
 */
async function readLinks(path: string): Promise<[string, string][]> {
  const names = readdirSync(path);
  const out: [string, string][] = [];
  for (let i = 0; i < names.length; i++) {
    if (i > 0 && i % LINKS_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    try {
      out.push([names[i], readlinkSync(`${path}/${names[i]}`)]);
    } catch {
      // closed since the directory was listed
    }
  }
  return out;
}

/** The real machine. */
export const systemIo: HostIo = {
  exec: execFile,
  readFile: (path) => fsReadFile(path, "utf8"),
  readDir: (path) => readdir(path),
  readLinks,
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  wallClock: () => new Date().toISOString(),
  uid: () => (typeof process.getuid === "function" ? process.getuid() : 0),
};

/** The errno of a rejected read ("ENOENT", "EACCES", ...). */
export function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? "ERROR";
}
