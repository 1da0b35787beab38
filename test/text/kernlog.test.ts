import assert from "node:assert/strict";
import { test } from "node:test";
import { parseKernLog } from "../../src/text/kernlog.js";

const LOG = [
  "[    0.000000] Linux version 6.1.0 (debian-kernel@lists.debian.org)",
  "[12345.678] nf_conntrack: table full, dropping packet",
  "[12346.001] nf_conntrack: nf_conntrack: table full, dropping packet",
  "[20000.100] TCP: request_sock_TCP: Possible SYN flooding on port 8080. Sending cookies.  Check SNMP counters.",
  "[20001.100] TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.",
  "[30000.000] TCP: out of memory -- consider tuning tcp_mem",
  "[30001.000] TCP: too many orphaned sockets",
  "[40000.000] IPv4: martian source 10.0.0.1 from 192.168.1.5, on dev eth0",
  "[40000.000] ll header: 00000000: ff ff ff ff ff ff 52 54 00 12 34 56 08 06",
  "[50000.000] e1000e: eth0 NIC Link is Down",
  "[50003.000] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
  "[50004.000] igb 0000:03:00.0 eno1: igb: eno1 NIC Link is Down",
  "[50005.000] bond0: link status definitely down for interface eth1, disabling it",
  "[60000.000] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
].join("\n");

test("kernel log: the lines that concern TCP, classified, with their subject", () => {
  const r = parseKernLog(LOG, "dmesg.txt");
  assert.equal(r.total, 14);
  assert.deepEqual(
    r.lines.map((l) => [l.kind, l.subject]),
    [
      ["conntrack-full", undefined],
      ["conntrack-full", undefined],
      ["syn-flood", "8080"],
      ["syn-flood", "443"],
      ["tcp-oom", undefined],
      ["too-many-orphans", undefined],
      ["martian", "10.0.0.1"],
      ["nic-down", "eth0"],
      ["other", "eth0"],
      ["nic-down", "eno1"],
      ["nic-down", "eth1"],
    ],
  );
  assert.equal(r.lines[0].source?.line, 2);
  assert.equal(r.lines[0].text, "nf_conntrack: table full, dropping packet");
});

test("journalctl -k, short-iso and dmesg -T prefixes", () => {
  const r = parseKernLog(
    [
      "Mar 08 14:00:01 web1 kernel: nf_conntrack: table full, dropping packet",
      "2026-03-08T14:00:02+0000 web1 kernel: TCP: out of memory -- consider tuning tcp_mem",
      "[Sun Mar  8 14:00:03 2026] TCP: too many orphaned sockets",
      "Mar 08 14:00:04 web1 systemd[1]: Started something.",
    ].join("\n"),
    "j",
  );
  assert.deepEqual(
    r.lines.map((l) => l.kind),
    ["conntrack-full", "tcp-oom", "too-many-orphans"],
  );
  assert.equal(r.lines[1].text, "TCP: out of memory -- consider tuning tcp_mem");
});

test("kernel log: unrelated text yields nothing and no error", () => {
  assert.deepEqual(parseKernLog("hello\nworld\n", "x").lines, []);
  assert.deepEqual(parseKernLog("", "x"), { lines: [], total: 0, warnings: [] });
});
