/**
 * The public shapes of `pagi/channels`: one `ChannelLayer` interface that the
 * memory, cluster and redis layers implement, the `Subscription` it hands
 * out, and what a subscription delivers (a discriminated union on `type`).
 */
import type { ConnectionState, Scope } from '../protocol/types.js';
import type { JsonValue } from './json.js';

/** A message published to a group, as a subscriber receives it. */
export interface ChannelMessage<T = JsonValue> {
  readonly type: 'message';
  readonly group: string;
  /** The published value, parsed from its JSON text and deeply frozen (shared by every local subscriber). */
  readonly data: T;
  /**
   * Its id in the group's history (`<epoch>-<offset>`), on groups that keep
   * history; `undefined` on the others. Pass it back as `after` (or send it
   * as an SSE `id`) to resume after this message.
   */
  readonly id: string | undefined;
  /** The data's JSON text, exactly as published (not enumerable). */
  readonly json: string;
}

/**
 * Why messages may be missing before the next delivery:
 * - `epoch`: the id resumed from belongs to an earlier history (the layer,
 *   the primary or Redis restarted and the history was lost);
 * - `trimmed`: the history no longer holds every message after that id
 *   (older than its count or age bound); `missed` says how many are gone;
 * - `invalid_id`: the id to resume from is not one this group handed out;
 * - `no_history`: resuming was asked on a group that keeps no history;
 * - `overflow`: this subscription's queue was full and dropped the oldest
 *   messages (`missed` of them);
 * - `reconnect`: the layer lost its connection (Redis) and messages of a
 *   group without history may have been published meanwhile.
 */
export type GapReason = 'epoch' | 'trimmed' | 'invalid_id' | 'no_history' | 'overflow' | 'reconnect';

/** A hole in a group's stream that the layer detected and could not fill. */
export interface ChannelGap {
  readonly type: 'gap';
  readonly group: string;
  readonly reason: GapReason;
  /** How many messages are missing, when the layer can count them. */
  readonly missed: number | undefined;
}

/** What a subscription yields. */
export type ChannelDelivery<T = JsonValue> = ChannelMessage<T> | ChannelGap;

/**
 * What a full queue does with the next message:
 * - `drop-oldest`: discard the oldest queued message and deliver a `gap`
 *   (`reason: 'overflow'`) in its place, so the subscriber knows;
 * - `end`: end the subscription with reason `overflow` (for SSE with history:
 *   close the stream and let the client resume with `Last-Event-ID`).
 */
export type OverflowPolicy = 'drop-oldest' | 'end';

/** The bound of a subscription's queue and what happens past it. */
export interface QueueOptions {
  /** Deliveries a subscription holds before its overflow policy applies (default 1,000). */
  readonly size?: number;
  /** Default `'drop-oldest'`. */
  readonly overflow?: OverflowPolicy;
}

/**
 * Why a subscription ended: `closed` (its `close()`, or `break` out of a
 * `for await`), `scope_ended` (the connection it was tied to ended),
 * `overflow` (queue full under the `end` policy), `layer_closed`.
 */
export type SubscriptionEndReason = 'closed' | 'scope_ended' | 'overflow' | 'layer_closed';

/** How long a group keeps history for resuming. */
export interface HistoryPolicy {
  /** Keep at most this many messages (1 to 100,000). */
  readonly count: number;
  /** And none older than this many seconds (default: no age bound). */
  readonly maxAge?: number;
}

/** Which groups keep history: a table by group name, or a function of the name. */
export type HistoryOption = Readonly<Record<string, HistoryPolicy>> | ((group: string) => HistoryPolicy | undefined);

/** Options every layer accepts. */
export interface LayerOptions {
  /** Groups that keep history (default: none). Every process sharing the layer must use the same table. */
  readonly history?: HistoryOption;
  /** Largest message, in bytes of JSON (default 1 MiB). */
  readonly maxMessageBytes?: number;
  /** Default queue bound and overflow policy of every subscription. */
  readonly queue?: QueueOptions;
  /** Problems that have no caller to reject (a malformed message from the transport, a failed background unsubscribe). Default: `console.warn`. */
  readonly onError?: (error: Error) => void;
}

/** Options of `ChannelLayer.subscribe()`. */
export interface SubscribeOptions {
  /** Groups to join before `subscribe()` resolves. */
  readonly groups?: readonly string[];
  /**
   * Resume points for some of `groups`: group → the id of the last message
   * the client saw. The subscription first receives the retained messages
   * after it (or a `gap` saying why it cannot), then live ones, each once.
   */
  readonly after?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /**
   * Tie the subscription to this scope (or to the scope of an Express request
   * served through `fromExpress`): it ends (`scope_ended`) when the scope's
   * connection ends.
   */
  readonly scope?: Scope | object;
  /** Same as `scope`, given the `pagi.connection` object directly. */
  readonly connection?: ConnectionState;
  readonly queue?: QueueOptions;
}

/** One subscriber: a set of joined groups and a bounded queue of deliveries, read as an async iterator. */
export interface Subscription<T = JsonValue> extends AsyncIterableIterator<ChannelDelivery<T>, undefined> {
  /** Unique across processes; pass it (or the subscription) as `exclude` to skip this subscriber. */
  readonly id: string;
  /** The groups joined now. */
  readonly groups: ReadonlySet<string>;
  /**
   * Joins `group`; resolves once messages published from now on will arrive.
   * With `after`, first delivers what was missed since that id (see `SubscribeOptions.after`).
   */
  join(group: string, options?: { after?: string }): Promise<void>;
  /** Leaves `group`; deliveries of it still queued are kept. */
  leave(group: string): Promise<void>;
  /** The next delivery; waits while the queue is empty; `done` once the subscription ended. Race it with `receive()`. */
  next(): Promise<IteratorResult<ChannelDelivery<T>, undefined>>;
  /** Ends the subscription (`closed`), leaving every group; queued deliveries are discarded. */
  close(): Promise<void>;
  /** Resolves with the reason once the subscription has ended. Never rejects. */
  readonly ended: Promise<SubscriptionEndReason>;
  /** The reason it ended, `undefined` while it runs. */
  readonly endReason: SubscriptionEndReason | undefined;
  /** Deliveries waiting in the queue. */
  readonly queued: number;
  /** Messages dropped so far by the `drop-oldest` policy. */
  readonly dropped: number;
}

/** The result of `publish()`. */
export interface Published {
  readonly group: string;
  /** The message's id in the group's history; `undefined` when the group keeps none. */
  readonly id: string | undefined;
}

/** The retained messages of a group (`history()`), with a gap when not all asked for are there. */
export interface HistoryResult<T = JsonValue> {
  readonly messages: ReadonlyArray<ChannelMessage<T>>;
  readonly gap: ChannelGap | undefined;
}

/** Counts for monitoring and leak checks. */
export interface LayerStats {
  /** Open subscriptions in this process. */
  readonly subscriptions: number;
  /** Groups this process listens to (each with at least one local member). */
  readonly groups: number;
}

/**
 * A channel layer: groups that connections join and anyone publishes to.
 * Live delivery is at most once, in publication order per publisher; groups
 * with a `HistoryPolicy` also keep recent messages for resuming.
 */
export interface ChannelLayer {
  /** `memory` (one process), `cluster` (the workers of one server, through the primary), `redis` (any number of processes and machines). */
  readonly kind: 'memory' | 'cluster' | 'redis';
  /** Creates a subscription and joins `options.groups` (resuming where `options.after` says). */
  subscribe<T = JsonValue>(options?: SubscribeOptions): Promise<Subscription<T>>;
  /**
   * Publishes `data` (a JSON value) to `group`: every subscription in the
   * group receives it, except `exclude`. Resolves once the transport took it
   * (for groups with history: once it is stored and has an id). Throws
   * `InvalidMessage`/`InvalidGroup` before anything is sent.
   */
  publish(group: string, data: unknown, options?: { exclude?: Subscription<unknown> | string }): Promise<Published>;
  /** The retained messages of `group`, oldest first; with `after`, only those after that id (or a gap). */
  history<T = JsonValue>(group: string, options?: { after?: string }): Promise<HistoryResult<T>>;
  /** The history policy of `group`, `undefined` when it keeps none. */
  historyPolicy(group: string): HistoryPolicy | undefined;
  stats(): LayerStats;
  /** Ends every subscription (`layer_closed`) and releases the transport (not a Redis client you passed). Idempotent. */
  close(): Promise<void>;
}
