/**
 * `SSEStream`: the small object an `sse()` route handler writes events to.
 * It starts the stream on first use (so a handler may still refuse with an
 * `HttpError` before that, §6.4), and the router closes it when the handler
 * returns (§6.5's terminal act).
 */
import type { HeadersInput, SSEScope, SendFor } from '../protocol/types.js';
import { header } from './request.js';
import { sendSteps, type SendStep } from './send-steps.js';
import { RESOLVED } from '../protocol/resolved.js';

/** One event for `SSEStream.send`. */
export interface SSEMessage {
  /** The event's data; a multi-line string becomes several `data:` lines. */
  data: string;
  /** The event name (`event:` line); EventSource dispatches it to `addEventListener(name)`. */
  event?: string;
  /** The event id; the browser sends it back as `Last-Event-ID` when it reconnects. */
  id?: string;
  /** Reconnection delay the client should use, in milliseconds. */
  retry?: number;
}

/** Options of `SSEStream.start`. */
export interface SSEStartOptions {
  /** Default 200. */
  status?: number;
  /** Extra headers; the server adds `content-type: text/event-stream` and `cache-control: no-cache` unless given. */
  headers?: HeadersInput;
}

/** An SSE response being written. */
export class SSEStream {
  #started = false;
  #closed = false;

  constructor(
    private readonly scope: SSEScope,
    private readonly sendEvent: SendFor<'sse'>,
  ) {}

  /** The client's `Last-Event-ID` (set when an EventSource reconnects), if any. */
  get lastEventId(): string | undefined {
    return header(this.scope, 'last-event-id');
  }

  /** Whether `start()` (or a first event) went out. */
  get started(): boolean {
    return this.#started;
  }

  /** Whether the stream was closed with `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the client side ends (the client left, or the stream was closed). Never rejects. */
  ended(): Promise<string | undefined> {
    return this.scope['pagi.connection'].end_future();
  }

  /** Sends the response head now; called by the first `send`/`comment`/`keepalive` otherwise. */
  start(options: SSEStartOptions = {}): Promise<void> {
    if (this.#started) return RESOLVED;
    return sendSteps([
      () => this.sendEvent({ type: 'sse.start', status: options.status ?? 200, headers: options.headers ?? [] }),
      () => void (this.#started = true),
    ]);
  }

  /** Sends one event. Rejects with `Disconnected` once the client left. */
  send(message: SSEMessage): Promise<void> {
    return this.#afterStart(() => this.sendEvent({ type: 'sse.send', ...message }));
  }

  /** Sends a comment line (`: text`), which clients ignore. */
  comment(text: string): Promise<void> {
    return this.#afterStart(() => this.sendEvent({ type: 'sse.comment', comment: text }));
  }

  /** Has the server send a comment every `intervalSeconds` (0 stops), keeping proxies from timing out. */
  keepalive(intervalSeconds: number, comment = ''): Promise<void> {
    return this.#afterStart(() => this.sendEvent({ type: 'sse.keepalive', interval: intervalSeconds, comment }));
  }

  /** Ends the stream (the handler may go on running). A second call does nothing. */
  close(): Promise<void> {
    if (this.#closed) return RESOLVED;
    return this.#afterStart(
      () => this.sendEvent({ type: 'sse.close' }),
      () => void (this.#closed = true),
    );
  }

  /**
   * Once started, the server's own promise goes back to the handler (a
   * forgotten `await` is then the server's to report, §1 deviation 9);
   * before that, the start and the send as one relaying promise.
   */
  #afterStart(...steps: SendStep[]): Promise<void> {
    if (this.#started && steps.length === 1) return (steps[0] as () => Promise<void>)();
    return sendSteps(this.#started ? steps : [() => this.start(), ...steps]);
  }
}
