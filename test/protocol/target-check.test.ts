import { describe, expect, it } from 'vitest';
import { decodePath, decodeSegmentStrict, encodedRootPrefix } from '../../src/protocol/paths.js';
import { LiteralSegment, TargetSegments, wholeTargetAmbiguity, type TargetScope } from '../../src/protocol/target-check.js';

/** A scope as a server builds it for `rawPath` below `root` (raw spelling `rawRoot`). */
function scopeFor(rawPath: string, root = '', rawRoot = root, query = ''): TargetScope {
  const below = decodePath(rawPath);
  return { raw_path: rawRoot + rawPath, root_path: root, path: below === '' ? '/' : below, query_string: query };
}

/** Every segment the walk yields, or the first refusal. */
function walk(scope: TargetScope, limit = 10): Array<string | { raw: string; decoded: string; last: boolean }> {
  const segments = TargetSegments.open(scope);
  if (typeof segments === 'string') return [segments];
  const out: Array<string | { raw: string; decoded: string; last: boolean }> = [];
  for (let i = 0; i < limit; i++) {
    const next = segments.next();
    if (next === undefined) break;
    out.push(next);
    if (typeof next === 'string') break;
  }
  return out;
}

describe('wholeTargetAmbiguity', () => {
  it.each([
    ['/admin#', '', 'fragment'],
    ['/a', 'q#x', 'fragment'],
    ['/a\\b', '', 'backslash'],
    ['/a\\b#', '', 'fragment'],
    ['/a', 'q=\\', undefined],
    ['/a%23b%5C', '', undefined],
    ['*', '', undefined],
  ])('raw_path %s, query %s → %s', (raw, query, expected) => {
    expect(wholeTargetAmbiguity(scopeFor(raw, '', '', query))).toBe(expected);
  });
});

describe('TargetSegments', () => {
  it('yields raw and decoded segments in step, the last one marked', () => {
    expect(walk(scopeFor('/a%20b/c/'))).toEqual([
      { raw: 'a%20b', decoded: 'a b', last: false },
      { raw: 'c', decoded: 'c', last: false },
      { raw: '', decoded: '', last: true },
    ]);
  });

  it('starts below root_path, found in raw_path by its decoded spelling', () => {
    expect(walk(scopeFor('/x', '/api'))).toEqual([{ raw: 'x', decoded: 'x', last: true }]);
    expect(walk(scopeFor('/x', '/a b', '/a%20b'))).toEqual([{ raw: 'x', decoded: 'x', last: true }]);
    expect(walk(scopeFor('/x', '/t/u', '/t%2Fu'))).toEqual([{ raw: 'x', decoded: 'x', last: true }]);
    // Nothing below the root: one empty last segment, as for '/'.
    expect(walk({ raw_path: '/api', root_path: '/api', path: '/', query_string: '' })).toEqual([{ raw: '', decoded: '', last: true }]);
  });

  it.each([
    ['/a%2Fb', 'encoded-separator'],
    ['/a%2fb', 'encoded-separator'],
    ['/a%5cb', 'encoded-separator'],
    ['/a%00', 'nul'],
    ['//a', 'empty-segment'],
    ['/.', 'dot-segment'],
    ['/..', 'dot-segment'],
    ['/%2e', 'dot-segment'],
    ['/.%2E', 'dot-segment'],
    ['/%FF', 'invalid-utf8'],
    ['/%C0%AE', 'invalid-utf8'],
    ['/%ED%A0%80', 'invalid-utf8'],
    ['/%E2%82', 'invalid-utf8'],
  ])('refuses %s as %s', (raw, reason) => {
    expect(walk(scopeFor(raw))).toEqual([reason]);
  });

  it('refuses raw bytes above 0x7f that are not UTF-8 (HTTP/2 lets them through)', () => {
    // Node hands raw bytes over as latin1 characters; 0xE9 alone is no UTF-8.
    expect(walk(scopeFor('/caf\u00e9'))).toEqual(['invalid-utf8']);
    expect(walk(scopeFor('/caf\u00c3\u00a9'))).toEqual([{ raw: 'caf\u00c3\u00a9', decoded: 'café', last: true }]);
  });

  it('a segment whose decoding changed because of invalid UTF-8 elsewhere is unaligned', () => {
    // decodePath falls back to one character per byte for the whole path.
    expect(walk(scopeFor('/caf%C3%A9/%FF'))).toEqual(['unaligned']);
    expect(walk(scopeFor('/admin/%FF'), 1)).toEqual([{ raw: 'admin', decoded: 'admin', last: false }]);
  });

  it('refuses a raw_path that does not spell root_path + path', () => {
    expect(walk({ raw_path: '/x', root_path: '/api', path: '/x', query_string: '' })).toEqual(['unaligned']);
    expect(walk({ raw_path: '/old/x', root_path: '', path: '/new/x', query_string: '' })).toEqual(['unaligned']);
    expect(walk({ raw_path: '/a', root_path: '', path: '/a/b', query_string: '' })).toEqual(['unaligned']);
    expect(walk({ raw_path: '/a/b', root_path: '', path: '/a', query_string: '' })).toEqual(['unaligned']);
  });

  it('compares nothing in `*` and other paths not below /', () => {
    expect(walk(scopeFor('*'))).toEqual([]);
  });

  it('finish(): a later .. that climbs back into the compared segments is refused', () => {
    const finish = (raw: string, compared: number): string | undefined => {
      const segments = TargetSegments.open(scopeFor(raw)) as TargetSegments;
      for (let i = 0; i < compared; i++) segments.next();
      return segments.finish();
    };
    expect(finish('/a/..', 1)).toBe('dot-segment');
    expect(finish('/a/b/../..', 1)).toBe('dot-segment');
    // Empty segments add no depth: a normaliser may collapse `/a//..` to `/a/..`.
    expect(finish('/a//..', 1)).toBe('dot-segment');
    expect(finish('/a/b//..', 1)).toBeUndefined();
    expect(finish('/a/b%2F..%2F..', 1)).toBe('dot-segment');
    expect(finish('/a/b%5C..%5C..', 1)).toBe('dot-segment');
    expect(finish('/a/b/../c', 1)).toBeUndefined();
    expect(finish('/a/./b', 1)).toBeUndefined();
    expect(finish('/a/..', 0)).toBeUndefined();
    expect(finish('/a', 1)).toBeUndefined();
  });
});

describe('LiteralSegment', () => {
  const seg = (raw: string) => ({ raw, decoded: decodePath(raw), last: true });

  it('matches when both readings match, case-insensitively by default', () => {
    const admin = new LiteralSegment('admin', false);
    expect(admin.match(seg('admin'))).toBe(true);
    expect(admin.match(seg('ADMIN'))).toBe(true);
    expect(admin.match(seg('adminx'))).toBe(false);
    expect(admin.match(seg('foo%20bar'))).toBe(false);
  });

  it('reports a mismatch when the raw and the decoded reading disagree', () => {
    const admin = new LiteralSegment('admin', false);
    expect(admin.match(seg('%61dmin'))).toBe('encoding-mismatch');
    expect(admin.match(seg('%41DMIN'))).toBe('encoding-mismatch');
    expect(new LiteralSegment('admin', true).match(seg('ADMIN'))).toBe(false);
  });

  it('compares a literal that needs escaping with its encoded spelling', () => {
    const cafe = new LiteralSegment('café', false);
    expect(cafe.match(seg('caf%C3%A9'))).toBe(true);
    expect(cafe.match(seg('caf%c3%a9'))).toBe(true);
    expect(cafe.match(seg('CAF%C3%89'))).toBe('encoding-mismatch');
    expect(new LiteralSegment('café', true).match(seg('caf%c3%a9'))).toBe('encoding-mismatch');
    expect(new LiteralSegment('a b', false).match(seg('a%20b'))).toBe(true);
  });
});

describe('paths helpers used by the checks', () => {
  it('decodeSegmentStrict refuses what decodePath would fall back on', () => {
    expect(decodeSegmentStrict('caf%C3%A9')).toBe('café');
    expect(decodeSegmentStrict('%FF')).toBeUndefined();
    expect(decodeSegmentStrict('%C0%AF')).toBeUndefined();
    expect(decodeSegmentStrict('plain')).toBe('plain');
    expect(decodeSegmentStrict('%zz')).toBe('%zz');
  });

  it('encodedRootPrefix finds the raw spelling of a decoded root at a segment boundary', () => {
    expect(encodedRootPrefix('/api/x', '/api')).toBe('/api');
    expect(encodedRootPrefix('/apix', '/api')).toBeUndefined();
    expect(encodedRootPrefix('/%61pi/x', '/api')).toBe('/%61pi');
    expect(encodedRootPrefix('/t%2Fu/x', '/t/u')).toBe('/t%2Fu');
    expect(encodedRootPrefix('/caf%C3%A9/x', '/café')).toBe('/caf%C3%A9');
    expect(encodedRootPrefix('/anything', '')).toBe('');
  });
});
