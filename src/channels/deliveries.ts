/**
 * Building what subscribers receive. One message object is made per
 * process and shared by every local subscriber, so it is frozen (its data
 * deeply), and its JSON text rides along, not enumerable, for the SSE helper.
 */
import { formatId, type Position } from './ids.js';
import { parseFrozen } from './json.js';
import type { ChannelGap, ChannelMessage, GapReason } from './types.js';

/** The frozen message every local subscriber of `group` shares. */
export function makeMessage(group: string, dataJson: string, position: Position | undefined): ChannelMessage<unknown> {
  const message = { type: 'message', group, data: parseFrozen(dataJson), id: position ? formatId(position) : undefined };
  Object.defineProperty(message, 'json', { value: dataJson, enumerable: false });
  return Object.freeze(message) as ChannelMessage<unknown>;
}

/** A frozen gap delivery. */
export function makeGap(group: string, reason: GapReason, missed?: number): ChannelGap {
  return Object.freeze({ type: 'gap', group, reason, missed });
}
