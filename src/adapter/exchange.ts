/**
 * One request/response cycle between a Node `IncomingMessage`/`ServerResponse`
 * and a PAGI app: owns the scope's `receive` and `send`, the send queue, the
 * connection state and the Node listeners (PROTOCOL.md §2.3, §4, §6, §7, §12.3).
 *
 * Listeners are module-level functions that find their exchange through a
 * symbol on the emitter, so a request allocates no listener closures; all of
 * them are removed in `detach()` when the response closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionController } from '../protocol/connection.js';
import { Disconnected, OutOfOrder } from '../protocol/errors.js';
import type { NormalizedSendEvent, SendValidator, Step } from '../protocol/validate.js';
import type { HTTPScope, HeaderPair, SSEScope, HTTPReceiveEvent, SSEReceiveEvent, Receive, Send } from '../protocol/types.js';
import { BodyReader, type ReaderHost } from './receive.js';
import { log, type ResolvedOptions } from './options.js';
import { buildHead, hasHeader } from './response-head.js';
import { streamFileBody, type FileBodyEvent } from './file-body.js';
import { formatSseComment, formatSseEvent, formatSseKeepalive } from './sse-format.js';
import type { LiveExchanges } from './live-exchanges.js';

/** How a host (toExpress) customises what the exchange writes. */
export interface ExchangeHooks {
  /** Writes the head; toExpress merges it with headers already set on `res`. */
  writeHead?(res: ServerResponse, status: number, flat: string[]): void;
  /** toExpress `fallthrough`: called at a 404 start; the response is then swallowed. */
  fallthrough?(): void;
  /**
   * The app settled without any response (`failed`: it threw `error`).
   * Returns true when the host answers instead of the 500 backstop
   * (toExpress: `next(err)`, or `next()` with `fallthrough`).
   */
  unanswered?(failed: boolean, error: unknown): boolean;
}

type StartEvent = Extract<NormalizedSendEvent, { type: 'http.response.start' }>;
type InlineBodyEvent = Extract<NormalizedSendEvent, { type: 'http.response.body'; kind: 'inline' }>;
type BodyEvent = HTTPReceiveEvent | SSEReceiveEvent;
interface QueuedSend {
  event: unknown;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const kExchange = Symbol('pagi.exchange');
type TrackedResponse = ServerResponse & { [kExchange]?: Exchange };
const RESOLVED = Promise.resolve();
const GENERATED_TEXT: Record<number, string> = { 413: 'Payload Too Large', 500: 'Internal Server Error' };

export class Exchange implements ReaderHost {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly scope: HTTPScope | SSEScope;
  readonly connection: ConnectionController;
  readonly validator: SendValidator;
  readonly options: ResolvedOptions;
  readonly hooks: ExchangeHooks | undefined;
  readonly reader: BodyReader;
  /** The app's `receive`. */
  readonly receive: Receive;
  /** The app's `send`. */
  readonly send: Send;
  /** The app's promise settled. */
  appSettled = false;
  /** The response emitted `'close'`. */
  closed = false;
  /** The start, held until the first body event (a file body then carries its known `content-length`). */
  private head: StartEvent | undefined;
  private headWritten = false;
  private framedByLength = false;
  /** toExpress fallthrough: the app's 404 is being discarded. */
  private swallowing = false;
  private busy = false;
  private queue: QueuedSend[] | undefined;
  private drainWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private drainListening = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly socket: Socket | null;
  private readonly tracker: LiveExchanges | undefined;
  /** Status actually written and body bytes handed to Node, for `onResponseEnd`. */
  private status = 0;
  private bodyBytes = 0;
  private finalized = false;
  private readonly isHead: boolean;
  private readonly sse: boolean;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    scope: HTTPScope | SSEScope,
    connection: ConnectionController,
    validator: SendValidator,
    options: ResolvedOptions,
    hooks?: ExchangeHooks,
    tracker?: LiveExchanges,
  ) {
    this.req = req;
    this.res = res;
    this.scope = scope;
    this.connection = connection;
    this.validator = validator;
    this.options = options;
    this.hooks = hooks;
    this.tracker = tracker;
    this.socket = req.socket;
    this.isHead = scope.method === 'HEAD';
    this.sse = scope.type === 'sse';
    this.reader = new BodyReader(req, res, this, this.sse, options.maxBodySize);
    this.receive = () => this.reader.receive();
    this.send = (event) => (this.busy ? this.enqueue(event) : this.runSend(event));
    (res as TrackedResponse)[kExchange] = this;
    res.on('close', onResponseClose);
    connection.setAbortHandler(() => this.abortTransport());
    if (tracker !== undefined) {
      tracker.add(this);
      if (tracker.closing) res.shouldKeepAlive = false;
    }
  }

  // ----------------------------------------------------------------- receive

  /** ReaderHost: the event `receive()` reports once reading is over, or undefined. */
  endEvent(bodyDone: boolean): BodyEvent | undefined {
    const c = this.connection;
    const reason = c.reason;
    if (reason !== undefined) return this.disconnectEvent(reason);
    // A clean end still lets the app read the rest of the body while the connection lives.
    if (this.appSettled || this.closed || (c.ended && bodyDone)) return this.disconnectEvent(undefined);
    return undefined;
  }

  /** ReaderHost: the body crossed `maxBodySize` (§4.5). */
  bodyTooLarge(received: number): void {
    if (!this.validator.started && !this.res.headersSent) {
      this.connection.markStarted();
      this.respondGenerated(413);
    } else {
      this.res.destroy();
    }
    this.endAbnormally('body_too_large', `request body exceeded ${this.options.maxBodySize} bytes (${received} received)`);
  }

  private disconnectEvent(reason: string | undefined): BodyEvent {
    if (!this.sse) return { type: 'http.disconnect' };
    return reason === undefined ? { type: 'sse.disconnect' } : { type: 'sse.disconnect', reason };
  }

  // -------------------------------------------------------------------- send

  private enqueue(event: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      (this.queue ??= []).push({ event, resolve, reject });
    });
  }

  private runSend(event: unknown): Promise<void> {
    try {
      const reason = this.connection.reason;
      if (reason !== undefined) throw new Disconnected(reason);
      if (this.appSettled) throw scopeFinished(event);
      const step = this.validator.check(event);
      if (step.noop) return RESOLVED;
      const pending = this.perform(step);
      if (pending === undefined) return RESOLVED;
      this.busy = true;
      return this.track(pending);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Keeps later sends queued until this one settles (deviation 3: sends are served in call order). */
  private async track(pending: Promise<void>): Promise<void> {
    try {
      await pending;
    } finally {
      this.busy = false;
      const next = this.queue?.shift();
      if (next !== undefined) this.runSend(next.event).then(next.resolve, next.reject);
    }
  }

  /** Carries out a validated event. Returns a promise only when the send must wait. */
  private perform(step: Step): Promise<void> | undefined {
    const event = step.event;
    switch (event.type) {
      case 'http.response.start':
        this.validator.commit(step);
        this.connection.markStarted();
        if (event.status === 404 && this.hooks?.fallthrough !== undefined) {
          this.swallowing = true;
          this.hooks.fallthrough();
        } else {
          this.head = event;
        }
        return undefined;
      case 'http.response.body':
        if (this.swallowing) return this.commitSwallowed(step);
        if (event.kind === 'inline') return this.inlineBody(step, event);
        return this.fileBody(step, event);
      case 'http.response.trailers':
        if (this.swallowing) return this.commitSwallowed(step);
        return this.trailers(step, event.headers);
      case 'http.fullflush':
        this.validator.commit(step);
        this.fullflush();
        return undefined;
      case 'sse.start':
        this.sseStart(event.status, event.headers);
        this.validator.commit(step);
        this.connection.markStarted();
        return undefined;
      case 'sse.send':
        this.validator.commit(step);
        return this.write(formatSseEvent(event.data, event.event, event.id, event.retry));
      case 'sse.comment':
        this.validator.commit(step);
        return this.write(formatSseComment(event.comment));
      case 'sse.keepalive':
        this.validator.commit(step);
        this.setKeepalive(event.interval, event.comment);
        return undefined;
      case 'sse.close':
        this.validator.commit(step);
        this.res.end();
        this.completeClean();
        return undefined;
      default:
        // The validator was built for this scope's type, so nothing else gets here.
        throw new OutOfOrder(event.type, this.validator.state, 'an http or sse event');
    }
  }

  private inlineBody(step: Step, event: InlineBodyEvent): Promise<void> | undefined {
    const res = this.res;
    const body = event.body;
    if (!this.headWritten) {
      // No invented content-length: without one the app gets chunked framing (§3.2), as on native Node.
      this.writeHead(undefined);
      // An empty first chunk is how bridged code says "push the head out now" (flushHeaders()).
      if (event.more && body.length === 0) res.flushHeaders();
    }
    this.validator.commit(step);
    if (this.validator.complete) {
      this.bodyBytes += body.length;
      if (body.length === 0) res.end();
      else res.end(body);
      this.completeClean();
      return undefined;
    }
    if (body.length === 0) return undefined;
    return this.write(body);
  }

  private async fileBody(step: Step, event: FileBodyEvent): Promise<void> {
    if (this.isHead) {
      // HEAD: the file is never opened or stat-ed (§4.5).
      if (!this.headWritten) this.writeHead(undefined);
      this.validator.commit(step);
      if (this.validator.complete) {
        this.res.end();
        this.completeClean();
      }
      return;
    }
    let begun = false;
    try {
      await streamFileBody(event, {
        begin: (length) => {
          const reason = this.connection.reason;
          if (reason !== undefined) throw new Disconnected(reason);
          if (!this.headWritten) this.writeHead(length);
          this.validator.commit(step);
          begun = true;
        },
        write: (chunk) => this.write(chunk),
        gone: () => this.connection.reason,
      });
    } catch (error) {
      // Bytes went out already: the response can only be cut, never finished cleanly.
      if (begun && !(error instanceof Disconnected)) {
        this.res.destroy();
        this.endAbnormally('server_error', error instanceof Error ? error.message : String(error));
      }
      throw error;
    }
    const reason = this.connection.reason;
    if (reason !== undefined) throw new Disconnected(reason);
    if (this.validator.complete) {
      this.res.end();
      this.completeClean();
    }
  }

  private trailers(step: Step, headers: HeaderPair[]): undefined {
    const framed = this.headWritten ? this.framedByLength : hasHeader((this.head as StartEvent).headers, 'content-length');
    if (framed) {
      throw new OutOfOrder('http.response.trailers', this.validator.state, 'no trailers: the response is framed by content-length');
    }
    if (!this.headWritten) this.writeHead(undefined);
    this.validator.commit(step);
    if (!this.isHead && headers.length > 0) this.res.addTrailers(headers);
    this.res.end();
    this.completeClean();
    return undefined;
  }

  private commitSwallowed(step: Step): undefined {
    this.validator.commit(step);
    if (this.validator.complete) this.completeClean();
    return undefined;
  }

  /** toExpress fallthrough happened: Express, not this exchange, answers. */
  get fellThrough(): boolean {
    return this.swallowing;
  }

  private trailersPromised(): boolean {
    return this.head !== undefined && this.head.trailers;
  }

  /** Writes the held start. `knownLength` is the whole body's size when the server knows it. */
  private writeHead(knownLength: number | undefined): void {
    const head = this.head as StartEvent;
    const status = head.status;
    // No invented content-length where it would be wrong: 204/304 carry none, and a
    // HEAD answered with an empty body says nothing about the GET representation.
    if (knownLength !== undefined && (status === 204 || status === 304 || (this.isHead && knownLength === 0))) {
      knownLength = undefined;
    }
    const info = buildHead(head.headers, knownLength, head.trailers);
    this.framedByLength = info.hasContentLength || (knownLength !== undefined && !head.trailers);
    if (info.dropped !== undefined) {
      log(this.options.logger, 'debug', `ignored framing header(s) set by the app: ${info.dropped.join(', ')}`);
    }
    this.headWritten = true;
    this.status = status;
    if (info.close) this.res.shouldKeepAlive = false;
    if (this.hooks?.writeHead !== undefined) this.hooks.writeHead(this.res, status, info.flat);
    else this.res.writeHead(status, info.flat);
  }

  private sseStart(status: number, headers: HeaderPair[]): void {
    const all = headers.slice();
    if (!hasHeader(all, 'content-type')) all.push(['content-type', 'text/event-stream']);
    if (!hasHeader(all, 'cache-control')) all.push(['cache-control', 'no-cache']);
    this.head = { type: 'http.response.start', status, headers: all, trailers: false };
    this.writeHead(undefined);
    this.res.flushHeaders();
  }

  /** One `res.write()`; the send waits for `'drain'` when Node's buffer is full. */
  private write(chunk: Uint8Array | string): Promise<void> | undefined {
    this.bodyBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return this.res.write(chunk) ? undefined : this.waitDrain();
  }

  private waitDrain(): Promise<void> {
    if (!this.drainListening) {
      this.drainListening = true;
      this.res.on('drain', onResponseDrain);
    }
    return new Promise<void>((resolve, reject) => {
      this.drainWaiter = { resolve, reject };
    });
  }

  /** Called on the response's `'drain'`. */
  drained(): void {
    const waiter = this.drainWaiter;
    if (waiter !== undefined) {
      this.drainWaiter = undefined;
      waiter.resolve();
    }
  }

  private fullflush(): void {
    if (!this.headWritten && this.head !== undefined) {
      this.writeHead(undefined);
      this.res.flushHeaders();
    }
    const socket = this.socket;
    if (socket !== null && !socket.destroyed) {
      socket.setNoDelay(true);
      while (socket.writableCorked > 0) socket.uncork();
    }
  }

  private setKeepalive(interval: number, comment: string): void {
    this.stopKeepalive();
    if (interval <= 0) return;
    const timer = setInterval(onKeepaliveTick, interval * 1000, this, formatSseKeepalive(comment));
    // A keepalive alone must not hold the process open.
    timer.unref();
    this.keepaliveTimer = timer;
  }

  /** Writes a keepalive comment unless the stream is over or the buffer is already full. */
  keepaliveTick(chunk: string): void {
    if (this.connection.ended || this.drainWaiter !== undefined || this.res.writableEnded) return;
    this.res.write(chunk);
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer !== undefined) {
      clearInterval(this.keepaliveTimer);
      this.keepaliveTimer = undefined;
    }
  }

  // ------------------------------------------------------------------- ends

  /** The terminal event was handed to Node: clean end (§7.2). */
  private completeClean(): void {
    this.stopKeepalive();
    this.connection.complete();
    this.reader.pump();
  }

  /** Abnormal end with a §7.3 token; settles everything pending (§7.4 steps 5–6). */
  endAbnormally(reason: string, detail?: string): void {
    this.connection.disconnect(reason, detail);
    this.transportGone();
  }

  /** Rejects pending and queued sends, stops timers, wakes pending receives. */
  transportGone(): void {
    this.stopKeepalive();
    // Without an abnormal end (the app returned while sends were still queued) they are out of order.
    const reason = this.connection.reason;
    const waiter = this.drainWaiter;
    if (waiter !== undefined) {
      this.drainWaiter = undefined;
      waiter.reject(reason !== undefined ? new Disconnected(reason) : scopeFinished(undefined));
    }
    const queue = this.queue;
    if (queue !== undefined) {
      this.queue = undefined;
      for (const queued of queue) queued.reject(reason !== undefined ? new Disconnected(reason) : scopeFinished(queued.event));
    }
    this.reader.pump();
  }

  /** `pagi.connection.abort()`: the connection already recorded `app_abort`. */
  private abortTransport(): void {
    this.transportGone();
    this.res.destroy();
  }

  /** A short `text/plain` response generated by the server, connection closed after it. */
  respondGenerated(status: 413 | 500): void {
    const res = this.res;
    if (res.headersSent || this.headWritten) {
      res.destroy();
      return;
    }
    const body = GENERATED_TEXT[status] as string;
    this.headWritten = true;
    this.status = status;
    if (!this.isHead) this.bodyBytes += Buffer.byteLength(body);
    res.writeHead(status, [
      'content-type', 'text/plain; charset=utf-8',
      'content-length', String(Buffer.byteLength(body)),
      'connection', 'close',
    ]);
    res.end(this.isHead ? undefined : body);
  }

  /** Incomplete response (§4.6): push out a held head, then cut the transport — never a clean end. */
  abortIncomplete(): void {
    const res = this.res;
    if (!this.headWritten && this.head !== undefined && !res.destroyed) {
      this.writeHead(undefined);
      res.flushHeaders();
    }
    // Node corks the socket for the rest of the tick after a write; hand the
    // bytes written so far to the OS before cutting, so the truncation point is
    // what the app actually sent.
    const socket = this.socket;
    if (socket !== null) while (socket.writableCorked > 0) socket.uncork();
    res.destroy();
  }

  /** The response emitted `'close'`. */
  onClose(): void {
    this.closed = true;
    if (!this.res.writableFinished) {
      const error = (this.socket as (Socket & { errored?: (Error & { syscall?: string }) | null }) | null)?.errored;
      const reason = error?.syscall === 'write' ? 'write_error' : 'client_closed';
      this.connection.disconnect(reason, error?.message);
    }
    this.transportGone();
    this.detach();
    this.finalizeIfDone();
  }

  /** Server shutdown: live SSE streams end now (`server_shutdown`); HTTP responses may finish. */
  shutdown(): void {
    const res = this.res;
    if (!res.headersSent) res.shouldKeepAlive = false;
    if (!this.sse || this.connection.ended) return;
    const state = this.validator.state;
    if (state !== 'open' && state !== 'pending') return;
    this.endAbnormally('server_shutdown', 'server shutting down');
    // A started stream ends with its terminator so EventSource clients reconnect elsewhere.
    if (state === 'open') res.end();
    else res.destroy();
  }

  /**
   * Once both the app settled and the response closed: leave the live set and
   * report to `onResponseEnd`.
   */
  finalizeIfDone(): void {
    if (this.finalized || !this.appSettled || !this.closed) return;
    this.finalized = true;
    this.tracker?.release(this);
    const report = this.options.onResponseEnd;
    if (report !== undefined) {
      try {
        report({
          req: this.req,
          res: this.res,
          scope: this.scope,
          status: this.status,
          bodyBytes: this.bodyBytes,
          reason: this.connection.reason,
        });
      } catch (error) {
        log(this.options.logger, 'error', 'onResponseEnd threw', error);
      }
    }
  }

  private detach(): void {
    const res = this.res as TrackedResponse;
    res.removeListener('close', onResponseClose);
    if (this.drainListening) res.removeListener('drain', onResponseDrain);
    this.reader.stopReading();
    delete res[kExchange];
  }
}

function onResponseClose(this: TrackedResponse): void {
  this[kExchange]?.onClose();
}

function onResponseDrain(this: TrackedResponse): void {
  this[kExchange]?.drained();
}

function onKeepaliveTick(exchange: Exchange, chunk: string): void {
  exchange.keepaliveTick(chunk);
}

/** §2.2: after the app settled, sends are out of order ("scope finished"). */
function scopeFinished(event: unknown): OutOfOrder {
  const type = typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string'
    ? (event as { type: string }).type
    : 'event';
  return new OutOfOrder(type, 'finished', 'nothing: the app has returned');
}
