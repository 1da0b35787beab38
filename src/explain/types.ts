// Output shapes of `tcpdoctor explain`: the input, line by line, with plain-word notes.

/** One line of the input and what it says. */
export interface ExplainedLine {
  /** 1-based line number in the input (for packets without text: the frame number). */
  line: number;
  /** The line as given (or, for a packet without text, a tcpdump-like rendering of it). */
  text: string;
  /** What the line means, one sentence or two per note. Empty for lines that carry nothing new. */
  notes: string[];
}

/** What explainText recognised and said. */
export interface ExplainResult {
  lines: ExplainedLine[];
  /** "tcpdump", "ss", "nstat", "sysctl", ... or "mixed" when several kinds were pasted together; "unknown" when nothing was recognised. */
  kind: string;
  /** Conclusions drawn from several lines together (a connection's outcome, a pattern across sockets or counters). */
  summary: string[];
}
