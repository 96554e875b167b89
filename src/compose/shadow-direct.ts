/**
 * The primary of a shadowed exchange on the bridge's direct path (issue 11,
 * §12.1): when `shadow` is served by the adapter and the request has no body,
 * the primary's `send` carries the adapter's handover mark, so a
 * `fromExpress` primary still gets Node's own `req`/`res` — the same path, and
 * the same cost, as the primary alone. `shadow` then observes the response on
 * `res` instead of on send events: `writeHead`, `write`, `end` and
 * `addTrailers` are wrapped on the instance (own properties, as compression
 * and on-headers do, so Express's prototype swap keeps them) and reduced to
 * the events the comparison reads.
 *
 * Requests with a body keep the protocol path: on the direct path Express
 * reads `req` itself and the tee would never see the bytes the candidate needs.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { markNativeSend, nativeExchangeOf, type NativeExchange, type NativePair } from '../_internal/native-exchange.js';
import type { HeaderPair, Receive, Send } from '../protocol/types.js';
import type { NormalizedSendEvent } from '../protocol/validate.js';

/** What the observed response tells the exchange. */
export interface DirectObserver {
  /** One response event, in order: the start, then each body chunk (`more: false` last). */
  record(event: NormalizedSendEvent): void;
  /** Trailers the primary added with `res.addTrailers`, seen before its last body event. */
  trailers(headers: HeaderPair[]): void;
  /** The response closed before it finished (the client left, or it was destroyed). */
  cut(): void;
}

/**
 * Marks `primarySend` so that the bridge may take the direct path through it:
 * the handover is forwarded to the adapter's own exchange behind `upstream`
 * when the primary asks with the scope and `receive` it was given, and the
 * response is then observed. Does nothing unless `upstream` is the adapter's.
 */
export function offerDirectPrimary(
  primarySend: Send,
  upstream: Send,
  scope: unknown,
  primaryReceive: Receive,
  upstreamReceive: Receive,
  observer: DirectObserver,
): void {
  const native = nativeExchangeOf(upstream);
  if (native === undefined) return;
  const relay: NativeExchange = {
    adopt(askedScope, askedReceive): NativePair | undefined {
      if (askedScope !== scope || askedReceive !== primaryReceive) return undefined;
      const pair = native.adopt(scope, upstreamReceive);
      if (pair !== undefined) observeResponse(pair.res, observer);
      return pair;
    },
  };
  markNativeSend(primarySend, relay);
}

type WriteHead = ServerResponse['writeHead'];
type Write = ServerResponse['write'];
type End = ServerResponse['end'];
type AddTrailers = ServerResponse['addTrailers'];

const EMPTY = new Uint8Array(0);

function observeResponse(res: ServerResponse, observer: DirectObserver): void {
  const writeHead = res.writeHead;
  const write = res.write;
  const end = res.end;
  const addTrailers = res.addTrailers;
  let start: NormalizedSendEvent | undefined;
  let started = false;
  let ended = false;
  // Node calls `this.writeHead(this.statusCode)` for an implicit head, so this
  // sees every final head; 1xx heads written through writeHead are interim.
  res.writeHead = function observedWriteHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
    const result = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    if (start === undefined && this.statusCode >= 200) {
      const given = typeof args[1] === 'string' ? args[2] : args[1];
      start = { type: 'http.response.start', status: this.statusCode, headers: headHeaders(this, given), trailers: false, reason: undefined, header_names: undefined };
    }
    return result;
  } as WriteHead;
  const flushStart = (): void => {
    if (started || start === undefined) return;
    started = true;
    observer.record(start);
  };
  res.write = function observedWrite(this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const accepted = (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
    flushStart();
    if (started && !ended) observer.record({ type: 'http.response.body', kind: 'inline', body: bytesOf(chunk, encoding), more: true });
    return accepted;
  } as Write;
  res.end = function observedEnd(this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
    const result = (end as (...a: unknown[]) => ServerResponse).call(this, chunk, encoding, cb);
    flushStart();
    if (started && !ended) {
      ended = true;
      const body = typeof chunk === 'function' ? EMPTY : bytesOf(chunk, encoding);
      observer.record({ type: 'http.response.body', kind: 'inline', body, more: false });
    }
    return result;
  } as End;
  res.addTrailers = function observedAddTrailers(this: ServerResponse, headers: Parameters<AddTrailers>[0]): void {
    addTrailers.call(this, headers);
    observer.trailers(pairsOf(headers));
  } as AddTrailers;
  res.once('close', () => {
    if (!res.writableFinished) observer.cut();
  });
}

/**
 * The head's fields as the app gave them (what its send events would have
 * carried; the `Date`, `Connection` and framing lines Node adds are not the
 * app's). `writeHead(status, headers)` with no `setHeader` before it leaves
 * Node's header map empty and writes `headers` as given.
 */
function headHeaders(res: ServerResponse, given: unknown): HeaderPair[] {
  if (res.getHeaderNames().length === 0 && given !== undefined && given !== null) return pairsOf(given as OutgoingHttpHeaders);
  return pairsOf(res.getHeaders());
}

function pairsOf(headers: OutgoingHttpHeaders | ReadonlyArray<unknown>): HeaderPair[] {
  const out: HeaderPair[] = [];
  if (Array.isArray(headers)) {
    // Node takes `[[name, value], …]` and the flat `[name, value, name, value, …]`.
    if (Array.isArray(headers[0])) for (const [name, value] of headers as Array<[string, unknown]>) push(out, name, value);
    else for (let i = 0; i + 1 < headers.length; i += 2) push(out, String(headers[i]), headers[i + 1]);
    return out;
  }
  for (const name of Object.keys(headers)) push(out, name, (headers as OutgoingHttpHeaders)[name]);
  return out;
}

function push(out: HeaderPair[], name: string, value: unknown): void {
  if (value === undefined) return;
  const lower = name.toLowerCase();
  if (Array.isArray(value)) for (const v of value) out.push([lower, String(v)]);
  else out.push([lower, String(value)]);
}

function bytesOf(chunk: unknown, encoding: unknown): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  return EMPTY;
}
