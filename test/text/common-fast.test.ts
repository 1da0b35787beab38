// Shortcuts the text helpers take for 100k-line tables: a prompt check before the command pattern,
// plain-digit fast paths, and a bounded cache of host parts. Each must answer as the long way does.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  commandOf,
  parseRateBps,
  portNumber,
  socketState,
  splitHostPort,
  toInt,
} from "../../src/text/common.js";

test("commandOf: every prompt spelling still found, socket lines rejected", () => {
  assert.equal(commandOf("$ ss -tan"), "ss -tan");
  assert.equal(commandOf("  $ss -s"), "ss -s");
  assert.equal(commandOf("# ss -s"), "ss -s");
  assert.equal(commandOf("root@h:~# nstat -az"), "nstat -az");
  assert.equal(commandOf("user@box:~$ sudo ss -tanp"), "ss -tanp");
  assert.equal(commandOf("[root@h ~]# ip route get 10.0.0.1"), "ip route get 10.0.0.1");
  assert.equal(commandOf("host% netstat -s"), "netstat -s");
  assert.equal(commandOf("> ss -ltn"), "ss -ltn");
  // leading whitespace of any kind the pattern knows, a tab after the prompt
  assert.equal(commandOf("\u00a0\t$\tss -tan"), "ss -tan");
  assert.equal(commandOf('ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000 users:(("sshd",pid=1,fd=3))'), undefined);
  assert.equal(commandOf("#kernel"), undefined);
  assert.equal(commandOf("# not a command"), undefined);
  assert.equal(commandOf("   "), undefined);
  assert.equal(commandOf("$"), undefined);
});

test("toInt, portNumber, parseRateBps: digits only or not, same answers", () => {
  assert.equal(toInt("007"), 7);
  assert.equal(toInt(" 42 "), 42);
  assert.equal(toInt("-3"), -3);
  assert.equal(toInt("12345678901234567890"), undefined);
  assert.equal(toInt("1e3"), undefined);
  assert.equal(portNumber("65535"), 65535);
  assert.equal(portNumber("65536"), undefined);
  assert.equal(portNumber("00022"), 22);
  assert.equal(portNumber("http"), 80);
  assert.equal(parseRateBps("4290370370bps"), 4_290_370_370);
  assert.equal(parseRateBps("bps"), undefined);
  assert.equal(parseRateBps(" 12bps"), 12);
  assert.equal(parseRateBps("1.5Kbps"), 1500);
});

test("socketState: ss spellings looked up as printed, others normalised", () => {
  assert.equal(socketState("ESTAB"), "ESTAB");
  assert.equal(socketState("TIME-WAIT"), "TIME-WAIT");
  assert.equal(socketState("time_wait"), "TIME-WAIT");
  assert.equal(socketState("UNCONN"), "CLOSE");
  assert.equal(socketState("UNKNOWN"), undefined);
  assert.equal(socketState("0"), undefined);
});

test("splitHostPort: the same address answers the same after the cache is refilled many times", () => {
  const first = splitHostPort("[FD00:0:0::1]:443");
  assert.deepEqual(first, { ip: "fd00::1", port: 443 });
  for (let i = 1; i <= 10_000; i++) {
    const hex = i.toString(16);
    assert.deepEqual(splitHostPort(`[2001:db8::${hex}]:${i % 65536}`), {
      ip: `2001:db8::${hex}`,
      port: i % 65536,
    });
  }
  assert.deepEqual(splitHostPort("[FD00:0:0::1]:443"), first);
  assert.deepEqual(splitHostPort("[::FFFF:1.2.3.4]:80"), { ip: "::ffff:1.2.3.4", port: 80 });
  assert.deepEqual(splitHostPort("db.example:5432"), { ip: "db.example", port: 5432, named: true });
  assert.equal(splitHostPort("no:such:thing:x"), undefined);
  assert.equal(splitHostPort("-bad-:80"), undefined);
});
