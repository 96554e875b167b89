/**
 * Response helpers over `send`: each sends one complete response (start and
 * the terminal body) with `content-type` and `content-length` set, since the
 * whole body is known. They accept any `send` that takes `http.response.*`
 * events, so they also answer (refuse) `sse` and `websocket` scopes (§5.3,
 * §6.4).
 */
import { serialize, type SerializeOptions } from 'cookie';
import type { HTTPResponseEvent, HeaderPair, HeadersInput } from '../protocol/types.js';
import { InvalidCookie, statusText } from './errors.js';
import { failedSteps, sendEvents } from './send-steps.js';

/** A `send` that takes the `http.response.*` events (`Send`, `SendFor<'http' | 'sse' | 'websocket'>`). */
export type ResponseSend = (event: HTTPResponseEvent) => Promise<void>;

/**
 * Extra response headers: pairs (`[['cache-control', 'no-store']]`, repeats
 * allowed, e.g. several `set-cookie`) or a record (`{ 'cache-control':
 * 'no-store', 'set-cookie': [a, b] }`). They replace the helper's own header
 * of the same name (`content-type`); `content-length` is always computed.
 */
export type ResponseHeaders = HeadersInput | Readonly<Record<string, string | number | readonly string[]>>;

/**
 * Sends `body` as a complete response with the given `content-type`. Like
 * every helper here, its promise relays the server's: left unawaited, a send
 * that fails is reported by the server, never an unhandled rejection.
 */
export function sendBody(
  send: ResponseSend,
  status: number,
  body: string | Uint8Array,
  contentType: string,
  headers?: ResponseHeaders,
): Promise<void> {
  let start: HTTPResponseEvent;
  let bytes: string | Uint8Array;
  try {
    // 204 and 304 have no body and no content-length (RFC 9110 §8.6); a 304 keeps its validators only.
    if (status === 204 || status === 304) {
      start = { type: 'http.response.start', status, headers: mergeHeaders([], headers, true) };
      bytes = EMPTY;
    } else {
      bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const length = String(bytes.length);
      let merged: ResponseHeaderList;
      if (headers === undefined) {
        merged = [
          ['content-type', contentType],
          ['content-length', length],
        ];
      } else {
        merged = mergeHeaders([['content-type', contentType]], headers, true);
        merged.push(['content-length', length]);
      }
      start = { type: 'http.response.start', status, headers: merged };
    }
  } catch (error) {
    // Malformed extra headers: rejected like a refused send, never a synchronous throw.
    return failedSteps(error, 'a response helper');
  }
  return sendEvents<HTTPResponseEvent>(send, [start, { type: 'http.response.body', body: bytes }]);
}

/**
 * Sends `value` as JSON (`application/json; charset=utf-8`, as Express's
 * `res.json`). A value JSON cannot represent (`undefined`, a function) is a
 * `TypeError`, never an empty body.
 */
export function sendJson(send: ResponseSend, status: number, value: unknown, headers?: ResponseHeaders): Promise<void> {
  let body: string | undefined;
  try {
    body = JSON.stringify(value);
  } catch (error) {
    // A BigInt or a cycle: rejected, as the async helper it replaces would.
    return failedSteps(error, 'sendJson');
  }
  if (body === undefined) return failedSteps(new TypeError(`sendJson: ${typeof value} cannot be sent as JSON`), 'sendJson');
  return sendBody(send, status, body, 'application/json; charset=utf-8', headers);
}

/** Sends `text` as `text/plain; charset=utf-8`. */
export function sendText(send: ResponseSend, status: number, text: string, headers?: ResponseHeaders): Promise<void> {
  return sendBody(send, status, text, 'text/plain; charset=utf-8', headers);
}

/** Sends `html` as `text/html; charset=utf-8`. */
export function sendHtml(send: ResponseSend, status: number, html: string, headers?: ResponseHeaders): Promise<void> {
  return sendBody(send, status, html, 'text/html; charset=utf-8', headers);
}

/**
 * Redirects to `location` (default `302 Found`) with a short text body, as
 * Express's `res.redirect` does for non-HTML clients (Express also offers an
 * HTML body to browsers and adds `Vary: Accept`; this body never varies). The location is
 * percent-encoded where it holds characters a URL cannot (spaces, CR/LF,
 * non-ASCII), keeping existing escapes, so it cannot split the header.
 */
export function redirect(send: ResponseSend, location: string, status = 302, headers?: ResponseHeaders): Promise<void> {
  if (!Number.isInteger(status) || status < 300 || status > 399) {
    return failedSteps(new RangeError(`redirect: status must be 3xx, got ${String(status)}`), 'redirect');
  }
  const encoded = encodeUrl(location);
  const extra = mergeHeaders([['location', encoded]], headers, true);
  return sendBody(send, status, `${statusText(status)}. Redirecting to ${encoded}`, 'text/plain; charset=utf-8', extra);
}

/** Options of `setCookie`: those of the `cookie` package's serializer (`maxAge` in seconds). */
export type CookieOptions = SerializeOptions;

/**
 * A `set-cookie` header pair for `name=value`, serialised by the `cookie`
 * package (`value` percent-encoded unless `encode` says otherwise), to pass
 * among a response's headers:
 *
 * ```ts
 * await sendJson(send, 200, user, [setCookie('sid', id, { httpOnly: true, sameSite: 'lax' })]);
 * ```
 *
 * A name, value, domain, path or option that could break the header (CR, LF,
 * `;`, control characters) throws `InvalidCookie` instead of being sent.
 */
export function setCookie(name: string, value: string, options?: CookieOptions): HeaderPair {
  try {
    return ['set-cookie', serialize(name, value, options)];
  } catch (error) {
    // The cookie package quotes the offending text; escape it so the message cannot carry CR/LF into a log line.
    throw new InvalidCookie(printable(`setCookie '${name}': ${(error as Error).message}`), { cause: error });
  }
}

const EMPTY = new Uint8Array(0);

/** Response headers as the helpers build them (pairs may be the caller's own, never mutated). */
export type ResponseHeaderList = Array<readonly [string, string]>;

/**
 * `own` pairs with `extra` applied: an extra name replaces every own pair of
 * that name; repeats within `extra` are kept; `content-length` from `extra`
 * is dropped when the helper computes it.
 */
export function mergeHeaders(own: HeadersInput, extra: ResponseHeaders | undefined, dropLength: boolean): ResponseHeaderList {
  if (extra === undefined) return own.slice();
  const added = headerPairs(extra);
  const out: ResponseHeaderList = [];
  // `own` is a helper's few headers: a scan of `added` per own header beats building a Set.
  for (const pair of own) if (!(hasName(added, pair[0]) && !(dropLength && pair[0] === 'content-length'))) out.push(pair);
  for (const pair of added) if (!(dropLength && pair[0] === 'content-length')) out.push(pair);
  return out;
}

function hasName(pairs: HeadersInput, name: string): boolean {
  for (const pair of pairs) if (pair[0] === name) return true;
  return false;
}

/** `ResponseHeaders` as pairs with lower-case names (values are checked by the server, §3.2). */
export function headerPairs(headers: ResponseHeaders): ResponseHeaderList {
  const out: ResponseHeaderList = [];
  if (isPairs(headers)) {
    // A pair already in lower case is passed on as it is (pairs are read-only, §3.2).
    for (const pair of headers) {
      const lower = pair[0].toLowerCase();
      out.push(lower === pair[0] ? pair : [lower, pair[1]]);
    }
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (Array.isArray(value)) for (const item of value as readonly string[]) out.push([lower, String(item)]);
    else out.push([lower, String(value)]);
  }
  return out;
}

function isPairs(headers: ResponseHeaders): headers is HeadersInput {
  return Array.isArray(headers);
}

// What `encodeurl` (Express's `res.location`) keeps: URL code points and
// valid escapes. Runs of anything else, a lone `%` included, go through encodeURI.
const UNSAFE = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?![0-9A-Fa-f]{2}))+/g;

/** Percent-encodes what a URL cannot hold, keeping escapes that are already there. */
export function encodeUrl(url: string): string {
  // A UTF-8 round trip replaces lone surrogates, on which encodeURI would throw.
  return Buffer.from(url, 'utf8').toString('utf8').replace(UNSAFE, (run) => encodeURI(run));
}

function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
