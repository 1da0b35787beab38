// Registry of the capture-side rules (diagnoses from connection summaries and capture facts).
import type { Rule } from "../types.js";

export const captureRules: Rule[] = [];
