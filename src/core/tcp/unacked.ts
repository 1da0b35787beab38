// Segments sent and not yet acknowledged, per direction, for tcp.analysis.ack_rtt.
//
// Semantics (Wireshark's): every segment that occupies sequence space is remembered with the
// sequence number just past it. An ACK removes every segment it covers; when some of them end
// exactly at the acknowledged number, the ACK's RTT is measured from the earliest of those sent
// (so the ACK of a retransmitted segment is timed from the original).

/** seq a is after seq b in 32-bit wrapping arithmetic. */
function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/**
 * A queue in sending order over one array of (end, time) pairs that only grows: live pairs are
 * at [head, tail). Steady traffic reuses the same slots, so it allocates nothing; a connection
 * that sends a single segment (a SYN) costs one two-element array.
 */
export class UnackedSegments {
  private buf: number[];
  private head = 0;
  private tail = 2;
  /** Ends never decrease in sending order, so covered segments are always a prefix. */
  private ordered = true;

  /** Starts with the first segment, ending just before `end`, sent at `time`. */
  constructor(end: number, time: number) {
    this.buf = [end, time];
  }

  /** Number of segments remembered. */
  get size(): number {
    return (this.tail - this.head) >> 1;
  }

  /** A segment ending just before `end` (sequence space) was sent at `time`. */
  add(end: number, time: number): void {
    const buf = this.buf;
    let tail = this.tail;
    if (tail > this.head && after(buf[tail - 2], end)) this.ordered = false;
    if (tail === buf.length && this.head > 0 && this.head >= tail >> 1) {
      // Slide the live pairs down instead of growing.
      buf.copyWithin(0, this.head, tail);
      tail -= this.head;
      this.head = 0;
    }
    if (tail === buf.length) {
      buf.push(end, time);
    } else {
      buf[tail] = end;
      buf[tail + 1] = time;
    }
    this.tail = tail + 2;
  }

  /**
   * Removes the segments covered by `ack`; returns the send time of the earliest one ending
   * exactly at `ack`, or NaN when none does.
   */
  acknowledge(ack: number): number {
    const buf = this.buf;
    const tail = this.tail;
    let sent = Number.NaN;
    let found = false;
    if (this.ordered) {
      let i = this.head;
      while (i < tail && !after(buf[i], ack)) {
        if (!found && buf[i] === ack) {
          sent = buf[i + 1];
          found = true;
        }
        i += 2;
      }
      this.head = i;
    } else {
      // A retransmission broke the order: filter the whole queue, keeping the order of the rest.
      let w = this.head;
      let ordered = true;
      for (let i = this.head; i < tail; i += 2) {
        const e = buf[i];
        if (!after(e, ack)) {
          if (!found && e === ack) {
            sent = buf[i + 1];
            found = true;
          }
          continue;
        }
        if (w > this.head && after(buf[w - 2], e)) ordered = false;
        buf[w] = e;
        buf[w + 1] = buf[i + 1];
        w += 2;
      }
      this.tail = w;
      this.ordered = ordered;
    }
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      this.ordered = true;
    }
    return sent;
  }
}
