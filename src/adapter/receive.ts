/**
 * `receive()` for `http` and `sse` scopes (PROTOCOL.md §4.2, §6.3, §7.5):
 * pulls the request body from the `IncomingMessage` only when the app asks,
 * so an app that does not read leaves the socket paused (TCP backpressure).
 *
 * Order: body chunks (`more: true`)*, one empty `more: false`, then pending
 * until the response is complete or the scope ends, then the disconnect event
 * forever. An abnormal end discards unread body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Extensions, HeaderPair, HTTPReceiveEvent, SSEReceiveEvent } from '../protocol/types.js';

type BodyEvent = HTTPReceiveEvent | SSEReceiveEvent;

/** What the reader needs to know about the rest of the exchange. */
export interface ReaderHost {
  /** The disconnect event when the scope is over for reading purposes, else undefined. */
  endEvent(bodyDone: boolean): BodyEvent | undefined;
  /** Called when the body crossed `maxBodySize`; the host ends the scope. */
  bodyTooLarge(received: number): void;
}

const EMPTY = Buffer.alloc(0);
const kReader = Symbol('pagi.bodyReader');

type ReadableRequest = IncomingMessage & { [kReader]?: BodyReader };
/** The parts of node:http2's stream the reader looks at (the compat request carries it as `stream`). */
interface Http2StreamLike {
  readonly endAfterHeaders: boolean;
  readonly _readableState: { ended: boolean };
  once(event: 'aborted', listener: () => void): unknown;
}
type Http2Request = IncomingMessage & { stream?: Http2StreamLike };
// Node's private 100-continue bookkeeping on ServerResponse (lib/_http_server.js):
// `_expect_continue` is set for `Expect: 100-continue` requests, `_sent100` once
// the interim response went out (automatically when the server has no
// 'checkContinue' listener).
type ContinueResponse = ServerResponse & { _expect_continue?: boolean; _sent100?: boolean };

export class BodyReader {
  /** The final (`more: false`) body event has been handed out. */
  bodyDone = false;
  private received = 0;
  private waiters: Array<(event: BodyEvent) => void> | undefined;
  private listening = false;
  private continueChecked = false;
  private pumping = false;
  private replayed: Buffer | undefined;
  private sawEnd = false;
  private sawClose = false;
  /** HTTP/2: the client reset the stream before its END_STREAM (see `watchReset`). */
  private cutByReset = false;
  private readonly req: ReadableRequest;
  private readonly res: ContinueResponse;
  private readonly host: ReaderHost;
  private readonly requestType: 'http.request' | 'sse.request';
  private readonly maxBodySize: number;
  private readonly extensions: Extensions | undefined;

  /** `extensions`: the scope's, read once the body ends (`request_trailers`, `header_case`). */
  constructor(req: IncomingMessage, res: ServerResponse, host: ReaderHost, sse: boolean, maxBodySize: number, extensions?: Extensions) {
    this.req = req;
    this.extensions = extensions;
    this.res = res;
    this.host = host;
    this.requestType = sse ? 'sse.request' : 'http.request';
    this.maxBodySize = maxBodySize;
    const stream = (req as Http2Request).stream;
    if (stream !== undefined && !stream.endAfterHeaders) this.watchReset(stream);
  }

  /**
   * HTTP/2: when the client resets a stream, Node ends the compat request
   * (and reports it `complete`) as if the body were whole. The stream's
   * 'aborted' comes before that end: if no END_STREAM had arrived by then,
   * the body was cut, and the reader answers the disconnect, never `more: false`.
   * (A stream whose HEADERS ended it has no body to cut.)
   */
  private watchReset(stream: Http2StreamLike): void {
    stream.once('aborted', () => {
      // `_readableState.ended`: the end of the stream was pushed (END_STREAM received).
      if (!stream._readableState.ended) this.cutByReset = true;
    });
  }

  /** Nobody has called `receive()` yet (every call either checks 100-continue or ends the body). */
  get untouched(): boolean {
    return !this.continueChecked && !this.bodyDone && this.waiters === undefined && this.replayed === undefined;
  }

  /** The app's `receive()`. Never rejects. */
  receive(): Promise<BodyEvent> {
    if (this.waiters === undefined) {
      const event = this.next();
      if (event !== undefined) return Promise.resolve(event);
    }
    return new Promise<BodyEvent>((resolve) => {
      (this.waiters ??= []).push(resolve);
      this.waitForData();
    });
  }

  /** Serves waiting `receive()` calls in call order; called whenever something changed. */
  pump(): void {
    // next() can end the scope (body limit), which pumps again from inside: let the outer loop finish.
    if (this.pumping) return;
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.pumping = true;
    try {
      while (waiters.length > 0) {
        const event = this.next();
        if (event === undefined) return;
        (waiters.shift() as (event: BodyEvent) => void)(event);
      }
      this.waiters = undefined;
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Stops reading for good: unread body is discarded (Node keeps parsing the
   * connection only once the body is consumed) and the listener is removed.
   */
  discardRest(): void {
    this.stopReading();
    if (!this.bodyDone && !this.req.destroyed && !this.req.readableEnded) this.req.resume();
  }

  /**
   * Serves `body` as the whole request body instead of reading the stream
   * (toExpress, when earlier middleware already consumed it).
   */
  replay(body: Buffer): void {
    this.replayed = body;
  }

  private next(): BodyEvent | undefined {
    const end = this.host.endEvent(this.bodyDone);
    if (end !== undefined) return end;
    if (this.bodyDone) return undefined;
    if (this.replayed !== undefined) {
      this.bodyDone = true;
      return { type: this.requestType, body: this.replayed, more: false };
    }
    if (!this.continueChecked) this.sendContinue();
    const req = this.req;
    const chunk = req.read() as Buffer | null;
    if (chunk !== null) {
      if (this.maxBodySize > 0) {
        this.received += chunk.length;
        if (this.received > this.maxBodySize) {
          this.host.bodyTooLarge(this.received);
          return this.host.endEvent(false);
        }
      }
      return { type: this.requestType, body: chunk, more: true };
    }
    // `complete` is HTTP/1's "the parser saw the end"; HTTP/2's compat request only
    // ends after a read, which the 'end' listener records.
    if ((req.complete || this.sawEnd) && req.readableLength === 0 && !this.cutByReset) {
      this.bodyDone = true;
      this.stopReading();
      const raw = req.rawTrailers;
      if (raw.length > 0 && this.extensions?.request_trailers !== undefined && this.requestType === 'http.request') {
        return this.extensions.header_case === undefined
          ? { type: 'http.request', body: EMPTY, more: false, trailers: trailerPairs(raw) }
          : { type: 'http.request', body: EMPTY, more: false, trailers: trailerPairs(raw), raw_trailers: raw };
      }
      return { type: this.requestType, body: EMPTY, more: false };
    }
    // The stream died without its end (client gone): once the host has recorded
    // the outcome, that is the answer.
    if (this.sawClose) return this.host.endEvent(true);
    return undefined;
  }

  /** `Expect: 100-continue`: the interim response goes out when the app first reads the body. */
  private sendContinue(): void {
    this.continueChecked = true;
    const res = this.res;
    if (res._expect_continue === true && res._sent100 !== true && !res.headersSent) res.writeContinue();
  }

  private waitForData(): void {
    if (this.listening || this.bodyDone) return;
    this.listening = true;
    this.req[kReader] = this;
    this.req.on('readable', onRequestReadable);
    this.req.on('end', onRequestEnd);
    this.req.on('close', onRequestClose);
  }

  /** The request stream emitted `'close'`. */
  closed(): void {
    this.sawClose = true;
    this.pump();
  }

  /** The request stream emitted `'end'`. */
  ended(): void {
    this.sawEnd = true;
    this.pump();
  }

  /** Removes the `'readable'` listener (the response closed, or the body is done). */
  stopReading(): void {
    if (!this.listening) return;
    this.listening = false;
    this.req.removeListener('readable', onRequestReadable);
    this.req.removeListener('end', onRequestEnd);
    this.req.removeListener('close', onRequestClose);
  }
}

/** Node's flat `rawTrailers` (filled before 'end') → pairs with lower-case names, in wire order. */
function trailerPairs(raw: readonly string[]): HeaderPair[] {
  const out: HeaderPair[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([(raw[i] as string).toLowerCase(), raw[i + 1] as string]);
  return out;
}

function onRequestReadable(this: ReadableRequest): void {
  this[kReader]?.pump();
}

function onRequestEnd(this: ReadableRequest): void {
  this[kReader]?.ended();
}

function onRequestClose(this: ReadableRequest): void {
  this[kReader]?.closed();
}
