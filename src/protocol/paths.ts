/**
 * Path decoding shared by every server and intermediary (PROTOCOL.md §3.3):
 * `raw_path` → `path`, and a decoded prefix → its raw form.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Anything that needs work: a percent escape or a byte above 0x7f (Node hands
// raw request-line bytes over as latin1 characters).
const NEEDS_DECODING = /[%\x80-\xff]/;

/**
 * Percent-decodes a raw path to bytes, then decodes the bytes as UTF-8. When
 * they are not valid UTF-8 the result holds one character per byte
 * (U+0000–U+00FF, §1 item 6). `%2F` becomes `/`; `+` stays `+`; a `%` not
 * followed by two hex digits is kept literally.
 */
export function decodePath(raw: string): string {
  if (!NEEDS_DECODING.test(raw)) return raw;
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
  const view = bytes.subarray(0, n);
  try {
    return utf8.decode(view);
  } catch {
    return view.toString('latin1');
  }
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

/**
 * Finds the prefix of `rawPath` whose decoded form is `rootPath`, ending at a
 * segment boundary (`/` or the end). Returns `''` at top level and
 * `undefined` when no such prefix exists. Comparing decoded prefixes (rather
 * than counting `/`) keeps `%2F` inside a mounted segment correct.
 */
export function encodedRootPrefix(rawPath: string, rootPath: string): string | undefined {
  if (rootPath === '' || rootPath === '/') return '';
  for (let i = 1; i <= rawPath.length; i++) {
    if (i < rawPath.length && rawPath[i] !== '/') continue;
    const candidate = rawPath.slice(0, i);
    if (decodePath(candidate) === rootPath) return candidate;
  }
  return undefined;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexValue(c: number): number {
  if (c <= 0x39) return c - 0x30;
  if (c <= 0x46) return c - 0x37;
  return c - 0x57;
}
