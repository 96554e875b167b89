/**
 * One request through the bridge: builds the fake socket, request and
 * response, runs the Express handler, and settles the PAGI app's promise
 * when the response has finished or closed — never when the handler
 * returns, since handlers may answer long after that.
 *
 * This file plays the part Node's http server plays for a real response:
 * it links the response to its socket, turns a client disconnect into the
 * modern Node shape (request destroyed with 'aborted', response 'close'
 * before 'finish'), and emits 'close' after 'finish' on a clean end.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Disconnected } from '../protocol/errors.js';
import type { ConnectionState, Receive, Send, SendEvent } from '../protocol/types.js';
import { createFakeRequest, type BodyHooks, type FakeRequest } from './fake-request.js';
import { createFakeResponse, type FakeResponse } from './fake-response.js';
import { StubSocket, type SocketOwner } from './fake-socket.js';
import { finalResponse, type FinalResponseOptions } from './final-response.js';
import { connectionReset, streamDestroyed, truncatedRequest } from './node-errors.js';
import { Outbox, type OutboxHooks } from './outbox.js';
import { scopeToRequestLine, type RequestLine, type RequestScope } from './scope-to-request.js';
import { nativeExchangeOf } from '../_internal/native-exchange.js';
import { bridgePath, serveDirect } from './direct-path.js';

/** The final `next` handed to bare routers and middleware. */
export type NextFunction = (err?: unknown) => void;

/**
 * Any Connect-style handler: an Express or Connect app, a Router, or one
 * middleware. Declared as a method so that handlers typed with Express's
 * own `Request`/`Response` subtypes are accepted.
 */
export type NodeHandler = {
  bivariant(req: IncomingMessage, res: ServerResponse, next: NextFunction): unknown;
}['bivariant'];

export interface ExchangeOptions {
  highWaterMark: number;
  final: FinalResponseOptions;
}

/** Serves one `http` or `sse` scope through `handler`. */
export async function serveExchange(
  handler: NodeHandler,
  scope: RequestScope,
  receive: Receive,
  send: Send,
  options: ExchangeOptions,
): Promise<void> {
  const pair = bridgePath.enabled ? nativeExchangeOf(send)?.adopt(scope, receive) : undefined;
  bridgePath.served?.(pair === undefined ? 'fake' : 'direct', scope);
  if (pair !== undefined) return serveDirect(handler, scope, pair, options, isApplication(handler));
  const line = scopeToRequestLine(scope);
  let primed: { body: Uint8Array; more: boolean } | undefined;
  if (line.framing === 'unknown') {
    // HTTP/2 without content-length: only the first body event tells whether
    // a body exists, which decides if Express sees `transfer-encoding: chunked`.
    const first = await receive();
    if (first.type !== 'http.request' && first.type !== 'sse.request') return; // the client left first
    primed = { body: first.body, more: Boolean(first.more) };
  }
  return new Exchange(handler, scope, line, receive, send, options, primed).run();
}

/** Express and Connect applications run their own finalhandler when called without `next`. */
function isApplication(handler: NodeHandler): boolean {
  const h = handler as unknown as { handle?: unknown; listen?: unknown };
  return typeof h.handle === 'function' && typeof h.listen === 'function';
}

const kExchange = Symbol('pagi.bridge.exchange');

class Exchange implements OutboxHooks, BodyHooks, SocketOwner {
  private readonly handler: NodeHandler;
  private readonly options: ExchangeOptions;
  private readonly connection: ConnectionState | undefined;
  private readonly outbox: Outbox;
  private readonly socket: StubSocket;
  private readonly request: FakeRequest;
  private readonly req: IncomingMessage;
  private readonly response: FakeResponse;
  private readonly res: ServerResponse;
  /** The scope is an HTTP/2 stream (`http_version` '2'). */
  private readonly http2: boolean;
  /** 'finish' was emitted: the terminal send was accepted. */
  private responseFinished = false;
  /** The promise is being settled: tearing the socket down is housekeeping, not an abort. */
  private settling = false;
  private failure: { error: unknown } | undefined;
  /** A request 'close' held until the response's 'finish' (see `holdRequestClose`). */
  private heldRequestClose: (() => void) | undefined;
  private resolve: () => void = noop;
  private reject: (error: unknown) => void = noop;

  constructor(
    handler: NodeHandler,
    scope: RequestScope,
    line: RequestLine,
    receive: Receive,
    send: Send,
    options: ExchangeOptions,
    primed: { body: Uint8Array; more: boolean } | undefined,
  ) {
    this.handler = handler;
    this.options = options;
    this.connection = scope['pagi.connection'];
    this.http2 = line.httpVersionMajor === 2;
    this.outbox = new Outbox(send, this);
    this.socket = new StubSocket(scope, this, options.highWaterMark);
    this.request = createFakeRequest(line, this.socket, scope, receive, this, primed);
    this.req = this.request.req;
    this.response = createFakeResponse(this.req, {
      outbox: this.outbox,
      socket: this.socket,
      fullflush: scope.extensions !== undefined && 'fullflush' in scope.extensions,
      interim: scope.type === 'http' && scope.extensions !== undefined && 'interim' in scope.extensions,
      reasonPhrase: scope.extensions !== undefined && 'reason_phrase' in scope.extensions,
      lateTrailers: scope.type === 'http' && scope.extensions !== undefined && 'late_trailers' in scope.extensions,
      headerCase: scope.extensions !== undefined && 'header_case' in scope.extensions,
      highWaterMark: options.highWaterMark,
    });
    const res = this.response.res;
    this.res = res;
    if (this.http2) {
      // ServerResponse treats any x.0 version like HTTP/1.0; HTTP/2 streams
      // do frame bodies (and allow trailers) like chunked HTTP/1.1.
      (res as unknown as { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = true;
      res.shouldKeepAlive = true;
    }
    (res as ResponseWithExchange)[kExchange] = this;
    res.assignSocket(this.socket as never);
    // First listeners on the response, like those Node's server adds.
    res.on('finish', onBridgedResponseFinish);
    res.once('close', onBridgedResponseClose);
    this.connection?.on_disconnect((reason) => this.peerGone(reason));
  }

  run(): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.invoke();
    return settled;
  }

  private invoke(): void {
    const application = isApplication(this.handler);
    const next: NextFunction | undefined = application ? undefined : (err) => this.finalNext(err);
    try {
      const result: unknown = next
        ? this.handler(this.req, this.res, next)
        : (this.handler as unknown as (req: IncomingMessage, res: ServerResponse) => unknown)(this.req, this.res);
      // A bare async middleware that rejects is treated like next(err), as Express 5 does.
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => this.finalNext(err));
      }
    } catch (error) {
      this.finalNext(error);
    } finally {
      this.request.endBodiless();
    }
  }

  private finalNext(err: unknown): void {
    // `next('route')`/`next('router')` out of the outermost layer mean "no match".
    const error = err === 'route' || err === 'router' ? undefined : err;
    finalResponse(this.req, this.res, error, this.options.final);
  }

  /** The client side is gone (disconnect event, on_disconnect, or a send rejected). */
  private peerGone(reason: string): void {
    if (this.settling) return;
    if (this.responseFinished) {
      // The answer is out; a handler still reading the body learns it never comes.
      if (!this.req.complete && !this.req.destroyed) this.req.destroy(connectionReset());
      return;
    }
    this.outbox.stop(new Disconnected(reason));
    // Node's parser fails on a connection that ends inside a request body
    // and the socket emits that error before 'close' (on-finished sees it);
    // after a complete request the socket just closes.
    this.socket.destroy(this.req.complete ? undefined : truncatedRequest());
  }

  // ---------------------------------------------------------------- OutboxHooks

  onDisconnected(reason: string): void {
    this.peerGone(reason);
  }

  /** A send failed for a reason other than a disconnect: the app promise rejects with it. */
  onFailed(error: unknown): void {
    if (this.failure || this.settling) return;
    this.failure = { error };
    this.socket.destroy();
  }

  onDrained(): void {
    this.response.drained();
  }

  // ------------------------------------------------------------------ BodyHooks

  onBodyDisconnect(reason: string | undefined): void {
    this.peerGone(reason ?? this.connection?.disconnect_reason() ?? 'client_closed');
  }

  onBodyActivity(bytes: number): void {
    this.socket.bytesRead += bytes;
    this.socket.touch();
  }

  holdRequestClose(release: () => void): boolean {
    // Natively the response's end() was written before the request's clean
    // destroy, so its 'finish' comes first; here it waits for the last send.
    if (!this.res.writableEnded || this.responseFinished || this.res.destroyed) return false;
    this.heldRequestClose = release;
    return true;
  }

  private releaseRequestClose(): void {
    const release = this.heldRequestClose;
    this.heldRequestClose = undefined;
    release?.();
  }

  // ---------------------------------------------------------------- SocketOwner

  /** Something destroyed the socket: the Express side (`req.socket.destroy()`, `res.destroy()`) or `peerGone`. */
  socketDestroyed(error: Error | null, done: () => void): void {
    if (this.settling || this.responseFinished || this.failure || !this.connection?.is_connected()) {
      done();
      return;
    }
    // What Node had already written (an ended response, a flushed head)
    // still reaches the client; then the abort makes the truncation visible
    // (§4.6), or is a no-op if that completed the response.
    this.outbox.stopAfter(
      this.response.wireMark(),
      streamDestroyed('write'),
      () => {
        if (this.connection?.is_connected()) this.connection.abort(error?.message);
        done();
      },
      closeAfterResponse,
    );
  }

  socketClosed(): void {
    // Node's server destroys every request whose response has not finished
    // when its socket closes: 'aborted' if the body was incomplete, then 'close'.
    // HTTP/2: Node's compat server ends a reset stream's request with 'aborted' and 'close' and no
    // 'error' (a stream went away, not a socket), so the bridge does too.
    if (!this.responseFinished && !this.req.destroyed) this.req.destroy(this.http2 ? undefined : connectionReset());
  }

  socketTimedOut(): void {
    // Node's socketOnTimeout: tell the request (if still reading) and the
    // response; destroy the socket if nobody listened.
    const reqHandled = !this.req.complete && this.req.emit('timeout', this.socket);
    const resHandled = this.res.socket !== null && this.res.emit('timeout', this.socket);
    if (!reqHandled && !resHandled) this.socket.destroy();
  }

  // ------------------------------------------------------------- response end

  handleResponseFinish(): void {
    this.responseFinished = true;
    // Node's resOnFinish: a request nobody read is dumped (so a bodiless one
    // ends and closes), the socket is detached before user 'finish'
    // listeners run, and the response says 'close' on the next tick.
    const req = this.req as unknown as RequestInternals;
    if (!req._consuming && !req._readableState.resumeScheduled) req._dump();
    this.res.detachSocket(this.socket as never);
    // Node 24 order: the request read to its end closes before the response does.
    this.releaseRequestClose();
    process.nextTick(emitResponseClose, this.res);
  }

  handleResponseClose(): void {
    this.releaseRequestClose();
    void this.outbox.idle().then(() => this.afterResponse());
  }

  private afterResponse(): void {
    const req = this.req as unknown as RequestInternals;
    if (this.responseFinished && !this.failure && !req.complete && !req.destroyed && !req._dumped && req._consuming) {
      // Like Node, a handler that answered first may still read the body:
      // the scope stays open until the request stream is done.
      req.once('close', () => this.settle());
      return;
    }
    this.settle();
  }

  private settle(): void {
    if (this.settling) return;
    this.settling = true;
    // Housekeeping: the stub socket's 'close' releases listeners and timers
    // that handlers attached to it.
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.failure) this.reject(this.failure.error);
    else this.resolve();
  }
}

/**
 * A destroyed socket never carries another request: when the head has not
 * left yet, it says so, and the serving side closes the connection after
 * the response as Node would.
 */
function closeAfterResponse(event: SendEvent): SendEvent {
  if (event.type !== 'http.response.start') return event;
  const headers = (event.headers ?? []).filter(([name]) => name !== 'connection');
  return { ...event, headers: [...headers, ['connection', 'close']] };
}

type ResponseWithExchange = ServerResponse & { [kExchange]: Exchange };

function onBridgedResponseFinish(this: ServerResponse): void {
  (this as ResponseWithExchange)[kExchange].handleResponseFinish();
}

function onBridgedResponseClose(this: ServerResponse): void {
  (this as ResponseWithExchange)[kExchange].handleResponseClose();
}

interface RequestInternals {
  _consuming: boolean;
  _dumped: boolean;
  complete: boolean;
  destroyed: boolean;
  _readableState: { resumeScheduled: boolean };
  _dump(): void;
  once(event: 'close', listener: () => void): void;
}

function emitResponseClose(res: ServerResponse): void {
  const internals = res as unknown as { _closed: boolean; destroyed: boolean };
  if (internals._closed) return;
  internals.destroyed = true;
  internals._closed = true;
  res.emit('close');
}

function noop(): void {}
