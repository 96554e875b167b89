/**
 * The ordered queue between the fake response and PAGI `send`.
 *
 * Node's `res.write()` is synchronous, `send()` is not: each write becomes
 * one event, events leave strictly one at a time (the protocol forbids
 * overlapping sends), and the bytes not yet accepted are counted so the
 * response can report backpressure (`write()` → false, `'drain'`).
 */
import type { SendEvent } from '../protocol/types.js';
import { Disconnected } from '../protocol/errors.js';

/** Settles one queued event: no argument on success, the failure otherwise. */
export type Settled = (error?: Error) => void;

export interface OutboxHooks {
  /** A send rejected because the client side is gone (§1): the exchange tears down. */
  onDisconnected(reason: string): void;
  /** A send failed for another reason (an invalid event): fatal for the exchange. */
  onFailed(error: unknown): void;
  /** Every queued byte has been accepted. */
  onDrained(): void;
}

export class Outbox {
  /** Body bytes handed to `enqueue` whose send has not settled yet. */
  pendingBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private stoppedWith: Error | undefined;
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

  /** Queues `event`; `bytes` counts towards backpressure until its send settles. */
  enqueue(event: SendEvent, bytes = 0, settled?: Settled): void {
    if (this.stoppedWith) {
      if (settled) process.nextTick(settled, this.stoppedWith);
      return;
    }
    this.pendingBytes += bytes;
    this.tail = this.tail.then(() => this.dispatch(event, bytes, settled));
  }

  /** Drops everything still queued; their callbacks get `error`. */
  stop(error: Error): void {
    if (!this.stoppedWith) this.stoppedWith = error;
  }

  /** Resolves once every queued send has settled (never rejects). */
  idle(): Promise<void> {
    return this.tail;
  }

  private async dispatch(event: SendEvent, bytes: number, settled: Settled | undefined): Promise<void> {
    let failure: Error | undefined = this.stoppedWith;
    if (!failure) {
      try {
        await this.send(event);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        this.fail(failure);
      }
    }
    this.pendingBytes -= bytes;
    if (settled) settled(failure);
    if (!failure && this.pendingBytes === 0 && bytes > 0) this.hooks.onDrained();
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
