/**
 * An in-process publish/subscribe broker: topics with subscribers, a
 * sequence number per topic, and optional retention bounded by count and age.
 *
 * It is the one implementation of "who hears a topic, in which order, and
 * what can be replayed": the memory channel layer runs one per process, and a
 * multi-worker server's primary runs one for all its workers (server/ipc-relay.ts).
 * It knows nothing about transports: `publish` returns the subscribers and the
 * caller delivers.
 */
import { randomBytes } from 'node:crypto';

/** How much of a topic to keep for replay. */
export interface Retention {
  /** At most this many messages (≥ 1). */
  readonly count: number;
  /** Messages older than this many milliseconds are dropped; `0`: no age bound. */
  readonly maxAgeMs: number;
}

/** One retained message. */
export interface RetainedEntry {
  readonly seq: number;
  /** `Date.now()` when it was published. */
  readonly at: number;
  readonly payload: string;
}

/** What a replay finds: the topic's current position and the retained messages after the asked one. */
export interface Replayed {
  readonly epoch: string;
  /** The topic's last sequence number (0: nothing published in this epoch). */
  readonly lastSeq: number;
  readonly entries: readonly RetainedEntry[];
}

interface Topic<S> {
  readonly subscribers: Set<S>;
  seq: number;
  /** Retained entries, oldest first, from index `head` on (shifting a long array is O(n)). */
  retained: RetainedEntry[];
  head: number;
  retention: Retention | undefined;
}

/** A fresh epoch: 12 lowercase hex characters, different for every broker. */
export function newEpoch(): string {
  return randomBytes(6).toString('hex');
}

/** Topics → subscribers of type `S`, with per-topic numbering and retention. */
export class TopicBroker<S> {
  /** Changes whenever a broker is created, so positions of an earlier broker are recognised as foreign. */
  readonly epoch: string;
  readonly #topics = new Map<string, Topic<S>>();

  constructor(epoch: string = newEpoch()) {
    this.epoch = epoch;
  }

  /** Adds `subscriber` to `topic`; returns the topic's last sequence number (the subscriber's baseline). */
  subscribe(topic: string, subscriber: S): number {
    const state = this.#topic(topic);
    state.subscribers.add(subscriber);
    return state.seq;
  }

  unsubscribe(topic: string, subscriber: S): void {
    const state = this.#topics.get(topic);
    if (!state) return;
    state.subscribers.delete(subscriber);
    this.#dropIfIdle(topic, state);
  }

  /** Removes `subscriber` from every topic (a worker exited). */
  unsubscribeAll(subscriber: S): void {
    for (const [topic, state] of this.#topics) {
      if (state.subscribers.delete(subscriber)) this.#dropIfIdle(topic, state);
    }
  }

  /**
   * Numbers the message, retains it when `retention` is given, and returns its
   * sequence number with the subscribers to deliver it to (a live view: deliver
   * before the next call).
   */
  publish(topic: string, payload: string, retention: Retention | undefined): { seq: number; subscribers: ReadonlySet<S> } {
    const state = this.#topic(topic);
    state.seq += 1;
    if (retention) {
      state.retention = retention;
      const now = Date.now();
      state.retained.push({ seq: state.seq, at: now, payload });
      this.#trim(state, now);
    }
    const { seq, subscribers } = state;
    this.#dropIfIdle(topic, state);
    return { seq, subscribers };
  }

  /** The retained messages of `topic` with a sequence number above `afterSeq`, oldest first. */
  replay(topic: string, afterSeq: number): Replayed {
    const state = this.#topics.get(topic);
    if (!state) return { epoch: this.epoch, lastSeq: 0, entries: [] };
    this.#trim(state, Date.now());
    const entries: RetainedEntry[] = [];
    for (let i = state.head; i < state.retained.length; i++) {
      const entry = state.retained[i]!;
      if (entry.seq > afterSeq) entries.push(entry);
    }
    return { epoch: this.epoch, lastSeq: state.seq, entries };
  }

  /** Topics currently known (for leak checks). */
  get topicCount(): number {
    return this.#topics.size;
  }

  /** Subscriptions over all topics (for leak checks). */
  get subscriptionCount(): number {
    let count = 0;
    for (const state of this.#topics.values()) count += state.subscribers.size;
    return count;
  }

  #topic(topic: string): Topic<S> {
    let state = this.#topics.get(topic);
    if (!state) {
      state = { subscribers: new Set(), seq: 0, retained: [], head: 0, retention: undefined };
      this.#topics.set(topic, state);
    }
    return state;
  }

  #trim(state: Topic<S>, now: number): void {
    const retention = state.retention;
    if (!retention) return;
    const live = () => state.retained.length - state.head;
    while (live() > retention.count) state.head += 1;
    if (retention.maxAgeMs > 0) {
      const oldest = now - retention.maxAgeMs;
      while (live() > 0 && state.retained[state.head]!.at < oldest) state.head += 1;
    }
    if (state.head > 64 && state.head * 2 > state.retained.length) {
      state.retained = state.retained.slice(state.head);
      state.head = 0;
    }
  }

  /**
   * A topic without subscribers is forgotten unless it has retention: its
   * sequence number must survive so that a later replay can tell "nothing
   * new" from "trimmed away" (one small record per retained topic).
   */
  #dropIfIdle(topic: string, state: Topic<S>): void {
    if (state.subscribers.size === 0 && state.retention === undefined) this.#topics.delete(topic);
  }
}
