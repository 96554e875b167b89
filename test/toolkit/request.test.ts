/**
 * Request helpers: header folding checked against Node's own
 * `IncomingMessage` over a real socket, the `Headers`-like view, query,
 * cookies and the client address.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress, cookies, header, headers, query } from '../../src/toolkit/index.js';
import type { HeaderPair } from '../../src/protocol/types.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-socket.js';
import { httpLike } from '../helpers/scope.js';

const scope = (pairs: HeaderPair[], extra: Record<string, unknown> = {}) => ({ headers: pairs, query_string: '', ...extra });

// Names Node de-duplicates, joins with ', ', joins with '; ', plus set-cookie (an array in Node).
const NAMES = ['content-type', 'host', 'authorization', 'user-agent', 'if-modified-since', 'accept', 'x-forwarded-for', 'if-none-match', 'cookie', 'set-cookie', 'x-custom'];

describe('header() folds repeated headers as Node does', () => {
  let native: http.Server;
  let nativePort = 0;
  let pagi: PagiServer;
  const seen: { native?: Record<string, unknown>; pagi?: Record<string, unknown> } = {};

  beforeAll(async () => {
    native = http.createServer((req, res) => {
      seen.native = Object.fromEntries(NAMES.map((n) => [n, req.headers[n]]));
      res.end('ok');
    });
    nativePort = (await listen(native)).port;
    pagi = await servePagi(async (s, _receive, send) => {
      const sc = httpLike(s);
      seen.pagi = Object.fromEntries(NAMES.map((n) => [n, header(sc, n)]));
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '2']] });
      await send({ type: 'http.response.body', body: 'ok' });
    });
  });
  afterAll(async () => {
    await closeServer(native);
    await pagi.close();
  });

  it('matches req.headers for first-wins, comma-joined and cookie-joined names', async () => {
    const lines = NAMES.flatMap((n) => [`${n}: one-${n}`, `${n.toUpperCase()}: two-${n}`]).filter((l) => !/^host:/i.test(l));
    const request = `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`;
    for (const port of [nativePort, pagi.port]) {
      const client = await RawClient.connect(port);
      await client.write(request);
      await client.waitClosed();
    }
    const expected = { ...seen.native, 'set-cookie': (seen.native?.['set-cookie'] as string[]).join(', ') };
    expect(seen.pagi).toEqual(expected);
    expect(seen.pagi?.['content-type']).toBe('one-content-type');
    expect(seen.pagi?.['cookie']).toBe('one-cookie; two-cookie');
    expect(seen.pagi?.['accept']).toBe('one-accept, two-accept');
  });

  it('is case-insensitive in the name and undefined when absent', () => {
    const s = scope([['x-a', '1']]);
    expect(header(s, 'X-A')).toBe('1');
    expect(header(s, 'x-b')).toBeUndefined();
  });
});

describe('headers()', () => {
  const view = headers(
    scope([
      ['accept', 'a'],
      ['x-forwarded-for', '1.1.1.1'],
      ['accept', 'b'],
      ['set-cookie', 'k=1'],
      ['set-cookie', 'j=2'],
    ]),
  );

  it('reads like Headers: get folds, has, getSetCookie keeps each value', () => {
    expect(view.get('Accept')).toBe('a, b');
    expect(view.get('missing')).toBeNull();
    expect(view.has('X-Forwarded-For')).toBe(true);
    expect(view.getAll('accept')).toEqual(['a', 'b']);
    expect(view.getSetCookie()).toEqual(['k=1', 'j=2']);
  });

  it('iterates each name once with its folded value', () => {
    expect([...view]).toEqual([
      ['accept', 'a, b'],
      ['x-forwarded-for', '1.1.1.1'],
      ['set-cookie', 'k=1, j=2'],
    ]);
    expect([...view.keys()]).toEqual(['accept', 'x-forwarded-for', 'set-cookie']);
    const names: string[] = [];
    view.forEach((_v, n) => names.push(n));
    expect(names).toEqual(['accept', 'x-forwarded-for', 'set-cookie']);
  });
});

describe('query(), cookies(), clientAddress()', () => {
  it('parses the raw query string as URLSearchParams', () => {
    const q = query({ query_string: 'a=1&a=2&b=x+y&c=%E2%9C%93&d=%ZZ' });
    expect(q.getAll('a')).toEqual(['1', '2']);
    expect(q.get('b')).toBe('x y');
    expect(q.get('c')).toBe('✓');
    expect(q.get('d')).toBe('%ZZ');
    expect([...query({ query_string: '' })]).toEqual([]);
  });

  it('parses the merged cookie header with the cookie package', () => {
    expect(cookies(scope([['cookie', 'sid=abc; name=J%C3%B6rg; sid=second']]))).toEqual({ sid: 'abc', name: 'Jörg' });
    expect(cookies(scope([]))).toEqual({});
    // Garbage does not throw: a broken escape stays as it came (the cookie package's rules).
    expect(cookies(scope([['cookie', 'a=%E0%A4%A; =x; b']]))).toEqual({ a: '%E0%A4%A', '': 'x' });
    // A hostile name cannot reach Object.prototype.
    const parsed = cookies(scope([['cookie', '__proto__=polluted; constructor=x']]));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(parsed)).not.toHaveProperty('polluted');
  });

  it('reports the peer address and nothing for a Unix socket', () => {
    expect(clientAddress({ client: ['::1', 5000] })).toBe('::1');
    expect(clientAddress({})).toBeUndefined();
  });
});
