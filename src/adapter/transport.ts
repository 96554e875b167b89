/**
 * `scope['pagi.transport']` (PROTOCOL.md §8): a synchronous view of a Node
 * response's outbound buffer. Node releases a waiting write only when its
 * buffer has drained, so the low-water mark is 0; the high-water mark is the
 * response's `writableHighWaterMark` (the socket's). The edge callbacks are
 * driven by the writer: `write()` returning false is the high edge, `'drain'`
 * the low one.
 */
import type { ServerResponse } from 'node:http';
import type { TransportState } from '../protocol/types.js';
import { log, type Logger } from './options.js';

export class NodeTransport implements TransportState {
  private highCallbacks: Array<() => void> | undefined;
  private drainCallbacks: Array<() => void> | undefined;
  private high = false;
  private readonly res: ServerResponse;
  private readonly logger: Logger;

  constructor(res: ServerResponse, logger: Logger) {
    this.res = res;
    this.logger = logger;
  }

  buffered_amount(): number {
    // OutgoingMessage counts its own pending output plus the socket's buffer.
    return this.res.writableLength;
  }

  high_water_mark(): number | undefined {
    return this.res.writableHighWaterMark;
  }

  low_water_mark(): number | undefined {
    return 0;
  }

  on_high_water(cb: () => void): void {
    (this.highCallbacks ??= []).push(cb);
    if (this.high) queueMicrotask(() => this.call(cb));
  }

  on_drain(cb: () => void): void {
    (this.drainCallbacks ??= []).push(cb);
  }

  /** The writer saw `write()` return false. */
  reachedHighWater(): void {
    if (this.high) return;
    this.high = true;
    this.fire(this.highCallbacks);
  }

  /** The writer saw `'drain'`. */
  drained(): void {
    if (!this.high) return;
    this.high = false;
    this.fire(this.drainCallbacks);
  }

  /** The scope ended: callbacks are dropped. */
  clear(): void {
    this.highCallbacks = undefined;
    this.drainCallbacks = undefined;
  }

  private fire(callbacks: Array<() => void> | undefined): void {
    if (callbacks === undefined) return;
    // Queued, never inside the app's own send() call (as with pagi.connection callbacks).
    queueMicrotask(() => {
      for (const cb of callbacks) this.call(cb);
    });
  }

  private call(cb: () => void): void {
    try {
      cb();
    } catch (error) {
      log(this.logger, 'error', 'a pagi.transport callback threw', error);
    }
  }
}
