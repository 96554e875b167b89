/**
 * The set of in-flight exchanges of one listener, for graceful shutdown:
 * `shutdown()` ends live SSE streams (`server_shutdown`) and makes every
 * later response close its connection; `idle()` resolves once nothing is in
 * flight. An exchange leaves the set when both the app settled and the
 * response closed.
 */
import type { Exchange } from './exchange.js';

export class LiveExchanges {
  private readonly live = new Set<Exchange>();
  private idleWaiters: Array<() => void> | undefined;
  /** `shutdown()` was called: new responses say `connection: close`. */
  closing = false;

  get size(): number {
    return this.live.size;
  }

  add(exchange: Exchange): void {
    this.live.add(exchange);
  }

  release(exchange: Exchange): void {
    if (!this.live.delete(exchange) || this.live.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  /** Ends SSE streams now; lets HTTP responses finish, without keep-alive. */
  shutdown(): void {
    this.closing = true;
    for (const exchange of this.live) exchange.shutdown();
  }

  /** Resolves when no exchange is in flight. */
  idle(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idleWaiters ??= []).push(resolve));
  }
}
