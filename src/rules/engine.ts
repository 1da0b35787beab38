// The rule engine: runs every rule whose evidence is present, folds findings that share an id into
// one, lets root causes demote their own symptoms, lowers confidence where the capture itself is
// doubtful, and ranks so that the first finding answers "what is wrong here".

import type { DocumentedRule } from "./capture/common.js";
import { captureRules } from "./capture/index.js";
import { type CatalogueEntry, type Category, catalogue, diagnosisIds } from "./catalogue.js";
import { hostRules, hostThresholdDefaults } from "./host/index.js";
import { probeRules } from "./probe/index.js";
import { indexOfSorted, strictlyIncreasing } from "./sorted.js";
import type { Confidence, Facts, Finding, Rule, RuleContext, Severity, Thresholds } from "./types.js";

/** Every registered rule: capture-side first, then host-side, then active probes. */
export const allRules: Rule[] = [...captureRules, ...hostRules, ...probeRules];

export interface DiagnoseOptions {
  thresholds?: Thresholds;
  /** Rules to run instead of allRules (tests, or a caller that disables some). */
  rules?: Rule[];
  /** Diagnosis ids to drop from the result. */
  disable?: string[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };
const CONFIDENCE_RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };
const CONFIDENCE_BY_RANK: Confidence[] = ["low", "low", "medium", "high"];

function lower(c: Confidence): Confidence {
  return CONFIDENCE_BY_RANK[Math.max(1, CONFIDENCE_RANK[c] - 1)];
}

function raise(c: Confidence): Confidence {
  return CONFIDENCE_BY_RANK[Math.min(3, CONFIDENCE_RANK[c] + 1)];
}

type Evidence = Rule["needs"][number];

function presentEvidence(facts: Facts): Set<Evidence> {
  const present = new Set<Evidence>();
  if (facts.connections.length > 0) present.add("connections");
  if (facts.capture) present.add("capture");
  if (facts.host) present.add("host");
  if (facts.probes && facts.probes.length > 0) present.add("probes");
  return present;
}

function contextFor(rule: Rule, thresholds: Thresholds | undefined): RuleContext {
  const mine = thresholds?.[rule.id];
  return {
    threshold(name: string, fallback: number): number {
      const v = mine?.[name];
      return typeof v === "number" && Number.isFinite(v) ? v : fallback;
    },
  };
}

/** Runs the rules and returns the ranked findings. Pure: same facts, same findings. */
export function diagnose(facts: Facts, opts: DiagnoseOptions = {}): Finding[] {
  const present = presentEvidence(facts);
  const raw: RuleOutput[] = [];
  for (const rule of opts.rules ?? allRules) {
    if (!rule.needs.some((n) => present.has(n))) continue;
    let found: Finding[];
    try {
      found = rule.evaluate(facts, contextFor(rule, opts.thresholds));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`rule ${rule.id} failed: ${msg}`);
    }
    const source = sourceOf(rule);
    for (const f of found) raw.push({ finding: f, rule: rule.id, source });
  }
  const disabled = new Set(opts.disable ?? []);
  let findings = mergeFindings(raw.filter((r) => !disabled.has(r.finding.id)));
  for (const f of findings) f.score = rankScore(f);
  findings = demoteExplained(rank(findings));
  adjustForEvidenceQuality(findings, facts);
  return rank(findings);
}

// ---------------------------------------------------------------------------- merging

/** A finding with the rule that produced it and the kind of evidence that rule reads. */
export interface RuleOutput {
  finding: Finding;
  rule: string;
  source: "capture" | "host" | "probe";
}

/** Capture and host rules share diagnosis ids; what tells them apart is the evidence they read. */
function sourceOf(rule: Rule): RuleOutput["source"] {
  if (rule.needs.includes("host")) return "host";
  if (rule.needs.includes("probes") && !rule.needs.includes("connections")) return "probe";
  return "capture";
}

function strongest(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.score ?? 0) - (a.score ?? 0) ||
    CONFIDENCE_RANK[b.confidence] - CONFIDENCE_RANK[a.confidence]
  );
}

/**
 * One finding per id. The strongest becomes the base; the others add their streams, sockets and
 * sources, and their evidence under `evidence.more` when keys collide. Agreement between different
 * kinds of evidence (a capture and a host snapshot) raises the confidence one step.
 */
export function mergeFindings(items: RuleOutput[]): Finding[] {
  const byId = new Map<string, RuleOutput[]>();
  for (const it of items) {
    const list = byId.get(it.finding.id);
    if (list) list.push(it);
    else byId.set(it.finding.id, [it]);
  }
  const out: Finding[] = [];
  for (const group of byId.values()) {
    if (group.length === 1) {
      out.push(group[0].finding);
      continue;
    }
    const sorted = [...group].sort((x, y) => strongest(x.finding, y.finding));
    const base = sorted[0].finding;
    const merged: Finding = {
      ...base,
      evidence: { ...base.evidence },
      alternatives: [...base.alternatives],
      confirm: [...base.confirm],
    };
    const streams = new Set(base.streams ?? []);
    const sockets = new Set(base.sockets ?? []);
    const sources = [...(base.sources ?? [])];
    const more: Record<string, unknown>[] = [];
    for (const { finding: f } of sorted.slice(1)) {
      for (const s of f.streams ?? []) streams.add(s);
      for (const s of f.sockets ?? []) sockets.add(s);
      for (const s of f.sources ?? []) {
        if (!sources.some((x) => x.file === s.file && x.line === s.line)) sources.push(s);
      }
      const clash = Object.keys(f.evidence).some((k) => k in merged.evidence);
      if (clash) more.push({ summary: f.summary, ...f.evidence });
      else Object.assign(merged.evidence, f.evidence);
      for (const c of f.confirm) if (!merged.confirm.includes(c)) merged.confirm.push(c);
      if (CONFIDENCE_RANK[f.confidence] > CONFIDENCE_RANK[merged.confidence])
        merged.confidence = f.confidence;
      if ((f.score ?? 0) > (merged.score ?? 0)) merged.score = f.score;
    }
    if (more.length) merged.evidence.more = more;
    if (streams.size) merged.streams = [...streams].sort((a, b) => a - b);
    if (sockets.size) merged.sockets = [...sockets];
    if (sources.length) merged.sources = sources;
    const sourcesSeen = new Set(group.map((g) => g.source));
    if (sourcesSeen.size > 1) {
      merged.confidence = raise(merged.confidence);
      merged.evidence.corroboratedBy = [...sourcesSeen];
    }
    out.push(merged);
  }
  return out;
}

// ---------------------------------------------------------------------------- symptoms

/**
 * A root cause (warning/critical) demotes to info the findings it lists in `explains` when they
 * concern only the same connections: 26 retransmissions on a rate-limited stream are the
 * bottleneck's queue overflowing, not a second problem.
 */
function demoteExplained(ranked: Finding[]): Finding[] {
  for (const root of ranked) {
    if (root.severity === "info" || !root.streams?.length) continue;
    const explains = catalogue[root.id]?.explains;
    if (!explains?.length) continue;
    let covered: StreamSet | undefined;
    for (const f of ranked) {
      if (f === root || f.severity === "info" || !explains.includes(f.id) || !f.streams?.length) continue;
      covered ??= new StreamSet(root.streams);
      const inRoot = covered;
      if (!f.streams.every((s) => inRoot.has(s))) continue;
      f.severity = "info";
      f.evidence = { ...f.evidence, explainedBy: root.id };
      f.summary = `${f.summary} This is a consequence of ${root.id} on the same connection${f.streams.length > 1 ? "s" : ""}.`;
      f.score = Math.min(f.score ?? 0, (root.score ?? 0) - 1);
    }
  }
  return ranked;
}

/**
 * Membership in a finding's streams without a Set of them: a flood's finding cites a million.
 * Findings list their streams increasing (makeFinding, mergeFindings), so they are searched in
 * place; a list in another order is searched in a sorted copy.
 */
class StreamSet {
  readonly #sorted: ArrayLike<number>;

  constructor(streams: number[]) {
    this.#sorted = strictlyIncreasing(streams) ? streams : Float64Array.from(streams).sort();
  }

  has(stream: number): boolean {
    return indexOfSorted(this.#sorted, stream) >= 0;
  }
}

// ---------------------------------------------------------------------------- evidence quality

/** Findings whose numbers come from counting lost/retransmitted packets: capture loss fakes them. */
const LOSS_SENSITIVE = new Set([
  "packet-loss",
  "cwnd-limited-lossy-path",
  "reordering",
  "pmtu-blackhole",
  "dead-peer",
  "connect-timeout",
  "intermittent-connect-failure",
  "handshake-incomplete",
  "listen-overflow",
  "slow-handshake",
  "bandwidth-bottleneck",
]);

/** Findings that lean on timing and window details that tcpdump text renders less precisely. */
const TEXT_SENSITIVE = new Set([
  "packet-loss",
  "cwnd-limited-lossy-path",
  "bandwidth-bottleneck",
  "window-limited",
  "reordering",
  "pmtu-blackhole",
  "slow-handshake",
  "slow-server-response",
]);

/** Lowers confidence where the capture cannot fully support the finding; says why in the evidence. */
function adjustForEvidenceQuality(findings: Finding[], facts: Facts): void {
  const cap = facts.capture;
  if (!cap) return;
  const dropped = cap.files.reduce((n, f) => n + (f.droppedByKernel ?? 0) + (f.droppedByInterface ?? 0), 0);
  const lossyCapture = dropped > 0 || cap.captureLossSegments > 0 || cap.duplicates > 0;
  const partial = new Set<number>();
  // Only where traffic flowed: an unanswered SYN is one-sided by nature, not a capture defect.
  for (const c of facts.connections) {
    if (c.oneSided && (c.bytes.client > 0 || c.bytes.server > 0 || !c.handshake.synSeen))
      partial.add(c.stream);
  }
  for (const f of findings) {
    if (f.id === "capture-incomplete" || !f.streams?.length) continue;
    const reasons: string[] = [];
    if (lossyCapture && LOSS_SENSITIVE.has(f.id)) {
      if (dropped > 0) reasons.push(`${dropped} packets dropped by the capturing host`);
      if (cap.captureLossSegments > 0)
        reasons.push(`${cap.captureLossSegments} segments missing from the capture`);
      if (cap.duplicates > 0) reasons.push(`${cap.duplicates} duplicated frames`);
    }
    if (cap.fromText && TEXT_SENSITIVE.has(f.id)) reasons.push("evidence is tcpdump text");
    if (f.streams.every((s) => partial.has(s)))
      reasons.push("only one direction of the connection was captured");
    if (reasons.length === 0) continue;
    f.confidence = lower(f.confidence);
    f.evidence = { ...f.evidence, confidenceLoweredBecause: reasons };
  }
}

// ---------------------------------------------------------------------------- ranking

/**
 * The number findings of equal severity are ordered by: the catalogue weight of the id (root causes
 * weigh more than their symptoms) moved by at most ±10 by the rule's evidence strength (its `score`,
 * 0..100, 50 when unsaid). Ids missing from the catalogue weigh 50.
 */
export function rankScore(f: Finding): number {
  const weight = catalogue[f.id]?.weight ?? 50;
  const strength = Math.max(0, Math.min(100, f.score ?? 50));
  return Math.round((weight + (strength - 50) / 5) * 10) / 10;
}

/** Severity first, then the rule's score (root causes outrank symptoms), then confidence. */
export function rank(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      strongest(a, b) ||
      a.id.localeCompare(b.id) ||
      (a.streams?.[0] ?? Number.MAX_SAFE_INTEGER) - (b.streams?.[0] ?? Number.MAX_SAFE_INTEGER),
  );
}

/** 0 when nothing is warning or critical, 1 otherwise (the exit status of analyze/host). */
export function exitCodeFor(findings: Finding[]): 0 | 1 {
  return findings.some((f) => f.severity === "warning" || f.severity === "critical") ? 1 : 0;
}

// ---------------------------------------------------------------------------- listing

export interface RuleListing {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  /** Evidence kinds the catalogue says can take part in it. */
  evidence: CatalogueEntry["evidence"];
  /** Kinds of `evidence` that take part only beside another kind (absent: each is enough alone). */
  supportOnly?: CatalogueEntry["supportOnly"];
  /** Registered rules producing this id, with what they read and their configurable thresholds. */
  rules: { id: string; needs: Rule["needs"]; thresholds: Record<string, number> }[];
}

/** Every diagnosis id with its catalogue facts and the rules that implement it (`tcpdoctor rules`). */
export function listRules(rules: Rule[] = allRules): RuleListing[] {
  return diagnosisIds.map((id) => {
    const entry = catalogue[id];
    const implementing = rules.filter((r) => r.id === id || (r as DocumentedRule).produces?.includes(id));
    return {
      id,
      title: entry.title,
      category: entry.category,
      severity: entry.severity,
      evidence: entry.evidence,
      ...(entry.supportOnly ? { supportOnly: entry.supportOnly } : {}),
      rules: implementing.map((r) => ({
        id: r.id,
        needs: r.needs,
        thresholds: {
          ...((r as DocumentedRule).thresholds ??
            (hostRules.includes(r) ? hostThresholdDefaults[r.id] : undefined) ??
            {}),
        },
      })),
    };
  });
}
