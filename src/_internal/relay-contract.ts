/**
 * The message contract between a cluster worker and the primary's IPC relay
 * (server/ipc-relay.ts). Both sides import it from here, so neither imports
 * the other: the server does not know about channels, and channels do not
 * load the server.
 *
 * Every message is a plain JSON object tagged `pagi: 'relay'`, so the relay
 * can share the IPC channel with the server's own messages (`pagi: 'listening'`, …).
 *
 * Worker → primary: `subscribe`, `unsubscribe`, `publish`, `replay`; each with
 * a `ref` except `unsubscribe`, answered by one `reply` carrying the same `ref`.
 * Primary → worker: `message` for every publication on a subscribed topic, in
 * publication order, and the `reply`s.
 */

/** Retention asked for a topic (see TopicBroker). */
export interface RelayRetention {
  count: number;
  maxAgeMs: number;
}

/** Worker → primary. */
export type RelayRequest =
  | { pagi: 'relay'; op: 'subscribe'; ref: number; topic: string }
  | { pagi: 'relay'; op: 'unsubscribe'; topic: string }
  | { pagi: 'relay'; op: 'publish'; ref: number; topic: string; payload: string; retention?: RelayRetention }
  /** `after`: the last position the worker has; ignored (everything retained is sent) when its epoch is not the relay's. */
  | { pagi: 'relay'; op: 'replay'; ref: number; topic: string; after?: { epoch: string; seq: number } };

/** Answer to `subscribe` (the baseline), `publish` (the new position) and `replay`. */
export interface RelayResult {
  epoch: string;
  seq: number;
  entries?: Array<{ seq: number; payload: string }>;
}

/** Primary → worker. */
export type RelayNotice =
  | { pagi: 'relay'; op: 'message'; topic: string; payload: string; epoch: string; seq: number }
  | { pagi: 'relay'; op: 'reply'; ref: number; result: RelayResult }
  | { pagi: 'relay'; op: 'reply'; ref: number; error: string };

const REQUEST_OPS = new Set(['subscribe', 'unsubscribe', 'publish', 'replay']);

/** Is `message` a well-formed relay request? (Anything else on the channel is not the relay's business.) */
export function isRelayRequest(message: unknown): message is RelayRequest {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  if (m.pagi !== 'relay' || typeof m.op !== 'string' || !REQUEST_OPS.has(m.op) || typeof m.topic !== 'string') return false;
  if (m.op !== 'unsubscribe' && typeof m.ref !== 'number') return false;
  if (m.op === 'publish') return typeof m.payload === 'string' && (m.retention === undefined || isRetention(m.retention));
  if (m.op === 'replay') return m.after === undefined || isPosition(m.after);
  return true;
}

/** Is `message` something the relay sent to a worker? */
export function isRelayNotice(message: unknown): message is RelayNotice {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return m.pagi === 'relay' && (m.op === 'message' || m.op === 'reply');
}

function isPosition(value: unknown): value is { epoch: string; seq: number } {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return typeof p.epoch === 'string' && typeof p.seq === 'number';
}

function isRetention(value: unknown): value is RelayRetention {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.count === 'number' && r.count >= 1 && typeof r.maxAgeMs === 'number' && r.maxAgeMs >= 0;
}
