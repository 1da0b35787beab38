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

export class UnackedSegments {
  // Parallel queues in sending order; entries before `head` are gone.
  private ends: number[] = [];
  private times: number[] = [];
  private head = 0;
  /** Ends never decrease in sending order, so covered segments are always a prefix. */
  private ordered = true;

  get size(): number {
    return this.ends.length - this.head;
  }

  /** A segment ending just before `end` (sequence space) was sent at `time`. */
  add(end: number, time: number): void {
    const n = this.ends.length;
    if (n > this.head && after(this.ends[n - 1], end)) this.ordered = false;
    this.ends.push(end);
    this.times.push(time);
  }

  /**
   * Removes the segments covered by `ack`; returns the send time of the earliest one ending
   * exactly at `ack`, or -1 when none does.
   */
  acknowledge(ack: number): number {
    const ends = this.ends;
    const times = this.times;
    let sent = -1;
    if (this.ordered) {
      let i = this.head;
      const n = ends.length;
      while (i < n && !after(ends[i], ack)) {
        if (sent < 0 && ends[i] === ack) sent = times[i];
        i++;
      }
      this.head = i;
    } else {
      // A retransmission broke the order: filter the whole queue, keeping the order of the rest.
      let w = 0;
      let ordered = true;
      for (let i = this.head; i < ends.length; i++) {
        const e = ends[i];
        if (!after(e, ack)) {
          if (sent < 0 && e === ack) sent = times[i];
          continue;
        }
        if (w > 0 && after(ends[w - 1], e)) ordered = false;
        ends[w] = e;
        times[w] = times[i];
        w++;
      }
      ends.length = w;
      times.length = w;
      this.head = 0;
      this.ordered = ordered;
    }
    this.compact();
    return sent;
  }

  /** Reclaims the consumed front once it dominates the arrays. */
  private compact(): void {
    const h = this.head;
    if (h === 0) return;
    const n = this.ends.length;
    if (h === n) {
      this.ends.length = 0;
      this.times.length = 0;
      this.head = 0;
    } else if (h >= 64 && h * 2 >= n) {
      this.ends.splice(0, h);
      this.times.splice(0, h);
      this.head = 0;
    }
  }
}
