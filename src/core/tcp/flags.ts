// Names and letters shared by the analyzer and the packet reports.
import type { AnalysisFlag } from "./types.js";

/** tcp.analysis flag names; index i is bit (1 << i) of the analyzer's internal bit set. */
export const FLAG_NAMES: readonly AnalysisFlag[] = [
  "retransmission",
  "fast_retransmission",
  "spurious_retransmission",
  "out_of_order",
  "lost_segment",
  "ack_lost_segment",
  "duplicate_ack",
  "zero_window",
  "zero_window_probe",
  "zero_window_probe_ack",
  "window_full",
  "window_update",
  "keep_alive",
  "keep_alive_ack",
  "reused_ports",
];

const LETTERS = "FSRPAUEC";

// Every combination of the eight flag bits, computed once: the analyzer asks for one per packet.
const LETTER_TABLE: string[] = [];
for (let bits = 0; bits < 256; bits++) {
  let s = "";
  for (let i = 0; i < 8; i++) if ((bits & (1 << i)) !== 0) s += LETTERS[i];
  LETTER_TABLE.push(s);
}

/** TCP flag bits as letters in the order F S R P A U E C ("SA", "PA", "FA", "R", ...). */
export function flagLetters(flags: number): string {
  return LETTER_TABLE[flags & 0xff];
}
