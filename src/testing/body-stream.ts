/**
 * Response body chunks as the app sends them: readable chunk by chunk while
 * the app is still streaming, or all at once when it has finished. Chunks are
 * kept, so reading them one by one and then calling `text()` both work.
 */
import { withDeadline } from './deadline.js';

export class BodyStream implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private state: 'open' | 'ended' | 'failed' = 'open';
  private error: unknown;
  private waiters: Array<() => void> = [];

  constructor(private readonly timeoutMs: number) {}

  get ended(): boolean {
    return this.state !== 'open';
  }

  push(chunk: Uint8Array): void {
    if (this.state !== 'open') return;
    this.chunks.push(chunk);
    this.wake();
  }

  end(): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
    this.wake();
  }

  fail(error: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.error = error;
    this.wake();
  }

  /** Every chunk, once the body is complete; rejects if it ended abnormally. */
  async all(): Promise<Uint8Array> {
    while (this.state === 'open') await this.next('the end of the response body');
    if (this.state === 'failed') throw this.error;
    return Buffer.concat(this.chunks);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    let index = 0;
    for (;;) {
      if (index < this.chunks.length) {
        yield this.chunks[index++] as Uint8Array;
        continue;
      }
      if (this.state === 'ended') return;
      if (this.state === 'failed') throw this.error;
      await this.next('the next response body chunk');
    }
  }

  private next(what: string): Promise<void> {
    return withDeadline(new Promise<void>((resolve) => this.waiters.push(resolve)), this.timeoutMs, what);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
