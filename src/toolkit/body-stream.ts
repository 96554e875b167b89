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
import type { HTTPScope, ReceiveEvent, SSEScope, Scope } from '../protocol/types.js';
import { BodyAlreadyRead, HttpError } from './errors.js';

/** Scopes that carry a request body. */
export type BodyScope = HTTPScope | SSEScope;

/** Any `receive` of a body scope (`Receive`, `ReceiveFor<'http'>`, `ReceiveFor<'sse'>`). */
export type BodyReceive = () => Promise<ReceiveEvent>;

/** Default body limit of the buffering readers: 100 KiB, as body-parser. */
export const DEFAULT_BODY_LIMIT = 100 * 1024;

const taken = new WeakMap<BodyReceive, Promise<Buffer> | 'stream'>();

/** Throws unless `scope` can carry a body. */
export function assertBodyScope(scope: Scope, reader: string): asserts scope is BodyScope {
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

/** The 413 of a body over `limit`. */
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
  const reading = collect(scope, receive, limit);
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
 * Fails before anything is read when the declared `content-length` is above
 * `limit`. Node refuses a request whose content-length is not a number (or
 * that also has transfer-encoding), so a plain digit string is all there is.
 */
function checkDeclaredLength(scope: BodyScope, limit: number): void {
  const declared = foldedHeader(scope.headers, 'content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge(limit);
}

/**
 * The body chunk `event` carries (`more` false on the last one), or the
 * error it means: the client leaving mid-body rejects with `Disconnected`,
 * which servers treat as a normal end; anything but a body event is a bug.
 */
function bodyEventOf(scope: BodyScope, event: ReceiveEvent): { body: Uint8Array; more: boolean } {
  if (event.type === (scope.type === 'sse' ? 'sse.request' : 'http.request')) return event as { body: Uint8Array; more: boolean };
  if (event.type === 'http.disconnect' || event.type === 'sse.disconnect') {
    throw new Disconnected((event as { reason?: string }).reason ?? 'client_closed');
  }
  throw new TypeError(`body reader: unexpected '${event.type}' event while reading the body of an '${scope.type}' scope`);
}

/**
 * Yields the body's chunks as they arrive (empty ones skipped). A body that
 * grows past `limit` fails at the chunk that crosses it, a declared
 * `content-length` above it before anything is read.
 */
export async function* bodyChunks(scope: BodyScope, receive: BodyReceive, limit: number): AsyncGenerator<Uint8Array> {
  checkDeclaredLength(scope, limit);
  let total = 0;
  for (;;) {
    const { body, more } = bodyEventOf(scope, await receive());
    total += body.length;
    if (total > limit) throw tooLarge(limit);
    if (body.length > 0) yield body;
    if (!more) return;
  }
}

/**
 * The whole body in one `Buffer`; a single chunk is wrapped, not copied.
 * The same rules as `bodyChunks`, in one loop: this is every buffered
 * reader's path, so no generator or per-chunk promise of its own.
 */
async function collect(scope: BodyScope, receive: BodyReceive, limit: number): Promise<Buffer> {
  checkDeclaredLength(scope, limit);
  let first: Uint8Array | undefined;
  let parts: Uint8Array[] | undefined;
  let length = 0;
  for (;;) {
    const { body, more } = bodyEventOf(scope, await receive());
    length += body.length;
    if (length > limit) throw tooLarge(limit);
    if (body.length > 0) {
      if (first === undefined) first = body;
      else (parts ??= [first]).push(body);
    }
    if (!more) break;
  }
  if (parts !== undefined) return Buffer.concat(parts, length);
  if (first === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(first) ? first : Buffer.from(first.buffer, first.byteOffset, first.byteLength);
}
