/**
 * Request-target handling (PROTOCOL.md §3.3): splitting `req.url` into
 * `raw_path`/`query_string`. Decoding lives in `protocol/paths.ts`.
 */

export interface SplitTarget {
  rawPath: string;
  queryString: string;
}

/**
 * Splits a request target at the first `?`. Absolute-form targets
 * (`GET http://host/p?q`, sent to proxies) keep only their path; `*`
 * (`OPTIONS *`) stays `*`.
 */
export function splitTarget(target: string): SplitTarget {
  let start = 0;
  // Origin-form (`/...`) is the common case; everything else is rare.
  if (target.charCodeAt(0) !== 0x2f /* / */ && target !== '*') {
    const scheme = target.indexOf('://');
    if (scheme !== -1) {
      const slash = target.indexOf('/', scheme + 3);
      const query = target.indexOf('?', scheme + 3);
      if (slash === -1 || (query !== -1 && query < slash)) {
        return { rawPath: '/', queryString: query === -1 ? '' : target.slice(query + 1) };
      }
      start = slash;
    }
  }
  const q = target.indexOf('?', start);
  if (q === -1) return { rawPath: start === 0 ? target : target.slice(start), queryString: '' };
  return { rawPath: target.slice(start, q), queryString: target.slice(q + 1) };
}
