import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipv4Number as ipv4Key } from "../../../src/core/decode/address.js";
import { AddressTally } from "../../../src/rules/capture/addresses.js";

/** Deterministic pseudo-random numbers (a linear congruential generator), so failures repeat. */
function numbers(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** What the tally must agree with: a Map in first-seen order and a stable sort. */
function naive(ips: string[]) {
  const counts = new Map<string, number>();
  for (const ip of ips) counts.set(ip, (counts.get(ip) ?? 0) + 1);
  const top = [...counts]
    .map(([ip, count]) => ({ ip, count }))
    .sort((a, b) => b.count - a.count)
    .slice(0, 5);
  return { counts, top };
}

function tallyOf(ips: string[], expected?: number, ordered = true): AddressTally {
  const t = new AddressTally(expected, ordered);
  for (const ip of ips) t.add(ip);
  return t;
}

/** Addresses of every kind a summary can carry: IPv4, IPv6, and IPv4 written unusually. */
function mixedAddresses(n: number, seed: number): string[] {
  const rnd = numbers(seed);
  const pool: string[] = [];
  for (let i = 0; i < 400; i++) {
    pool.push(`${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${i >> 8}.${i & 255}`);
  }
  pool.push("0.0.0.0", "255.255.255.255", "2001:db8::1", "2001:db8::2", "fe80::1%eth0", "010.0.0.1");
  pool.push("10.0.0.1", "::ffff:10.0.0.1", "1.2.3");
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    // Skewed: low indexes come often, so there are repeats of many different frequencies.
    const r = rnd();
    out.push(pool[Math.floor(r * r * pool.length)]);
  }
  return out;
}

describe("ipv4Key", () => {
  it("reads dotted quads written the usual way", () => {
    assert.equal(ipv4Key("0.0.0.0"), 0);
    assert.equal(ipv4Key("10.0.0.1"), 10 * 2 ** 24 + 1);
    assert.equal(ipv4Key("255.255.255.255"), 2 ** 32 - 1);
    assert.equal(ipv4Key("192.0.2.33"), ((192 * 256 + 0) * 256 + 2) * 256 + 33);
  });

  it("refuses everything that would not read back the same", () => {
    for (const text of [
      "010.0.0.1",
      "10.0.0.01",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.256",
      "1..2.3",
      ".1.2.3",
      "1.2.3.",
      "::1",
      "::ffff:1.2.3.4",
      "",
      "1.2.3.4 ",
    ]) {
      assert.equal(ipv4Key(text), -1, text);
    }
  });
});

describe("AddressTally", () => {
  it("counts like a Map of strings: distinct, per address, at least twice", () => {
    const ips = mixedAddresses(5000, 7);
    const { counts } = naive(ips);
    const t = tallyOf(ips);
    assert.equal(t.added, ips.length);
    assert.equal(t.distinct(), counts.size);
    for (const [ip, n] of counts) assert.equal(t.countOf(ip), n, ip);
    assert.equal(t.countOf("192.0.2.254"), 0);
    assert.equal(t.countOf("2001:db8::99"), 0);
    const twice = t.atLeast(2);
    assert.equal(twice.size, [...counts.values()].filter((n) => n >= 2).length);
    for (const [ip, n] of counts) assert.equal(twice.has(ip), n >= 2, ip);
    assert.equal(twice.has("192.0.2.254"), false);
  });

  it("keeps 010.0.0.1 and 10.0.0.1 apart, as their texts differ", () => {
    const t = tallyOf(["10.0.0.1", "010.0.0.1", "10.0.0.1"]);
    assert.equal(t.distinct(), 2);
    assert.equal(t.countOf("10.0.0.1"), 2);
    assert.equal(t.countOf("010.0.0.1"), 1);
  });

  it("ranks the most frequent first, ties in the order first added", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const ips = mixedAddresses(3000, seed);
      assert.deepEqual(tallyOf(ips).top(5), naive(ips).top, `seed ${seed}`);
    }
    // Everything seen once: the first five added.
    const once = Array.from({ length: 1000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
    assert.deepEqual(tallyOf(once).top(5), naive(once).top);
    // One repeat late in the list among singletons, and an IPv6 source repeated.
    const late = [...once, "2001:db8::7", once[900], "2001:db8::7", "2001:db8::7"];
    assert.deepEqual(tallyOf(late).top(5), naive(late).top);
    assert.deepEqual(tallyOf(late).top(5)[0], { ip: "2001:db8::7", count: 3 });
    // A flood of distinct sources with a few hundred repeats (the case the map lookup serves).
    const rnd = numbers(99);
    const flood = Array.from(
      { length: 20000 },
      (_, i) => `${1 + Math.floor(rnd() * 200)}.${Math.floor(rnd() * 3)}.${i & 255}.7`,
    );
    assert.deepEqual(tallyOf(flood).top(5), naive(flood).top);
    assert.deepEqual(tallyOf(["10.0.0.1"]).top(5), [{ ip: "10.0.0.1", count: 1 }]);
    assert.deepEqual(new AddressTally().top(5), []);
  });

  it("grows past the room it was given, also when the first IPv6 address comes late", () => {
    const v4 = Array.from({ length: 3000 }, (_, i) => `10.${i % 7}.${i % 5}.${i % 3}`);
    const ips = [...v4, "2001:db8::1", ...v4.slice(0, 100), "2001:db8::1"];
    const t = tallyOf(ips, 16);
    const { counts, top } = naive(ips);
    assert.equal(t.distinct(), counts.size);
    assert.equal(t.countOf("2001:db8::1"), 2);
    assert.equal(t.countOf("10.0.0.0"), counts.get("10.0.0.0"));
    assert.deepEqual(t.top(5), top);
  });

  it("answers again after more is added (ordered), and refuses what an unordered tally cannot do", () => {
    const t = tallyOf(["10.0.0.1", "10.0.0.2"]);
    assert.equal(t.distinct(), 2);
    t.add("10.0.0.3");
    t.add("10.0.0.1");
    assert.equal(t.distinct(), 3);
    assert.equal(t.countOf("10.0.0.1"), 2);

    const ips = mixedAddresses(2000, 11);
    const unordered = tallyOf(ips, ips.length, false);
    assert.equal(unordered.distinct(), naive(ips).counts.size);
    assert.throws(() => unordered.top(5), /top/);
    assert.throws(() => unordered.add("10.0.0.1"), /added to after/);
  });
});
