/** What `TestClient.sse()` resolves with: the parsed events of one stream, as an EventSource sees them. */
import type { ConnectionState } from '../protocol/types.js';
import type { ResponseHeaders, TestResponse } from './response.js';
import { SSEParser, type SSEEvent } from './sse-reader.js';

export class SSEStream implements AsyncIterable<SSEEvent> {
  private readonly parser = new SSEParser();
  private readonly chunks: AsyncIterator<Uint8Array>;
  private readonly pending: SSEEvent[] = [];

  constructor(readonly response: TestResponse) {
    this.chunks = response[Symbol.asyncIterator]();
  }

  get status(): number {
    return this.response.status;
  }

  get headers(): ResponseHeaders {
    return this.response.headers;
  }

  /** Comment lines received so far (keepalives, `sse.comment`), without the leading `:`. */
  get comments(): readonly string[] {
    return this.parser.comments;
  }

  get connection(): ConnectionState {
    return this.response.connection;
  }

  /** The next event, or `undefined` once the app closed the stream. */
  async next(): Promise<SSEEvent | undefined> {
    while (this.pending.length === 0) {
      const chunk = await this.chunks.next();
      if (chunk.done) return undefined;
      this.pending.push(...this.parser.push(chunk.value));
    }
    return this.pending.shift();
  }

  /** The next `count` events; rejects if the stream ends first. */
  async take(count: number): Promise<SSEEvent[]> {
    const out: SSEEvent[] = [];
    while (out.length < count) {
      const event = await this.next();
      if (!event) throw new Error(`the event stream ended after ${out.length} of ${count} events`);
      out.push(event);
    }
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SSEEvent> {
    for (;;) {
      const event = await this.next();
      if (!event) return;
      yield event;
    }
  }

  /** The client leaves (EventSource `close()`): the app sees `sse.disconnect` with `client_closed`. */
  close(): void {
    this.response.disconnect('client_closed');
  }

  /** Resolves when the app's promise settles (see `TestResponse.settled`). */
  settled(): Promise<void> {
    return this.response.settled();
  }
}
