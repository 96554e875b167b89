import { describe, expect, it } from 'vitest';
import { getHeader, pairsFromRawHeaders, validateHeaders } from '../../src/protocol/headers.js';

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
