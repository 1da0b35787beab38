// Builds a host finding through the shared catalogue: the rule supplies what it measured (severity,
// confidence, summary, evidence, cited lines, a score bonus for evidence strength, placeholder values),
// the catalogue the words (title, cause, fix, alternatives, confirm) and the base ranking weight.
import type { SourceRef } from "../../host/types.js";
import { makeFinding } from "../catalogue.js";
import type { Confidence, Finding, Severity } from "../types.js";

export interface HostFindingParts {
  severity: Severity;
  confidence: Confidence;
  summary: string;
  evidence: Record<string, unknown>;
  /**
   * How much stronger (or weaker) than ordinary the evidence is, -20..+20 (0 = ordinary). Becomes
   * the finding's strength score 0..100, which the engine adds to the catalogue weight.
   */
  scoreBonus?: number;
  /** Placeholder values for the catalogue texts: server, serverIp, serverPort, client, clientIp, pid, process. */
  vars?: Record<string, string | number | undefined>;
  fix?: string;
  sockets?: string[];
  sources?: SourceRef[];
  streams?: number[];
}

export function hostFinding(id: string, parts: HostFindingParts): Finding {
  const { scoreBonus, ...rest } = parts;
  const strength = Math.max(0, Math.min(100, 50 + (scoreBonus ?? 0) * 2.5));
  return makeFinding(id, { ...rest, score: strength });
}

/** Placeholder values from an "ip:port" string (IPv6 in brackets). */
export function serviceVars(service: string): { server: string; serverIp: string; serverPort: string } {
  const m = /^\[?(.*?)\]?:(\d+|\*)$/.exec(service);
  return { server: service, serverIp: m?.[1] ?? service, serverPort: m?.[2] ?? "" };
}
