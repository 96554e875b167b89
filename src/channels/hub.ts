/**
 * The part every layer shares: this process's groups and their members, the
 * fan-out of what the backend delivers, and the bookkeeping that makes
 * history groups exactly-once and gap-aware.
 *
 * Per history group the hub remembers the last position it delivered. A
 * message that follows it is fanned out; one it already had is dropped; one
 * that skips ahead means something was lost on the way (a reconnect, a
 * subscription that became active late), so the hole is fetched from history
 * first, with later messages waiting in order behind it. What history cannot
 * fill becomes a `gap` for every member. After the backend reports a
 * reconnect (`resync`), every history group is checked the same way and
 * every other group gets a `reconnect` gap.
 */
import type { Backend, BackendSink, Head, Retention } from './backend.js';
import { makeGap, makeMessage } from './deliveries.js';
import { decodeEnvelope } from './envelope.js';
import { asUnavailable, ChannelsUnavailable } from './errors.js';
import { interpretReplay } from './history.js';
import { parseId, type Position } from './ids.js';
import type { LocalSubscription, Offer, SubscriptionOwner } from './subscription.js';
import type { ChannelMessage, GapReason } from './types.js';

/** What a history read found (see `Hub.read`). */
export interface HistoryRead {
  readonly gap: { reason: GapReason; missed: number | undefined } | undefined;
  readonly messages: ReadonlyArray<{ message: ChannelMessage<unknown>; position: Position; excludeId: string | undefined }>;
  readonly head: Head;
}

interface GroupState {
  readonly name: string;
  readonly retention: Retention | undefined;
  readonly members: Set<LocalSubscription>;
  /** Backend subscribe/unsubscribe calls, one after the other. */
  op: Promise<void>;
  subscribed: boolean;
  /** History groups: the last position fanned out; `undefined` until the first baseline. */
  cursor: Head | undefined;
  recovering: boolean;
  /** Live messages that arrived while a hole was being fetched, in arrival order. */
  backlog: Array<{ payload: string; position: Position | undefined }>;
}

/** What the hub needs from the layer's options. */
export interface HubOptions {
  readonly retentionOf: (group: string) => Retention | undefined;
  readonly onError: (error: Error) => void;
}

/** This process's groups and members for one layer (see the file comment). */
export class Hub implements SubscriptionOwner, BackendSink {
  readonly #backend: Backend;
  readonly #options: HubOptions;
  readonly #groups = new Map<string, GroupState>();
  readonly #subscriptions = new Set<LocalSubscription>();
  #closed = false;

  constructor(backend: Backend, options: HubOptions) {
    this.#backend = backend;
    this.#options = options;
  }

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  get groupCount(): number {
    return this.#groups.size;
  }

  add(subscription: LocalSubscription): void {
    this.#subscriptions.add(subscription);
  }

  // ---- membership (SubscriptionOwner)

  async join(subscription: LocalSubscription, group: string, after: string | undefined): Promise<void> {
    const state = this.#state(group);
    if (state.members.has(subscription) && after === undefined) return;
    if (after !== undefined) subscription.hold(group);
    state.members.add(subscription);
    subscription.memberships.add(group);
    try {
      await this.#reconcile(state);
      if (after === undefined || !state.members.has(subscription)) return;
      subscription.release(group, await this.#resume(state, after, subscription.id));
    } catch (error) {
      subscription.release(group, []);
      await this.leave(subscription, group);
      throw asUnavailable(error, `join ${JSON.stringify(group)}`);
    }
  }

  async leave(subscription: LocalSubscription, group: string): Promise<void> {
    subscription.memberships.delete(group);
    const state = this.#groups.get(group);
    if (!state || !state.members.delete(subscription)) return;
    await this.#reconcile(state).catch((error: unknown) => this.#options.onError(asUnavailable(error, `leave ${JSON.stringify(group)}`)));
  }

  async detach(subscription: LocalSubscription): Promise<void> {
    this.#subscriptions.delete(subscription);
    await Promise.all([...subscription.memberships].map((group) => this.leave(subscription, group)));
  }

  // ---- what the backend delivers (BackendSink)

  message(group: string, payload: string, position: Position | undefined): void {
    const state = this.#groups.get(group);
    if (!state || state.members.size === 0) return;
    // Positions matter only where history makes them comparable.
    const at = state.retention ? position : undefined;
    if (state.recovering) state.backlog.push({ payload, position: at });
    else this.#process(state, payload, at);
  }

  resync(): void {
    for (const state of this.#groups.values()) {
      if (!state.subscribed || state.members.size === 0) continue;
      // Without history, or without a position to compare with, a reconnect can only be reported.
      if (!state.retention || state.cursor === undefined) this.#gapAll(state, 'reconnect', undefined);
      else if (!state.recovering) void this.#recover(state);
    }
  }

  // ---- history reads for `history()` and resuming

  /**
   * The messages of `group` after `after` (from the start when undefined),
   * the gap in front of them, and the head the history stood at (the
   * replay and the head are read in one step by every backend).
   */
  async read(group: string, retention: Retention, after: Position | undefined): Promise<HistoryRead> {
    const result = await this.#backend.replay(group, after, retention);
    const { gap, entries } = interpretReplay(after, result);
    const messages = [];
    for (const entry of entries) {
      const decoded = this.#decode(group, entry.payload);
      if (!decoded) continue;
      const position = { epoch: result.epoch!, offset: entry.offset, seq: entry.seq };
      messages.push({ message: makeMessage(group, decoded.dataJson, position), position, excludeId: decoded.excludeId });
    }
    return { gap, messages, head: { epoch: result.epoch, seq: result.seq, offset: result.offset } };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.end('layer_closed')));
    await Promise.all([...this.#groups.values()].map((state) => state.op));
    await this.#backend.close();
  }

  // ---- internals

  #state(group: string): GroupState {
    let state = this.#groups.get(group);
    if (!state) {
      state = {
        name: group,
        retention: this.#options.retentionOf(group),
        members: new Set(),
        op: Promise.resolve(),
        subscribed: false,
        cursor: undefined,
        recovering: false,
        backlog: [],
      };
      this.#groups.set(group, state);
    }
    return state;
  }

  /** Brings the backend subscription in line with the membership, one call at a time; forgets idle groups. */
  #reconcile(state: GroupState): Promise<void> {
    const task = state.op.then(async () => {
      const wanted = state.members.size > 0 && !this.#closed;
      if (wanted && !state.subscribed) {
        const head = await this.#backend.subscribe(state.name, state.retention);
        state.subscribed = true;
        // A message may have arrived between activation and this answer and set the cursor already.
        if (head && state.cursor === undefined) state.cursor = head;
      } else if (!wanted && state.subscribed) {
        state.subscribed = false;
        state.cursor = undefined;
        state.backlog = [];
        await this.#backend.unsubscribe(state.name);
      }
    });
    const settled = task.then(noop, noop);
    state.op = settled;
    void settled.then(() => {
      if (state.op === settled && !state.subscribed && state.members.size === 0 && this.#groups.get(state.name) === state) {
        this.#groups.delete(state.name);
      }
    });
    return task;
  }

  #process(state: GroupState, payload: string, position: Position | undefined): void {
    const cursor = state.cursor;
    if (!position || cursor === undefined) {
      if (position) state.cursor = position;
      this.#fanOut(state, payload, position);
      return;
    }
    if (cursor.epoch !== undefined && cursor.epoch !== position.epoch) {
      // The history this process followed is gone (Redis lost it, or a new relay): say so, then follow the new one from its start.
      this.#gapAll(state, 'epoch', undefined);
      state.cursor = { epoch: position.epoch, seq: 0, offset: '' };
    } else if (cursor.epoch === undefined) {
      state.cursor = { epoch: position.epoch, seq: cursor.seq, offset: cursor.offset };
    }
    const last = state.cursor!.seq;
    if (position.seq <= last) return;
    if (position.seq === last + 1) {
      state.cursor = position;
      this.#fanOut(state, payload, position);
      return;
    }
    state.backlog.push({ payload, position });
    void this.#recover(state);
  }

  /** Fetches what history has after the cursor, fans it out, then drains the backlog. */
  async #recover(state: GroupState): Promise<void> {
    state.recovering = true;
    const cursor = state.cursor;
    const after = cursor && cursor.epoch !== undefined && cursor.seq > 0 ? { epoch: cursor.epoch, offset: cursor.offset, seq: cursor.seq } : undefined;
    try {
      const { gap, messages, head } = await this.read(state.name, state.retention!, after);
      if (gap) this.#gapAll(state, gap.reason, gap.missed);
      for (const { message, position, excludeId } of messages) this.#offerAll(state, message, position, excludeId);
      // The entries run up to the head; from it on, the backlog (and anything later) is compared.
      state.cursor = head;
    } catch (error) {
      this.#options.onError(asUnavailable(error, `recover ${JSON.stringify(state.name)}`));
      this.#gapAll(state, 'reconnect', undefined);
      state.cursor = undefined;
    } finally {
      state.recovering = false;
    }
    const backlog = state.backlog;
    state.backlog = [];
    for (let i = 0; i < backlog.length; i++) {
      if (state.recovering) {
        state.backlog.unshift(...backlog.slice(i));
        return;
      }
      this.#process(state, backlog[i]!.payload, backlog[i]!.position);
    }
  }

  async #resume(state: GroupState, afterId: string, subscriptionId: string): Promise<Offer[]> {
    if (!state.retention) return [makeGap(state.name, 'no_history')];
    const after = parseId(afterId);
    if (!after) return [makeGap(state.name, 'invalid_id')];
    const { gap, messages } = await this.read(state.name, state.retention, after);
    const offers: Offer[] = gap ? [makeGap(state.name, gap.reason, gap.missed)] : [];
    for (const { message, position, excludeId } of messages) {
      if (excludeId !== subscriptionId) offers.push({ type: 'message', message, position });
    }
    return offers;
  }

  #fanOut(state: GroupState, payload: string, position: Position | undefined): void {
    const decoded = this.#decode(state.name, payload);
    if (!decoded) return;
    let message: ChannelMessage<unknown> | undefined;
    for (const member of state.members) {
      if (member.id === decoded.excludeId) continue;
      try {
        message ??= makeMessage(state.name, decoded.dataJson, position);
      } catch (error) {
        this.#options.onError(new ChannelsUnavailable(`dropped a message on ${JSON.stringify(state.name)} whose data is not JSON`, { cause: error }));
        return;
      }
      member.offer(message, position);
    }
  }

  #offerAll(state: GroupState, message: ChannelMessage<unknown>, position: Position, excludeId: string | undefined): void {
    for (const member of state.members) if (member.id !== excludeId) member.offer(message, position);
  }

  #gapAll(state: GroupState, reason: GapReason, missed: number | undefined): void {
    const gap = makeGap(state.name, reason, missed);
    for (const member of state.members) member.offerGap(gap);
  }

  #decode(group: string, payload: string): ReturnType<typeof decodeEnvelope> {
    const decoded = decodeEnvelope(payload);
    if (!decoded) this.#options.onError(new ChannelsUnavailable(`dropped a malformed message on ${JSON.stringify(group)} (not published by pagi/channels?)`));
    return decoded;
  }
}

function noop(): void {}
