/**
 * The fake request: a real `http.IncomingMessage` over the stub socket whose
 * body is pulled from PAGI `receive()` on demand (PROTOCOL.md §12.1).
 *
 * Express re-parents the request onto its own prototype on entry, so every
 * hook (`_read`, `pagi`) is an own property of the instance.
 */
import { IncomingMessage } from 'node:http';
import type { HTTPRequestEvent, ReceiveEvent, Scope } from '../protocol/types.js';
import type { StubSocket } from './fake-socket.js';
import type { RequestLine } from './scope-to-request.js';
import { CLEAN_REQUEST_DESTROY_IS_SYNC } from './node-behaviour.js';

/** What the body puller reports back to the exchange. */
export interface BodyHooks {
  /** The scope ended abnormally while the body was being read. */
  onBodyDisconnect(reason: string | undefined): void;
  /** `bytes` of body arrived (restarts the socket's idle timer, counts `bytesRead`). */
  onBodyActivity(bytes: number): void;
  /**
   * A clean destroy completed (Node 24): true if the exchange takes `release`
   * and calls it once the response has said 'finish' (or closed).
   */
  holdRequestClose(release: () => void): boolean;
}

/** The one documented name under which Express handlers reach PAGI: `req.pagi`. */
export interface PagiRequestContext {
  /** The scope this request was built from (`http` or `sse`). */
  readonly scope: Scope;
  /** `scope.state`: this request's shallow copy of the lifespan state. */
  readonly state: Record<string, unknown>;
}

// Fields of IncomingMessage that @types/node does not declare but Node uses.
interface IncomingInternals {
  _consuming: boolean;
  _readableState: { readingMore: boolean };
  _addHeaderLines(headers: string[], n: number): void;
  [kPuller]: BodyPuller;
}

const kPuller = Symbol('pagi.bridge.bodyPuller');

/**
 * The request's `_read`, shared by every request (an own property, since
 * Express swaps the prototype): marks the stream as consumed, as Node's own
 * `_read` does, and pulls the next body event.
 */
function readFromReceive(this: IncomingMessage): void {
  const self = this as unknown as IncomingInternals;
  if (!self._consuming) {
    self._readableState.readingMore = false;
    self._consuming = true;
  }
  self[kPuller].pull();
}

/** The request plus the moment a bodiless request completes. */
export interface FakeRequest {
  readonly req: IncomingMessage;
  /**
   * Marks a bodiless request complete and ends its stream. Node's parser does
   * this right after the request handler's synchronous part returns, so the
   * exchange calls it then; a no-op for requests with a body.
   */
  endBodiless(): void;
}

/**
 * Builds the request. `primed` is a body event already read to decide the
 * framing (HTTP/2 without `content-length`); it is replayed first.
 */
export function createFakeRequest(
  line: RequestLine,
  socket: StubSocket,
  scope: Scope,
  receive: () => Promise<ReceiveEvent>,
  hooks: BodyHooks,
  primed?: { body: Uint8Array; more: boolean },
): FakeRequest {
  const req = new IncomingMessage(socket as never);
  const internals = req as unknown as IncomingInternals & { originalUrl: string; baseUrl: string };
  req.method = line.method;
  req.url = line.url;
  req.httpVersion = line.httpVersion;
  req.httpVersionMajor = line.httpVersionMajor;
  req.httpVersionMinor = line.httpVersionMinor;
  // Node's parser says false for every request it hands to 'request' listeners.
  (req as IncomingMessage & { upgrade: boolean }).upgrade = false;
  const rawHeaders =
    primed && (primed.more || primed.body.length > 0)
      ? [...line.rawHeaders, 'transfer-encoding', 'chunked']
      : line.rawHeaders;
  // Node's own folding (set-cookie array, first-wins list, ', ' joins,
  // joinDuplicateHeaders...) applied lazily by the `headers` getter.
  internals._addHeaderLines(rawHeaders, rawHeaders.length);
  // Node's IncomingMessage has neither property; Express adds them in its own
  // router. Only a mounted scope has a prefix to report, so only then do they
  // exist (serve-static and finalhandler prefer a present `originalUrl` over a
  // `req.url` a middleware rewrote).
  if (line.baseUrl !== '') {
    internals.originalUrl = line.originalUrl;
    internals.baseUrl = line.baseUrl;
  }
  const context: PagiRequestContext = { scope, state: ('state' in scope ? scope.state : {}) as Record<string, unknown> };
  Object.defineProperty(req, 'pagi', { value: context, writable: true, configurable: true, enumerable: false });
  const puller = new BodyPuller(req, receive, hooks, !primed && line.framing === 'none', line.contentLength);
  internals[kPuller] = puller;
  req._read = readFromReceive;
  req._destroy = destroyRequest;
  if (primed) puller.deliver(primed.body, primed.more);
  return puller;
}

/**
 * The trailer lines of a last `http.request` event: as the client spelled
 * them (`raw_trailers`) when they still spell `trailers`, else the pairs.
 */
function rawTrailersOf(event: HTTPRequestEvent): string[] {
  const pairs = Array.isArray(event.trailers) ? event.trailers : [];
  const raw = event.raw_trailers;
  if (Array.isArray(raw) && raw.length === pairs.length * 2) {
    let same = true;
    for (let i = 0; same && i < pairs.length; i++) {
      const pair = pairs[i];
      same = pair !== undefined && String(raw[2 * i]).toLowerCase() === pair[0] && raw[2 * i + 1] === pair[1];
    }
    if (same) return raw.map(String);
  }
  const out: string[] = [];
  for (const pair of pairs) if (Array.isArray(pair)) out.push(String(pair[0]), String(pair[1]));
  return out;
}

const nodeDestroy = IncomingMessage.prototype._destroy;

/**
 * Node's own `_destroy` ('aborted' included), with its completion — the
 * request's 'error'/'close' — placed where the running Node would put it
 * relative to the response. A bridged response finishes only when its last
 * send settles, a few microtasks after a native one would have, so:
 * - Node 20/22 complete a destroy ticks later, after a native response has
 *   said 'finish' and 'close'; one turn of the event loop keeps that order
 *   (res 'close', then req 'close') without adding listeners that would show
 *   in stack traces.
 * - Node 24 completes a clean destroy (fully read, no error) at once, so a
 *   request read to its end closes between the response's 'finish' and its
 *   'close' when the response was already ending; the exchange holds the
 *   completion until its 'finish' for that case (`holdRequestClose`).
 */
function destroyRequest(this: IncomingMessage, error: Error | null, callback: (error?: Error | null) => void): void {
  const req = this;
  nodeDestroy.call(this, error, (result?: Error | null) => {
    if (CLEAN_REQUEST_DESTROY_IS_SYNC && result == null && !req.aborted) {
      const puller = (req as unknown as IncomingInternals)[kPuller];
      if (!puller.holdClose(() => callback(result))) callback(result);
      return;
    }
    setImmediate(callback, result);
  });
}

/** Pulls one `receive()` at a time, only when the stream asks for data. */
class BodyPuller implements FakeRequest {
  private pulling = false;
  private done: boolean;
  private readonly bodiless: boolean;
  readonly req: IncomingMessage;
  private readonly receive: () => Promise<ReceiveEvent>;
  private readonly hooks: BodyHooks;

  /** Bytes still due under a declared content-length (undefined for chunked bodies). */
  private remaining: number | undefined;
  /** Flat trailer lines of the last body event (`request_trailers`). */
  private trailers: string[] | undefined;

  constructor(
    req: IncomingMessage,
    receive: () => Promise<ReceiveEvent>,
    hooks: BodyHooks,
    bodiless: boolean,
    contentLength: number | undefined,
  ) {
    this.req = req;
    this.remaining = contentLength;
    this.receive = receive;
    this.hooks = hooks;
    // A bodiless request never asks receive() for its empty body event.
    this.bodiless = bodiless;
    this.done = bodiless;
  }

  holdClose(release: () => void): boolean {
    return this.hooks.holdRequestClose(release);
  }

  endBodiless(): void {
    if (this.bodiless && !this.req.complete && !this.req.destroyed) this.finish();
  }

  pull(): void {
    if (this.pulling || this.done) return;
    this.pulling = true;
    this.receive().then(
      (event) => this.onEvent(event),
      (error: unknown) => this.onFailure(error),
    );
  }

  /** Pushes one body fragment; returns nothing, the stream asks again when it wants more. */
  deliver(body: Uint8Array, more: boolean): void {
    const chunk = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (this.remaining !== undefined) {
      this.remaining -= chunk.length;
      // Like Node's parser, a body framed by content-length is complete with
      // its last byte; the closing empty event is not waited for.
      if (this.remaining <= 0) more = false;
    }
    if (!more) {
      if (chunk.length > 0) this.req.push(chunk);
      this.finish();
      return;
    }
    // An empty push would leave the stream waiting for a push that never
    // comes (its `reading` flag stays set), so ask for the next event instead.
    if (chunk.length === 0) this.pull();
    else this.req.push(chunk);
  }

  finish(): void {
    this.done = true;
    this.req.complete = true;
    // Node's parser, at the end of a chunked body: `complete` first, then the
    // trailer lines (req.rawTrailers, req.trailers), then the stream's end.
    const trailers = this.trailers;
    if (trailers !== undefined && trailers.length > 0) {
      (this.req as unknown as IncomingInternals)._addHeaderLines(trailers, trailers.length);
    }
    this.req.push(null);
  }

  private onEvent(event: ReceiveEvent): void {
    this.pulling = false;
    if (this.done || this.req.destroyed) return;
    if (event.type === 'http.request' || event.type === 'sse.request') {
      this.hooks.onBodyActivity(event.body.byteLength);
      if (event.type === 'http.request' && !event.more && event.trailers !== undefined) this.trailers = rawTrailersOf(event);
      this.deliver(event.body, Boolean(event.more));
      return;
    }
    this.done = true;
    const reason = event.type === 'sse.disconnect' ? event.reason : undefined;
    this.hooks.onBodyDisconnect(reason);
  }

  private onFailure(error: unknown): void {
    // receive() never rejects under a conforming server; treat it as the end.
    this.pulling = false;
    this.done = true;
    this.hooks.onBodyDisconnect(error instanceof Error ? `x-receive-error: ${error.message}` : undefined);
  }
}
