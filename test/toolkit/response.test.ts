/**
 * Response helpers: the events they send, header merging, redirect
 * encoding (checked against `encodeurl`, what Express's `res.location`
 * runs), and setCookie refusing header injection.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { HTTPResponseEvent } from '../../src/protocol/types.js';
import { InvalidCookie, redirect, sendHtml, sendJson, sendText, setCookie } from '../../src/toolkit/index.js';

const encodeurl = createRequire(import.meta.url)('encodeurl') as (url: string) => string;

function recorder() {
  const events: HTTPResponseEvent[] = [];
  return { events, send: async (event: HTTPResponseEvent) => void events.push(event) };
}

describe('sendJson, sendText, sendHtml', () => {
  it('send one complete response with type and byte length', async () => {
    const r = recorder();
    await sendJson(r.send, 201, { name: 'Jörg' });
    expect(r.events).toEqual([
      { type: 'http.response.start', status: 201, headers: [['content-type', 'application/json; charset=utf-8'], ['content-length', '16']] },
      { type: 'http.response.body', body: Buffer.from('{"name":"Jörg"}') },
    ]);
    await sendText(r.send, 200, '✓');
    expect(r.events[2]).toMatchObject({ headers: [['content-type', 'text/plain; charset=utf-8'], ['content-length', '3']] });
    await sendHtml(r.send, 200, '<p>');
    expect(r.events[4]).toMatchObject({ headers: [['content-type', 'text/html; charset=utf-8'], ['content-length', '3']] });
  });

  it('merges extra headers: a given name replaces the own one, repeats survive, content-length is computed', async () => {
    const r = recorder();
    await sendText(r.send, 200, 'abc', [
      ['Content-Type', 'text/csv'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['content-length', '999'],
    ]);
    expect(r.events[0]).toEqual({
      type: 'http.response.start',
      status: 200,
      headers: [['content-type', 'text/csv'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-length', '3']],
    });
    await sendJson(r.send, 200, [], { 'Cache-Control': 'no-store', vary: ['accept', 'origin'], 'x-n': 5 });
    expect(r.events[2]).toMatchObject({
      headers: [['content-type', 'application/json; charset=utf-8'], ['cache-control', 'no-store'], ['vary', 'accept'], ['vary', 'origin'], ['x-n', '5'], ['content-length', '2']],
    });
  });

  it('sends 204 and 304 without a body or content-length', async () => {
    const r = recorder();
    await sendText(r.send, 204, 'ignored');
    expect(r.events).toEqual([
      { type: 'http.response.start', status: 204, headers: [] },
      { type: 'http.response.body', body: new Uint8Array(0) },
    ]);
  });

  it('refuses values JSON cannot carry instead of sending an empty body', async () => {
    const r = recorder();
    await expect(sendJson(r.send, 200, undefined)).rejects.toThrow(TypeError);
    await expect(sendJson(r.send, 200, { big: 1n })).rejects.toThrow(TypeError);
    expect(r.events).toEqual([]);
  });
});

describe('redirect', () => {
  it.each([
    '/plain/path?q=1#frag',
    '/with space/ünï',
    '/already%20encoded/%E2%9C%93',
    '/lone%/percent%zz',
    '/evil\r\nSet-Cookie: x=1',
    'https://example.com/a b?c=d e',
    '/\ud800lone-surrogate',
    '/[brackets]{braces}|pipe^caret`tick"quote<lt>',
  ])('encodes %j as encodeurl does', async (location) => {
    const r = recorder();
    await redirect(r.send, location);
    const start = r.events[0] as unknown as { headers: Array<[string, string]>; status: number };
    expect(start.status).toBe(302);
    const sent = start.headers.find(([n]) => n === 'location')?.[1];
    expect(sent).toBe(encodeurl(location));
    expect(sent).not.toMatch(/[\r\n ]/);
    expect(String((r.events[1] as unknown as { body: Buffer }).body)).toBe(`Found. Redirecting to ${sent}`);
  });

  it('takes other 3xx statuses and refuses non-redirect ones', async () => {
    const r = recorder();
    await redirect(r.send, '/x', 308);
    expect(r.events[0]).toMatchObject({ status: 308 });
    expect(String((r.events[1] as unknown as { body: Buffer }).body)).toBe('Permanent Redirect. Redirecting to /x');
    await expect(redirect(r.send, '/x', 200)).rejects.toThrow(RangeError);
  });
});

describe('setCookie', () => {
  it('serialises with the cookie package', () => {
    expect(setCookie('sid', 'a b;c', { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 60 })).toEqual([
      'set-cookie',
      'sid=a%20b%3Bc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax',
    ]);
  });

  it.each([
    ['a CRLF in the name', () => setCookie('sid\r\nSet-Cookie: admin', 'x')],
    ['a ; in the name', () => setCookie('a;b', 'x')],
    ['an = in the name', () => setCookie('a=b', 'x')],
    ['an empty name', () => setCookie('', 'x')],
    ['a CRLF in a raw value', () => setCookie('sid', 'x\r\nSet-Cookie: admin=1', { encode: (v) => v })],
    ['a ; in a raw value', () => setCookie('sid', 'x; Domain=evil.com', { encode: (v) => v })],
    ['a ; in the path', () => setCookie('sid', 'x', { path: '/; Domain=evil.com' })],
    ['a CRLF in the domain', () => setCookie('sid', 'x', { domain: 'a.com\r\nX: y' })],
    ['a non-integer maxAge', () => setCookie('sid', 'x', { maxAge: Number.NaN })],
  ])('rejects %s with InvalidCookie', (_name, make) => {
    expect(make).toThrow(InvalidCookie);
    try {
      make();
    } catch (error) {
      expect((error as InvalidCookie).code).toBe('ERR_PAGI_INVALID_COOKIE');
      expect((error as Error).message).not.toMatch(/[\r\n]/);
    }
  });

  it('percent-encodes CR/LF in an ordinary value, so it cannot split the header', () => {
    expect(setCookie('sid', 'x\r\nSet-Cookie: admin=1')[1]).toBe('sid=x%0D%0ASet-Cookie%3A%20admin%3D1');
  });
});
