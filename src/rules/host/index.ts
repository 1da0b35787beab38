// Registry of the host-side rules (diagnoses from socket tables, counters, sysctls, logs).
import type { Rule } from "../types.js";

export const hostRules: Rule[] = [];
