// Pasted shell transcripts: "$ command" lines with their outputs. A tcpdump trace inside one is
// told apart from the other outputs, and counts printed instead of socket tables
// (`ss -tan state close-wait | wc -l`) are read as counts of that state.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { captureCommandOf, commandOf } from "../../src/text/common.js";
import { countedState, parseHostText, splitTranscript } from "../../src/text/detect.js";
import { parseTcpdump, tcpdumpRecordSpans } from "../../src/text/tcpdump.js";
import { fixturesDir } from "../helpers.js";

const seed = (name: string) => readFileSync(join(fixturesDir, "explain", name), "utf8");

/** 1-based line numbers of the non-blank lines of a text. */
function filledLines(text: string): number[] {
  return text
    .split("\n")
    .map((l, i) => (l.trim() ? i + 1 : 0))
    .filter((n) => n > 0);
}

describe("captureCommandOf", () => {
  test("names tcpdump runs behind any prompt, and nothing else", () => {
    assert.equal(
      captureCommandOf("$ sudo tcpdump -i eth0 'tcp[tcpflags] & tcp-syn != 0' -tnn"),
      "tcpdump -i eth0 'tcp[tcpflags] & tcp-syn != 0' -tnn",
    );
    assert.equal(captureCommandOf("root@web1:~# tcpdump -nn -r x.pcap"), "tcpdump -nn -r x.pcap");
    assert.equal(captureCommandOf("$ ss -tan"), undefined);
    assert.equal(
      captureCommandOf("IP 10.0.0.5.51514 > 10.0.0.9.6379: Flags [S], seq 1, length 0"),
      undefined,
    );
    // commandOf keeps its meaning: host tools only
    assert.equal(commandOf("$ sudo tcpdump -i eth0"), undefined);
  });
});

describe("splitTranscript", () => {
  test("trace2: the tcpdump section and the nstat section apart, line numbers kept", () => {
    const text = seed("trace2-syn-flood.txt");
    const parts = splitTranscript(text);
    assert.ok(parts, "a trace and another output: split");
    const total = text.split("\n").length;
    assert.equal(parts.tcpdump.split("\n").length, total);
    assert.equal(parts.host.split("\n").length, total);
    assert.deepEqual(filledLines(parts.tcpdump), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(filledLines(parts.host), [7, 8, 9]);
    // the packets keep the line numbers of the whole paste
    const trace = parseTcpdump(parts.tcpdump, { path: "t" });
    assert.equal(trace.packets.length, 4);
    assert.deepEqual(
      tcpdumpRecordSpans(parts.tcpdump).map((r) => r.firstLine),
      [2, 3, 4, 5],
    );
    const host = parseHostText(parts.host, "t");
    assert.equal(host.kind, "nstat");
    assert.equal(host.snapshot.counters?.TcpExtSyncookiesSent, 41827);
    assert.equal(host.snapshot.counterSources?.TcpExtSyncookiesRecv?.line, 9);
    assert.deepEqual(host.warnings, []);
  });

  test("a trace alone, or host outputs alone, are left whole", () => {
    assert.equal(splitTranscript(seed("trace1-handshake.txt")), undefined);
    assert.equal(splitTranscript(seed("trace3-close-wait.txt")), undefined);
    assert.equal(splitTranscript(seed("trace4-ss-slow-transfer.txt")), undefined);
    // the tcpdump command line above its own packets is still one trace
    const withCommand = `$ sudo tcpdump -nn -i eth0 port 6379\n${seed("trace1-handshake.txt")}`;
    assert.equal(splitTranscript(withCommand), undefined);
  });

  test("a trace printed by another command, before and after host outputs", () => {
    const text = [
      "$ nstat -az TcpExtListenOverflows",
      "TcpExtListenOverflows           17                 0.0",
      "$ cat /tmp/trace.txt",
      seed("trace1-handshake.txt").trimEnd(),
      "$ ss -s",
      "TCP:   12 (estab 3, closed 1, orphaned 0, timewait 1)",
    ].join("\n");
    const parts = splitTranscript(text);
    assert.ok(parts);
    assert.deepEqual(filledLines(parts.tcpdump), [3, 4, 5, 6, 7]);
    assert.deepEqual(filledLines(parts.host), [1, 2, 8, 9]);
    const host = parseHostText(parts.host, "t");
    assert.equal(host.snapshot.counters?.TcpExtListenOverflows, 17);
    assert.equal(host.snapshot.summary?.estab, 3);
  });

  test("a command with no output does not make a paste mixed", () => {
    const text = `${seed("trace1-handshake.txt")}$ nstat -az\n\n`;
    assert.equal(splitTranscript(text), undefined);
  });
});

describe("countedState", () => {
  test("one TCP state counted, with or without ss's header line", () => {
    assert.deepEqual(countedState("ss -tan state close-wait | wc -l"), { state: "CLOSE-WAIT", header: true });
    assert.deepEqual(countedState("ss -tanH state time-wait | wc -l"), { state: "TIME-WAIT", header: false });
    assert.deepEqual(countedState("ss -tan state established | wc -l"), { state: "ESTAB", header: true });
    // a grep that keeps the state's lines drops the header as well
    assert.deepEqual(countedState("ss -tan | grep -i close-wait | wc -l"), {
      state: "CLOSE-WAIT",
      header: false,
    });
    assert.deepEqual(countedState("netstat -tan | grep CLOSE_WAIT | wc -l"), {
      state: "CLOSE-WAIT",
      header: false,
    });
    assert.deepEqual(countedState("netstat -an | grep -c SYN_RECV"), { state: "SYN-RECV", header: false });
    assert.deepEqual(countedState("ss -tan state close-wait | awk 'NR>1' | wc -l"), {
      state: "CLOSE-WAIT",
      header: false,
    });
    // a grep -v takes lines away but keeps the header
    assert.deepEqual(countedState("ss -tan state close-wait | grep -v 127.0.0.1 | wc -l"), {
      state: "CLOSE-WAIT",
      header: true,
    });
  });

  test("counts of something else are not a state's count", () => {
    for (const cmd of [
      "ss -tan | wc -l",
      "ss -tan state close-wait",
      "ss -tan state connected | wc -l",
      "ss -tan state time-wait state close-wait | wc -l",
      "ss -tan exclude listening | wc -l",
      "ss -tan | grep -E 'CLOSE-WAIT|TIME-WAIT' | wc -l",
      "ss -tan | grep -v LISTEN | wc -l",
      "ss -tan | grep -c ':443'",
      "ss -tan | sort | wc -l",
      // without -t, ESTAB lines of unix and udp sockets are counted too
      "ss state established | wc -l",
      "ls /proc/1234/fd | wc -l",
    ]) {
      assert.equal(countedState(cmd), undefined, cmd);
    }
  });
});

describe("parseHostText: counts in a transcript", () => {
  test("trace3: CLOSE-WAIT and ESTAB counts with the lines they came from", () => {
    const r = parseHostText(seed("trace3-close-wait.txt"), "trace3.txt");
    assert.equal(r.kind, "mixed");
    assert.deepEqual(r.snapshot.stateCounts, { ESTAB: 12383, "CLOSE-WAIT": 9820 });
    assert.deepEqual(
      r.snapshot.stateCountSources?.["CLOSE-WAIT"]?.map((s) => [s.file, s.line, s.text]),
      [
        ["trace3.txt", 3, "$ ss -tan state close-wait | wc -l"],
        ["trace3.txt", 4, "9821"],
      ],
    );
    assert.equal(r.snapshot.summary?.timewait, 1247);
    // each count says how it was read; the ps listing is still not host evidence
    assert.ok(r.warnings.some((w) => /trace3\.txt:3: .*printed 9821: read as 9820 CLOSE-WAIT/.test(w)));
    assert.ok(r.warnings.some((w) => /trace3\.txt:8: .*ps -p 1234/.test(w)));
  });

  test("a paste of one count command is read by that command", () => {
    const r = parseHostText("$ ss -tan state time-wait | wc -l\n   1248\n", "tw.txt");
    assert.equal(r.kind, "socket-count");
    assert.deepEqual(r.snapshot.stateCounts, { "TIME-WAIT": 1247 });
    assert.equal(r.snapshot.stateCountSources?.["TIME-WAIT"]?.[1]?.line, 2);
  });

  test("two counts of one state keep the larger", () => {
    const text = [
      "$ ss -tan state close-wait '( sport = :8080 )' | wc -l",
      "41",
      "$ netstat -tan | grep -c CLOSE_WAIT",
      "57",
    ].join("\n");
    const r = parseHostText(text, "x");
    assert.deepEqual(r.snapshot.stateCounts, { "CLOSE-WAIT": 57 });
    assert.equal(r.snapshot.stateCountSources?.["CLOSE-WAIT"]?.[0]?.line, 3);
  });

  test("a descriptor count of a process, and counts of nothing we read", () => {
    const fds = parseHostText("$ ls /proc/1234/fd | wc -l\n1021\n$ ss -tan | wc -l\n77\n", "x");
    assert.deepEqual(
      fds.snapshot.processes?.map((p) => [p.pid, p.openFds]),
      [[1234, 1021]],
    );
    assert.equal(fds.snapshot.stateCounts, undefined);
    assert.ok(fds.warnings.some((w) => /x:3: "ss -tan \| wc -l" prints a count/.test(w)));
    // a count line that is not a number is not taken as one
    const odd = parseHostText("$ ss -tan state close-wait | wc -l\nwc: invalid option\n", "y");
    assert.equal(odd.snapshot.stateCounts, undefined);
  });
});
