/**
 * The app's side of `receive()` in the test client: events in order,
 * concurrent calls served in call order, and after the end the end event
 * forever (PROTOCOL.md §7.5).
 */
import type { ReceiveEvent } from '../protocol/types.js';

export class ReceiveQueue {
  private items: ReceiveEvent[] = [];
  private waiters: Array<(event: ReceiveEvent) => void> = [];
  private endEvent: ReceiveEvent | undefined;

  get ended(): boolean {
    return this.endEvent !== undefined;
  }

  push(event: ReceiveEvent): void {
    if (this.endEvent) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.items.push(event);
  }

  /**
   * Ends the stream with `event`. An abnormal end discards what the app has
   * not read yet (§4.2); a clean one lets it read the rest first.
   */
  end(event: ReceiveEvent, discardUnread: boolean): void {
    if (this.endEvent) return;
    this.endEvent = event;
    if (discardUnread) this.items = [];
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter(event);
  }

  readonly receive = (): Promise<ReceiveEvent> => {
    const next = this.items.shift();
    if (next) return Promise.resolve(next);
    if (this.endEvent) return Promise.resolve(this.endEvent);
    return new Promise((resolve) => this.waiters.push(resolve));
  };
}
