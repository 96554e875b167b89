/**
 * `ChannelLayer` on top of a backend: option checks, group names, message
 * serialisation, subscriptions tied to a scope's connection. The three
 * layer factories (memory.ts, cluster.ts, redis.ts) each pass their backend here.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionState } from '../protocol/types.js';
import type { Backend } from './backend.js';
import { makeGap } from './deliveries.js';
import { encodeEnvelope } from './envelope.js';
import { asUnavailable, ChannelsClosed, InvalidGroup, InvalidLayerOption } from './errors.js';
import { historyLookup, toPolicy } from './history.js';
import { Hub } from './hub.js';
import { formatId, parseId } from './ids.js';
import { toJsonText } from './json.js';
import { scopeOf } from './middleware.js';
import { LocalSubscription } from './subscription.js';
import type { ChannelLayer, LayerOptions, OverflowPolicy, QueueOptions, SubscribeOptions } from './types.js';

const DEFAULT_QUEUE_SIZE = 1000;
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_GROUP_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The `ChannelLayer` of `backend`, with the common options checked. */
export function createLayer(backend: Backend, options: LayerOptions = {}): ChannelLayer {
  const retentionOf = historyLookup(options.history);
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new InvalidLayerOption('maxMessageBytes', `must be a positive integer (got ${String(maxBytes)})`);
  const defaultQueue = checkQueue(options.queue, 'queue', { size: DEFAULT_QUEUE_SIZE, overflow: 'drop-oldest' });
  const onError = options.onError ?? ((error: Error) => console.warn(`pagi/channels: ${error.message}`));
  const hub = new Hub(backend, { retentionOf, onError });
  backend.start(hub);

  // Subscription ids: unique across processes, so `exclude` works wherever the message is delivered.
  const layerId = randomBytes(6).toString('hex');
  let counter = 0;
  // One on_end callback per connection, however many subscriptions come and go on it.
  const byConnection = new WeakMap<ConnectionState, Set<LocalSubscription>>();
  let closing: Promise<void> | undefined;

  const ensureOpen = (what: string) => {
    if (closing) throw new ChannelsClosed(what);
  };

  const tie = (connection: ConnectionState, subscription: LocalSubscription) => {
    let members = byConnection.get(connection);
    if (!members) {
      const set = new Set<LocalSubscription>();
      members = set;
      byConnection.set(connection, set);
      connection.on_end(() => {
        byConnection.delete(connection);
        for (const member of set) void member.end('scope_ended');
      });
    }
    members.add(subscription);
    void subscription.ended.then(() => members.delete(subscription));
  };

  const layer: ChannelLayer = {
    kind: backend.kind,

    async subscribe(subscribeOptions: SubscribeOptions = {}) {
      ensureOpen('subscribe');
      const groups = subscribeOptions.groups ?? [];
      for (const group of groups) checkGroup(group);
      const queue = checkQueue(subscribeOptions.queue, 'subscribe({ queue })', defaultQueue);
      const connection = subscribeOptions.connection ?? connectionOf(subscribeOptions.scope);
      const subscription = new LocalSubscription(`${layerId}.${++counter}`, hub, queue.size, queue.overflow);
      hub.add(subscription);
      if (connection) tie(connection, subscription);
      const after = toMap(subscribeOptions.after);
      try {
        await Promise.all(groups.map((group) => subscription.join(group, after.has(group) ? { after: after.get(group)! } : undefined)));
      } catch (error) {
        await subscription.close();
        throw error;
      }
      return subscription as never;
    },

    async publish(group, data, publishOptions = {}) {
      ensureOpen('publish');
      checkGroup(group);
      const json = toJsonText(data, maxBytes);
      const exclude = publishOptions.exclude;
      const payload = encodeEnvelope(typeof exclude === 'string' ? exclude : exclude?.id, json);
      try {
        const position = await backend.publish(group, payload, retentionOf(group));
        return { group, id: position && formatId(position) };
      } catch (error) {
        throw asUnavailable(error, `publish to ${JSON.stringify(group)}`);
      }
    },

    async history(group, historyOptions = {}) {
      ensureOpen('history');
      checkGroup(group);
      const retention = retentionOf(group);
      const afterId = historyOptions.after;
      if (!retention) return { messages: [], gap: afterId === undefined ? undefined : makeGap(group, 'no_history') };
      const after = afterId === undefined ? undefined : parseId(afterId);
      if (afterId !== undefined && !after) return { messages: [], gap: makeGap(group, 'invalid_id') };
      try {
        const { gap, messages } = await hub.read(group, retention, after);
        // Without `after` the caller asked for what is retained, not for a continuation.
        return { messages: messages.map((m) => m.message) as never, gap: after && gap && makeGap(group, gap.reason, gap.missed) };
      } catch (error) {
        throw asUnavailable(error, `history of ${JSON.stringify(group)}`);
      }
    },

    historyPolicy(group) {
      const retention = retentionOf(group);
      return retention && toPolicy(retention);
    },

    stats() {
      return { subscriptions: hub.subscriptionCount, groups: hub.groupCount };
    },

    close() {
      closing ??= hub.close();
      return closing;
    },
  };
  return layer;
}

/** Throws `InvalidGroup` unless `group` is a usable group name. */
export function checkGroup(group: unknown): asserts group is string {
  if (typeof group !== 'string') throw new InvalidGroup(group, 'must be a string');
  if (group.length === 0) throw new InvalidGroup(group, 'must not be empty');
  if (group.length > MAX_GROUP_LENGTH) throw new InvalidGroup(group, `is longer than ${MAX_GROUP_LENGTH} characters`);
  if (CONTROL.test(group)) throw new InvalidGroup(group, 'contains a control character');
}

function checkQueue(queue: QueueOptions | undefined, where: string, defaults: Required<QueueOptions>): { size: number; overflow: OverflowPolicy } {
  const size = queue?.size ?? defaults.size;
  const overflow = queue?.overflow ?? defaults.overflow;
  if (!Number.isInteger(size) || size < 1) throw new InvalidLayerOption(`${where}.size`, `must be a positive integer (got ${String(size)})`);
  if (overflow !== 'drop-oldest' && overflow !== 'end') throw new InvalidLayerOption(`${where}.overflow`, `must be 'drop-oldest' or 'end' (got ${String(overflow)})`);
  return { size, overflow };
}

function connectionOf(source: SubscribeOptions['scope']): ConnectionState | undefined {
  if (source === undefined) return undefined;
  const scope = scopeOf(source);
  if (scope.type === 'lifespan') throw new TypeError('subscribe({ scope }): a lifespan scope has no connection to end the subscription with');
  return scope['pagi.connection'];
}

function toMap(after: SubscribeOptions['after']): ReadonlyMap<string, string> {
  if (after === undefined) return new Map();
  return after instanceof Map ? after : new Map(Object.entries(after));
}
