/**
 * Response-header validation (PROTOCOL.md §3.2) and the conversions between
 * PAGI header pairs and Node's header shapes.
 */
import { InvalidEvent, describeType } from './errors.js';
import type { HeaderPair } from './types.js';

// RFC 9110 token characters: what Node itself accepts in a header name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Node rejects every control character in a value except HTAB, and anything above U+00FF.
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Checks `headers` of an event and returns a fresh array of pairs with
 * lower-cased names (the app's array is never mutated). Throws `InvalidEvent`
 * naming the event, the index and what is wrong: this is the CRLF-injection
 * guard, so nothing is stripped silently.
 */
export function validateHeaders(eventType: string, field: string, headers: unknown): HeaderPair[] {
  if (headers === undefined) return [];
  if (!Array.isArray(headers)) {
    throw new InvalidEvent(eventType, field, `must be an array of [name, value] pairs, got ${describeType(headers)}`);
  }
  const out: HeaderPair[] = new Array(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const pair: unknown = headers[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new InvalidEvent(eventType, `${field}[${i}]`, `must be a [name, value] pair, got ${describeType(pair)}`);
    }
    const name: unknown = pair[0];
    let value: unknown = pair[1];
    if (typeof name !== 'string') {
      throw new InvalidEvent(eventType, `${field}[${i}][0]`, `must be a string, got ${describeType(name)}`);
    }
    if (typeof value === 'number') value = String(value);
    if (typeof value !== 'string') {
      throw new InvalidEvent(eventType, `${field}[${i}][1]`, `must be a string, got ${describeType(value)}`);
    }
    if (!TOKEN.test(name)) {
      throw new InvalidEvent(eventType, `${field}[${i}][0]`, `is not a valid header name: ${JSON.stringify(name)}`);
    }
    if (INVALID_VALUE.test(value as string)) {
      throw new InvalidEvent(
        eventType,
        `${field}[${i}][1]`,
        `of '${name}' contains a forbidden character (CR, LF, NUL, a control character or one above U+00FF)`,
      );
    }
    out[i] = [name.toLowerCase(), value as string];
  }
  return out;
}

/**
 * Pairs from Node's `rawHeaders` (flat name/value list): names lower-cased,
 * duplicates kept in wire order, every `cookie` merged into one pair at the
 * position of the first (§3.1).
 */
export function pairsFromRawHeaders(raw: readonly string[]): HeaderPair[] {
  const out: HeaderPair[] = [];
  let cookieIndex = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      if (cookieIndex === -1) {
        cookieIndex = out.length;
        out.push(['cookie', value]);
      } else {
        const first = out[cookieIndex] as HeaderPair;
        first[1] = `${first[1]}; ${value}`;
      }
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

/** First value of a header (names compared case-insensitively), or undefined. */
export function getHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  for (const [n, v] of headers) if (n === name || n.toLowerCase() === name) return v;
  return undefined;
}

// Request headers of which Node keeps only the first value (`IncomingMessage`
// `matchKnownFields`, identical on Node 20, 22 and 24): a repeat is dropped,
// not joined, so `content-type: a` + `content-type: b` reads as `a`.
const FIRST_VALUE_WINS = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/**
 * The value `req.headers[name]` would hold for these request headers in
 * Node: the first value for the names Node de-duplicates, every value joined
 * with `'; '` for `cookie`, with `', '` otherwise (`set-cookie`, an array in
 * Node, is joined with `', '` too). `name` is compared case-insensitively;
 * `undefined` when absent.
 */
export function foldedHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let joined: string | undefined;
  for (const [n, v] of headers) {
    if (n !== wanted && n.toLowerCase() !== wanted) continue;
    if (joined === undefined) {
      joined = v;
      if (FIRST_VALUE_WINS.has(wanted)) return joined;
    } else {
      joined += wanted === 'cookie' ? `; ${v}` : `, ${v}`;
    }
  }
  return joined;
}
