/**
 * Server-Sent Events from groups, with resuming: `streamGroupsToSSE()` joins
 * the groups where the client's `Last-Event-ID` says it stopped, starts the
 * stream, and turns each delivery into an `sse.send`: messages with their id
 * (so the browser's next reconnect resumes exactly after them), gaps as an
 * event of their own. With history, a client that reconnects gets exactly the
 * messages it missed, once; whatever history cannot give back is announced
 * as a gap, never skipped silently.
 *
 * A slow client does not hold up anyone: its queue is bounded and, by
 * default, overflowing it closes the stream (`sse.close`), so the browser
 * reconnects and resumes from history. A client that stopped reading
 * altogether leaves a `send` waiting forever on backpressure; then the
 * connection is aborted instead (the browser reconnects all the same, and
 * resumes after the last event it really received).
 */
import type { HeadersInput, Receive, Send, SSEScope } from '../protocol/types.js';

type SSESendEvent = { type: 'sse.send'; data: string; event?: string; id?: string; retry?: number };
import { Disconnected } from '../protocol/errors.js';
import { formatCursor, parseCursor } from './ids.js';
import { interleave } from './interleave.js';
import { channelsOf } from './middleware.js';
import type { ChannelGap, ChannelLayer, ChannelMessage, QueueOptions, Subscription, SubscriptionEndReason } from './types.js';

/** Options of `streamGroupsToSSE()`. */
export interface GroupsToSSEOptions {
  /** The groups to follow (at least one). */
  readonly groups: readonly string[];
  /** Default: the layer `withChannels` put on the scope. */
  readonly layer?: ChannelLayer;
  /** The SSE `event` field of a message: a name, or a function of the message (default: none, i.e. `message`). */
  readonly event?: string | ((message: ChannelMessage) => string | undefined);
  /** Gaps are sent as an event of this name, with JSON data `{ group, reason, missed }` (default `'gap'`); `false`: not sent. */
  readonly gapEvent?: string | false;
  /** Extra headers for `sse.start`. */
  readonly headers?: HeadersInput;
  /** Reconnection delay for the browser, in milliseconds: an SSE `retry` field on the first event sent; default: the browser's own. */
  readonly retry?: number;
  /** Keepalive comment every this many seconds (default 15; 0: none). */
  readonly keepalive?: number;
  /** Queue bound and overflow policy (default: the layer's size, `overflow: 'end'`). */
  readonly queue?: QueueOptions;
  /** Runs once the groups are joined and the stream has started (e.g. to announce the client). */
  readonly onReady?: (subscription: Subscription) => void | Promise<void>;
}

/** Why the stream ended: the client left, or the subscription ended (then `sse.close` was sent, except on `scope_ended`). */
export type GroupsToSSEEnd = 'client_gone' | SubscriptionEndReason;

/** Streams `options.groups` to this SSE scope until the client leaves or the subscription ends. */
export async function streamGroupsToSSE(scope: SSEScope, receive: Receive, send: Send, options: GroupsToSSEOptions): Promise<GroupsToSSEEnd> {
  const { groups, gapEvent = 'gap', keepalive = 15 } = options;
  if (groups.length === 0) throw new TypeError('streamGroupsToSSE: options.groups must name at least one group');
  const layer = options.layer ?? channelsOf(scope);
  const historyGroups = groups.filter((group) => layer.historyPolicy(group) !== undefined);
  // Where the client stands in each history group; every event id carries all of them.
  const cursor = new Map<string, string>();
  const after = new Map<string, string>();
  const lastEventId = headerValue(scope, 'last-event-id');
  if (lastEventId !== undefined && historyGroups.length > 0) {
    const parsed = parseCursor(lastEventId, historyGroups);
    // An unreadable id is handed on as is: the layer answers it with an `invalid_id` gap per group.
    if (parsed.invalid) for (const group of historyGroups) after.set(group, lastEventId);
    else {
      for (const [group, id] of parsed.after) {
        after.set(group, id);
        cursor.set(group, id);
      }
    }
  }
  const subscription = await layer.subscribe({ scope, groups, after, queue: { overflow: 'end', ...options.queue } });
  let sending = false;
  // An SSE block with only `retry` cannot be sent (sse.send needs data, and empty data is an event), so it rides on the first event.
  let retry = options.retry;
  const guarded = async (event: SSESendEvent) => {
    sending = true;
    try {
      if (retry !== undefined) {
        event = { ...event, retry };
        retry = undefined;
      }
      await send(event);
    } finally {
      sending = false;
    }
  };
  void subscription.ended.then((reason) => {
    if (reason === 'overflow' && sending) scope['pagi.connection'].abort('SSE client too slow: its subscription queue overflowed');
  });
  try {
    await send({ type: 'sse.start', status: 200, headers: options.headers ?? [] });
    if (keepalive > 0) await send({ type: 'sse.keepalive', interval: keepalive });
    await options.onReady?.(subscription);
    for await (const step of interleave(receive, subscription)) {
      if (step.type === 'client') {
        if (step.event.type === 'sse.disconnect') return 'client_gone';
      } else if (step.type === 'ended') {
        if (step.reason !== 'scope_ended') await send({ type: 'sse.close' });
        return step.reason;
      } else if (step.delivery.type === 'message') {
        await guarded(messageEvent(step.delivery, options.event, cursor, historyGroups));
      } else {
        // A position from another history, or none of ours, means nothing any more.
        if (step.delivery.reason === 'epoch' || step.delivery.reason === 'invalid_id') cursor.delete(step.delivery.group);
        if (gapEvent !== false) await guarded({ type: 'sse.send', event: gapEvent, data: gapData(step.delivery) });
      }
    }
    return 'client_gone';
  } catch (error) {
    if (error instanceof Disconnected) return subscription.endReason === 'overflow' ? 'overflow' : 'client_gone';
    throw error;
  } finally {
    await subscription.close();
  }
}

function messageEvent(
  message: ChannelMessage,
  event: GroupsToSSEOptions['event'],
  cursor: Map<string, string>,
  historyGroups: readonly string[],
): SSESendEvent {
  const name = typeof event === 'function' ? event(message) : event;
  const out: SSESendEvent = { type: 'sse.send', data: message.json };
  if (name !== undefined) out.event = name;
  // Messages of groups without history carry no id; the browser keeps the previous one.
  if (message.id !== undefined && historyGroups.includes(message.group)) {
    cursor.set(message.group, message.id);
    out.id = formatCursor(cursor, historyGroups);
  }
  return out;
}

function gapData(gap: ChannelGap): string {
  return JSON.stringify({ group: gap.group, reason: gap.reason, missed: gap.missed ?? null });
}

function headerValue(scope: SSEScope, name: string): string | undefined {
  for (const [key, value] of scope.headers) if (key === name) return value;
  return undefined;
}
