// Packet filter rules with their counters: `nft list ruleset`, `iptables -L -v -n [-x]`,
// `iptables-save -c` and `iptables -S`. A DROP/REJECT rule whose counter moved is the evidence that
// separates a firewall from a closed port or a dead path.
import type { FirewallRule } from "../host/types.js";
import { commandOf, NO_PATH, sourceRef, splitLines, Warnings } from "./common.js";

export interface FirewallResult {
  rules: FirewallRule[];
  warnings: string[];
}

/** Port list of "8080", "{ 80, 443 }", "8000-8010", "80,443", "8000:8010" → numbers (ranges up to 64 ports expanded). */
function portsOf(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/[{}]/g, " ").split(/[\s,]+/)) {
    const range = /^(\d+)[-:](\d+)$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b >= a && b - a < 64) for (let p = a; p <= b; p++) out.push(p);
      else out.push(a, b);
      continue;
    }
    if (/^\d+$/.test(part)) out.push(Number(part));
  }
  return out;
}

/** The rule's destination ports from the port spec it matched, when the spec names any. */
function setDports(rule: FirewallRule, spec: string | undefined): void {
  if (spec === undefined) return;
  const ports = portsOf(spec);
  if (ports.length) rule.dports = ports;
}

function verdictOf(word: string): FirewallRule["verdict"] {
  const w = word.toLowerCase();
  if (w === "accept") return "accept";
  if (w === "drop") return "drop";
  if (w === "reject") return "reject";
  return "other";
}

/** "1234K" as iptables prints counters without -x → number. */
function iptCount(s: string): number | undefined {
  const m = /^(\d+)([KMGT]?)$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * ({ "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 } as Record<string, number>)[m[2]];
}

/** Parses `nft list ruleset` (or `nft list table/chain`). Never throws. */
export function parseNftRuleset(text: string, path: string = NO_PATH): FirewallResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const rules: FirewallRule[] = [];
  let table: string | undefined;
  let chain: string | undefined;
  let hook: string | undefined;
  let skipDepth = 0; // inside a set/map/flowtable block
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || commandOf(raw) !== undefined || t.startsWith("#")) continue;
    if (skipDepth > 0) {
      skipDepth += (t.match(/\{/g) ?? []).length - (t.match(/\}/g) ?? []).length;
      continue;
    }
    const tab = /^table\s+(\S+)\s+(\S+)\s*\{$/.exec(t);
    if (tab) {
      table = `${tab[1]} ${tab[2]}`;
      chain = undefined;
      continue;
    }
    const ch = /^chain\s+(\S+)\s*\{$/.exec(t);
    if (ch) {
      chain = ch[1];
      hook = undefined;
      continue;
    }
    if (
      /^(set|map|flowtable|counter|quota|limit|ct helper|ct timeout|ct expectation|secmark|synproxy)\s+\S+\s*\{$/.test(
        t,
      )
    ) {
      skipDepth = 1;
      continue;
    }
    if (t === "}") {
      if (chain) chain = undefined;
      else table = undefined;
      continue;
    }
    const type = /^type\s+\S+\s+hook\s+(\S+)/.exec(t);
    if (type) {
      hook = type[1];
      continue;
    }
    if (!chain) {
      warnings.line(i + 1, raw, "not an nft ruleset line");
      continue;
    }
    const rule: FirewallRule = {
      tool: "nft",
      rule: t,
      verdict: "other",
      source: sourceRef(path, i + 1, raw),
    };
    if (table) rule.table = table;
    rule.chain = chain;
    if (hook) rule.hook = hook;
    const verdicts = [...t.matchAll(/\b(accept|drop|reject)\b/g)];
    const last = verdicts[verdicts.length - 1];
    if (last) rule.verdict = verdictOf(last[1]);
    const rej = /\breject with (.+?)(?:\s+comment\b|$)/.exec(t);
    if (rej) rule.rejectWith = rej[1].trim();
    const counter = /\bcounter packets (\d+) bytes (\d+)/.exec(t);
    if (counter) {
      rule.packets = Number(counter[1]);
      rule.bytes = Number(counter[2]);
    }
    const proto = /\b(tcp|udp|sctp|icmpv6|icmp)\b/.exec(t);
    if (proto) rule.protocol = proto[1];
    setDports(rule, /\bdport\s+(\{[^}]*\}|\S+)/.exec(t)?.[1]);
    rules.push(rule);
  }
  return { rules, warnings: warnings.result() };
}

/** Parses `iptables -L -v -n [-x]`, `iptables-save [-c]` and `iptables -S`. Never throws. */
export function parseIptables(text: string, path: string = NO_PATH): FirewallResult {
  const lines = splitLines(text);
  const warnings = new Warnings(path);
  const rules: FirewallRule[] = [];
  let table: string | undefined;
  let chain: string | undefined;
  let columns: string[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (t === "" || commandOf(raw) !== undefined || t.startsWith("#") || t === "COMMIT") continue;
    const tab = /^\*(\w+)$/.exec(t);
    if (tab) {
      table = tab[1];
      continue;
    }
    if (/^:\S+\s+\S+/.test(t) || /^-[PN]\s/.test(t)) continue; // chain policies / declarations
    const save = /^(?:\[(\d+):(\d+)\]\s+)?-A\s+(\S+)\s+(.*)$/.exec(t);
    if (save) {
      const body = save[4];
      const target = /-j\s+(\S+)/.exec(body);
      const rule: FirewallRule = {
        tool: "iptables",
        chain: save[3],
        rule: t,
        verdict: target ? verdictOf(target[1]) : "other",
        source: sourceRef(path, i + 1, raw),
      };
      if (table) rule.table = table;
      if (save[1] !== undefined) {
        rule.packets = Number(save[1]);
        rule.bytes = Number(save[2]);
      }
      const rej = /--reject-with\s+(\S+)/.exec(body);
      if (rej) rule.rejectWith = rej[1];
      const proto = /-p\s+(\S+)/.exec(body);
      if (proto) rule.protocol = proto[1];
      setDports(rule, /--dports?\s+(\S+)/.exec(body)?.[1]);
      rules.push(rule);
      continue;
    }
    const ch = /^Chain\s+(\S+)\s+\(/.exec(t);
    if (ch) {
      chain = ch[1];
      columns = undefined;
      continue;
    }
    if (/^(pkts\s+bytes\s+)?target\s+prot\s+opt/.test(t)) {
      columns = t.split(/\s+/);
      continue;
    }
    if (!chain || !columns) {
      warnings.line(i + 1, raw, "not an iptables line");
      continue;
    }
    const f = t.split(/\s+/);
    const hasCounters = columns[0] === "pkts";
    const off = hasCounters ? 2 : 0;
    // target may be empty (a rule that only counts): then the protocol sits in the target column
    const targetIsProto =
      /^(all|tcp|udp|icmp|icmpv6|sctp|\d+)$/.test(f[off] ?? "") && /^(--|-f|!f)$/.test(f[off + 1] ?? "");
    const target = targetIsProto ? "" : (f[off] ?? "");
    const protoIdx = targetIsProto ? off : off + 1;
    const rule: FirewallRule = {
      tool: "iptables",
      chain,
      rule: t,
      verdict: verdictOf(target),
      source: sourceRef(path, i + 1, raw),
    };
    if (table) rule.table = table;
    if (hasCounters) {
      const p = iptCount(f[0]);
      const b = iptCount(f[1]);
      if (p === undefined || b === undefined) {
        warnings.line(i + 1, raw, "not an iptables rule line");
        continue;
      }
      rule.packets = p;
      rule.bytes = b;
    }
    const proto = f[protoIdx];
    if (proto && proto !== "all" && !/^\d+$/.test(proto)) rule.protocol = proto;
    const rej = /reject-with\s+(\S+)/.exec(t);
    if (rej) rule.rejectWith = rej[1];
    setDports(rule, (/\bdpts?:(\S+)/.exec(t) ?? /\bdports\s+(\S+)/.exec(t))?.[1]);
    rules.push(rule);
  }
  return { rules, warnings: warnings.result() };
}
