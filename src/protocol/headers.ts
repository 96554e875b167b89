/**
 * Response-header validation (PROTOCOL.md §3.2) and the conversions between
 * PAGI header pairs and Node's header shapes.
 */
import { InvalidEvent, describeType } from './errors.js';
import type { HeaderPair } from './types.js';

/** RFC 9110 token characters: what Node itself accepts in a header name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Node's `checkInvalidHeaderChar`: every control character except HTAB, and
 * anything above U+00FF, is refused in a header value (and in a status line's
 * reason phrase, which `writeHead` checks the same way).
 */
export const INVALID_FIELD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

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
    if (INVALID_FIELD_CHAR.test(value as string)) {
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

// RFC 9110 §8.6: Content-Length = 1*DIGIT. A list of equal values ("5, 5") is a duplicate that a
// proxy combined, which recipients may collapse (§8.6, RFC 9112 §6.3 rule 5).
const DECIMAL = /^[0-9]+$/;

/**
 * The framing rule of a response head (RFC 9112 §6.3): one message, one
 * length. `content-length` must be a decimal byte count; several
 * `content-length` fields (or a list in one) must all agree, and are then
 * collapsed into one field, since a sender must not generate a singleton
 * field twice (RFC 9110 §5.3); `content-length` next to `transfer-encoding`
 * is a conflict. Conflicts throw `InvalidEvent` naming the event and the
 * header index: what would reach the wire is a response two parsers can
 * frame differently (response splitting). Returns `headers` itself unless
 * duplicates were collapsed. Expects names already lower-cased.
 */
export function checkFraming(eventType: string, headers: HeaderPair[]): HeaderPair[] {
  let length: string | undefined;
  let lengthAt = -1;
  let encodingAt = -1;
  let duplicates = false;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i] as HeaderPair;
    if (name === 'transfer-encoding') {
      if (encodingAt === -1) encodingAt = i;
      continue;
    }
    if (name !== 'content-length') continue;
    const own = singleLength(eventType, i, value);
    if (length === undefined) {
      length = own;
      lengthAt = i;
      if (own !== value) duplicates = true;
    } else if (own === length) {
      duplicates = true;
    } else {
      throw new InvalidEvent(
        eventType,
        `headers[${i}][1]`,
        `is a second content-length (${JSON.stringify(value)}) that disagrees with headers[${lengthAt}] (${JSON.stringify(length)})`,
      );
    }
  }
  if (lengthAt !== -1 && encodingAt !== -1) {
    throw new InvalidEvent(
      eventType,
      `headers[${Math.max(lengthAt, encodingAt)}][0]`,
      `conflicts with headers[${Math.min(lengthAt, encodingAt)}]: content-length and transfer-encoding must not be sent together (RFC 9112 §6.3)`,
    );
  }
  if (!duplicates) return headers;
  const out: HeaderPair[] = [];
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as HeaderPair;
    if (i === lengthAt) out.push(['content-length', length as string]);
    else if (pair[0] !== 'content-length') out.push(pair);
  }
  return out;
}

/** The one decimal value of a `content-length` field (`"5"`, or `"5, 5"` collapsed). */
function singleLength(eventType: string, index: number, value: string): string {
  const trimmed = value.trim();
  if (DECIMAL.test(trimmed)) return trimmed;
  const parts = trimmed.split(',').map((part) => part.trim());
  const first = parts[0] as string;
  if (DECIMAL.test(first) && parts.every((part) => DECIMAL.test(part))) {
    if (parts.every((part) => part === first)) return first;
    throw new InvalidEvent(eventType, `headers[${index}][1]`, `lists different content-length values (${JSON.stringify(value)})`);
  }
  throw new InvalidEvent(eventType, `headers[${index}][1]`, `of 'content-length' must be a decimal byte count, got ${JSON.stringify(value)}`);
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
    cookieIndex = pushRequestPair(out, (raw[i] as string).toLowerCase(), raw[i + 1] as string, cookieIndex);
  }
  return out;
}

/**
 * Appends one lower-cased request field to `out`, merging a repeated `cookie`
 * into the pair at `cookieIndex` (§3.1). Returns the cookie pair's index (-1: none yet).
 */
export function pushRequestPair(out: HeaderPair[], name: string, value: string, cookieIndex: number): number {
  if (name !== 'cookie') {
    out.push([name, value]);
    return cookieIndex;
  }
  if (cookieIndex === -1) {
    out.push(['cookie', value]);
    return out.length - 1;
  }
  const first = out[cookieIndex] as HeaderPair;
  first[1] = `${first[1]}; ${value}`;
  return cookieIndex;
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
