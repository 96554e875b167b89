/**
 * One target, one meaning (PROTOCOL.md §3.3): the checks a router that
 * compares path segments makes before it decides, so that no other router
 * reading the same request target can decide differently.
 *
 * Routers in front of or behind a PAGI router read a raw target in other ways:
 * - Express 4 and 5 (`parseurl`, then path-to-regexp) match the *encoded*
 *   pathname, case-insensitively by default, and never skip an empty segment.
 *   A `#` sends the target through `url.parse` instead, which cuts the
 *   fragment off and turns every `\` before it into `/`.
 * - PAGI routers match the decoded `path`.
 * - File servers and URL normalisers (`send`, `path.normalize`, WHATWG `URL`)
 *   decode, resolve `.`/`..`, collapse `//` and, on Windows, split on `\`.
 *
 * A segment a router compares with a literal is safe when every reading gives
 * the same text and the same verdict; anything else is refused, never
 * guessed. Segments below the deciding ones are none of the router's business
 * (a `%2F` inside a route parameter keeps working), except a `..` that would
 * climb back into them.
 */
import { decodeSegmentStrict, encodedRootPrefix, encodePath } from './paths.js';

/**
 * Why a target was refused:
 * - `fragment`: a `#` anywhere in the target (clients never send one; Express
 *   drops what follows it, and un-escapes `\` before it).
 * - `backslash`: a `\` in the path (a separator for `url.parse` and Windows).
 * - `encoded-separator`: `%2F` or `%5C` in a compared segment.
 * - `nul`: `%00` in a compared segment.
 * - `dot-segment`: `.` or `..` (in any spelling, e.g. `%2e%2E`) as a compared
 *   segment, or a later `..` that would climb back into the compared ones.
 * - `empty-segment`: `//` among the compared segments (a trailing `/` is fine).
 * - `invalid-utf8`: a compared segment that is not well-formed UTF-8
 *   (overlong forms and surrogates included).
 * - `encoding-mismatch`: the raw and the decoded spelling of a compared
 *   segment match a literal differently (`%61dmin` against `admin`).
 * - `unaligned`: `raw_path` does not spell `root_path` + `path` where the
 *   router compares (a path rewritten after the target was parsed, or invalid
 *   UTF-8 elsewhere in the path that changed how this segment decodes).
 */
export type TargetAmbiguity =
  | 'fragment'
  | 'backslash'
  | 'encoded-separator'
  | 'nul'
  | 'dot-segment'
  | 'empty-segment'
  | 'invalid-utf8'
  | 'encoding-mismatch'
  | 'unaligned';

/** The scope fields the checks read. */
export interface TargetScope {
  path: string;
  raw_path: string;
  query_string: string;
  root_path: string;
}

/** Checks that hold whatever a router compares: `#` anywhere, `\` in the path. */
export function wholeTargetAmbiguity(scope: Readonly<TargetScope>): TargetAmbiguity | undefined {
  const raw = typeof scope.raw_path === 'string' ? scope.raw_path : scope.path;
  if (raw.includes('#') || (typeof scope.query_string === 'string' && scope.query_string.includes('#'))) return 'fragment';
  // A `\` in the query is left alone: no router reads it as a separator, and
  // browsers send it unescaped there.
  if (raw.includes('\\')) return 'backslash';
  return undefined;
}

/** One segment of the target, as the raw bytes spell it and as `path` reads it. */
export interface TargetSegment {
  /** As received, percent-encoding intact. */
  raw: string;
  /** The same segment in `scope.path`. */
  decoded: string;
  /** No segment follows (a trailing `/` ends in an empty last segment). */
  last: boolean;
}

/**
 * Walks the path below `root_path` one segment at a time, in `raw_path` and
 * `path` together, refusing each segment the caller is about to compare if
 * routers could read it differently. Stop calling `next()` as soon as nothing
 * more is compared, then call `finish()`.
 */
export class TargetSegments {
  private rawPos = 1;
  private pathPos = 1;
  private compared = 0;
  private done: boolean;

  private constructor(
    private readonly raw: string,
    private readonly path: string,
  ) {
    // `OPTIONS *` and other paths that are not below `/` have no segments.
    this.done = raw.charCodeAt(0) !== 0x2f /* / */;
  }

  /** Opens the walk, or refuses a scope whose `raw_path` does not start with the raw spelling of `root_path`. */
  static open(scope: Readonly<TargetScope>): TargetSegments | TargetAmbiguity {
    if (typeof scope.raw_path !== 'string') return new TargetSegments(encodePath(scope.path), scope.path);
    const rootRaw = encodedRootPrefix(scope.raw_path, scope.root_path);
    if (rootRaw === undefined) return 'unaligned';
    const below = scope.raw_path.slice(rootRaw.length);
    // Nothing left below the root: `path` is '/', the raw spelling is empty.
    return new TargetSegments(below === '' ? '/' : below, scope.path);
  }

  /** The decoded path up to the end of the last segment `next()` returned. */
  get consumed(): string {
    return this.path.slice(0, this.pathPos - 1);
  }

  /** The next segment, checked for comparison; `undefined` when there is none. */
  next(): TargetSegment | TargetAmbiguity | undefined {
    if (this.done) return undefined;
    if (this.path.charCodeAt(this.pathPos - 1) !== 0x2f /* / */) return 'unaligned';
    let rawEnd = this.raw.indexOf('/', this.rawPos);
    if (rawEnd === -1) rawEnd = this.raw.length;
    let pathEnd = this.path.indexOf('/', this.pathPos);
    if (pathEnd === -1) pathEnd = this.path.length;
    const segment: TargetSegment = {
      raw: this.raw.slice(this.rawPos, rawEnd),
      decoded: this.path.slice(this.pathPos, pathEnd),
      last: rawEnd === this.raw.length,
    };
    const problem = segmentAmbiguity(segment);
    if (problem !== undefined) return problem;
    if (segment.last !== (pathEnd === this.path.length)) return 'unaligned';
    this.done = segment.last;
    this.rawPos = rawEnd + 1;
    this.pathPos = pathEnd + 1;
    this.compared++;
    return segment;
  }

  /**
   * Call once comparing is over: refuses a `..` further down that would
   * climb back into the compared segments for a router that resolves dot
   * segments (`/x/../admin` compares `x`, a normaliser reads `/admin`).
   */
  finish(): TargetAmbiguity | undefined {
    if (this.done || this.compared === 0 || this.path.indexOf('.', this.pathPos) === -1) return undefined;
    // Empty segments add no depth: a normaliser may collapse them first.
    let depth = 0;
    for (const piece of this.path.slice(this.pathPos).split(/[/\\]/)) {
      if (piece === '..') {
        if (--depth < 0) return 'dot-segment';
      } else if (piece !== '' && piece !== '.') {
        depth++;
      }
    }
    return undefined;
  }
}

/** The checks on one segment about to be compared. */
function segmentAmbiguity(segment: TargetSegment): TargetAmbiguity | undefined {
  const { raw, decoded } = segment;
  if (raw === '') return segment.last ? undefined : 'empty-segment';
  if (raw.includes('%')) {
    if (/%(?:2f|5c)/i.test(raw)) return 'encoded-separator';
    if (raw.includes('%00')) return 'nul';
  }
  // Also when `raw === decoded`: unescaped bytes above 0x7f (HTTP/2 lets them
  // through) read the same once the whole path fell back to one char per byte.
  const strict = decodeSegmentStrict(raw);
  if (strict === undefined) return 'invalid-utf8';
  if (strict !== decoded) return 'unaligned';
  if (decoded === '.' || decoded === '..') return 'dot-segment';
  return undefined;
}

/**
 * A literal path segment (`admin` in a `/admin` prefix), matched against a
 * target segment the way both kinds of router would: decoded (PAGI) and raw
 * against its encoded spelling (Express's path-to-regexp over the encoded
 * pathname). Case folding is a non-Unicode `i` regexp, as in Express.
 */
export class LiteralSegment {
  private readonly decoded: RegExp;
  private readonly length: number;
  /** The raw spelling, `undefined` when the literal is its own raw spelling. */
  private readonly encoded: RegExp | undefined;
  private readonly encodedLength: number;

  constructor(text: string, caseSensitive: boolean) {
    const flags = caseSensitive ? '' : 'i';
    this.decoded = new RegExp(`^${escapeRegExp(text)}$`, flags);
    this.length = text.length;
    const spelled = encodePath(text);
    this.encoded = spelled === text ? undefined : new RegExp(`^${escapeRegExp(spelled)}$`, flags);
    this.encodedLength = spelled.length;
  }

  /** Whether `segment` is this literal; `'encoding-mismatch'` when the two readings disagree. */
  match(segment: TargetSegment): boolean | 'encoding-mismatch' {
    // Non-Unicode case folding maps one UTF-16 unit to one: lengths must agree.
    const byPath = segment.decoded.length === this.length && this.decoded.test(segment.decoded);
    // A plain literal against a segment spelled the same raw and decoded.
    if (this.encoded === undefined && segment.raw === segment.decoded) return byPath;
    const byRaw = segment.raw.length === this.encodedLength && (this.encoded ?? this.decoded).test(segment.raw);
    return byPath === byRaw ? byPath : 'encoding-mismatch';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
