#!/usr/bin/env node
// tcpdoctor command line: argument parsing and dispatch. Each command lives in ./commands and is
// loaded on demand so that `tcpdoctor packets` does not pay for the HTML or Prometheus code.
import { platform } from "node:os";
import { Command, CommanderError, Option } from "commander";
import { exitNow } from "../io/gc.js";
import { VERSION } from "../version.js";
import { EXIT_USAGE, errorLine, isInternalError, UserError } from "./errors.js";

function run<A extends unknown[]>(load: () => Promise<{ default: (...args: A) => Promise<number> }>) {
  return async (...args: A) => {
    // commander passes (arguments..., options, command); give commands their options merged with
    // the global ones (--no-color) so each command reads one object.
    const cmd = args[args.length - 1];
    if (cmd instanceof Command && args.length >= 2) args[args.length - 2] = cmd.optsWithGlobals();
    const mod = await load();
    process.exitCode = await mod.default(...args);
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("tcpdoctor")
    .description(
      "Diagnose TCP connection problems from evidence: captures, tcpdump text, socket tables, kernel counters, live hosts and probes.\nWith no command: diagnose this host now.",
    )
    .version(VERSION, "-V, --version")
    .option("--no-color", "never colour the output (NO_COLOR is honoured too)")
    .helpCommand(true)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(usageLine(s, "tcpdoctor --help")) });

  program
    .command("analyze")
    .description(
      "diagnose evidence from files or - (stdin): pcap, pcapng, gzip'd captures, tcpdump text, host text, bundle directories",
    )
    .argument("<input...>", "capture files, text files, bundle directories, or - for stdin")
    .option("--json", "machine-readable output (one JSON object)")
    .option("--config <file>", "thresholds per diagnosis id (YAML or JSON)")
    .option("--connections", "include every connection in the human report")
    .option("--html <file>", "also write a self-contained HTML report")
    .action(run(() => import("./commands/analyze.js")));

  program
    .command("packets")
    .description("one row per TCP packet: relative numbers and Wireshark-compatible analysis flags")
    .argument("<capture>", "pcap/pcapng (gzip ok), tcpdump text, or - for stdin")
    .option("--json", "JSON lines, one object per TCP packet")
    .action(run(() => import("./commands/packets.js")));

  program
    .command("conns")
    .description("one row per TCP connection with its lifecycle and measurements")
    .argument("<capture...>", "pcap/pcapng (gzip ok), tcpdump text, or - for stdin")
    .option("--json", "a JSON array, one object per connection")
    .action(run(() => import("./commands/conns.js")));

  program
    .command("host")
    .description(
      "diagnose this Linux host now: sockets with tcp_info, counters sampled twice, sysctls, conntrack, limits",
    )
    .option("--json", "machine-readable output")
    .option("--interval <seconds>", "seconds between the two counter samples", "1")
    .option("--config <file>", "thresholds per diagnosis id (YAML or JSON)")
    .option("--html <file>", "also write a self-contained HTML report")
    .action(run(() => import("./commands/host.js")));

  program
    .command("collect")
    .description("write the raw evidence of this host into a bundle directory for `analyze` elsewhere")
    .argument("[dir]", "bundle directory to create")
    .option("--interval <seconds>", "seconds between the two counter samples", "1")
    .action(run(() => import("./commands/collect.js")));

  program
    .command("explain")
    .description("annotate a trace, socket table or counters line by line in plain words")
    .argument("[input]", "file, or - for stdin (default)")
    .option("--json", "machine-readable output")
    .action(run(() => import("./commands/explain.js")));

  program
    .command("tune")
    .description("tuning plan: BDP and buffers, backlogs, keepalive, port range, congestion control")
    .option("--rtt <time>", "path round-trip time, e.g. 50ms or 0.05")
    .option("--bandwidth <rate>", "path bandwidth, e.g. 1Gbit, 100Mbps")
    .option("--profile <name>", "workload profile: web, db, bulk, proxy")
    .option("--rate <conn/s>", "new outbound connections per second to one destination")
    .option("--write <file>", "write the proposed /etc/sysctl.d/ file")
    .option("--json", "machine-readable output")
    .action(run(() => import("./commands/tune.js")));

  program
    .command("rules")
    .description("list every diagnosis id; with --prometheus, print Prometheus alerting rules")
    .option("--prometheus", "emit a Prometheus alerting-rules file for the host diagnoses")
    .option("--config <file>", "thresholds per diagnosis id (YAML or JSON) used in the generated rules")
    .option("--json", "machine-readable output")
    .action(run(() => import("./commands/rules.js")));

  program
    .command("probe")
    .description("active connect probes: DNS, connect, classify (refused, timeout, reset, slow), time")
    .argument("<target...>", "host:port ([v6addr]:port for IPv6)")
    .option("--count <n>", "attempts per address", "1")
    .option("--interval <seconds>", "seconds between attempts", "1")
    .option("--timeout <seconds>", "connect timeout per attempt", "10")
    .option("--send <string>", "send this after connecting")
    .option("--expect <string>", "expect this in the reply")
    .option("--json", "machine-readable output")
    .action(run(() => import("./commands/probe.js")));

  program
    .command("capture")
    .description("live capture through tcpdump -w -, analysed while it streams")
    .addOption(new Option("-i, --interface <if>", "interface to capture on").default("any"))
    .option("--filter <bpf>", "BPF capture filter", "tcp or icmp or icmp6")
    .option("--duration <seconds>", "stop after this many seconds")
    .option("--count <n>", "stop after this many packets")
    .option("--write <file>", "keep the raw capture in this pcap file too")
    .option("--html <file>", "also write a self-contained HTML report")
    .option("--json", "machine-readable output")
    .action(run(() => import("./commands/capture.js")));

  program
    .command("watch")
    .description("continuous monitoring with thresholds, alerts, and a Prometheus /metrics endpoint")
    .option("--interval <seconds>", "seconds between snapshots (default 10, or the config's interval)")
    .option("--config <file>", "thresholds (YAML or JSON)")
    .option("--log <file>", "append alerts as JSON lines to this file")
    .option("--prometheus <host:port>", "serve /metrics here (e.g. 127.0.0.1:9469)")
    .option("--once", "take one snapshot, evaluate, print, exit")
    .option("--json", "print each evaluation as JSON")
    .action(run(() => import("./commands/watch.js")));

  // Usage errors of a command point at that command's help.
  for (const sub of program.commands) {
    const help = `tcpdoctor ${sub.name()} --help`;
    sub.configureOutput({ outputError: (s, write) => write(usageLine(s, help)) });
  }

  // No command: diagnose this host. Words left over are a mistyped command, not arguments of it
  // (excess arguments are allowed here only, after the subcommands copied the strict setting).
  program.allowExcessArguments(true).action(async (_opts: unknown, cmd: Command) => {
    if (cmd.args.length > 0) {
      const names = cmd.commands.map((c) => c.name());
      cmd.error(`error: unknown command '${cmd.args[0]}'${suggestion(cmd.args[0], names)}`, {
        code: "commander.unknownCommand",
        exitCode: EXIT_USAGE,
      });
    }
    if (platform() !== "linux") {
      // spec: where the live diagnosis is impossible, say why in one line, then show the usage
      process.stderr.write(
        `tcpdoctor: with no command tcpdoctor diagnoses this host, which needs Linux (this is ${platform()}); give it evidence instead:\n\n`,
      );
      cmd.outputHelp({ error: true });
      process.exitCode = EXIT_USAGE;
      return;
    }
    const host = await import("./commands/host.js");
    process.exitCode = await host.default(cmd.optsWithGlobals());
  });
  return program;
}

/** One line for a failure; a fault of tcpdoctor itself says so, so nobody blames their input. */
function failureLine(err: unknown): string {
  if (!isInternalError(err)) return errorLine(err);
  return `internal error: ${errorLine(err)}${process.env.TCPDOCTOR_DEBUG ? "" : " (TCPDOCTOR_DEBUG=1 shows where)"}`;
}

/** commander's "error: ...\n" as one tcpdoctor line with where to get help. */
function usageLine(message: string, help: string): string {
  return `tcpdoctor: ${message.replace(/^error: /, "").trim()} (see ${help})\n`;
}

/** " (did you mean X?)" for a name within two edits of a known one. */
function suggestion(word: string, names: string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = editDistance(word.toLowerCase(), name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${best}?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every parse error is a usage error (2)
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0)
        return 0;
      return EXIT_USAGE;
    }
    process.stderr.write(`tcpdoctor: ${failureLine(err)}\n`);
    if (process.env.TCPDOCTOR_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof UserError ? err.exitCode : EXIT_USAGE;
  }
}

// A closed pipe (`tcpdoctor packets x | head`) is a normal way to stop reading, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") exitNow(typeof process.exitCode === "number" ? process.exitCode : 0);
  throw err;
});

/** Resolves once `stream` has handed everything written to it to the OS (or can take no more). */
function drained(stream: NodeJS.WriteStream): Promise<void> | undefined {
  if (stream.writableLength === 0 || stream.destroyed) return undefined;
  return new Promise((resolve) => {
    stream.once("drain", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
}

/**
 * Ends the process with `code` once stdout and stderr are drained. process.exit skips what an
 * exit by an empty event loop does first: freeing the environment and, page by page, the
 * JavaScript heap (20–40 ms after a large analysis). Nothing else is pending by then: every
 * command awaits its own work.
 */
async function endProcess(code: number): Promise<void> {
  process.exitCode = code;
  await drained(process.stdout);
  await drained(process.stderr);
  exitNow(code);
}

main(process.argv).then(endProcess, (err) => {
  process.stderr.write(`tcpdoctor: ${failureLine(err)}\n`);
  return endProcess(EXIT_USAGE);
});
