// Host rules over thin evidence an operator pastes: socket counts without the rows
// (HostSnapshot.stateCounts) and absolute SYN cookie counters without an interval.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SourceRef } from "../../../src/host/types.js";
import { closeWaitLeak } from "../../../src/rules/host/close-wait.js";
import { synFlood } from "../../../src/rules/host/syn.js";
import { many, owner, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

const countRefs = (printed: number): SourceRef[] => [
  { file: "paste.txt", line: 3, text: "$ ss -tan state close-wait | wc -l" },
  { file: "paste.txt", line: 4, text: String(printed) },
];

/** A snapshot holding only a CLOSE-WAIT count, as `ss -tan state close-wait | wc -l` gives it. */
const counted = (n: number) =>
  snap({ stateCounts: { "CLOSE-WAIT": n }, stateCountSources: { "CLOSE-WAIT": countRefs(n + 1) } });

describe("close-wait-leak from a count", () => {
  it("a large count alone is critical, cites the count's lines and says how to find the owner", () => {
    const [f, ...rest] = run(closeWaitLeak, { host: counted(9820) });
    assert.equal(rest.length, 0);
    assert.equal(f?.id, "close-wait-leak");
    assert.equal(f?.severity, "critical");
    assert.equal(f?.confidence, "medium");
    assert.equal(f?.evidence.closeWaitCounted, 9820);
    assert.match(f?.summary ?? "", /^9820 sockets sit in CLOSE-WAIT/);
    assert.match(f?.summary ?? "", /printed 9821, ss's header line included/);
    assert.match(f?.summary ?? "", /ss -tanp state close-wait/);
    assert.match(f?.fix ?? "", /ss -tanp state close-wait/);
    assert.deepEqual(
      f?.sources?.map((s) => `${s.file}:${s.line}`),
      ["paste.txt:3", "paste.txt:4"],
    );
  });

  it("a modest count is a warning of low confidence; a few are nothing", () => {
    const [f] = run(closeWaitLeak, { host: counted(40) });
    assert.equal(f?.severity, "warning");
    assert.equal(f?.confidence, "low");
    assert.deepEqual(run(closeWaitLeak, { host: counted(6) }), []);
    assert.deepEqual(run(closeWaitLeak, { host: counted(40) }, { minSockets: 50 }), []);
  });

  it("a count no larger than the rows listed adds nothing to them", () => {
    // 3 transient sockets listed and counted: below the threshold either way
    const rows = many(3, (i) => sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.1:${41000 + i}`));
    const host = snap({ sockets: rows, stateCounts: { "CLOSE-WAIT": 3 } });
    assert.deepEqual(run(closeWaitLeak, { host }), []);
  });

  it("rows naming the owner keep their finding; a larger count beside them makes it critical", () => {
    const rows = many(12, (i) =>
      sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.1:${41000 + i}`, { ...owner("app-server", 1234) }),
    );
    const listed = run(closeWaitLeak, { host: snap({ sockets: rows }) })[0];
    assert.equal(listed?.severity, "warning");
    const withCount = run(closeWaitLeak, {
      host: snap({
        sockets: rows,
        stateCounts: { "CLOSE-WAIT": 9820 },
        stateCountSources: { "CLOSE-WAIT": countRefs(9821) },
      }),
    })[0];
    assert.equal(withCount?.severity, "critical");
    assert.equal(withCount?.confidence, "high");
    assert.match(withCount?.summary ?? "", /app-server \(pid 1234\)/);
    assert.match(withCount?.summary ?? "", /9820 CLOSE-WAIT sockets in all/);
    assert.equal(withCount?.evidence.closeWaitCounted, 9820);
    assert.ok(withCount?.sources?.some((s) => s.line === 4 && s.text === "9821"));
  });
});

describe("syn-flood from absolute cookie counters", () => {
  const refs = {
    TcpExtSyncookiesSent: { file: "paste.txt", line: 8, text: "TcpExtSyncookiesSent            41827" },
    TcpExtSyncookiesRecv: { file: "paste.txt", line: 9, text: "TcpExtSyncookiesRecv              312" },
  };

  it("an extreme ratio of large counters since boot is a flood, with low confidence", () => {
    const host = snap({
      counters: { TcpExtSyncookiesSent: 41827, TcpExtSyncookiesRecv: 312 },
      counterSources: refs,
    });
    const [f] = run(synFlood, { host });
    assert.equal(f?.id, "syn-flood");
    assert.equal(f?.severity, "warning");
    assert.equal(f?.confidence, "low");
    assert.match(f?.summary ?? "", /41827 SYN cookies sent but only 312 came back \(counted since boot\)/);
    assert.match(f?.summary ?? "", /absorb/);
    assert.deepEqual(
      f?.sources?.map((s) => `${s.file}:${s.line}`),
      ["paste.txt:8", "paste.txt:9"],
    );
  });

  it("the same numbers as an interval's increase are stronger evidence", () => {
    const delta = snap({
      counterDeltas: { values: { TcpExtSyncookiesSent: 41827, TcpExtSyncookiesRecv: 312 } },
    });
    assert.equal(run(synFlood, { host: delta })[0]?.confidence, "medium");
  });

  it("stays silent for counters since boot that are small, returned, or contradicted by a socket table", () => {
    const small = snap({ counters: { TcpExtSyncookiesSent: 9000, TcpExtSyncookiesRecv: 2 } });
    assert.deepEqual(run(synFlood, { host: small }), []);
    // a fifth came back: clients completing handshakes, not a spoofed flood
    const returned = snap({ counters: { TcpExtSyncookiesSent: 41827, TcpExtSyncookiesRecv: 8000 } });
    assert.deepEqual(run(synFlood, { host: returned }), []);
    // a socket table with an empty SYN queue shows the flood is over
    const over = snap({
      sockets: [sock("LISTEN", "10.0.0.2:443", "0.0.0.0:*", { sendQ: 4096 })],
      counters: { TcpExtSyncookiesSent: 41827, TcpExtSyncookiesRecv: 312 },
    });
    assert.deepEqual(run(synFlood, { host: over }), []);
    // thresholds are configurable
    const host = snap({ counters: { TcpExtSyncookiesSent: 41827, TcpExtSyncookiesRecv: 312 } });
    assert.deepEqual(run(synFlood, { host }, { minAbsoluteCookiesSent: 50000 }), []);
  });
});
