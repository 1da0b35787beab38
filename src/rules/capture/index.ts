// Registry of the capture-side rules (diagnoses from connection summaries and capture facts).
// One rule per diagnosis id; the files group them by topic.
import type { Rule } from "../types.js";
import {
  connectRefused,
  connectTimeout,
  handshakeIncomplete,
  intermittentConnectFailure,
  noRoute,
  slowHandshake,
} from "./connect.js";
import { captureIncomplete } from "./evidence.js";
import { slowServerResponse } from "./latency.js";
import { closeWaitLeak, connectionChurn, deadPeer } from "./lifetime.js";
import { listenOverflow, synFlood } from "./listen.js";
import { pmtuBlackhole, pmtuReduced } from "./pmtu.js";
import { idleTimeoutReset, resetAfterConnect, resetByClient, resetByServer, resetStorm } from "./resets.js";
import {
  bandwidthBottleneck,
  cwndLimitedLossyPath,
  packetLoss,
  receiverZeroWindow,
  reordering,
  windowLimited,
} from "./transfer.js";

export const captureRules: Rule[] = [
  connectRefused,
  connectTimeout,
  intermittentConnectFailure,
  listenOverflow,
  synFlood,
  handshakeIncomplete,
  slowHandshake,
  noRoute,
  packetLoss,
  cwndLimitedLossyPath,
  bandwidthBottleneck,
  receiverZeroWindow,
  windowLimited,
  reordering,
  pmtuBlackhole,
  pmtuReduced,
  slowServerResponse,
  resetByServer,
  resetByClient,
  resetAfterConnect,
  idleTimeoutReset,
  resetStorm,
  deadPeer,
  closeWaitLeak,
  connectionChurn,
  captureIncomplete,
];
