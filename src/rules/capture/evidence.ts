// About the evidence itself: what the capture misses, so conclusions drawn from it can be weighed.
import { makeFinding } from "../catalogue.js";
import { type DocumentedRule, listStreams, plural, readThresholds, streamsOf } from "./common.js";

const incompleteDefaults = {
  /** Connections caught mid-stream (no handshake) before it is worth saying. */
  minNoHandshake: 1,
};

export const captureIncomplete: DocumentedRule = {
  id: "capture-incomplete",
  description:
    "Packets dropped by the capturing host, payloads cut by the snap length, one direction missing, handshakes before the capture started, duplicated frames, a truncated file.",
  needs: ["capture", "connections"],
  thresholds: incompleteDefaults,
  evaluate(facts, ctx) {
    const t = readThresholds(ctx, incompleteDefaults);
    const cap = facts.capture;
    const problems: string[] = [];
    const evidence: Record<string, unknown> = {};
    let affectsAnalysis = false;
    let streams: number[] = [];

    const dropped = cap
      ? cap.files.reduce((n, f) => n + (f.droppedByKernel ?? 0) + (f.droppedByInterface ?? 0), 0)
      : 0;
    if (dropped > 0) {
      problems.push(`${plural(dropped, "packet")} dropped by the capturing host`);
      evidence.droppedByCapture = dropped;
      affectsAnalysis = true;
    }
    const truncated = cap?.files.filter((f) => f.truncatedAt !== undefined) ?? [];
    if (truncated.length) {
      problems.push(`${truncated.map((f) => f.path).join(", ")} ends in the middle of a packet (cut file)`);
      evidence.truncatedFiles = truncated.map((f) => ({ path: f.path, at: f.truncatedAt }));
    }
    const missed = facts.connections.filter(
      (c) => (c.dir.client.missedSegments ?? 0) + (c.dir.server.missedSegments ?? 0) > 0,
    );
    const missedCount = missed.reduce(
      (n, c) => n + (c.dir.client.missedSegments ?? 0) + (c.dir.server.missedSegments ?? 0),
      0,
    );
    const captureLoss = Math.max(missedCount, cap?.captureLossSegments ?? 0);
    if (captureLoss > 0) {
      problems.push(
        `${plural(captureLoss, "segment")} acknowledged by the receiver never appear in the capture (capture loss, not network loss)`,
      );
      evidence.segmentsMissingFromCapture = captureLoss;
      streams = streams.concat(streamsOf(missed));
      affectsAnalysis = true;
    }
    if (cap && cap.duplicates > 0) {
      problems.push(
        `${plural(cap.duplicates, "duplicated frame")} (the same packet captured twice: mirroring or several interfaces)`,
      );
      evidence.duplicateFrames = cap.duplicates;
      affectsAnalysis = true;
    }
    // One direction missing matters only where traffic flowed; an unanswered SYN is one-sided by nature.
    const oneSided = facts.connections.filter(
      (c) => c.oneSided && (c.bytes.client > 0 || c.bytes.server > 0 || !c.handshake.synSeen),
    );
    if (oneSided.length) {
      problems.push(
        `${plural(oneSided.length, "connection")} seen in one direction only (${listStreams(streamsOf(oneSided))})`,
      );
      evidence.oneSidedConnections = oneSided.length;
      streams = streams.concat(streamsOf(oneSided));
      affectsAnalysis = true;
    }
    const midstream = facts.connections.filter((c) => !c.handshake.synSeen && !c.handshake.synAckSeen);
    if (midstream.length >= t.minNoHandshake) {
      problems.push(
        `${plural(midstream.length, "connection")} started before the capture (no handshake: window scale and RTT partly unknown)`,
      );
      evidence.noHandshakeConnections = midstream.length;
    }
    if (cap && cap.snaplenTruncated > 0) {
      problems.push(
        `${plural(cap.snaplenTruncated, "packet")} cut by the snap length (headers intact: TCP analysis is unaffected, payloads are not)`,
      );
      evidence.snaplenTruncated = cap.snaplenTruncated;
    }
    if (cap && cap.decodeErrors > 0) {
      problems.push(`${plural(cap.decodeErrors, "packet")} could not be decoded`);
      evidence.decodeErrors = cap.decodeErrors;
    }
    if (cap?.fromText) evidence.fromText = true;
    if (problems.length === 0) return [];
    return [
      makeFinding("capture-incomplete", {
        confidence: "high",
        summary:
          `The capture is incomplete: ${problems.join("; ")}.` +
          (affectsAnalysis
            ? " Loss and reordering counted on the affected connections may come from the capture rather than the network."
            : ""),
        evidence: { ...evidence, affectsAnalysis },
        streams: [...new Set(streams)],
        vars: { iface: "IFACE" },
        score: affectsAnalysis ? 60 : 30,
      }),
    ];
  },
};
