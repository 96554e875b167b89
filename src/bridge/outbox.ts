/**
 * The ordered queue between the fake response and PAGI `send`.
 *
 * Node's `res.write()` is synchronous, `send()` is not: each write becomes
 * one event, events leave strictly one at a time (the protocol forbids
 * overlapping sends), and the bytes not yet accepted are counted so the
 * response can report backpressure (`write()` → false, `'drain'`). When
 * nothing is in flight an event goes straight to `send`; only events that
 * arrive while one is pending wait in the array.
 */
import type { SendEvent } from '../protocol/types.js';
import { Disconnected } from '../protocol/errors.js';

/** Settles one queued event: no error on success, the failure otherwise. `this` is the context given to `enqueue`. */
export type Settled = (this: unknown, error: Error | undefined) => void;

export interface OutboxHooks {
  /** A send rejected because the client side is gone (§1): the exchange tears down. */
  onDisconnected(reason: string): void;
  /** A send failed for another reason (an invalid event): fatal for the exchange. */
  onFailed(error: unknown): void;
  /** Every queued byte has been accepted. */
  onDrained(): void;
}

interface Entry {
  seq: number;
  event: SendEvent;
  bytes: number;
  settled: Settled | undefined;
  context: unknown;
}

export class Outbox {
  /** Body bytes handed to `enqueue` whose send has not settled yet. */
  pendingBytes = 0;
  private current: Entry | undefined;
  private readonly waiting: Entry[] = [];
  private stoppedWith: Error | undefined;
  private idleWaiters: Array<() => void> | undefined;
  /** Sequence number of the last event handed to `enqueue`. */
  private seq = 0;
  private pumpScheduled = false;
  /** A pending `stopAfter`: the last event still allowed out, its error, and what to run once it is done. */
  private cut: { last: number; error: Error; done: () => void } | undefined;
  private readonly send: (event: SendEvent) => Promise<void>;
  private readonly hooks: OutboxHooks;

  constructor(send: (event: SendEvent) => Promise<void>, hooks: OutboxHooks) {
    this.send = send;
    this.hooks = hooks;
  }

  /** True once a send failed or `stop()` was called: later events are dropped. */
  get stopped(): boolean {
    return this.stoppedWith !== undefined;
  }

  /** The sequence number of the last event queued so far. */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Queues `event`; `bytes` counts towards backpressure until its send
   * settles. Returns the event's sequence number.
   */
  enqueue<C>(event: SendEvent, bytes = 0, onSettled?: (this: C, error: Error | undefined) => void, context?: C): number {
    const settled = onSettled as Settled | undefined;
    const seq = ++this.seq;
    const refusal = this.stoppedWith ?? this.cut?.error;
    if (refusal) {
      if (settled) process.nextTick(callSettled, settled, context, refusal);
      return seq;
    }
    this.pendingBytes += bytes;
    this.waiting.push({ seq, event, bytes, settled, context });
    // Events of one synchronous burst (a head and its body) leave together
    // from a microtask, so a destroy in the same tick can still amend them.
    if (!this.current && !this.pumpScheduled) {
      this.pumpScheduled = true;
      queueMicrotask(this.pump);
    }
    return seq;
  }

  private readonly pump = (): void => {
    this.pumpScheduled = false;
    if (!this.current) this.advance();
  };

  /** Drops everything not yet handed to `send`; their callbacks get `error`. */
  stop(error: Error): void {
    if (!this.stoppedWith) this.stoppedWith = error;
    this.finishCut();
  }

  /**
   * Lets the events up to sequence number `last` go out, drops the later
   * ones (their callbacks get `error`), then runs `done` once nothing is in
   * flight. Used when the app destroys the socket: what Node had already
   * written still reaches the client.
   */
  stopAfter(last: number, error: Error, done: () => void, amend?: (event: SendEvent) => SendEvent): void {
    if (this.stoppedWith || this.cut) {
      done();
      return;
    }
    this.cut = { last, error, done };
    const kept: Entry[] = [];
    for (const entry of this.waiting) {
      if (entry.seq > last) this.drop(entry, error);
      else {
        // Not yet handed to send(), so still ours to change.
        if (amend) entry.event = amend(entry.event);
        kept.push(entry);
      }
    }
    this.waiting.length = 0;
    this.waiting.push(...kept);
    if (!this.current && kept.length === 0) this.finishCut();
  }

  /** Resolves once every queued send has settled (never rejects). */
  idle(): Promise<void> {
    if (!this.current && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  private dispatch(entry: Entry): void {
    this.current = entry;
    let sent: Promise<void>;
    try {
      sent = this.send(entry.event);
    } catch (error) {
      // send() must not throw synchronously (§2.3), but a hand-written one might.
      sent = Promise.reject(error);
    }
    sent.then(this.onSent, this.onRejected);
  }

  private readonly onSent = (): void => {
    this.settle(undefined);
  };

  private readonly onRejected = (error: unknown): void => {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.fail(failure);
    this.settle(failure);
  };

  private settle(failure: Error | undefined): void {
    const entry = this.current as Entry;
    this.current = undefined;
    this.pendingBytes -= entry.bytes;
    if (entry.settled) callSettled(entry.settled, entry.context, failure);
    if (!failure && !this.stoppedWith && !this.cut && entry.bytes > 0 && this.pendingBytes === 0) this.hooks.onDrained();
    this.advance();
  }

  /** Sends the next waiting event, or, with nothing left, completes a cut and wakes `idle()` callers. */
  private advance(): void {
    let next = this.waiting.shift();
    while (next && this.stoppedWith) {
      // Stopped: nothing more goes to send(); whatever waited fails the same way.
      this.drop(next, this.stoppedWith);
      next = this.waiting.shift();
    }
    if (next) {
      this.dispatch(next);
      return;
    }
    this.finishCut();
    const waiters = this.idleWaiters;
    this.idleWaiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }

  private drop(entry: Entry, error: Error): void {
    this.pendingBytes -= entry.bytes;
    if (entry.settled) callSettled(entry.settled, entry.context, error);
  }

  /** Completes a pending `stopAfter` once nothing is in flight or waiting any more. */
  private finishCut(): void {
    const cut = this.cut;
    if (!cut || this.current || this.waiting.length > 0) return;
    this.cut = undefined;
    this.stoppedWith ??= cut.error;
    cut.done();
  }

  private fail(error: Error): void {
    if (this.stoppedWith) return;
    this.stoppedWith = error;
    if (error instanceof Disconnected || (error as { code?: unknown }).code === 'ERR_PAGI_DISCONNECTED') {
      this.hooks.onDisconnected((error as Disconnected).reason ?? 'client_closed');
    } else {
      this.hooks.onFailed(error);
    }
  }
}

function callSettled(settled: Settled, context: unknown, error: Error | undefined): void {
  try {
    settled.call(context, error);
  } catch (thrown) {
    // A throwing write callback or 'finish' listener is an uncaught exception
    // on node:http too; rethrow it outside the queue so the queue keeps going.
    process.nextTick(rethrow, thrown);
  }
}

function rethrow(error: unknown): never {
  throw error;
}
