/**
 * Scope construction for the test client (PROTOCOL.md §3, §4.1, §5.1, §6).
 * Pure functions of the request description, tested with literal inputs.
 */
import { splitTarget as splitRequestTarget } from '../protocol/paths.js';
import type { HeaderPair } from '../protocol/types.js';

/** Request headers as a record (arrays repeat a name) or as pairs. */
export type HeadersInit = Readonly<Record<string, string | readonly string[]>> | ReadonlyArray<readonly [string, string]>;

/** A query as a raw string (no `?`), a record, or `URLSearchParams`. */
export type QueryInit =
  | string
  | URLSearchParams
  | Readonly<Record<string, string | number | boolean | ReadonlyArray<string | number | boolean>>>;

/**
 * Splits a request target into `raw_path` and `query_string` as the server
 * does (an absolute-form `http://host/p` keeps only `/p`; `#` and `\` stay,
 * as a raw socket would send them). Characters a client would have to escape
 * (non-ASCII, spaces) are percent-encoded, as `fetch` does; existing escapes
 * are kept. A `query` is appended after any query already in the target.
 */
export function splitTarget(target: string, query?: QueryInit): { raw_path: string; query_string: string } {
  const split = splitRequestTarget(target);
  const rawPath = escapeTarget(split.rawPath) || '/';
  let queryString = escapeTarget(split.queryString);
  const extra = query === undefined ? '' : encodeQuery(query);
  if (extra) queryString = queryString ? `${queryString}&${extra}` : extra;
  return { raw_path: rawPath.startsWith('/') || rawPath === '*' ? rawPath : `/${rawPath}`, query_string: queryString };
}

function escapeTarget(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
}

function encodeQuery(query: QueryInit): string {
  if (typeof query === 'string') return escapeTarget(query.startsWith('?') ? query.slice(1) : query);
  if (query instanceof URLSearchParams) return query.toString();
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values as ReadonlyArray<string | number | boolean>) params.append(name, String(v));
  }
  return params.toString();
}

/**
 * Header pairs: names lower-cased, duplicates kept in order, every `cookie`
 * merged into one pair at the position of the first (§3.1). Later sources
 * replace earlier ones name by name (defaults < per-request headers).
 */
export function buildHeaders(...sources: Array<HeadersInit | undefined>): HeaderPair[] {
  const pairs = mergeSources(sources, true);
  const out: HeaderPair[] = [];
  let cookie = -1;
  for (const [name, value] of pairs) {
    if (name === 'cookie' && cookie !== -1) {
      const first = out[cookie] as HeaderPair;
      first[1] = `${first[1]}; ${value}`;
      continue;
    }
    if (name === 'cookie') cookie = out.length;
    out.push([name, value]);
  }
  return out;
}

/**
 * The same headers as `buildHeaders`, as a client would have put them on the
 * wire: Node's flat `[name, value, …]` list (`header_case`'s `raw_headers`),
 * names as the test spelled them, repeated `Cookie` headers kept separate.
 */
export function buildRawHeaders(...sources: Array<HeadersInit | undefined>): string[] {
  return mergeSources(sources, false).flat();
}

/** Later sources replace earlier ones by name (ignoring case); names lower-cased when `lower`. */
function mergeSources(sources: ReadonlyArray<HeadersInit | undefined>, lower: boolean): HeaderPair[] {
  let pairs: HeaderPair[] = [];
  for (const source of sources) {
    if (!source) continue;
    const incoming = toPairs(source, lower);
    const replaced = new Set(incoming.map(([name]) => name.toLowerCase()));
    pairs = pairs.filter(([name]) => !replaced.has(name.toLowerCase())).concat(incoming);
  }
  return pairs;
}

function toPairs(source: HeadersInit, lower: boolean): HeaderPair[] {
  const spell = lower ? (name: string) => name.toLowerCase() : (name: string) => name;
  if (Array.isArray(source)) {
    return (source as ReadonlyArray<readonly [string, string]>).map(([n, v]) => [spell(n), String(v)]);
  }
  const out: HeaderPair[] = [];
  for (const [name, value] of Object.entries(source as Record<string, string | readonly string[]>)) {
    const values = Array.isArray(value) ? value : [value as string];
    for (const v of values) out.push([spell(name), String(v)]);
  }
  return out;
}

/**
 * §6.1: `sse` when the combined `Accept` headers list exactly
 * `text/event-stream` with q > 0 (`*\/*` and `text/*` never count).
 */
export function acceptsEventStream(headers: ReadonlyArray<readonly [string, string]>): boolean {
  const accept = headers
    .filter(([name]) => name === 'accept')
    .map(([, value]) => value)
    .join(',');
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim());
    if (type.toLowerCase() !== 'text/event-stream') continue;
    const q = params.find((p) => /^q\s*=/i.test(p));
    if (q === undefined) return true;
    const value = Number(q.slice(q.indexOf('=') + 1).trim());
    if (value > 0) return true;
  }
  return false;
}

/** Splits `sec-websocket-protocol` values into the scope's `subprotocols` (§5.1). */
export function subprotocolsFrom(headers: ReadonlyArray<readonly [string, string]>): string[] {
  return headers
    .filter(([name]) => name === 'sec-websocket-protocol')
    .flatMap(([, value]) => value.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
