/**
 * Paths shared by every server and intermediary (PROTOCOL.md §3.3): a
 * request target → `raw_path` and `query_string`, `raw_path` → `path`, and a
 * decoded prefix → its raw form.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Anything that needs work: a percent escape or a byte above 0x7f (Node hands
// raw request-line bytes over as latin1 characters).
const NEEDS_DECODING = /[%\x80-\xff]/;
// No `%` and nothing above 0x7f: a string that is its own raw spelling.
const PLAIN_ASCII = /^[\x00-\x24\x26-\x7f]*$/;

/** A request target split as §3.3 says: the raw path and the raw query (without `?`). */
export interface SplitTarget {
  rawPath: string;
  queryString: string;
}

/**
 * Splits a request target at the first `?`. Absolute-form targets
 * (`GET http://host/p?q`, sent to proxies) keep only their path; `*`
 * (`OPTIONS *`) stays `*`.
 *
 * An absolute-form target is reduced to its path only when Node's legacy
 * `url.parse` — what Express's `parseurl` reads such a `req.url` with — finds
 * the same path: a plain scheme, an authority of `[userinfo@]host[:port]`
 * and no character in the path that `url.parse` escapes or rewrites. Any
 * other absolute-form target (`http://h;x/admin`, where `url.parse` reads
 * the path `;x/admin`) keeps the whole target up to `?` as `raw_path`: it
 * does not start with `/`, so no PAGI router matches a prefix in it, and no
 * Express prefix matches it either (one target, one meaning).
 */
export function splitTarget(target: string): SplitTarget {
  let start = 0;
  // Origin-form (`/...`) is the common case; everything else is rare.
  if (target.charCodeAt(0) !== 0x2f /* / */ && target !== '*') {
    const scheme = target.indexOf('://');
    if (scheme !== -1) {
      const slash = target.indexOf('/', scheme + 3);
      const query = target.indexOf('?', scheme + 3);
      const pathless = slash === -1 || (query !== -1 && query < slash);
      if (readsAsItsPath(target, scheme, pathless ? (query === -1 ? target.length : query) : slash, query)) {
        if (pathless) return { rawPath: '/', queryString: query === -1 ? '' : target.slice(query + 1) };
        start = slash;
      }
    }
  }
  const q = target.indexOf('?', start);
  if (q === -1) return { rawPath: start === 0 ? target : target.slice(start), queryString: '' };
  return { rawPath: target.slice(start, q), queryString: target.slice(q + 1) };
}

// What `url.parse` takes as a protocol and a host without moving any of it into the path.
const PLAIN_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const PLAIN_AUTHORITY = /^(?:[A-Za-z0-9._~-]*(?::[A-Za-z0-9._~-]*)?@)?(?:[A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?$/;
// Characters `url.parse` percent-escapes (or, for `\\`, turns into `/`) in a path.
const REWRITTEN_BY_URL_PARSE = /[{}|\\^`'"<> \t\r\n]/;

/** Whether `url.parse(target).pathname` is exactly the path `splitTarget` takes from this absolute-form target. */
function readsAsItsPath(target: string, scheme: number, authorityEnd: number, query: number): boolean {
  const protocol = target.slice(0, scheme);
  // `javascript:` is the one protocol url.parse never reads a host from.
  if (!PLAIN_SCHEME.test(protocol) || protocol.toLowerCase() === 'javascript') return false;
  if (!PLAIN_AUTHORITY.test(target.slice(scheme + 3, authorityEnd))) return false;
  return !REWRITTEN_BY_URL_PARSE.test(target.slice(authorityEnd, query === -1 ? target.length : query));
}

/**
 * Percent-decodes a raw path to bytes, then decodes the bytes as UTF-8. When
 * they are not valid UTF-8 the result holds one character per byte
 * (U+0000–U+00FF, §1 item 6). `%2F` becomes `/`; `+` stays `+`; a `%` not
 * followed by two hex digits is kept literally.
 */
export function decodePath(raw: string): string {
  if (!NEEDS_DECODING.test(raw)) return raw;
  const bytes = percentDecode(raw);
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Decodes one path segment strictly: `undefined` when its bytes are not
 * well-formed UTF-8 (stray continuation bytes, overlong forms such as
 * `%C0%AE`, surrogates), where `decodePath` would fall back to one character
 * per byte. Routers that must not guess use this.
 */
export function decodeSegmentStrict(raw: string): string | undefined {
  if (!NEEDS_DECODING.test(raw)) return raw;
  try {
    return utf8.decode(percentDecode(raw));
  } catch {
    return undefined;
  }
}

/**
 * Finds the prefix of `rawPath` whose decoded form is `rootPath`, ending at a
 * segment boundary (`/` or the end). Returns `''` at top level and
 * `undefined` when no such prefix exists. Comparing decoded prefixes (rather
 * than counting `/`) keeps `%2F` inside a mounted segment correct.
 */
export function encodedRootPrefix(rawPath: string, rootPath: string): string | undefined {
  if (rootPath === '' || rootPath === '/') return '';
  // The common case: the prefix is plain ASCII, spelled the same raw and decoded.
  if (PLAIN_ASCII.test(rootPath) && rawPath.startsWith(rootPath)) {
    if (rawPath.length === rootPath.length || rawPath[rootPath.length] === '/') return rootPath;
  }
  for (let i = 1; i <= rawPath.length; i++) {
    if (i < rawPath.length && rawPath[i] !== '/') continue;
    const candidate = rawPath.slice(0, i);
    if (decodePath(candidate) === rootPath) return candidate;
  }
  return undefined;
}

/**
 * Encodes a decoded path (or a `root_path` prefix) for use in `raw_path` or a
 * URL: characters not allowed unescaped in a path are percent-encoded as
 * UTF-8; `/` and the characters URLs allow stay as they are.
 */
export function encodePath(path: string): string {
  // A UTF-8 round trip replaces lone surrogates, on which encodeURI would throw.
  const wellFormed = Buffer.from(path, 'utf8').toString('utf8');
  return encodeURI(wellFormed).replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'));
}

/** The bytes a raw path stands for: `%XX` escapes decoded, other characters as their low byte. */
function percentDecode(raw: string): Buffer {
  const bytes = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */ && i + 2 < raw.length && isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2))) {
      bytes[n++] = (hexValue(raw.charCodeAt(i + 1)) << 4) | hexValue(raw.charCodeAt(i + 2));
      i += 2;
    } else {
      // Characters above U+00FF cannot come from Node's parser; keep the low byte.
      bytes[n++] = c & 0xff;
    }
  }
  return bytes.subarray(0, n);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexValue(c: number): number {
  if (c <= 0x39) return c - 0x30;
  if (c <= 0x46) return c - 0x37;
  return c - 0x57;
}
