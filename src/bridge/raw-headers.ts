/**
 * `req.rawHeaders` for the fake request: the client's own list when the
 * scope advertises `header_case` (docs/protocol.md#header_case) and its
 * `headers` are still exactly what that list folds to (PROTOCOL.md §3.1:
 * names lower-cased, repeated `Cookie` joined with `'; '` at the first);
 * otherwise `headers` flattened. A layer that added, removed or changed a
 * header therefore wins over the stale raw list.
 */
import type { HTTPScope, SSEScope } from '../protocol/types.js';

/** The flat raw header list the fake request is built from (a fresh array). */
export function rawHeadersOf(scope: HTTPScope | SSEScope): string[] {
  const raw = scope.extensions?.header_case?.raw_headers;
  if (raw !== undefined && Array.isArray(raw) && foldsTo(raw, scope.headers)) return raw.slice();
  return flattenHeaders(scope.headers);
}

/** Flat raw-header list as Node's parser delivers it (names already lower-case in PAGI). */
export function flattenHeaders(headers: ReadonlyArray<readonly [string, string]>): string[] {
  const out: string[] = new Array(headers.length * 2);
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as readonly [string, string];
    out[2 * i] = pair[0];
    out[2 * i + 1] = pair[1];
  }
  return out;
}

/** Whether `raw` folds to `headers` under §3.1, compared without building the folded list. */
function foldsTo(raw: readonly unknown[], headers: ReadonlyArray<readonly [string, string]>): boolean {
  if (raw.length % 2 !== 0) return false;
  let at = 0;
  let cookieAt = -1;
  let cookie = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') return false;
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      if (cookieAt !== -1) {
        cookie = `${cookie}; ${value}`;
        continue;
      }
      cookieAt = at;
      cookie = value;
      if (headers[at]?.[0] !== 'cookie') return false;
      at++;
      continue;
    }
    const pair = headers[at];
    if (pair === undefined || pair[0] !== lower || pair[1] !== value) return false;
    at++;
  }
  return at === headers.length && (cookieAt === -1 || headers[cookieAt]?.[1] === cookie);
}
