/**
 * One `http` or `sse` scope driven in-process: the server side of
 * PROTOCOL.md §4 and §6 without sockets. Every event the app sends goes
 * through `createSendValidator`; a violation rejects the app's `send` (as a
 * server would) and fails the request with the same error, so the test fails
 * with the validation message.
 */
import { createConnection, type ConnectionController } from '../protocol/connection.js';
import { Disconnected, OutOfOrder } from '../protocol/errors.js';
import type { App, ConnectionState, HeaderPair, HTTPScope, ReceiveEvent, SSEScope, Send, SendEvent } from '../protocol/types.js';
import { createSendValidator, type NormalizedSendEvent, type SendValidator } from '../protocol/validate.js';
import { BodyStream } from './body-stream.js';
import { deferred, withDeadline, type Deferred } from './deadline.js';
import { IncompleteResponse, NoResponse } from './errors.js';
import { readFileBody } from './file-body.js';
import { ReceiveQueue } from './receive-queue.js';
import { runApp } from './run-app.js';
import { TestResponse, type ResponseSource } from './response.js';
import { formatSseComment, formatSseEvent, formatSseKeepalive } from '../protocol/sse-format.js';
import { describeScope, followSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';

export type RequestBody = Uint8Array | AsyncIterable<Uint8Array | string>;

export interface HttpExchangeInit {
  app: App;
  /** The scope without `pagi.connection` (the exchange adds its own). */
  scope: Omit<HTTPScope, 'pagi.connection'> | Omit<SSEScope, 'pagi.connection'>;
  body: RequestBody | undefined;
  /** Request trailers for the last `http.request` event. */
  trailers?: HeaderPair[] | undefined;
  raiseAppExceptions: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Told about a send that rejected while the app did not await it. */
  onUnawaitedSend: (message: string, error: unknown) => void;
}

const EMPTY = Buffer.alloc(0);
const BACKSTOP_BODY = Buffer.from('Internal Server Error');

/** Starts the app; resolves with the response once it has started (fetch-like). */
export function runHttpExchange(init: HttpExchangeInit): Promise<TestResponse> {
  const exchange = new HttpExchange(init);
  return withDeadline(exchange.head.promise, init.timeoutMs, `the response to ${describe(init.scope)}`);
}

function describe(scope: HttpExchangeInit['scope']): string {
  return `${scope.method} ${scope.raw_path} (${scope.type} scope)`;
}

class HttpExchange implements ResponseSource, UnawaitedSendSink {
  readonly head: Deferred<TestResponse> = deferred();
  readonly body: BodyStream;
  readonly events: NormalizedSendEvent[] = [];
  trailers: HeaderPair[] | undefined;
  private readonly conn: ConnectionController;
  private readonly validator: SendValidator;
  private readonly queue = new ReceiveQueue();
  private readonly scope: HTTPScope | SSEScope;
  private readonly outcome: Deferred<void> = deferred();
  private readonly isHead: boolean;
  private appDone = false;
  // Overlapping sends are processed in call order (§1 deviation 3).
  private tail: Promise<void> = Promise.resolve();
  private keepalive: NodeJS.Timeout | undefined;

  constructor(private readonly init: HttpExchangeInit) {
    this.conn = createConnection();
    this.scope = { ...init.scope, 'pagi.connection': this.conn.state } as HTTPScope | SSEScope;
    this.validator = createSendValidator(this.scope);
    this.body = new BodyStream(init.timeoutMs);
    this.isHead = this.scope.method === 'HEAD';
    this.conn.setAbortHandler(() => this.ended('app_abort', new Disconnected('app_abort', 'the app aborted the connection')));
    const signal = init.signal;
    if (signal?.aborted) {
      this.head.reject(signal.reason);
      return;
    }
    signal?.addEventListener('abort', this.onAbortSignal, { once: true });
    this.conn.state.on_end(() => signal?.removeEventListener('abort', this.onAbortSignal));
    this.feedBody(init.body);
    void runApp(init.app, this.scope, this.queue.receive, this.send).then(({ failed, error }) => this.appReturned(failed, error));
  }

  get connection(): ConnectionState {
    return this.conn.state;
  }

  private get requestType(): 'http.request' | 'sse.request' {
    return this.scope.type === 'sse' ? 'sse.request' : 'http.request';
  }

  private feedBody(body: RequestBody | undefined): void {
    if (body === undefined || body instanceof Uint8Array) {
      this.queue.push(this.lastBodyEvent(body ?? EMPTY));
      return;
    }
    void this.pump(body);
  }

  /** The `more: false` event, with the request trailers on an `http` scope. */
  private lastBodyEvent(body: Uint8Array): ReceiveEvent {
    const trailers = this.init.trailers;
    if (trailers !== undefined && trailers.length > 0 && this.requestType === 'http.request') return { type: 'http.request', body, more: false, trailers };
    return { type: this.requestType, body, more: false };
  }

  private async pump(source: AsyncIterable<Uint8Array | string>): Promise<void> {
    try {
      for await (const chunk of source) {
        if (this.queue.ended) return;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.queue.push({ type: this.requestType, body: bytes, more: true });
      }
      this.queue.push(this.lastBodyEvent(EMPTY));
    } catch (error) {
      this.ended('client_closed', error);
    }
  }

  private readonly onAbortSignal = (): void => {
    this.ended('client_closed', this.init.signal?.reason);
  };

  disconnect(reason: string): void {
    this.ended(reason, new Disconnected(reason, `the test client disconnected (${reason})`));
  }

  settled(): Promise<void> {
    return this.outcome.promise;
  }

  // ------------------------------------------------------------------ send

  private readonly send: Send = (event: SendEvent) => {
    // Judged at call time: a send made before the app returned is processed even
    // if the app's promise settles while it waits in the queue.
    const afterReturn = this.appDone;
    const result = this.tail.then(() => this.process(event, afterReturn));
    this.tail = result.catch(() => {});
    return followSend(result, this, event);
  };

  unawaitedSend(error: unknown, event: unknown): void {
    this.init.onUnawaitedSend(unawaitedSendMessage(event, describeScope(this.scope)), error);
  }

  private async process(event: SendEvent, afterReturn: boolean): Promise<void> {
    if (this.conn.reason !== undefined) throw new Disconnected(this.conn.reason);
    const type = typeof (event as { type?: unknown })?.type === 'string' ? (event as { type: string }).type : 'event';
    if (afterReturn) throw new OutOfOrder(type, 'finished', 'nothing: the app already returned');
    let step;
    try {
      step = this.validator.check(event);
    } catch (error) {
      this.violation(error);
      throw error;
    }
    if (step.noop) return;
    // File bodies are read before anything changes: a failing file leaves the state untouched (§4.3).
    const fileBytes = await this.readFileBody(step.event);
    this.validator.commit(step);
    this.events.push(step.event);
    this.apply(step.event, fileBytes);
    if (this.validator.complete) this.completed();
  }

  private async readFileBody(event: NormalizedSendEvent): Promise<Uint8Array | undefined> {
    if (event.type !== 'http.response.body' || event.kind === 'inline' || this.isHead) return undefined;
    return readFileBody(event);
  }

  private apply(event: NormalizedSendEvent, fileBytes: Uint8Array | undefined): void {
    switch (event.type) {
      case 'http.response.start':
        this.started(event.status, event.headers, event.reason, event.header_names);
        return;
      case 'sse.start':
        this.started(event.status, withSSEDefaults(event.headers));
        return;
      case 'http.response.body':
        if (this.isHead) return;
        if (event.kind === 'inline') {
          // Copied: the app may reuse its buffer once the send settled (§2.3).
          if (event.body.length > 0) this.body.push(Buffer.from(event.body));
        } else if (fileBytes && fileBytes.length > 0) {
          this.body.push(fileBytes);
        }
        return;
      case 'http.response.trailers':
        this.trailers = event.headers;
        return;
      case 'sse.send':
        this.body.push(Buffer.from(formatSseEvent(event.data, event.event, event.id, event.retry)));
        return;
      case 'sse.comment':
        this.body.push(Buffer.from(formatSseComment(event.comment)));
        return;
      case 'sse.keepalive':
        this.stopKeepalive();
        if (event.interval > 0) {
          const tick = Buffer.from(formatSseKeepalive(event.comment));
          this.keepalive = setInterval(() => this.body.push(tick), event.interval * 1000);
          this.keepalive.unref();
        }
        return;
      default:
        // http.response.interim, http.fullflush, sse.close: nothing to render (interim stays in `events`).
        return;
    }
  }

  private started(status: number, headers: HeaderPair[], reason?: string, names?: string[]): void {
    this.conn.markStarted();
    this.head.resolve(new TestResponse(status, headers, this, reason, names));
  }

  // ------------------------------------------------------------- outcomes

  /** The terminal event was accepted: a clean end (§7.4). */
  private completed(): void {
    this.stopKeepalive();
    this.conn.complete();
    this.body.end();
    const end: ReceiveEvent = this.scope.type === 'sse' ? { type: 'sse.disconnect' } : { type: 'http.disconnect' };
    this.queue.end(end, false);
  }

  /** An abnormal end: the client left, the app aborted, or the app failed mid-response. */
  private ended(reason: string, error: unknown): void {
    if (this.conn.ended) return;
    this.stopKeepalive();
    this.conn.disconnect(reason);
    const end: ReceiveEvent = this.scope.type === 'sse' ? { type: 'sse.disconnect', reason } : { type: 'http.disconnect' };
    this.queue.end(end, true);
    this.head.reject(error);
    this.body.fail(error);
  }

  private violation(error: unknown): void {
    if (!this.head.settled) this.head.reject(error);
    else this.body.fail(error);
  }

  /** Sends already queued are processed before the app's end is judged. */
  private appReturned(failed: boolean, error: unknown): void {
    this.appDone = true;
    void this.tail.then(() => this.appSettled(failed, error));
  }

  private appSettled(failed: boolean, error: unknown): void {
    const clientLeft = this.conn.reason !== undefined && this.conn.reason !== 'server_error';
    if (failed && !(clientLeft && error instanceof Disconnected)) this.outcome.reject(error);
    else this.outcome.resolve();
    if (this.conn.ended) return;
    const cause = failed ? { cause: error } : undefined;
    if (!this.validator.started) {
      if (this.init.raiseAppExceptions) {
        this.ended('server_error', failed ? error : new NoResponse(this.scope.type, cause));
        return;
      }
      // What a server does: the 500 backstop (§2.2).
      this.started(500, [
        ['content-type', 'text/plain; charset=utf-8'],
        ['content-length', String(BACKSTOP_BODY.length)],
      ]);
      this.body.push(BACKSTOP_BODY);
      this.body.end();
      this.ended('server_error', undefined);
      return;
    }
    this.ended('server_error', new IncompleteResponse(this.validator.state, cause));
  }

  private stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}

function withSSEDefaults(headers: HeaderPair[]): HeaderPair[] {
  const out = [...headers];
  if (!out.some(([n]) => n === 'content-type')) out.push(['content-type', 'text/event-stream']);
  if (!out.some(([n]) => n === 'cache-control')) out.push(['cache-control', 'no-cache']);
  return out;
}
