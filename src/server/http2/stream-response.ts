/**
 * The response side of an HTTP/2 stream, shaped as the adapter's writer uses
 * a `ServerResponse` (writeHead, write, end, addTrailers, flushHeaders,
 * 'drain', 'close', the writable state), answering on the stream's own API.
 *
 * Unlike Node's compat `Http2ServerResponse`, the HEADERS frame is held until
 * the first write, flush or end, as HTTP/1's `ServerResponse` holds its head:
 * a whole body then goes as HEADERS + one DATA frame with END_STREAM (the
 * compat response always asks the stream for trailers, which costs a third
 * frame and a 'wantTrailers' round per response), and only a streamed body
 * asks for trailers, the one case where they can follow.
 */
import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Http2StreamRequest } from './stream-request.js';
import { closeStreamRequest } from './stream-request.js';

const kResponse = Symbol('pagi.http2Response');
type OwnedStream = ServerHttp2Stream & { [kResponse]?: Http2StreamResponse | undefined };
type HeaderValue = string | number | readonly string[];
type HeadersArgument = readonly string[] | Readonly<Record<string, HeaderValue | undefined>>;

export class Http2StreamResponse extends EventEmitter {
  readonly stream: ServerHttp2Stream;
  readonly req: Http2StreamRequest;
  statusCode = 200;
  /** HTTP/1 bookkeeping the adapter writes; an HTTP/2 stream never keeps anything alive. */
  shouldKeepAlive = false;
  /** Node's 100-continue flags, as on HTTP/1's ServerResponse (the reader sends 100 on the first read). */
  _expect_continue = false;
  _sent100 = false;
  private head: OutgoingHttpHeaders | undefined;
  private trailers: OutgoingHttpHeaders | undefined;
  /** HEAD, 204, 205, 304: Node ends the stream with the HEADERS frame and a body would be an error. */
  private noBody = false;
  private ending = false;
  private closed = false;
  private drainBridged = false;

  constructor(stream: ServerHttp2Stream, req: Http2StreamRequest) {
    super();
    this.stream = stream;
    this.req = req;
    // The stream's 'close' reaches `closeStreamResponse` through the server's one listener per stream.
    (stream as OwnedStream)[kResponse] = this;
  }

  /** The head was given (as on HTTP/1, before it reaches the wire). */
  get headersSent(): boolean {
    return this.head !== undefined || this.stream.headersSent;
  }

  get writableEnded(): boolean {
    return this.ending;
  }

  get finished(): boolean {
    return this.ending;
  }

  get writableFinished(): boolean {
    return this.stream.writableFinished;
  }

  get writableLength(): number {
    return this.stream.writableLength;
  }

  get writableHighWaterMark(): number {
    return this.stream.writableHighWaterMark;
  }

  get writableCorked(): number {
    return this.stream.writableCorked;
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  /** `writeHead(status, headers)`, `writeHead(status, reason, headers)`: HTTP/2 has no reason phrase. */
  writeHead(status: number, reasonOrHeaders?: string | HeadersArgument, maybeHeaders?: HeadersArgument): this {
    const stream = this.stream;
    if (this.closed || stream.destroyed || stream.closed) return this;
    if (this.headersSent) throw headersSentError();
    const given = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
    const head: OutgoingHttpHeaders = { ':status': status };
    if (Array.isArray(given)) {
      const flat = given as readonly string[];
      for (let i = 0; i + 1 < flat.length; i += 2) addField(head, flat[i] as string, flat[i + 1] as string);
    } else if (given !== undefined) {
      const fields = given as Readonly<Record<string, HeaderValue | undefined>>;
      for (const name of Object.keys(fields)) {
        const value = fields[name];
        if (value !== undefined) addField(head, name, value);
      }
    }
    this.statusCode = status;
    this.head = head;
    this.noBody = this.req.method === 'HEAD' || status === 204 || status === 205 || status === 304;
    return this;
  }

  /** Pushes the head out now (a streamed body follows). */
  flushHeaders(): void {
    if (this.closed || this.stream.headersSent) return;
    if (this.head === undefined) this.writeHead(this.statusCode);
    this.respondOpen();
  }

  write(chunk: Uint8Array | string, encoding?: BufferEncoding | ((error?: Error | null) => void), cb?: (error?: Error | null) => void): boolean {
    const stream = this.stream;
    if (this.ending) {
      this.destroy(Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' }));
      return false;
    }
    if (this.closed || stream.destroyed) return false;
    if (!stream.headersSent) this.flushHeaders();
    if (this.noBody || stream.writableEnded) return true;
    if (typeof encoding === 'function') return stream.write(chunk, encoding);
    return encoding === undefined ? stream.write(chunk, cb) : stream.write(chunk, encoding, cb);
  }

  end(chunk?: Uint8Array | string, encoding?: BufferEncoding): this {
    if (this.ending || this.closed) return this;
    this.ending = true;
    const stream = this.stream;
    // A reset stream: its 'close' reports the end.
    if (stream.destroyed || stream.closed) return this;
    const body = chunk === undefined || chunk.length === 0 ? undefined : chunk;
    if (stream.headersSent) {
      if (this.noBody || body === undefined) stream.end();
      else if (encoding === undefined) stream.end(body);
      else stream.end(body, encoding);
      return this;
    }
    if (this.head === undefined) this.writeHead(this.statusCode);
    const head = this.head as OutgoingHttpHeaders;
    if (this.noBody || (body === undefined && this.trailers === undefined)) {
      stream.respond(head, { endStream: true });
    } else if (this.trailers !== undefined) {
      this.respondOpen();
      if (body === undefined) stream.end();
      else if (encoding === undefined) stream.end(body);
      else stream.end(body, encoding);
    } else {
      // The whole body is known: HEADERS, then one DATA frame that ends the stream.
      stream.respond(head);
      if (encoding === undefined) stream.end(body);
      else stream.end(body, encoding);
    }
    return this;
  }

  /** Trailers for a streamed body (a body sent whole, or none, cannot carry them: the stream ends with it). */
  addTrailers(fields: Readonly<Record<string, HeaderValue | undefined>>): void {
    const trailers = (this.trailers ??= {});
    for (const name of Object.keys(fields)) {
      const value = fields[name];
      if (value !== undefined) addField(trailers, name, value);
    }
  }

  /** The `Expect: 100-continue` answer, as an informational HEADERS frame. */
  writeContinue(): void {
    const stream = this.stream;
    if (this.closed || stream.destroyed || stream.headersSent) return;
    stream.additionalHeaders({ ':status': 100 });
    this._sent100 = true;
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  destroy(error?: Error): void {
    if (!this.stream.destroyed) this.stream.destroy(error);
  }

  /** 'drain' comes from the stream, bridged once someone waits for it. */
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    if (event === 'drain' && !this.drainBridged) {
      this.drainBridged = true;
      this.stream.on('drain', onStreamDrain);
    }
    return super.on(event, listener);
  }

  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.on(event, listener);
  }

  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    if (event === 'drain' && !this.drainBridged) {
      this.drainBridged = true;
      this.stream.on('drain', onStreamDrain);
    }
    return super.once(event, listener);
  }

  /** HEADERS for a body still to come; only such a stream waits for trailers. */
  private respondOpen(): void {
    const stream = this.stream;
    const head = this.head as OutgoingHttpHeaders;
    if (this.noBody) {
      stream.respond(head, { endStream: true });
      return;
    }
    stream.respond(head, { waitForTrailers: true });
    stream.once('wantTrailers', onWantTrailers);
  }

  /** The stream asked for its trailers: those added, or none (Node then ends with an empty DATA frame). */
  sendTrailers(): void {
    const stream = this.stream;
    if (!stream.destroyed && !stream.closed) stream.sendTrailers(this.trailers ?? {});
  }

  /** The stream closed (finished or reset). */
  streamClosed(): void {
    this.closed = true;
    closeStreamRequest(this.stream);
    this.emit('finish');
    this.emit('close');
  }
}

/**
 * One field into a headers object: names lower-cased, repeats collected into
 * an array, `connection` dropped as Node's compat response drops it (HTTP/2
 * forbids connection-specific fields; the adapter has removed the others).
 */
function addField(into: OutgoingHttpHeaders, rawName: string, value: HeaderValue): void {
  const name = rawName.toLowerCase();
  if (name === 'connection' && value !== 'trailers') return;
  const seen = into[name];
  const values = Array.isArray(value) ? (value as readonly string[]) : undefined;
  if (seen === undefined) {
    into[name] = values !== undefined ? values.slice() : (value as string | number);
    return;
  }
  const list = Array.isArray(seen) ? (seen as string[]) : [String(seen)];
  if (values !== undefined) for (const item of values) list.push(item);
  else list.push(String(value));
  into[name] = list;
}

function headersSentError(): Error {
  return Object.assign(new Error('Response has already been initiated.'), { code: 'ERR_HTTP2_HEADERS_SENT' });
}

/** The stream of an `Http2StreamResponse` closed (finished or reset): the pair ends. */
export function closeStreamResponse(stream: ServerHttp2Stream): void {
  const res = (stream as OwnedStream)[kResponse];
  if (res === undefined) return;
  (stream as OwnedStream)[kResponse] = undefined;
  res.streamClosed();
}

function onStreamDrain(this: OwnedStream): void {
  this[kResponse]?.emit('drain');
}

function onWantTrailers(this: OwnedStream): void {
  this[kResponse]?.sendTrailers();
}
