// A larger kernel buffer for a pipe we read a capture from (Linux F_SETPIPE_SZ).
//
// Why: a default pipe holds 64 KiB, so a 182 MB capture fed by `cat` or `tcpdump -w -` takes
// ~2,800 reads, each of which must wait for the writer to be woken and refill the pipe; reading
// it that way took 1.2-1.3 times as long as reading the file. With a 1 MiB pipe the same capture
// takes ~175 reads and about the file's time. The writer gains too: tcpdump
// writing into a fuller buffer blocks less often, and a sniffer that blocks drops packets.
//
// How: Node has no fcntl, so a one-line perl (part of every Debian and Ubuntu base system) is
// given the pipe as its stdin and resizes it; the pipe is the same kernel object for both
// processes. Fixed argv, no shell. Best effort: without perl, or when the kernel refuses (the
// per-user pipe quota, /proc/sys/fs/pipe-max-size), the pipe keeps its size and nothing else
// changes. The child runs alongside the reads; nothing waits for it.

import type { ChildProcess } from "node:child_process";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { createRequire } from "node:module";

// node:child_process takes ~5 ms to load: only a bulk pipe reader pays for it.
const requireBuiltin = createRequire(import.meta.url);

/** What a pipe is enlarged to: the default /proc/sys/fs/pipe-max-size, allowed to any user. */
export const PIPE_BYTES = 1024 * 1024;

/** A default pipe's capacity: a read this large found the pipe full, i.e. a bulk writer. */
export const DEFAULT_PIPE_BYTES = 64 * 1024;

/**
 * F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7); $ARGV[0] is the size, made a number (perl's fcntl
 * passes a string argument as a pointer to it). Exit status 1 when refused.
 */
const RESIZE_SCRIPT = "fcntl(STDIN, 1031, 0 + $ARGV[0]) or exit 1";

/**
 * Asks for the pipe on `fd` to hold `bytes`. Returns the child doing it (to wait for, in tests),
 * or undefined where pipes cannot be resized (not Linux). Never throws and never keeps the
 * process alive: a missing perl or a refusal only leaves the pipe as it was.
 */
export function enlargePipe(fd: number, bytes = PIPE_BYTES, perl = "perl"): ChildProcess | undefined {
  if (process.platform !== "linux") return undefined;
  let child: ChildProcess;
  try {
    const { spawn } = requireBuiltin("node:child_process") as typeof import("node:child_process");
    child = spawn(perl, ["-e", RESIZE_SCRIPT, String(bytes)], { stdio: [fd, "ignore", "ignore"] });
  } catch {
    return undefined;
  }
  // ENOENT and the like arrive as an event; unheard, it would end the process.
  child.on("error", () => {});
  child.unref();
  return child;
}

/**
 * Ends a read left waiting on the pipe `fd` (we read it and are leaving early): one byte is
 * written into the pipe through /proc/self/fd, which opens the same pipe for writing. The read
 * gets that byte, which nobody wants any more. Needed because libuv joins its thread pool at exit
 * and a thread blocked in read() on a pipe whose writer stays open and silent never returns.
 * Non-blocking: a full pipe (EAGAIN) means the read has data and ends by itself. Best effort
 * elsewhere (no /proc): the read ends when the writer writes or closes.
 */
export function wakePipeReader(fd: number): void {
  let w: number | undefined;
  try {
    w = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(w, WAKE_BYTE);
  } catch {
    // EAGAIN (full: the read returns anyway), ENOENT (no /proc), ENXIO (nobody reading any more).
  } finally {
    if (w !== undefined) closeSync(w);
  }
}

const WAKE_BYTE = new Uint8Array(1);
