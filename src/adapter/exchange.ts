/**
 * One request/response cycle between a Node `IncomingMessage`/`ServerResponse`
 * and a PAGI app: owns the scope's `receive` and `send`, the send queue and
 * the connection state, and decides what the `ResponseWriter` writes
 * (PROTOCOL.md §2.3, §4, §6, §7, §12.3).
 *
 * Listeners are module-level functions that find their exchange through a
 * symbol on the emitter, so a request allocates no listener closures; all of
 * them are removed in `detach()` when the response closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionController } from '../protocol/connection.js';
import { Disconnected, OutOfOrder } from '../protocol/errors.js';
import type { NormalizedSendEvent, SendValidator, Step } from '../protocol/validate.js';
import type { HTTPScope, SSEScope, HTTPReceiveEvent, SSEReceiveEvent, Receive, Send } from '../protocol/types.js';
import { BodyReader, type ReaderHost } from './receive.js';
import { log, type ResolvedOptions } from './options.js';
import { streamFileBody, type FileBodyEvent } from './file-body.js';
import { formatSseComment, formatSseEvent } from '../protocol/sse-format.js';
import { describeScope, rejectedSend, unawaitedSendMessage, watchedSend, type UnawaitedSendSink } from '../protocol/unawaited.js';
import { bodiless, ResponseWriter, type WriteTimeoutHost } from './response-writer.js';
import { writeInterim } from './interim.js';
import type { LiveEntry, LiveExchanges } from './live-exchanges.js';
import { RESOLVED } from '../protocol/resolved.js';

/** How a host (toExpress) customises what the exchange writes. */
export interface ExchangeHooks {
  /** Writes the head; toExpress merges it with headers already set on `res`. */
  writeHead?(res: ServerResponse, status: number, flat: string[], reason: string | undefined): void;
  /** toExpress `fallthrough`: called at a 404 start; the response is then swallowed. */
  fallthrough?(): void;
  /**
   * The app settled without any response (`failed`: it threw `error`).
   * Returns true when the host answers instead of the 500 backstop
   * (toExpress: `next(err)`, or `next()` with `fallthrough`).
   */
  unanswered?(failed: boolean, error: unknown): boolean;
}

type InlineBodyEvent = Extract<NormalizedSendEvent, { type: 'http.response.body'; kind: 'inline' }>;
type BodyEvent = HTTPReceiveEvent | SSEReceiveEvent;
interface QueuedSend {
  event: unknown;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const kExchange = Symbol('pagi.exchange');
type TrackedResponse = ServerResponse & { [kExchange]?: Exchange | undefined };

/*
 * The per-request functions (the app's `receive`/`send`, the abort handler)
 * are made by module-level factories, never as arrows in the constructor: on
 * Node 24 (V8 13), a closure that captures `this` and is stored on that same
 * object makes the scavenger keep whole request graphs (req, res, scope)
 * alive; they pile up in old space, V8 grows the young generation to 64 MB,
 * and every layer runs slower on cold caches. Measured with
 * `--trace-gc-nvp` (6 s under load): 40-70 MB promoted instead of 4-9 MB,
 * and a 64 MB nursery instead of 8 MB. Node 20 does not do this.
 */
function receiveOf(reader: BodyReader): Receive {
  return () => reader.receive();
}

function sendOf(exchange: Exchange): Send {
  return (event) => exchange.dispatchSend(event);
}

function abortHandlerOf(exchange: Exchange): () => void {
  return () => exchange.abortTransport();
}

export class Exchange implements ReaderHost, UnawaitedSendSink, WriteTimeoutHost, LiveEntry {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly scope: HTTPScope | SSEScope;
  readonly connection: ConnectionController;
  readonly validator: SendValidator;
  readonly options: ResolvedOptions;
  readonly hooks: ExchangeHooks | undefined;
  readonly reader: BodyReader;
  readonly writer: ResponseWriter;
  /** The app's `receive`. */
  readonly receive: Receive;
  /** The app's `send`. */
  readonly send: Send;
  /** The app's promise settled. */
  appSettled = false;
  /** The response emitted `'close'`. */
  closed = false;
  /** The bridge's direct path took `req`/`res` over: Express answers on them itself (native-handover.ts). */
  adopted = false;
  /** LiveEntry: links of the tracker's list (live-exchanges.ts). */
  livePrev: LiveEntry | undefined = undefined;
  liveNext: LiveEntry | undefined = undefined;
  liveListed = false;
  /** toExpress fallthrough: the app's 404 is being discarded. */
  private swallowing = false;
  private busy = false;
  private queue: QueuedSend[] | undefined;
  private finalized = false;
  private reportedUnawaited = false;
  private readonly tracker: LiveExchanges | undefined;
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
    this.isHead = scope.method === 'HEAD';
    this.sse = scope.type === 'sse';
    this.reader = new BodyReader(req, res, this, this.sse, options.maxBodySize, scope.extensions);
    this.writer = new ResponseWriter(res, req.socket, this.isHead, options.logger, hooks?.writeHead);
    if (options.sendTimeoutMs > 0) {
      this.writer.sendTimeoutMs = options.sendTimeoutMs;
      this.writer.timeoutHost = this;
    }
    this.receive = receiveOf(this.reader);
    this.send = sendOf(this);
    (res as TrackedResponse)[kExchange] = this;
    res.on('close', onResponseClose);
    connection.setAbortHandler(abortHandlerOf(this));
    if (tracker !== undefined) {
      tracker.add(this);
      if (tracker.closing) res.shouldKeepAlive = false;
    }
  }

  /**
   * The direct path: hands `req`/`res` over when nothing has happened on the
   * protocol side yet (no send, no receive, no outcome) and no host hooks or
   * HTTP/2 stream need the protocol path. Later sends and receives are never
   * made (the bridge answers on `res`).
   */
  handOver(): boolean {
    if (this.hooks !== undefined || this.sse || this.busy || this.validator.started || !this.reader.untouched) return false;
    if (this.connection.reason !== undefined || this.res.headersSent || this.writer.http2) return false;
    this.adopted = true;
    this.connection.markStarted();
    return true;
  }

  /** toExpress fallthrough happened: Express, not this exchange, answers. */
  get fellThrough(): boolean {
    return this.swallowing;
  }

  // ----------------------------------------------------------------- receive

  /** ReaderHost: the event `receive()` reports once reading is over, or undefined. */
  endEvent(bodyDone: boolean): BodyEvent | undefined {
    const c = this.connection;
    const reason = c.reason;
    if (reason !== undefined) return this.disconnectEvent(reason);
    // After a clean end the app may still read the rest of the body (Node keeps
    // parsing it on a live connection); the disconnect event comes once the body
    // is done or the app has settled.
    if (this.appSettled || (c.ended && bodyDone)) return this.disconnectEvent(undefined);
    return undefined;
  }

  /** ReaderHost: the body crossed `maxBodySize` (§4.5). */
  bodyTooLarge(received: number): void {
    if (!this.validator.started && !this.res.headersSent) {
      this.connection.markStarted();
      this.writer.respondGenerated(413);
    } else {
      this.writer.destroy();
    }
    this.endAbnormally('body_too_large', `request body exceeded ${this.options.maxBodySize} bytes (${received} received)`);
  }

  private disconnectEvent(reason: string | undefined): BodyEvent {
    if (!this.sse) return { type: 'http.disconnect' };
    return reason === undefined ? { type: 'sse.disconnect' } : { type: 'sse.disconnect', reason };
  }

  // -------------------------------------------------------------------- send

  /** The app's `send`: queued behind a send in progress, else run now. */
  dispatchSend(event: unknown): Promise<void> {
    return this.busy ? this.enqueue(event) : this.runSend(event);
  }

  private enqueue(event: unknown): Promise<void> {
    return watchedSend((resolve, reject) => void (this.queue ??= []).push({ event, resolve, reject }), this, event);
  }

  /** §2.3 checks in order: client gone, app finished, then the validator; a rejected send changes nothing. */
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
      return this.track(pending, event);
    } catch (error) {
      // Deviation 9: a rejection the app never awaits is logged, never an unhandled rejection.
      return rejectedSend(error, this, event);
    }
  }

  /** Keeps later sends queued until this one settles (deviation 3: sends are served in call order). */
  private track(pending: Promise<void>, event: unknown): Promise<void> {
    return watchedSend(
      (resolve, reject) => {
        pending.then(
          () => {
            this.sendSettled();
            resolve();
          },
          (error: unknown) => {
            this.sendSettled();
            reject(error);
          },
        );
      },
      this,
      event,
    );
  }

  /** Serves queued sends until one has to wait again (that one re-enters track()). */
  private sendSettled(): void {
    this.busy = false;
    const queue = this.queue;
    while (!this.busy && queue !== undefined && queue.length > 0) {
      const next = queue.shift() as QueuedSend;
      this.runSend(next.event).then(next.resolve, next.reject);
    }
  }

  /** UnawaitedSendSink: the first unawaited failure of this scope is an error log, later ones debug. */
  unawaitedSend(error: unknown, event: unknown): void {
    const level = this.reportedUnawaited ? 'debug' : 'error';
    this.reportedUnawaited = true;
    log(this.options.logger, level, unawaitedSendMessage(event, describeScope(this.scope)), error);
  }

  /** Carries out a validated event. Returns a promise only when the send must wait. */
  private perform(step: Step): Promise<void> | undefined {
    const event = step.event;
    const writer = this.writer;
    switch (event.type) {
      case 'http.response.start':
        this.validator.commit(step);
        this.connection.markStarted();
        if (event.status === 404 && this.hooks?.fallthrough !== undefined) {
          this.swallowing = true;
          this.hooks.fallthrough();
        } else {
          writer.hold(event);
        }
        return undefined;
      case 'http.response.body':
        if (this.swallowing) return this.commitSwallowed(step);
        if (event.kind === 'inline') return this.inlineBody(step, event);
        return this.fileBody(step, event);
      case 'http.response.trailers':
        if (this.swallowing) return this.commitSwallowed(step);
        if (writer.lengthFramed) {
          throw new OutOfOrder(event.type, this.validator.state, 'no trailers: the response is framed by content-length');
        }
        if (!writer.headWritten) writer.writeHead(undefined);
        this.validator.commit(step);
        writer.endWithTrailers(event.headers);
        this.completeClean();
        return undefined;
      case 'http.fullflush':
        this.validator.commit(step);
        writer.fullflush();
        return undefined;
      case 'http.response.interim':
        writeInterim(this.res, event.status, event.headers);
        this.validator.commit(step);
        return undefined;
      case 'sse.start':
        writer.startEventStream(event.status, event.headers);
        this.validator.commit(step);
        this.connection.markStarted();
        return undefined;
      case 'sse.send':
        this.validator.commit(step);
        return writer.writeEvent(formatSseEvent(event.data, event.event, event.id, event.retry));
      case 'sse.comment':
        this.validator.commit(step);
        return writer.writeEvent(formatSseComment(event.comment));
      case 'sse.keepalive':
        this.validator.commit(step);
        writer.setKeepalive(event.interval, event.comment);
        return undefined;
      case 'sse.close':
        this.validator.commit(step);
        writer.end();
        this.completeClean();
        return undefined;
      default:
        // The validator was built for this scope's type, so nothing else gets here.
        throw new OutOfOrder(event.type, this.validator.state, 'an http or sse event');
    }
  }

  private inlineBody(step: Step, event: InlineBodyEvent): Promise<void> | undefined {
    const writer = this.writer;
    const body = event.body;
    if (!writer.headWritten) {
      if (!event.more) {
        // The whole body is known: content-length, as Node sends for res.end(body).
        writer.writeHeadForWholeBody(body.length);
      } else if (body.length === 0) {
        // An empty first chunk is how bridged code says "push the head out now" (flushHeaders()).
        writer.flushHead();
      } else {
        // A streamed body: chunked (§3.2), as on native Node.
        writer.writeHead(undefined);
      }
    }
    this.validator.commit(step);
    if (this.validator.complete) {
      writer.end(body);
      this.completeClean();
      return undefined;
    }
    if (body.length === 0) return undefined;
    return writer.write(body);
  }

  private async fileBody(step: Step, event: FileBodyEvent): Promise<void> {
    const writer = this.writer;
    if (this.isHead) {
      // HEAD: the file is never opened or stat-ed (§4.5).
      if (!writer.headWritten) writer.writeHead(undefined);
      this.validator.commit(step);
      if (this.validator.complete) {
        writer.end();
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
          if (!writer.headWritten) writer.writeHead(length);
          this.validator.commit(step);
          begun = true;
        },
        write: (chunk) => writer.write(chunk),
        gone: () => this.connection.reason,
      });
    } catch (error) {
      // Bytes went out already: the response can only be cut, never finished cleanly.
      if (begun && !(error instanceof Disconnected)) {
        writer.destroy();
        this.endAbnormally('server_error', error instanceof Error ? error.message : String(error));
      }
      throw error;
    }
    const reason = this.connection.reason;
    if (reason !== undefined) throw new Disconnected(reason);
    if (this.validator.complete) {
      writer.end();
      this.completeClean();
    }
  }

  private commitSwallowed(step: Step): undefined {
    this.validator.commit(step);
    if (this.validator.complete) this.completeClean();
    return undefined;
  }

  // ------------------------------------------------------------------- ends

  /** The terminal event was handed to Node: clean end (§7.2). */
  private completeClean(): void {
    this.writer.stopKeepalive();
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
    const writer = this.writer;
    writer.stopKeepalive();
    // Without an abnormal end (the app returned while sends were still queued) they are out of order.
    const reason = this.connection.reason;
    // Errors are built only when someone waits: capturing a stack trace is not free.
    if (writer.waitingForDrain) writer.failPendingWrite(reason !== undefined ? new Disconnected(reason) : scopeFinished(undefined));
    const queue = this.queue;
    if (queue !== undefined) {
      this.queue = undefined;
      // splice empties the array a running track() loop may still hold.
      for (const queued of queue.splice(0)) queued.reject(reason !== undefined ? new Disconnected(reason) : scopeFinished(queued.event));
    }
    this.reader.pump();
  }

  /** WriteTimeoutHost: a send waited longer than `sendTimeout` for a client that does not read. */
  writeTimedOut(): void {
    const seconds = this.options.sendTimeoutMs / 1000;
    this.endAbnormally('write_timeout', `a send waited more than ${seconds}s for the client to read`);
    this.writer.destroy();
  }

  /**
   * `pagi.connection.abort()`: the connection already recorded `app_abort`.
   * @internal The connection's abort handler (see `abortHandlerOf`).
   */
  abortTransport(): void {
    this.transportGone();
    this.writer.destroy();
  }

  /** The response emitted `'close'`. */
  onClose(): void {
    this.closed = true;
    if (!this.writer.completed) {
      const error = (this.req.socket as ErroredSocket | null)?.errored;
      this.connection.disconnect(closeReason(error), error?.message);
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
    if (state === 'open') this.writer.end();
    else this.writer.destroy();
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
    if (report === undefined) return;
    try {
      report({
        req: this.req,
        res: this.res,
        scope: this.scope,
        status: this.adopted ? adoptedStatus(this.res) : this.writer.status,
        bodyBytes: this.adopted && (this.isHead || bodiless(this.res.statusCode)) ? 0 : this.writer.bodyBytes,
        reason: this.connection.reason,
      });
    } catch (error) {
      log(this.options.logger, 'error', 'onResponseEnd threw', error);
    }
  }

  private detach(): void {
    const res = this.res as TrackedResponse;
    res.removeListener('close', onResponseClose);
    this.writer.detach();
    // A running app may still read the body after a clean end; settle() stops the reader then.
    if (this.appSettled || this.connection.reason !== undefined) this.reader.stopReading();
    // Assigning instead of `delete` keeps the response object's shape (V8 fast properties).
    res[kExchange] = undefined;
  }
}

/** What the head said on an adopted response (0 when none was written). */
function adoptedStatus(res: ServerResponse): number {
  return res.headersSent ? res.statusCode : 0;
}

type ErroredSocket = { errored?: (Error & { syscall?: string; code?: string }) | null };

/**
 * The §7.3 token for a response that closed before it finished, from the
 * error Node destroyed the socket with (none: the client simply left).
 * Node answers a malformed request body itself (400) and a request slower
 * than `requestTimeout` (408), then destroys the socket with the parser's
 * `HPE_*` error or `ERR_HTTP_REQUEST_TIMEOUT`. `HPE_INVALID_EOF_STATE` is the
 * client half-closing mid-body, which is the client leaving (§14.1).
 */
function closeReason(error: { syscall?: string; code?: string } | null | undefined): string {
  if (error === null || error === undefined) return 'client_closed';
  if (error.syscall === 'write') return 'write_error';
  const code = error.code;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'client_timeout';
  if (code !== undefined && code.startsWith('HPE_') && code !== 'HPE_INVALID_EOF_STATE') return 'protocol_error';
  return 'client_closed';
}

function onResponseClose(this: TrackedResponse): void {
  this[kExchange]?.onClose();
}

/** §2.2: after the app settled, sends are out of order ("scope finished"). */
function scopeFinished(event: unknown): OutOfOrder {
  const type = typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string'
    ? (event as { type: string }).type
    : 'event';
  return new OutOfOrder(type, 'finished', 'nothing: the app has returned');
}
