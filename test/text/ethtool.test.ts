import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEthtoolStats } from "../../src/text/ethtool.js";

const STATS = `NIC statistics:
     rx_packets: 1843021
     tx_packets: 1512003
     rx_bytes: 2094821123
     rx_errors: 12
     tx_errors: 0
     rx_dropped: 3
     rx_crc_errors: 12
     rx_missed_errors: 0
     rx_fifo_errors: 0
     tx_timeout_count: 1
     rx_queue_0_packets: 921510
`;

test("ethtool -S: error and drop counters kept, volumes not, the interface from the command", () => {
  const r = parseEthtoolStats(`$ ethtool -S eth0\n${STATS}`, "paste");
  assert.equal(r.interface.name, "eth0");
  assert.equal(r.interface.rxPackets, 1843021);
  assert.equal(r.interface.rxErrors, 12);
  assert.equal(r.interface.rxDropped, 3);
  assert.deepEqual(r.interface.nicCounters, {
    rx_errors: 12,
    tx_errors: 0,
    rx_dropped: 3,
    rx_crc_errors: 12,
    rx_missed_errors: 0,
    rx_fifo_errors: 0,
    tx_timeout_count: 1,
  });
  assert.equal(r.interface.source?.line, 2);
  assert.deepEqual(r.warnings, []);
});

test("ethtool -S: interface from an option or a file name, else said to be unknown", () => {
  assert.equal(parseEthtoolStats(STATS, "x", { iface: "ens5" }).interface.name, "ens5");
  assert.equal(parseEthtoolStats(STATS, "bundle/ethtool-S-eno1.txt").interface.name, "eno1");
  const anon = parseEthtoolStats(STATS, "x");
  assert.equal(anon.interface.name, "unknown");
  assert.equal(anon.warnings.length, 1);
});
