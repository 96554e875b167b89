/**
 * The request body as a stream of chunks pulled from `receive()`, for `http`
 * and `sse` scopes (`http.request` / `sse.request` events, PROTOCOL.md §4.2,
 * §6.3), with a byte limit enforced before and while reading.
 *
 * A body can be read once. Which reader took it is remembered per `receive`
 * function (the body belongs to it: `mount` copies the scope but passes the
 * same `receive`), so a second buffered read gets the same bytes and a read
 * after a streamed one fails loudly instead of waiting forever on a
 * `receive()` that has no more body to give (§1 item 4).
 */
import { Disconnected, UnsupportedScope } from '../protocol/errors.js';
import { foldedHeader } from '../protocol/headers.js';
import type { ConnectionScope, HTTPScope, ReceiveEvent, SSEScope } from '../protocol/types.js';
import { BodyAlreadyRead, HttpError } from './errors.js';

/** Scopes that carry a request body. */
export type BodyScope = HTTPScope | SSEScope;

/** Any `receive` of a body scope (`Receive`, `ReceiveFor<'http'>`, `ReceiveFor<'sse'>`). */
export type BodyReceive = () => Promise<ReceiveEvent>;

/** Default body limit of the buffering readers: 100 KiB, as body-parser. */
export const DEFAULT_BODY_LIMIT = 100 * 1024;

const taken = new WeakMap<BodyReceive, Promise<Buffer> | 'stream'>();

/** Throws unless `scope` can carry a body. */
export function assertBodyScope(scope: ConnectionScope | { type: string }, reader: string): asserts scope is BodyScope {
  if (scope.type !== 'http' && scope.type !== 'sse') throw new UnsupportedScope(scope.type, reader);
}

/** The limit as given, checked: a non-negative number of bytes (`Infinity` = none). */
export function checkLimit(limit: number | undefined, fallback: number, reader: string): number {
  const value = limit ?? fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`${reader}: limit must be a non-negative number of bytes, got ${String(limit)}`);
  }
  return value;
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is larger than ${limit} bytes`);
}

/**
 * The whole body, buffered (at most `limit` bytes, else a 413 `HttpError`).
 * Called again for the same `receive`, it returns the same bytes.
 */
export function bufferBody(scope: BodyScope, receive: BodyReceive, limit: number, reader: string): Promise<Buffer> {
  const previous = taken.get(receive);
  if (previous === 'stream') return Promise.reject(new BodyAlreadyRead(reader));
  if (previous !== undefined) {
    return previous.then((bytes) => {
      if (bytes.length > limit) throw tooLarge(limit);
      return bytes;
    });
  }
  const reading = collect(bodyChunks(scope, receive, limit));
  taken.set(receive, reading);
  return reading;
}

/** Throws `BodyAlreadyRead` if any reader had the body before. */
export function assertBodyUnread(receive: BodyReceive, reader: string): void {
  if (taken.has(receive)) throw new BodyAlreadyRead(reader);
}

/** Claims the body for a streaming reader; throws if any reader had it before. */
export function claimBodyStream(receive: BodyReceive, reader: string): void {
  assertBodyUnread(receive, reader);
  taken.set(receive, 'stream');
}

/**
 * Yields the body's chunks as they arrive. A declared `content-length` above
 * `limit` fails before anything is read; a body that grows past it fails at
 * the chunk that crosses it. The client leaving mid-body rejects with
 * `Disconnected`, which servers treat as a normal end.
 */
export async function* bodyChunks(scope: BodyScope, receive: BodyReceive, limit: number): AsyncGenerator<Uint8Array> {
  // Node refuses a request whose content-length is not a number (or that also
  // has transfer-encoding), so a plain digit string is all there is to read.
  const declared = foldedHeader(scope.headers, 'content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge(limit);
  const bodyEvent = scope.type === 'sse' ? 'sse.request' : 'http.request';
  let total = 0;
  for (;;) {
    const event = await receive();
    if (event.type === bodyEvent) {
      const { body, more } = event as { body: Uint8Array; more: boolean };
      total += body.length;
      if (total > limit) throw tooLarge(limit);
      if (body.length > 0) yield body;
      if (!more) return;
    } else if (event.type === 'http.disconnect' || event.type === 'sse.disconnect') {
      throw new Disconnected((event as { reason?: string }).reason ?? 'client_closed');
    } else {
      throw new TypeError(`body reader: unexpected '${event.type}' event while reading the body of an '${scope.type}' scope`);
    }
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
  }
  return parts.length === 1 ? Buffer.from(parts[0] as Uint8Array) : Buffer.concat(parts, length);
}
