/**
 * One subscriber: its groups, a bounded queue of deliveries, and the async
 * iterator over them. The hub pushes (`offer`, `offerGap`); the app pulls
 * (`next()`, `for await`). Pushing never waits: a slow reader fills its own
 * queue and meets its overflow policy, it never slows the publisher or the
 * other subscribers.
 */
import { ChannelsClosed } from './errors.js';
import type { Position } from './ids.js';
import type {
  ChannelDelivery,
  ChannelGap,
  ChannelMessage,
  OverflowPolicy,
  Subscription,
  SubscriptionEndReason,
} from './types.js';

/** What the subscription asks of the hub that feeds it. */
export interface SubscriptionOwner {
  join(subscription: LocalSubscription, group: string, after: string | undefined): Promise<void>;
  leave(subscription: LocalSubscription, group: string): Promise<void>;
  /** Removes the subscription from every group. */
  detach(subscription: LocalSubscription): Promise<void>;
}

/** A message with its history position (for dedupe), or a gap. */
export type Offer = { readonly type: 'message'; readonly message: ChannelMessage<unknown>; readonly position: Position | undefined } | ChannelGap;

type Waiter = (result: IteratorResult<ChannelDelivery<unknown>, undefined>) => void;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** The one `Subscription` implementation, fed by a hub. */
export class LocalSubscription<T = unknown> implements Subscription<T> {
  readonly id: string;
  /** The groups joined (the hub adds and removes). */
  readonly memberships = new Set<string>();
  readonly ended: Promise<SubscriptionEndReason>;
  readonly #owner: SubscriptionOwner;
  readonly #size: number;
  readonly #overflow: OverflowPolicy;
  #queue: Array<ChannelDelivery<unknown> | undefined> = [];
  #head = 0;
  readonly #waiters: Waiter[] = [];
  /** Messages dropped for overflow per group, reported as one gap each before the next delivery. */
  readonly #unreportedDrops = new Map<string, number>();
  #dropped = 0;
  #endReason: SubscriptionEndReason | undefined;
  #markEnded!: (reason: SubscriptionEndReason) => void;
  #detached: Promise<void> | undefined;
  /** Per history group, the last position delivered: a replay and live delivery may overlap, each message counts once. */
  readonly #cursors = new Map<string, Position>();
  /** Groups being resumed: live offers wait here until the replay has been queued. */
  readonly #held = new Map<string, Offer[]>();
  /**
   * Room above the bound for replayed messages not yet taken. A replay is
   * finite (at most the history's count) and the client asked for it; only
   * live growth is what the bound is against, else a resume after a long
   * absence would overflow at once and never catch up.
   */
  #replayAllowance = 0;

  constructor(id: string, owner: SubscriptionOwner, size: number, overflow: OverflowPolicy) {
    this.id = id;
    this.#owner = owner;
    this.#size = size;
    this.#overflow = overflow;
    this.ended = new Promise((resolve) => (this.#markEnded = resolve));
  }

  get groups(): ReadonlySet<string> {
    return this.memberships;
  }

  get endReason(): SubscriptionEndReason | undefined {
    return this.#endReason;
  }

  get queued(): number {
    return this.#queue.length - this.#head + this.#unreportedDrops.size;
  }

  get dropped(): number {
    return this.#dropped;
  }

  join(group: string, options?: { after?: string }): Promise<void> {
    if (this.#endReason) return Promise.reject(new ChannelsClosed(`join ${JSON.stringify(group)}`, 'subscription'));
    return this.#owner.join(this, group, options?.after);
  }

  leave(group: string): Promise<void> {
    this.#cursors.delete(group);
    this.#held.delete(group);
    return this.#owner.leave(this, group);
  }

  next(): Promise<IteratorResult<ChannelDelivery<T>, undefined>> {
    const item = this.#take();
    if (item) return Promise.resolve({ done: false, value: item as ChannelDelivery<T> });
    if (this.#endReason) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#waiters.push(resolve as Waiter));
  }

  /** `break` out of a `for await` ends the subscription. */
  async return(): Promise<IteratorResult<ChannelDelivery<T>, undefined>> {
    await this.close();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  close(): Promise<void> {
    return this.end('closed');
  }

  /** Ends the subscription with `reason` (first reason wins) and leaves every group. */
  end(reason: SubscriptionEndReason): Promise<void> {
    if (!this.#endReason) {
      this.#endReason = reason;
      this.#queue = [];
      this.#head = 0;
      this.#replayAllowance = 0;
      this.#unreportedDrops.clear();
      this.#held.clear();
      this.#cursors.clear();
      for (const wake of this.#waiters.splice(0)) wake(DONE);
      this.#markEnded(reason);
      this.#detached = this.#owner.detach(this);
    }
    return this.#detached ?? Promise.resolve();
  }

  // ---- the hub's side

  /** Queues a message, unless this subscription already has it (same epoch, sequence number not above its cursor). */
  offer(message: ChannelMessage<unknown>, position: Position | undefined): void {
    if (this.#endReason) return;
    const held = this.#held.get(message.group);
    if (held) this.#hold(held, { type: 'message', message, position });
    else this.#accept(message, position);
  }

  offerGap(gap: ChannelGap): void {
    if (this.#endReason) return;
    const held = this.#held.get(gap.group);
    if (held) this.#hold(held, gap);
    else this.#push(gap);
  }

  /** From now until `release(group)`, offers for `group` wait (a replay is being fetched). */
  hold(group: string): void {
    if (!this.#held.has(group)) this.#held.set(group, []);
  }

  /** Queues `replayed` (what was missed), then the offers held meanwhile, each message once. */
  release(group: string, replayed: readonly Offer[]): void {
    const held = this.#held.get(group);
    this.#held.delete(group);
    if (this.#endReason || !held) return;
    this.#replayAllowance += replayed.length;
    for (const offer of [...replayed, ...held]) {
      if (offer.type === 'gap') this.#push(offer);
      else this.#accept(offer.message, offer.position);
    }
  }

  #accept(message: ChannelMessage<unknown>, position: Position | undefined): void {
    if (position) {
      const cursor = this.#cursors.get(message.group);
      if (cursor && cursor.epoch === position.epoch && position.seq <= cursor.seq) return;
      this.#cursors.set(message.group, position);
    }
    this.#push(message);
  }

  /** Held offers are bounded like the queue: past the bound the oldest go, counted as overflow. */
  #hold(held: Offer[], offer: Offer): void {
    held.push(offer);
    if (held.length <= this.#size) return;
    if (this.#overflow === 'end') {
      void this.end('overflow');
      return;
    }
    const dropped = held.shift()!;
    if (dropped.type !== 'gap') this.#countDrop(dropped.message.group);
  }

  #push(item: ChannelDelivery<unknown>): void {
    const wake = this.#waiters.shift();
    if (wake) {
      wake({ done: false, value: item });
      return;
    }
    this.#queue.push(item);
    // The pending overflow gaps are not counted: at most one per group.
    if (this.#queue.length - this.#head <= this.#size + this.#replayAllowance) return;
    if (this.#overflow === 'end') {
      void this.end('overflow');
      return;
    }
    // Drop the oldest. A dropped gap still leaves a hole in its group, which the overflow gap reports.
    const oldest = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined;
    if (oldest.type === 'message') this.#countDrop(oldest.group);
    else if (!this.#unreportedDrops.has(oldest.group)) this.#unreportedDrops.set(oldest.group, oldest.missed ?? 0);
    this.#compact();
  }

  #countDrop(group: string): void {
    this.#dropped += 1;
    this.#unreportedDrops.set(group, (this.#unreportedDrops.get(group) ?? 0) + 1);
  }

  #take(): ChannelDelivery<unknown> | undefined {
    // Drops happen at the head, so their gaps come before everything still queued.
    for (const [group, missed] of this.#unreportedDrops) {
      this.#unreportedDrops.delete(group);
      return Object.freeze({ type: 'gap', group, reason: 'overflow', missed: missed > 0 ? missed : undefined });
    }
    if (this.#head === this.#queue.length) return undefined;
    const item = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined;
    if (this.#replayAllowance > 0) this.#replayAllowance -= 1;
    this.#compact();
    return item;
  }

  /** Keeps the array from growing: reset when drained, slice once the dead head is most of it. */
  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
