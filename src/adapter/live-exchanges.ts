/**
 * The set of in-flight exchanges of one listener, for graceful shutdown:
 * `shutdown()` ends live SSE streams (`server_shutdown`) and makes every
 * later response close its connection; `idle()` resolves once nothing is in
 * flight. An exchange leaves the set when both the app settled and the
 * response closed.
 *
 * A doubly linked list through the exchanges themselves rather than a `Set`:
 * every request joins and leaves once, and a `Set` pays for hashing each
 * exchange (a hidden identity hash, then table churn) on that hot path.
 */

/** What the list needs of an exchange: its links and the shutdown step. */
export interface LiveEntry {
  /** Links owned by `LiveExchanges`; `undefined` when not listed. */
  livePrev: LiveEntry | undefined;
  liveNext: LiveEntry | undefined;
  /** Listed in some `LiveExchanges`. */
  liveListed: boolean;
  shutdown(): void;
}

export class LiveExchanges {
  private first: LiveEntry | undefined;
  private count = 0;
  private idleWaiters: Array<() => void> | undefined;
  /** `shutdown()` was called: new responses say `connection: close`. */
  closing = false;

  get size(): number {
    return this.count;
  }

  add(entry: LiveEntry): void {
    if (entry.liveListed) return;
    entry.liveListed = true;
    entry.livePrev = undefined;
    entry.liveNext = this.first;
    if (this.first !== undefined) this.first.livePrev = entry;
    this.first = entry;
    this.count++;
  }

  release(entry: LiveEntry): void {
    if (!entry.liveListed) return;
    entry.liveListed = false;
    const { livePrev: prev, liveNext: next } = entry;
    if (prev === undefined) this.first = next;
    else prev.liveNext = next;
    if (next !== undefined) next.livePrev = prev;
    entry.livePrev = undefined;
    entry.liveNext = undefined;
    if (--this.count > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  /** Ends SSE streams now; lets HTTP responses finish, without keep-alive. */
  shutdown(): void {
    this.closing = true;
    // The next link is read first: a shutdown step may release its own entry.
    let entry = this.first;
    while (entry !== undefined) {
      const next = entry.liveNext;
      entry.shutdown();
      entry = next;
    }
  }

  /** Resolves when no exchange is in flight. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idleWaiters ??= []).push(resolve));
  }
}
