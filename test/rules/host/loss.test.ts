import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TcpInfo } from "../../../src/host/types.js";
import { cwndLimitedLossyPath, packetLoss } from "../../../src/rules/host/loss.js";
import { run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

const bulk = (info: TcpInfo, sendQ = 250000) =>
  sock("ESTAB", "10.77.1.1:40005", "10.77.2.1:5201", { sendQ, info: { mss: 1448, ...info } });

describe("packet-loss", () => {
  it("reports the host retransmission ratio over an interval, SYN retries taken out", () => {
    const host = snap({
      counterDeltas: {
        values: { TcpRetransSegs: 59, TcpOutSegs: 3458, TcpExtTCPFastRetrans: 59, TcpExtTCPSynRetrans: 0 },
      },
    });
    const [f] = run(packetLoss, { host });
    assert.equal(f?.id, "packet-loss");
    assert.equal(f?.evidence.dataRetrans, 59);
    assert.equal(f?.evidence.retransRatio, "1.71%");
    assert.equal(f?.evidence.fastRetrans, 59);
    assert.equal(f?.confidence, "high");
  });

  it("does not count SYN / SYN-ACK retransmissions as loss", () => {
    // A SYN flood: 130 SYN-ACK retransmissions to spoofed sources, no data lost.
    const host = snap({
      counterDeltas: { values: { TcpRetransSegs: 130, TcpOutSegs: 7493, TcpExtTCPSynRetrans: 130 } },
    });
    assert.deepEqual(run(packetLoss, { host }), []);
  });

  it("reports a socket that retransmits, naming its destination", () => {
    const host = snap({
      sockets: [bulk({ cc: "cubic", rtt: 20.8, cwnd: 7, retrans: 0, retransTotal: 14, dataSegsOut: 706 })],
    });
    const [f] = run(packetLoss, { host });
    assert.match(f?.summary ?? "", /10\.77\.2\.1:5201/);
    assert.deepEqual((f?.evidence.byDestination as { peer: string }[] | undefined)?.[0]?.peer, "10.77.2.1");
  });

  it("stays silent for a handful of retransmissions and for a clean host", () => {
    const few = snap({
      counterDeltas: { values: { TcpRetransSegs: 3, TcpOutSegs: 120, TcpExtTCPSynRetrans: 0 } },
    });
    assert.deepEqual(run(packetLoss, { host: few }), []);
    const clean = snap({ counters: { TcpRetransSegs: 40, TcpOutSegs: 2_000_000 } });
    assert.deepEqual(run(packetLoss, { host: clean }), []);
  });
});

describe("cwnd-limited-lossy-path", () => {
  it("reports CUBIC held at a small window on a long lossy path", () => {
    const info: TcpInfo = {
      cc: "cubic",
      rtt: 20.8,
      cwnd: 7,
      ssthresh: 3,
      retransTotal: 14,
      dataSegsOut: 706,
      notsent: 243656,
    };
    const [f] = run(cwndLimitedLossyPath, { host: snap({ sockets: [bulk(info)] }) });
    assert.equal(f?.id, "cwnd-limited-lossy-path");
    assert.equal(f?.evidence.cwnd, 7);
    // 7 x 1448 bytes per 20.8 ms = 3.9 Mbit/s.
    assert.equal(f?.evidence.windowRate, "3.9 Mbit/s");
  });

  it("does not blame the window under BBR, on a short path, or with a healthy window", () => {
    const base: TcpInfo = { rtt: 20.8, cwnd: 7, retransTotal: 14, dataSegsOut: 706, notsent: 100000 };
    assert.deepEqual(
      run(cwndLimitedLossyPath, { host: snap({ sockets: [bulk({ ...base, cc: "bbr" })] }) }),
      [],
    );
    assert.deepEqual(
      run(cwndLimitedLossyPath, { host: snap({ sockets: [bulk({ ...base, cc: "cubic", rtt: 0.3 })] }) }),
      [],
    );
    assert.deepEqual(
      run(cwndLimitedLossyPath, { host: snap({ sockets: [bulk({ ...base, cc: "cubic", cwnd: 180 })] }) }),
      [],
    );
    // Idle sender: nothing waiting, the window is not what holds it back.
    const idle = bulk({ ...base, cc: "cubic", notsent: 0 }, 0);
    assert.deepEqual(run(cwndLimitedLossyPath, { host: snap({ sockets: [idle] }) }), []);
  });
});
