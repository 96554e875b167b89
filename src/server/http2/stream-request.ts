/**
 * The request side of an HTTP/2 stream, shaped as the adapter reads an
 * `IncomingMessage` (method, url, headers, rawHeaders, socket, the body's
 * `read()`/'readable'/'end', trailers), with the stream itself as the body.
 *
 * Node's compat `Http2ServerRequest` is a second Readable in front of the
 * stream: building it, piping every chunk through it and the listeners it
 * adds cost a bodiless GET more than the whole PAGI exchange does. Here
 * nothing is built for a body until the app reads one.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';

const kRequest = Symbol('pagi.http2Request');
// Most requests have no trailers: one shared empty value each until some arrive.
const NO_TRAILERS: readonly string[] = Object.freeze([]);
const NO_TRAILER_FIELDS: IncomingHttpHeaders = Object.freeze({});
type OwnedStream = ServerHttp2Stream & { [kRequest]?: Http2StreamRequest | undefined };

export class Http2StreamRequest extends EventEmitter {
  readonly stream: ServerHttp2Stream;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly method: string;
  readonly url: string;
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;
  /** The connection's own socket (one per session), not a per-request proxy of it. */
  readonly socket: Socket;
  /** The stream's trailing HEADERS, as Node's flat name/value list (set before 'end'). */
  rawTrailers: readonly string[] = NO_TRAILERS;
  trailers: IncomingHttpHeaders = NO_TRAILER_FIELDS;
  private bodyEventsBridged = false;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[], socket: Socket) {
    super();
    this.stream = stream;
    this.headers = headers;
    this.rawHeaders = rawHeaders;
    this.method = headers[':method'] as string;
    this.url = (headers[':path'] as string | undefined) ?? '';
    this.socket = socket;
    (stream as OwnedStream)[kRequest] = this;
    // Trailers arrive whether or not anyone reads: listen from the start, but only when a body can follow.
    if (!stream.endAfterHeaders) stream.on('trailers', onStreamTrailers);
  }

  /** The body ended (END_STREAM) and was read to its end. */
  get complete(): boolean {
    return this.stream.readableEnded;
  }

  get readableEnded(): boolean {
    return this.stream.readableEnded;
  }

  get readableLength(): number {
    return this.stream.readableLength;
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  read(size?: number): Buffer | null {
    return this.stream.read(size) as Buffer | null;
  }

  /**
   * Discards unread body (the adapter resumes when the app leaves some). A
   * request whose HEADERS ended the stream has none, and must not be made
   * to flow: Node destroys a stream whose readable side has ended as soon as
   * nghttp2 closes it, even while the last DATA write is still being
   * acknowledged, and that path builds an ERR_STREAM_DESTROYED per response
   * (about 3 µs each on Node 24) that nothing reads. Left alone, Node ends
   * the readable side itself after the close, once the write is done.
   */
  resume(): this {
    if (!this.stream.endAfterHeaders) this.stream.resume();
    return this;
  }

  pause(): this {
    this.stream.pause();
    return this;
  }

  /** 'readable' and 'end' come from the stream, bridged once someone listens for them. */
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    if ((event === 'readable' || event === 'end') && !this.bodyEventsBridged) this.bridgeBodyEvents();
    return super.on(event, listener);
  }

  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.on(event, listener);
  }

  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    if ((event === 'readable' || event === 'end') && !this.bodyEventsBridged) this.bridgeBodyEvents();
    return super.once(event, listener);
  }

  setTimeout(msecs: number, callback?: () => void): this {
    this.stream.setTimeout(msecs, callback);
    return this;
  }

  private bridgeBodyEvents(): void {
    this.bodyEventsBridged = true;
    const stream = this.stream;
    stream.on('readable', onStreamReadable);
    stream.on('end', onStreamEnd);
  }
}

/** The stream closed (its response's 'close' listener calls this): the request ends as Node's compat one does. */
export function closeStreamRequest(stream: ServerHttp2Stream): void {
  const req = (stream as OwnedStream)[kRequest];
  if (req === undefined) return;
  (stream as OwnedStream)[kRequest] = undefined;
  req.emit('close');
}

function onStreamTrailers(this: OwnedStream, trailers: IncomingHttpHeaders, _flags: number, raw: string[]): void {
  const req = this[kRequest];
  if (req === undefined) return;
  req.trailers = trailers;
  req.rawTrailers = raw;
}

function onStreamReadable(this: OwnedStream): void {
  this[kRequest]?.emit('readable');
}

function onStreamEnd(this: OwnedStream): void {
  this[kRequest]?.emit('end');
}
