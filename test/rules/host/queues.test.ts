import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { recvQueueBacklog, sendQueueStall } from "../../../src/rules/host/queues.js";
import { owner, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

describe("recv-queue-backlog", () => {
  it("reports a receive buffer filled by an application that does not read", () => {
    const s = sock("ESTAB", "10.77.0.2:5001", "10.77.0.1:40007", {
      recvQ: 11584,
      skmem: { r: 16080, rb: 16384 },
      info: { lastrcv: 1432 },
      ...owner("python3", 4909, 4),
    });
    const [f] = run(recvQueueBacklog, { host: snap({ sockets: [s] }) });
    assert.equal(f?.id, "recv-queue-backlog");
    assert.equal(f?.evidence.recvQ, 11584);
    assert.match(f?.fix ?? "", /python3/);
  });

  it("ignores small or briefly filled queues, and listeners", () => {
    const small = sock("ESTAB", "10.0.0.2:8080", "10.0.0.1:42000", {
      recvQ: 67,
      skmem: { r: 899, rb: 131072 },
    });
    const roomy = sock("ESTAB", "10.0.0.2:5001", "10.0.0.1:40007", {
      recvQ: 20000,
      skmem: { r: 30000, rb: 6291456 },
    });
    const lst = sock("LISTEN", "0.0.0.0:80", "0.0.0.0:*", { recvQ: 90000, sendQ: 128 });
    assert.deepEqual(run(recvQueueBacklog, { host: snap({ sockets: [small, roomy, lst] }) }), []);
  });
});

describe("send-queue-stall", () => {
  it("reports a send queue stuck behind the peer's zero window", () => {
    const s = sock("ESTAB", "10.77.0.1:40007", "10.77.0.2:5001", {
      sendQ: 39096,
      timer: { name: "persist", expiresMs: 24, retrans: 1 },
      skmem: { tb: 46080, w: 49080 },
      info: { backoff: 2, lastack: 1276, busyMs: 1580, rwndLimitedMs: 1580, notsent: 39096 },
    });
    const [f] = run(sendQueueStall, { host: snap({ sockets: [s] }) });
    assert.equal(f?.id, "send-queue-stall");
    assert.equal(f?.evidence.reason, "zero-window");
  });

  it("reports data not acknowledged for a long time", () => {
    const s = sock("ESTAB", "10.0.0.1:40000", "10.0.0.9:443", {
      sendQ: 80000,
      info: { lastack: 4000, unacked: 10 },
    });
    assert.equal(run(sendQueueStall, { host: snap({ sockets: [s] }) })[0]?.evidence.reason, "no-ack");
  });

  it("does not call a busy bulk sender stalled", () => {
    // Send-Q full while the network drains it: acknowledged recently, window open.
    const s = sock("ESTAB", "10.77.1.1:40005", "10.77.2.1:5201", {
      sendQ: 253792,
      timer: { name: "on", expiresMs: 44, retrans: 0 },
      skmem: { tb: 359424, w: 262112 },
      info: { busyMs: 948, rwndLimitedMs: 28, sndWnd: 1616896, notsent: 243656 },
    });
    assert.deepEqual(run(sendQueueStall, { host: snap({ sockets: [s] }) }), []);
  });
});
