// Exact counts over the client addresses of many connections without a string per address: a SYN
// flood from a million spoofed sources would otherwise cost a Map (or Set) of a million strings.
// IPv4 addresses in their usual dotted form are kept as numbers; any other text is interned.
import { ipv4Number, ipv4Text } from "../../core/decode/address.js";
import { indexOfSorted } from "../sorted.js";

/** Keys of addresses that are not IPv4 start here (above every IPv4 number). */
const OTHER_BASE = 2 ** 32;

/** Up to this many frequent addresses are looked up in a Map rather than by binary search. */
const MAX_LOOKUP = 4096;

/** One address and how often it was added. */
export interface AddressCount {
  ip: string;
  count: number;
}

type Keys = Uint32Array | Float64Array;

/**
 * Addresses added one by one (with repeats), then asked how many distinct ones there were, how
 * often each came, and which came most. While only IPv4 addresses come, 4 bytes per addition
 * (8 from the first other one); the first question costs as much again, and 4 bytes per distinct
 * address.
 */
export class AddressTally {
  #keys: Keys;
  #added = 0;
  readonly #ordered: boolean;
  readonly #otherIds = new Map<string, number>();
  readonly #others: string[] = [];
  /** Distinct keys in increasing order and how often each was added (made on first question). */
  #values: Keys | undefined;
  #counts: Uint32Array | undefined;

  /**
   * @param expected additions to make room for at once
   * @param ordered whether top() will be asked (it needs the order of the additions; without it
   *   the additions are sorted in place, which saves a copy)
   */
  constructor(expected = 64, ordered = true) {
    this.#keys = new Uint32Array(Math.max(16, expected));
    this.#ordered = ordered;
  }

  add(ip: string): void {
    // Unordered, the first question sorted the additions in place: they are not all there anymore.
    if (this.#values && !this.#ordered) throw new Error("AddressTally: added to after it was asked");
    let key = ipv4Number(ip);
    if (key < 0) {
      let id = this.#otherIds.get(ip);
      if (id === undefined) {
        id = this.#others.length;
        this.#others.push(ip);
        this.#otherIds.set(ip, id);
      }
      key = OTHER_BASE + id;
      if (this.#keys instanceof Uint32Array) this.#keys = Float64Array.from(this.#keys);
    }
    if (this.#added === this.#keys.length) {
      const bigger =
        this.#keys instanceof Uint32Array
          ? new Uint32Array(this.#keys.length * 2)
          : new Float64Array(this.#keys.length * 2);
      bigger.set(this.#keys);
      this.#keys = bigger;
    }
    this.#keys[this.#added++] = key;
    this.#values = undefined;
    this.#counts = undefined;
  }

  /** Additions so far. */
  get added(): number {
    return this.#added;
  }

  /** Distinct addresses. */
  distinct(): number {
    return this.#runs().values.length;
  }

  /** How often `ip` was added. */
  countOf(ip: string): number {
    const { values, counts } = this.#runs();
    const i = indexOfSorted(values, this.#keyOf(ip));
    return i < 0 ? 0 : counts[i];
  }

  /** The addresses added at least `min` times (a small set to look up in when few repeat). */
  atLeast(min: number): AddressSet {
    const { values, counts } = this.#runs();
    let n = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i] >= min) n++;
    const keep = new Float64Array(n);
    n = 0;
    for (let i = 0; i < counts.length; i++) if (counts[i] >= min) keep[n++] = values[i];
    const others = new Map<string, number>();
    for (const [text, id] of this.#otherIds)
      if (indexOfSorted(keep, OTHER_BASE + id) >= 0) others.set(text, id);
    return new AddressSet(keep, others);
  }

  /**
   * The `n` most frequent addresses, most frequent first; equally frequent ones in the order they
   * were first added (what a stable sort of a first-seen-ordered grouping gives).
   */
  top(n: number): AddressCount[] {
    if (!this.#ordered) throw new Error("AddressTally: top() of a tally made without order");
    if (n <= 0 || this.#added === 0) return [];
    const { values, counts } = this.#runs();
    // The n-th largest count: every address above it is in, and of those at it, the first added.
    const largest: number[] = [];
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i];
      if (largest.length === n && c <= largest[n - 1]) continue;
      let pos = largest.length;
      while (pos > 0 && largest[pos - 1] < c) pos--;
      largest.splice(pos, 0, c);
      if (largest.length > n) largest.pop();
    }
    const bar = largest[largest.length - 1];
    let above = 0;
    for (const c of largest) if (c > bar) above++;
    const atBar = largest.length - above;
    // Few addresses reach the bar in a flood of distinct sources: look them up in a small map.
    let reaching: Map<number, number> | undefined;
    if (bar > 1) {
      let reach = 0;
      for (let i = 0; i < counts.length && reach <= MAX_LOOKUP; i++) if (counts[i] >= bar) reach++;
      if (reach <= MAX_LOOKUP) {
        reaching = new Map();
        for (let i = 0; i < counts.length; i++) if (counts[i] >= bar) reaching.set(values[i], counts[i]);
      }
    }
    const countOfKey = (key: number): number => {
      if (reaching) return reaching.get(key) ?? 0;
      return counts[indexOfSorted(values, key)];
    };
    const picked: { key: number; count: number }[] = [];
    let pickedAbove = 0;
    let pickedAtBar = 0;
    for (let i = 0; i < this.#added && (pickedAbove < above || pickedAtBar < atBar); i++) {
      const key = this.#keys[i];
      const count = countOfKey(key);
      if (count < bar || (count === bar && pickedAtBar === atBar)) continue;
      if (picked.some((p) => p.key === key)) continue;
      picked.push({ key, count });
      if (count > bar) pickedAbove++;
      else pickedAtBar++;
    }
    // Most frequent first; the sort is stable, so ties stay in the order first added.
    picked.sort((a, b) => b.count - a.count);
    return picked.map((p) => ({ ip: this.#textOf(p.key), count: p.count }));
  }

  #keyOf(ip: string): number {
    const v4 = ipv4Number(ip);
    if (v4 >= 0) return v4;
    const id = this.#otherIds.get(ip);
    return id === undefined ? -1 : OTHER_BASE + id;
  }

  #textOf(key: number): string {
    return key >= OTHER_BASE ? this.#others[key - OTHER_BASE] : ipv4Text(key);
  }

  #runs(): { values: Keys; counts: Uint32Array } {
    if (this.#values && this.#counts) return { values: this.#values, counts: this.#counts };
    const mine = this.#keys.subarray(0, this.#added);
    const sorted = this.#ordered ? mine.slice() : mine;
    sorted.sort();
    let distinct = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
    const counts = new Uint32Array(distinct);
    // The distinct keys move to the front of the sorted ones (never ahead of what is still to read).
    let d = -1;
    for (let i = 0; i < sorted.length; i++) {
      const key = sorted[i];
      if (d < 0 || key !== sorted[d]) sorted[++d] = key;
      counts[d]++;
    }
    const values = sorted.subarray(0, distinct);
    this.#values = values;
    this.#counts = counts;
    return { values, counts };
  }
}

/** A set of addresses built by AddressTally.atLeast. */
export class AddressSet {
  readonly #keys: Float64Array;
  readonly #others: Map<string, number>;

  constructor(keys: Float64Array, others: Map<string, number>) {
    this.#keys = keys;
    this.#others = others;
  }

  get size(): number {
    return this.#keys.length;
  }

  has(ip: string): boolean {
    const v4 = ipv4Number(ip);
    if (v4 >= 0) return indexOfSorted(this.#keys, v4) >= 0;
    return this.#others.has(ip);
  }
}
