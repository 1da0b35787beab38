import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipv4Text, ipv6At } from "../../../src/core/decode/address.js";
import { formatIpv6 } from "../../../src/core/decode/index.js";
import { v6 } from "../../fixtures/decode/frames.js";

// Full 8-group input → the text tshark 4.0 and tcpdump 4.99 print for it.
const CANONICAL: [string, string][] = [
  ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
  ["fe80:0:0:0:0:0:0:0", "fe80::"],
  ["0:0:0:0:0:0:0:0", "::"],
  ["0:0:0:0:0:0:0:1", "::1"],
  ["0:0:0:0:0:0:0:2", "::2"],
  ["1:0:0:0:0:0:0:0", "1::"],
  ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"],
  ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
  ["0:0:1:0:0:0:0:0", "0:0:1::"],
  ["FD00:77:0:0:0:0:0:1", "fd00:77::1"],
  ["64:ff9b:0:0:0:0:102:304", "64:ff9b::102:304"],
  ["0:0:0:0:ffff:0:102:304", "::ffff:0:102:304"],
  ["0:0:0:0:0:0:0:ffff", "::ffff"],
  ["0:0:0:0:0:0:0:100", "::100"],
  ["0:0:0:0:0:1:ffff:0", "::1:ffff:0"],
  ["ff02:0:0:0:0:1:ff00:2", "ff02::1:ff00:2"],
  // IPv4-mapped and IPv4-compatible addresses end in a dotted quad.
  ["0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"],
  ["0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0"],
  ["0:0:0:0:0:0:102:304", "::1.2.3.4"],
  ["0:0:0:0:0:0:1:0", "::0.1.0.0"],
  ["0:0:0:0:0:0:ffff:ffff", "::255.255.255.255"],
];

describe("IPv6 text", () => {
  for (const [input, expected] of CANONICAL) {
    it(`${input} → ${expected}`, () => {
      const b = new Uint8Array(v6(input));
      assert.equal(formatIpv6(b, 0), expected);
      assert.equal(ipv6At(b, 0), expected);
    });
  }

  it("reads at an offset", () => {
    const b = new Uint8Array([9, 9, 9, ...v6("2001:db8:0:0:0:0:0:5")]);
    assert.equal(formatIpv6(b, 3), "2001:db8::5");
  });

  it("the cache never returns another address's text", () => {
    // Many distinct addresses through the 256-slot cache, then again: every one must still be right.
    const seen: [Uint8Array, string][] = [];
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(v6(`2001:db8:${(i * 7919) & 0xffff}:0:0:0:${i & 0xff}:${i}`));
      seen.push([b, formatIpv6(b, 0)]);
    }
    for (let round = 0; round < 2; round++) for (const [b, text] of seen) assert.equal(ipv6At(b, 0), text);
  });
});

describe("IPv4 text", () => {
  it("dotted quad of an unsigned 32-bit address", () => {
    assert.equal(ipv4Text(0), "0.0.0.0");
    assert.equal(ipv4Text(0xffffffff), "255.255.255.255");
    assert.equal(ipv4Text(0x0a4d0001), "10.77.0.1");
    assert.equal(ipv4Text(0xc0000201), "192.0.2.1");
  });

  it("the cache never returns another address's text", () => {
    // Addresses that share a cache slot, interleaved, plus 0.0.0.0 (the slots' initial key).
    const addrs = [0, 4096, 0x1000_0000, 0x1000_1000, 0xffff_f000, 0x0a4d0001];
    for (let i = 0; i < 20000; i++) addrs.push((Math.imul(i, 2654435761) >>> 0) ^ 0x0a000000);
    for (let round = 0; round < 2; round++) {
      for (const a of addrs) {
        const expected = [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join(".");
        assert.equal(ipv4Text(a), expected);
      }
    }
  });
});
