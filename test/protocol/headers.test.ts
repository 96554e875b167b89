import { describe, expect, it } from 'vitest';
import { checkFraming, getHeader, pairsFromRawHeaders, validateHeaders } from '../../src/protocol/headers.js';

describe('pairsFromRawHeaders', () => {
  it.each([
    { raw: ['Host', 'a'], pairs: [['host', 'a']] },
    { raw: ['X-Forwarded-For', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2'], pairs: [['x-forwarded-for', '1.1.1.1'], ['x-forwarded-for', '2.2.2.2']] },
    { raw: ['Cookie', 'a=1', 'Accept', '*/*', 'cookie', 'b=2'], pairs: [['cookie', 'a=1; b=2'], ['accept', '*/*']] },
    { raw: ['X-Latin1', 'caf\u00e9'], pairs: [['x-latin1', 'caf\u00e9']] },
    { raw: [], pairs: [] },
  ])('$raw', ({ raw, pairs }) => {
    expect(pairsFromRawHeaders(raw)).toEqual(pairs);
  });
});

describe('validateHeaders', () => {
  it('returns a new array with lower-cased names and stringified numbers', () => {
    const input: Array<[string, string]> = [['Content-Type', 'text/plain']];
    const out = validateHeaders('e', 'headers', [...input, ['Content-Length', 5 as unknown as string]]);
    expect(out).toEqual([['content-type', 'text/plain'], ['content-length', '5']]);
    expect(input[0]).toEqual(['Content-Type', 'text/plain']);
  });
  it('treats undefined as no headers', () => expect(validateHeaders('e', 'headers', undefined)).toEqual([]));
  it('keeps duplicates in order', () => {
    expect(validateHeaders('e', 'h', [['set-cookie', 'a=1'], ['set-cookie', 'b=2']])).toEqual([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
  });
  it('accepts tabs and latin1 in values', () => expect(validateHeaders('e', 'h', [['x', 'a\tb\u00ff']])).toHaveLength(1));
});

describe('getHeader', () => {
  it('finds the first value case-insensitively', () => {
    expect(getHeader([['Accept', 'a'], ['accept', 'b']], 'accept')).toBe('a');
    expect(getHeader([], 'accept')).toBeUndefined();
  });
});

describe('checkFraming', () => {
  it('returns the same array when there is nothing to collapse', () => {
    const headers: Array<[string, string]> = [['content-length', '5'], ['x', 'y']];
    expect(checkFraming('e', headers)).toBe(headers);
    expect(checkFraming('e', [['transfer-encoding', 'chunked']])).toEqual([['transfer-encoding', 'chunked']]);
  });
  it('collapses identical duplicates into one field at the first position', () => {
    expect(checkFraming('e', [['a', '1'], ['content-length', '5'], ['b', '2'], ['content-length', ' 5 ']])).toEqual([['a', '1'], ['content-length', '5'], ['b', '2']]);
    expect(checkFraming('e', [['content-length', '5, 5,5']])).toEqual([['content-length', '5']]);
  });
  it.each([
    [[['content-length', '5'], ['content-length', '6']], /e: headers\[1\]\[1\] is a second content-length/],
    [[['content-length', '5,6']], /lists different content-length values/],
    [[['content-length', '-1']], /must be a decimal byte count/],
    [[['content-length', '']], /must be a decimal byte count/],
    [[['content-length', '5'], ['transfer-encoding', 'gzip']], /e: headers\[1\]\[0\] conflicts with headers\[0\]/],
  ] as Array<[Array<[string, string]>, RegExp]>)('rejects %j', (headers, message) => {
    expect(() => checkFraming('e', headers)).toThrow(message);
  });
});
