/**
 * Request helpers: pure functions over a scope (PROTOCOL.md §3). Nothing is
 * cached on the scope; each call reads `scope.headers` / `query_string` again.
 */
import { parse as parseCookie } from 'cookie';
import { foldedHeader } from '../protocol/headers.js';
import type { ConnectionScope, HeaderPair } from '../protocol/types.js';

/** The part of a scope the header helpers read. */
export type HeaderSource = Pick<ConnectionScope, 'headers'>;

/**
 * One request header, as `req.headers[name]` reads in Node: `name` is
 * case-insensitive; repeated headers are joined with `', '` (`cookie` with
 * `'; '`), except the ones Node de-duplicates (`content-type`, `host`,
 * `authorization`, …), which keep their first value. `undefined` when absent.
 */
export function header(scope: HeaderSource, name: string): string | undefined {
  return foldedHeader(scope.headers, name);
}

/**
 * A read-only, `Headers`-like view of the request headers. `get` folds
 * repeats as `header()` does; iteration yields every name once, in order of
 * first appearance, with its folded value.
 */
export class HeaderView implements Iterable<[string, string]> {
  readonly #pairs: readonly HeaderPair[];

  constructor(pairs: readonly HeaderPair[]) {
    this.#pairs = pairs;
  }

  /** The folded value of `name` (case-insensitive), or `null` like `Headers.get`. */
  get(name: string): string | null {
    return foldedHeader(this.#pairs, name) ?? null;
  }

  /** Every value of `name`, in wire order (`[]` when absent). */
  getAll(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.#pairs.filter(([n]) => n === wanted).map(([, v]) => v);
  }

  /** The `set-cookie` values, one per header, as `Headers.getSetCookie()`. */
  getSetCookie(): string[] {
    return this.getAll('set-cookie');
  }

  /** Whether a header of that name (case-insensitive) is present. */
  has(name: string): boolean {
    const wanted = name.toLowerCase();
    return this.#pairs.some(([n]) => n === wanted);
  }

  /** Each name once, lower-case, in order of first appearance. */
  *keys(): IterableIterator<string> {
    const seen = new Set<string>();
    for (const [n] of this.#pairs) {
      if (seen.has(n)) continue;
      seen.add(n);
      yield n;
    }
  }

  /** The folded value of each name, in the order of `keys()`. */
  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  /** `[name, folded value]` for each name, in the order of `keys()`. */
  *entries(): IterableIterator<[string, string]> {
    for (const n of this.keys()) yield [n, foldedHeader(this.#pairs, n) as string];
  }

  /** Calls `callback(value, name, view)` for each entry. */
  forEach(callback: (value: string, name: string, view: HeaderView) => void): void {
    for (const [n, v] of this.entries()) callback(v, n, this);
  }

  /** Same as `entries()`. */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** A `Headers`-like, read-only view of `scope.headers` (see `HeaderView`). */
export function headers(scope: HeaderSource): HeaderView {
  return new HeaderView(scope.headers);
}

/**
 * The query string parsed as `URLSearchParams` (`+` is a space, escapes are
 * UTF-8; a missing query gives an empty one).
 */
export function query(scope: Pick<ConnectionScope, 'query_string'>): URLSearchParams {
  return new URLSearchParams(scope.query_string);
}

/**
 * The request cookies, parsed by the `cookie` package (values
 * percent-decoded; the first of two cookies with one name wins). A missing
 * `cookie` header gives `{}`.
 */
export function cookies(scope: HeaderSource): Record<string, string | undefined> {
  const value = foldedHeader(scope.headers, 'cookie');
  return value === undefined ? {} : parseCookie(value);
}

/**
 * The address of the peer that opened the connection (`scope.client[0]`),
 * `undefined` on a Unix socket. Forwarding headers (`x-forwarded-for`) are
 * not read: they are whatever the client wrote, to be trusted only behind a
 * proxy you run (read them with `header()` there).
 */
export function clientAddress(scope: Pick<ConnectionScope, 'client'>): string | undefined {
  return scope.client?.[0];
}
