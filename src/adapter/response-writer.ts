/**
 * Writes validated response events onto a Node `ServerResponse` (PROTOCOL.md
 * §4.3–§4.6, §6.3, §12.3): the held head, body chunks with `'drain'`
 * backpressure, trailers, SSE framing and keepalive timers, generated
 * responses and the incomplete-response abort. It knows nothing about
 * protocol state; the exchange decides what to call.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NormalizedSendEvent } from '../protocol/validate.js';
import type { HeaderPair } from '../protocol/types.js';
import { log, type Logger } from './options.js';
import { buildHead, hasHeader } from './response-head.js';
import { formatSseKeepalive } from '../protocol/sse-format.js';
import type { NodeTransport } from './transport.js';

export type StartEvent = Extract<NormalizedSendEvent, { type: 'http.response.start' }>;
export type WriteHead = (res: ServerResponse, status: number, flat: string[], reason: string | undefined) => void;

/** Told when a write waited for `'drain'` longer than the send timeout. */
export interface WriteTimeoutHost {
  writeTimedOut(): void;
}

const kWriter = Symbol('pagi.responseWriter');
type TrackedResponse = ServerResponse & { [kWriter]?: ResponseWriter | undefined };
const NGHTTP2_INTERNAL_ERROR = 0x2;
/**
 * Largest whole body ended as a latin1 string so that Node sends head and
 * body as one chunk (see `end()`); above it, copying the body into a string
 * costs more than the second chunk of a `writev`.
 */
const ONE_CHUNK_MAX = 1024;
const GENERATED_TEXT: Record<number, string> = { 413: 'Payload Too Large', 500: 'Internal Server Error' };

export class ResponseWriter {
  /** Status actually written (0 before), for access logs. */
  status = 0;
  /** Body bytes handed to Node. */
  bodyBytes = 0;
  headWritten = false;
  /** The head is in `res` but not on the wire yet: the next write carries it (see `end()`). */
  private headPending = false;
  /** The start, held until the first body event (a file body then carries its known length). */
  private head: StartEvent | undefined;
  private framedByLength = false;
  private drainWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private drainListening = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Longest wait for `'drain'` in ms (0 = none), and who ends the scope when it passes. */
  sendTimeoutMs = 0;
  timeoutHost: WriteTimeoutHost | undefined;
  private readonly res: TrackedResponse;
  private readonly socket: Socket | null;
  private readonly isHead: boolean;
  private readonly logger: Logger;
  private readonly customWriteHead: WriteHead | undefined;
  /** The response is HTTP/2's compat response (its stream, not a socket, carries it). */
  readonly http2: boolean;
  /** `scope['pagi.transport']`, told about the buffer's high and low edges. */
  transport: NodeTransport | undefined;

  constructor(res: ServerResponse, socket: Socket | null, isHead: boolean, logger: Logger, writeHead?: WriteHead) {
    this.res = res;
    // The HTTP/2 compat response carries its stream; HTTP/1's ServerResponse has none.
    this.http2 = (res as ServerResponse & { stream?: unknown }).stream !== undefined;
    this.socket = socket;
    this.isHead = isHead;
    this.logger = logger;
    this.customWriteHead = writeHead;
  }

  /** The whole response reached the transport (HTTP/2: see `http2ResponseCompleted`). */
  get completed(): boolean {
    const res = this.res;
    if (!this.http2) return res.writableFinished;
    return http2ResponseCompleted(res as unknown as Http2ResponseLike);
  }

  /** Keeps the start until the first body (or flush). */
  hold(start: StartEvent): void {
    this.head = start;
  }

  get trailersPromised(): boolean {
    return this.head !== undefined && this.head.trailers;
  }

  /** Whether a trailers event must be refused: the response is framed by `content-length`. */
  get lengthFramed(): boolean {
    if (this.headWritten) return this.framedByLength;
    return this.head !== undefined && hasHeader(this.head.headers, 'content-length');
  }

  /**
   * Writes the held start. `knownLength` is the whole body's size when the
   * server knows it (files, or an inline body sent whole: `inline`).
   */
  writeHead(knownLength: number | undefined, inline = false): void {
    const head = this.head as StartEvent;
    const status = head.status;
    // 1xx/204/304 carry no content-length, and HEAD answers never open the file to learn one.
    if (knownLength !== undefined && (bodiless(status) || (this.isHead && !inline))) knownLength = undefined;
    const info = buildHead(head.headers, knownLength, head.trailers, this.http2, this.http2 ? undefined : head.header_names);
    this.framedByLength = info.hasContentLength || (knownLength !== undefined && !head.trailers);
    if (info.dropped !== undefined) {
      log(this.logger, 'debug', `ignored framing header(s) set by the app: ${info.dropped.join(', ')}`);
    }
    this.headWritten = true;
    this.status = status;
    if (info.close) this.res.shouldKeepAlive = false;
    // Node itself: an app-set Connection header replaces Node's own and its Keep-Alive line.
    else if (info.keepAlive !== undefined && this.res.shouldKeepAlive) info.flat.push('connection', info.keepAlive);
    if (this.customWriteHead !== undefined) {
      this.customWriteHead(this.res, status, info.flat, head.reason);
    } else {
      // `reason_phrase`: validated with Node's own rule, so writeHead cannot throw on it.
      if (head.reason === undefined) this.res.writeHead(status, info.flat);
      else this.res.writeHead(status, head.reason, info.flat);
      this.headPending = !this.http2;
    }
  }

  /**
   * Writes the held start for a body that arrived whole, in one event with
   * `more` false: framed by its length, as Node frames `res.end(body)`,
   * unless the app chose the framing itself (`content-length`,
   * `transfer-encoding`) or trailers need chunks. A HEAD answer gets the
   * length of the body the app sent as for GET; an empty one gets none, since
   * the app may have left out a body that GET would carry.
   */
  writeHeadForWholeBody(length: number): void {
    const headers = (this.head as StartEvent).headers;
    const chosen = hasHeader(headers, 'content-length') || hasHeader(headers, 'transfer-encoding');
    const status = (this.head as StartEvent).status;
    this.writeHead(chosen || bodiless(status) || (this.isHead && length === 0) ? undefined : length, true);
  }

  /** Writes the held head and pushes it to the client now. */
  flushHead(): void {
    if (this.headWritten || this.head === undefined) return;
    this.writeHead(undefined);
    this.headPending = false;
    this.res.flushHeaders();
  }

  /** `sse.start`: default headers, head written and flushed at once. */
  startEventStream(status: number, headers: HeaderPair[]): void {
    const all = headers.slice();
    if (!hasHeader(all, 'content-type')) all.push(['content-type', 'text/event-stream']);
    if (!hasHeader(all, 'cache-control')) all.push(['cache-control', 'no-cache']);
    this.head = { type: 'http.response.start', status, headers: all, trailers: false, reason: undefined, header_names: undefined };
    this.flushHead();
  }

  /** One `res.write()`; a promise when Node's buffer is full (resolved on `'drain'`). */
  write(chunk: Uint8Array | string): Promise<void> | undefined {
    this.headPending = false;
    this.bodyBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return this.res.write(chunk) ? undefined : this.waitDrain();
  }

  /**
   * One SSE frame: like `write()`, then pushed through a compression
   * middleware's buffer (`res.flush()` from `compression`) when there is one,
   * since a buffered event is a lost event for the client.
   */
  writeEvent(frame: string): Promise<void> | undefined {
    const pending = this.write(frame);
    const flush = (this.res as ServerResponse & { flush?: () => void }).flush;
    if (typeof flush === 'function') flush.call(this.res);
    return pending;
  }

  /**
   * The terminal write. A small body right behind the head goes as a latin1
   * string, byte for byte the same: Node prepends the head to a string body
   * and sends one chunk, as for `res.end('text')`, while a Buffer body makes
   * the head and the body two chunks of a `writev` (a measurable share of a
   * small response's CPU). Only on the adapter's own HTTP/1 response: a host's
   * `writeHead` (toExpress) may sit behind middleware that patched `res.end`.
   */
  end(chunk?: Uint8Array): void {
    const pending = this.headPending;
    this.headPending = false;
    if (chunk === undefined || chunk.length === 0) {
      this.res.end();
      return;
    }
    this.bodyBytes += chunk.length;
    if (pending && chunk.length <= ONE_CHUNK_MAX) this.res.end(latin1(chunk), 'latin1');
    else this.res.end(chunk);
  }

  /** Trailers (dropped for HEAD and by Node on unchunked responses), then the end. */
  endWithTrailers(headers: HeaderPair[]): void {
    // HTTP/2's compat response reads trailers as an object's keys; an array of pairs would be sent as '0', '1', ...
    if (!this.isHead && headers.length > 0) this.res.addTrailers(this.http2 ? trailerObject(headers) : headers);
    this.res.end();
  }

  /** `http.fullflush`: head out now, a compression buffer flushed, Nagle off, any cork released. */
  fullflush(): void {
    this.flushHead();
    const flush = (this.res as ServerResponse & { flush?: () => void }).flush;
    if (typeof flush === 'function') flush.call(this.res);
    const socket = this.socket;
    if (socket !== null && !socket.destroyed) {
      socket.setNoDelay(true);
      releaseCorks(this.res, socket);
    }
  }

  private waitDrain(): Promise<void> {
    if (!this.drainListening) {
      this.drainListening = true;
      this.res[kWriter] = this;
      this.res.on('drain', onResponseDrain);
    }
    this.transport?.reachedHighWater();
    // Only a send that has to wait arms a timer: the common write allocates nothing.
    if (this.sendTimeoutMs > 0) this.drainTimer = setTimeout(onDrainTimeout, this.sendTimeoutMs, this);
    return new Promise<void>((resolve, reject) => {
      this.drainWaiter = { resolve, reject };
    });
  }

  /** The drain wait outlived the send timeout. */
  drainTimedOut(): void {
    this.drainTimer = undefined;
    if (this.drainWaiter !== undefined) this.timeoutHost?.writeTimedOut();
  }

  private clearDrainTimer(): void {
    if (this.drainTimer !== undefined) {
      clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
    }
  }

  /** Called on the response's `'drain'`. */
  drained(): void {
    this.clearDrainTimer();
    this.transport?.drained();
    const waiter = this.drainWaiter;
    if (waiter !== undefined) {
      this.drainWaiter = undefined;
      waiter.resolve();
    }
  }

  /** A send is waiting for `'drain'`. */
  get waitingForDrain(): boolean {
    return this.drainWaiter !== undefined;
  }

  /** Rejects a send waiting for `'drain'` (the transport went away). */
  failPendingWrite(error: unknown): void {
    this.clearDrainTimer();
    const waiter = this.drainWaiter;
    if (waiter !== undefined) {
      this.drainWaiter = undefined;
      waiter.reject(error);
    }
  }

  /** `sse.keepalive`: `:<comment>\n\n` every `interval` seconds; 0 stops; a new one replaces the old. */
  setKeepalive(interval: number, comment: string): void {
    this.stopKeepalive();
    if (interval <= 0) return;
    const timer = setInterval(onKeepaliveTick, interval * 1000, this, formatSseKeepalive(comment));
    // A keepalive alone must not hold the process open.
    timer.unref();
    this.keepaliveTimer = timer;
  }

  /** Writes a keepalive unless the stream ended or the buffer is already full. */
  keepaliveTick(chunk: string): void {
    const res = this.res;
    if (this.drainWaiter !== undefined || res.writableEnded || res.destroyed) return;
    // Nobody awaits a keepalive: if it has to wait for 'drain' and the client goes, its rejection is dropped here.
    this.writeEvent(chunk)?.catch(ignore);
  }

  stopKeepalive(): void {
    if (this.keepaliveTimer !== undefined) {
      clearInterval(this.keepaliveTimer);
      this.keepaliveTimer = undefined;
    }
  }

  /** A short `text/plain` response generated by the server; the connection closes after it. */
  respondGenerated(status: 413 | 500): void {
    const res = this.res;
    if (res.headersSent || this.headWritten) {
      res.destroy();
      return;
    }
    const body = GENERATED_TEXT[status] as string;
    this.headWritten = true;
    this.status = status;
    if (!this.isHead) this.bodyBytes += body.length;
    const head = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)];
    // HTTP/1.1 closes the connection after a generated answer; HTTP/2 has no such header.
    if (!this.http2) head.push('connection', 'close');
    res.writeHead(status, head);
    res.end(this.isHead ? undefined : body);
  }

  /** Incomplete response (§4.6): push out a held head, then cut the transport — never a clean end. */
  abortIncomplete(): void {
    const res = this.res;
    if (!res.destroyed) this.flushHead();
    // Node corks the socket for the rest of the tick after a write; hand the
    // bytes written so far to the OS before cutting, so the truncation point is
    // what the app actually sent.
    const socket = this.socket;
    if (this.http2) {
      // HTTP/2 resets only this stream, with INTERNAL_ERROR (§4.6).
      (res as ServerResponse & { stream: { close(code: number): void } }).stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    releaseCorks(res, socket);
    res.destroy();
  }

  /** Cuts the transport without flushing anything (abort(), limits, broken file bodies). */
  destroy(): void {
    this.res.destroy();
  }

  /** Removes the listeners and timers this writer added. */
  detach(): void {
    this.stopKeepalive();
    this.clearDrainTimer();
    this.transport?.clear();
    if (this.drainListening) {
      this.drainListening = false;
      this.res.removeListener('drain', onResponseDrain);
      // Assigning instead of `delete` keeps the response object's shape (V8 fast properties).
      this.res[kWriter] = undefined;
    }
  }
}

/**
 * Statuses Node sends without a body (it sets `_hasBody = false` and drops
 * what is written): 204, 304 and a final 1xx (`final_informational`).
 */
export function bodiless(status: number): boolean {
  return status === 204 || status === 304 || status < 200;
}

/** What `http2ResponseCompleted` reads of node:http2's compat response. */
export interface Http2ResponseLike {
  readonly writableEnded: boolean;
  readonly stream: { readonly rstCode?: number };
}

/**
 * HTTP/2's compat response emits 'finish' (and reports `writableFinished`)
 * whenever its stream closes, a client's RST_STREAM included: only an ended
 * response on a stream closed with NO_ERROR (0) completed.
 */
export function http2ResponseCompleted(res: Http2ResponseLike): boolean {
  return res.writableEnded && res.stream.rstCode === 0;
}

/** The bytes of `chunk` as a string of one char per byte. */
function latin1(chunk: Uint8Array): string {
  const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return buffer.toString('latin1');
}

function onResponseDrain(this: TrackedResponse): void {
  this[kWriter]?.drained();
}

function ignore(): void {}

function onDrainTimeout(writer: ResponseWriter): void {
  writer.drainTimedOut();
}

function onKeepaliveTick(writer: ResponseWriter, chunk: string): void {
  writer.keepaliveTick(chunk);
}

/**
 * Hands every corked byte to the OS. Node 20/22 cork the socket after a
 * write; Node 24 corks the response itself and holds chunked bodies in it
 * until the next tick — a `destroy()` before then drops them — so both are
 * released.
 */
function releaseCorks(res: ServerResponse, socket: Socket | null): void {
  while (res.writableCorked > 0 && !res.destroyed) res.uncork();
  if (socket !== null) while (socket.writableCorked > 0) socket.uncork();
}

/** Trailer pairs as a headers object (repeated names become arrays), for the HTTP/2 compat response. */
function trailerObject(headers: HeaderPair[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const seen = out[name];
    out[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return out;
}
