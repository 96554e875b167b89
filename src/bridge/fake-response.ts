/**
 * The fake response: a real `http.ServerResponse` whose head and body are
 * captured before Node would serialise them (PROTOCOL.md §12.2).
 *
 * Node's own code still runs wherever it decides *what* the response is —
 * `writeHead` (and every `on-headers` hook wrapped around it), `_storeHeader`
 * with its validation and its implicit `Content-Length`, the header getters
 * and setters, `ERR_HTTP_HEADERS_SENT` — while the methods that would put
 * bytes on a socket (`write`, `end`, `flushHeaders`, `_send`, `_writeRaw`,
 * `addTrailers`) are replaced by own properties that emit PAGI events.
 * Own properties survive Express's `Object.setPrototypeOf(res, app.response)`.
 */
import { STATUS_CODES, ServerResponse, type IncomingMessage } from 'node:http';
import type { HeaderPair, SendEvent } from '../protocol/types.js';
import { headerPairs, trailerPairs } from './response-headers.js';
import { installResponseHooks, type Chunk, type ResponseHookTarget, type WriteCallback } from './response-hooks.js';
import type { StubSocket } from './fake-socket.js';
import { alreadyFinished, invalidChunk, nullValues, streamDestroyed, writeAfterEnd } from './node-errors.js';
import type { Outbox } from './outbox.js';
import { END_CALLBACKS_BEFORE_FINISH } from './node-behaviour.js';
import { interimEvent } from './interim.js';

/** What the response needs from the exchange that owns it. */
export interface ResponseChannel {
  readonly outbox: Outbox;
  readonly socket: StubSocket;
  /** `scope.extensions.fullflush` is advertised, so `http.fullflush` may be sent. */
  readonly fullflush: boolean;
  /** `scope.extensions.interim` is advertised, so `http.response.interim` may be sent. */
  readonly interim: boolean;
  /** `scope.extensions.reason_phrase` is advertised, so a start may carry `reason`. */
  readonly reasonPhrase: boolean;
  /** `scope.extensions.late_trailers` is advertised, so trailers may end a chunked body nobody promised them on. */
  readonly lateTrailers: boolean;
  /** `scope.extensions.header_case` is advertised, so a start may spell its header names (`header_names`). */
  readonly headerCase: boolean;
  readonly highWaterMark: number;
}

// Fields of OutgoingMessage/ServerResponse that @types/node does not declare.
interface ResponseInternals {
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  _contentLength: number | null;
  _removedContLen: boolean;
  _closed: boolean;
  finished: boolean;
  useChunkedEncodingByDefault: boolean;
  chunkedEncoding: boolean;
  _implicitHeader(): void;
}

const proto = ServerResponse.prototype as unknown as {
  _storeHeader(this: ServerResponse, firstLine: string, headers: unknown): void;
  addTrailers(this: ServerResponse, headers: unknown): void;
};

function nop(): void {}

/** The response plus the one signal the exchange feeds back into it. */
export interface FakeResponse {
  readonly res: ServerResponse;
  /** Every queued byte was accepted: emits `'drain'` if a write returned false. */
  drained(): void;
  /** The last queued event Node would already have written (see `ResponseCapture.wireMark`). */
  wireMark(): number;
}

/** Builds the response for `req` and installs the capturing hooks. */
export function createFakeResponse(req: IncomingMessage, channel: ResponseChannel): FakeResponse {
  // @types/node omits the options argument Node 20 accepts.
  const Response = ServerResponse as unknown as new (req: IncomingMessage, options: object) => ServerResponse;
  const res = new Response(req, { highWaterMark: channel.highWaterMark });
  const capture = new ResponseCapture(res, channel);
  installResponseHooks(res, capture, channel.fullflush);
  return capture;
}

/** The per-response state behind the own-property hooks. */
class ResponseCapture implements FakeResponse, ResponseHookTarget {
  readonly res: ServerResponse;
  readonly channel: ResponseChannel;
  private readonly internals: ResponseInternals;
  /** The start event has been queued. */
  private started = false;
  /** Bytes (possibly zero) followed the start, so the head is on its way to the client. */
  private headFlushed = false;
  private trailersPromised = false;
  /** The start carries `content-length`, so the serving side frames the body by length. */
  private startHasLength = false;
  private trailers: HeaderPair[] = [];
  /** The queued start's pairs and Node's own strings of its non-ASCII values (and reason), until a body write decides their encoding. */
  private pendingHead: PendingHead | undefined;
  private terminalResolved = false;
  /** Node 24's own list of `end()` callbacks (see `END_CALLBACKS_BEFORE_FINISH`). */
  private endCallbacks: WriteCallback[] | undefined;
  /** Node 24: why the terminal send failed; later `end()` callbacks get it too. */
  private flushError: Error | undefined;
  private needDrain = false;
  /** A write corked the (virtual) socket in this tick. */
  private corked = false;
  /** See `wireMark()`. */
  private wireSeq = 0;
  /** Sequence number of the last body-carrying event (body, head flush, trailers). */
  private lastBodySeq = 0;
  userFlush: ((...args: unknown[]) => unknown) | undefined;

  constructor(res: ServerResponse, channel: ResponseChannel) {
    this.res = res;
    this.internals = res as unknown as ResponseInternals;
    this.channel = channel;
  }

  /**
   * Sequence number of the last queued event Node would already have put on
   * the wire: `write()` corks the socket until the next tick, `end()` and
   * `flushHeaders()` write at once, a stored head alone writes nothing.
   */
  wireMark(): number {
    return this.wireSeq;
  }

  /** Node's `write_()` corks the socket and uncorks it on the next tick. */
  private corkForWrite(): void {
    if (this.corked) return;
    this.corked = true;
    process.nextTick(uncorkAfterWrite, this);
  }

  uncork(): void {
    this.corked = false;
    this.wireSeq = Math.max(this.wireSeq, this.lastBodySeq);
  }

  /** Called by the exchange when the outbox drained. */
  drained(): void {
    if (this.needDrain && !this.internals.finished && !this.res.destroyed) {
      this.needDrain = false;
      this.res.emit('drain');
    }
  }

  flush(args: unknown[]): unknown {
    const result = this.userFlush?.apply(this.res, args);
    if (this.started && !this.isGone()) this.channel.outbox.enqueue({ type: 'http.fullflush' });
    return result;
  }

  /** `writeContinue`/`writeProcessing`/`writeEarlyHints`: an interim response, or a no-op without the extension or after the head. */
  interim(status: 100 | 102 | 103, hints: unknown, callback: (() => void) | undefined): void {
    const event = this.channel.interim && !this.started && !this.isGone() ? interimEvent(status, hints) : undefined;
    if (event === undefined) {
      if (typeof callback === 'function') process.nextTick(callback);
      return;
    }
    this.channel.outbox.enqueue(event, 0, typeof callback === 'function' ? () => callback() : undefined);
  }

  writableFinished(): boolean {
    // Node 24 says finished exactly when it is about to emit 'finish'.
    if (END_CALLBACKS_BEFORE_FINISH) return this.terminalResolved;
    return (
      this.internals.finished &&
      (this.terminalResolved || (!this.isGone() && this.channel.outbox.pendingBytes < this.channel.highWaterMark))
    );
  }

  writableNeedDrain(): boolean {
    return !this.res.destroyed && !this.internals.finished && this.needDrain;
  }

  private isGone(): boolean {
    return this.res.destroyed || this.channel.socket.destroyed;
  }

  // ------------------------------------------------------------------ head

  storeHeader(firstLine: string, headers: unknown): void {
    // Node validates, decides framing and sets `_header` (so `headersSent`
    // and ERR_HTTP_HEADERS_SENT behave natively). The string is never read.
    const lengthBefore = this.internals._contentLength;
    proto._storeHeader.call(this.res, firstLine, headers);
    const res = this.internals;
    const names: string[] | undefined = this.channel.headerCase ? [] : undefined;
    const pairs = headerPairs(this.res, headers, names);
    let contentLength = false;
    let transferEncoding = false;
    let trailer = false;
    for (const [name] of pairs) {
      if (name === 'content-length') contentLength = true;
      else if (name === 'transfer-encoding') transferEncoding = true;
      else if (name === 'trailer') trailer = true;
    }
    // The same condition under which Node appends `Content-Length` itself
    // (`res.end(body)` before any head was stored).
    if (
      !contentLength &&
      !transferEncoding &&
      !trailer &&
      res._hasBody &&
      res.useChunkedEncodingByDefault &&
      !res._removedContLen &&
      typeof res._contentLength === 'number'
    ) {
      pairs.push(['content-length', String(res._contentLength)]);
      names?.push('Content-Length');
      contentLength = true;
    }
    this.startHasLength = contentLength;
    // Node only accepts a Trailer header on a chunked response (it throws
    // ERR_HTTP_TRAILER_INVALID otherwise), so this is exactly "trailer set
    // and no content-length".
    this.trailersPromised = trailer && res.chunkedEncoding === true && res._hasBody;
    this.started = true;
    if (this.isGone()) return;
    const status = this.res.statusCode;
    const start: SendEvent = { type: 'http.response.start', status, headers: pairs };
    if (this.trailersPromised) start.trailers = true;
    // Node's writeHead has just settled (and validated) `statusMessage`; only
    // one that is not the standard phrase needs the `reason_phrase` extension.
    if (this.channel.reasonPhrase && this.res.statusMessage !== (STATUS_CODES[status] ?? 'unknown')) start.reason = this.res.statusMessage;
    // Node writes names as set (`res.setHeader('X-Foo')` → `X-Foo`); only a head that spells one differently needs them.
    if (names !== undefined && names.some(notLowerCase)) start.header_names = names;
    this.pendingHead = nodeHeaderValues(pairs, lengthBefore);
    if (start.reason !== undefined && NON_ASCII.test(start.reason)) (this.pendingHead ??= { pairs, nodeValues: [] }).start = start;
    this.channel.outbox.enqueue(start);
  }

  /**
   * Node's `_send` glues a stored head to a first body chunk that is a utf8
   * string (`res.end('text')`, no chunked framing) and writes both as UTF-8,
   * so header values in the 0x80-0xFF range reach the wire UTF-8-encoded
   * (latin1 otherwise). The start event leaves from a microtask, so it can
   * still be amended to carry the bytes Node would write.
   */
  private encodeHeadLikeNode(chunk: Chunk, encoding: BufferEncoding | undefined): void {
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (head === undefined || typeof chunk !== 'string' || (encoding !== undefined && encoding !== 'utf8')) return;
    if (this.headFlushed || this.internals.chunkedEncoding) return;
    head.nodeValues.forEach((value, i) => {
      (head.pairs[i] as HeaderPair)[1] = Buffer.from(value, 'utf8').toString('latin1');
    });
    // The status line is part of that head: an obs-text reason goes out UTF-8-encoded too.
    if (head.start?.reason !== undefined) head.start.reason = Buffer.from(head.start.reason, 'utf8').toString('latin1');
  }

  flushHeaders(): void {
    if (!this.internals._header) this.internals._implicitHeader();
    this.flushHead();
  }

  /** Pushes the head out now, as Node's `_send('')` does, with an empty body chunk. */
  private flushHead(): void {
    this.internals._headerSent = true;
    if (this.headFlushed || this.isGone() || this.internals.finished) return;
    this.headFlushed = true;
    this.lastBodySeq = this.channel.outbox.enqueue({ type: 'http.response.body', body: EMPTY, more: true });
    if (!this.corked) this.wireSeq = this.lastBodySeq;
  }

  // ------------------------------------------------------------------ body

  /**
   * Node's `write_()` checks, in Node's order (errors, implicit head, no body
   * for HEAD/204/304); returns the bytes to send, or the `result` the call
   * returns right away.
   */
  private prepare(
    chunk: unknown,
    encoding: BufferEncoding | undefined,
    callback: WriteCallback,
    fromEnd: boolean,
  ): { bytes: Buffer } | { result: boolean } {
    if (chunk === null) throw nullValues();
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw invalidChunk(chunk);
    const res = this.internals;
    let error: Error | undefined;
    if (res.finished) error = writeAfterEnd();
    else if (this.res.destroyed) error = streamDestroyed('write');
    if (error) {
      if (!this.res.destroyed) process.nextTick(emitErrorAfter, this.res, error, callback);
      else process.nextTick(callback, error);
      return { result: false };
    }
    const bytes = toBuffer(chunk, encoding);
    if (!res._header) {
      if (fromEnd) res._contentLength = bytes.length;
      res._implicitHeader();
    }
    if (this.pendingHead !== undefined && res._hasBody && bytes.length > 0) this.encodeHeadLikeNode(chunk as Chunk, encoding);
    if (!res._hasBody) {
      // HEAD, 204, 304: Node drops the body and says all is well.
      process.nextTick(callback);
      return { result: true };
    }
    return { bytes };
  }

  write(chunk: Chunk, encoding: BufferEncoding | WriteCallback | undefined, callback?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const cb = typeof callback === 'function' ? callback : nop;
    const prepared = this.prepare(chunk, encoding, cb, false);
    const ok = 'result' in prepared ? prepared.result : this.sendBody(prepared.bytes, cb);
    if (!ok) this.needDrain = true;
    return ok;
  }

  rawWrite(data: Chunk, encoding: BufferEncoding | undefined, callback?: WriteCallback): boolean {
    const cb = typeof callback === 'function' ? callback : nop;
    if (!this.internals._header) this.internals._implicitHeader();
    return this.sendBody(toBuffer(data, encoding), cb);
  }

  /** One `res.write()` → one `http.response.body { more: true }`; empty chunks only flush the head. */
  private sendBody(bytes: Buffer, callback: WriteCallback): boolean {
    if (this.isGone()) {
      // Node's `_writeRaw` on a destroyed socket: refused, callback never called.
      return false;
    }
    this.corkForWrite();
    if (bytes.length === 0) {
      this.flushHead();
      process.nextTick(callback);
      return this.channel.outbox.pendingBytes < this.channel.highWaterMark;
    }
    this.headFlushed = true;
    this.internals._headerSent = true;
    this.channel.socket.touch();
    this.channel.socket.bytesWritten += bytes.length;
    this.lastBodySeq = this.channel.outbox.enqueue(
      { type: 'http.response.body', body: bytes, more: true },
      bytes.length,
      settleWrite,
      callback,
    );
    return this.channel.outbox.pendingBytes < this.channel.highWaterMark;
  }

  end(
    chunk?: Chunk | (() => void),
    encoding?: BufferEncoding | (() => void),
    callback?: (error?: Error | null) => void,
  ): ServerResponse {
    const res = this.internals;
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = undefined;
      encoding = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    let last: Buffer | undefined;
    if (chunk) {
      if (res.finished) {
        process.nextTick(emitErrorAfter, this.res, writeAfterEnd(), typeof callback === 'function' ? callback : nop);
        return this.res;
      }
      const prepared = this.prepare(chunk, encoding, nop, true);
      if ('bytes' in prepared) last = prepared.bytes;
    } else if (res.finished) {
      if (typeof callback === 'function') this.onEnded(callback);
      return this.res;
    } else if (!res._header) {
      res._contentLength = 0;
      res._implicitHeader();
    }
    if (typeof callback === 'function') this.onEnded(callback);
    res.finished = true;
    if (this.isGone()) return this.res;
    this.sendTerminal(last);
    // Node emits 'prefinish' from end() once everything sits in the socket.
    this.res.emit('prefinish');
    return this.res;
  }

  private sendTerminal(last: Buffer | undefined): void {
    const outbox = this.channel.outbox;
    const body = last ?? EMPTY;
    this.internals._headerSent = true;
    this.channel.socket.touch();
    this.channel.socket.bytesWritten += body.length;
    if (this.trailersPromised || this.lateTrailersDue()) {
      if (body.length > 0) {
        this.headFlushed = true;
        outbox.enqueue({ type: 'http.response.body', body, more: true }, body.length);
      }
      outbox.enqueue({ type: 'http.response.trailers', headers: this.trailers }, 0, onTerminalSettled, this);
    } else if (this.internals._hasBody && !this.startHasLength && !this.headFlushed) {
      // Node frames this body as chunked (or close-delimited on HTTP/1.0)
      // because the head was stored without a length. A single terminal
      // event would let the serving side add `content-length`, so the bytes
      // go first as a streamed chunk, then the end.
      if (body.length > 0) {
        this.headFlushed = true;
        outbox.enqueue({ type: 'http.response.body', body, more: true }, body.length);
      } else {
        this.flushHead();
      }
      outbox.enqueue({ type: 'http.response.body', body: EMPTY, more: false }, 0, onTerminalSettled, this);
    } else {
      outbox.enqueue({ type: 'http.response.body', body, more: false }, body.length, onTerminalSettled, this);
    }
    // end() uncorks and writes everything at once.
    this.lastBodySeq = outbox.lastSeq;
    this.uncork();
  }

  /**
   * `addTrailers()` without a `Trailer` header: Node still writes them after
   * the last chunk of a chunked body (`0\r\n` + trailers), so under
   * `late_trailers` they end the body; elsewhere (a length, HTTP/1.0, HEAD,
   * no extension) Node or the protocol drops them.
   */
  private lateTrailersDue(): boolean {
    return this.trailers.length > 0 && this.channel.lateTrailers && this.internals._hasBody && this.internals.chunkedEncoding;
  }

  /** Registers an `end()` callback the way the running Node does. */
  private onEnded(callback: WriteCallback): void {
    if (!END_CALLBACKS_BEFORE_FINISH) {
      // Node 20/22: a 'finish' listener, or ERR_STREAM_ALREADY_FINISHED once finished.
      if (!this.res.writableFinished) this.res.once('finish', callback);
      else callback(alreadyFinished('end'));
      return;
    }
    // Node 24 (`queueEndCallback`): its own list, flushed right before 'finish'.
    if (this.terminalResolved) callback(alreadyFinished('end'));
    else if (this.flushError) process.nextTick(callback, this.flushError);
    else (this.endCallbacks ??= []).push(callback);
  }

  terminalSettled(error: Error | undefined): void {
    const callbacks = this.endCallbacks;
    this.endCallbacks = undefined;
    if (error) {
      // Node 24's onFinish(err): the end callbacks learn why, 'finish' never comes.
      if (END_CALLBACKS_BEFORE_FINISH) {
        const reason = (this.channel.socket.errored as Error | null) ?? streamDestroyed('end');
        this.flushError = reason;
        if (callbacks) for (const callback of callbacks) callback(reason);
      }
      return;
    }
    this.terminalResolved = true;
    if (callbacks) for (const callback of callbacks) callback(null);
    this.res.emit('finish');
  }

  addTrailers(headers: unknown): void {
    // Node's own validation (ERR_INVALID_CHAR...), then the pairs it would write.
    proto.addTrailers.call(this.res, headers);
    this.trailers = trailerPairs(headers);
  }
}

function notLowerCase(name: string): boolean {
  return name !== name.toLowerCase();
}

/** See `ResponseCapture.pendingHead`; `start` is set when its reason is non-ASCII. */
interface PendingHead {
  pairs: HeaderPair[];
  nodeValues: string[];
  start?: Extract<SendEvent, { type: 'http.response.start' }>;
}

const EMPTY = Buffer.alloc(0);
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * For a head with non-ASCII values: the strings Node puts into its head
 * (`nodeValues`, sparse by pair index), with `pairs` set to the latin1 bytes
 * Node writes for them. One Node quirk (nodejs/node#46528) changes a value:
 * once it knows a length (`res.end(body)` before any head, or a
 * `Content-Length` header listed before it), Node turns `Content-Disposition`
 * into `Buffer.from(value, 'latin1')` and concatenates that buffer as UTF-8
 * text, so bytes over 0x7F become U+FFFD.
 */
function nodeHeaderValues(pairs: HeaderPair[], lengthBefore: number | null): PendingHead | undefined {
  let nodeValues: string[] | undefined;
  // Node's `_contentLength` as it walks the headers: a `content-length` header sets it on the way.
  let length = lengthBefore;
  pairs.forEach((pair, i) => {
    if (pair[0] === 'content-length') length = +pair[1];
    if (!NON_ASCII.test(pair[1])) return;
    let value = pair[1];
    if (length && pair[0] === 'content-disposition') value = Buffer.from(value, 'latin1').toString('utf8');
    (nodeValues ??= [])[i] = value;
    pair[1] = Buffer.from(value, 'latin1').toString('latin1');
  });
  return nodeValues === undefined ? undefined : { pairs, nodeValues };
}

/** A write callback runs when its send settles; a failed send reads as a destroyed stream, as in Node. */
function settleWrite(this: WriteCallback, error: Error | undefined): void {
  if (error) this(streamDestroyed('write'));
  else this();
}

function uncorkAfterWrite(capture: ResponseCapture): void {
  capture.uncork();
}

function onTerminalSettled(this: ResponseCapture, error: Error | undefined): void {
  this.terminalSettled(error);
}

function emitErrorAfter(res: ServerResponse, error: Error, callback: WriteCallback): void {
  callback(error);
  if (!res.destroyed) res.emit('error', error);
}

function toBuffer(chunk: Chunk, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
