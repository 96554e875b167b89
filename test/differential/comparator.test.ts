/**
 * The comparator's own test: the suite must be able to fail. Each case wraps
 * the bridged app in a deliberately broken PAGI middleware and asserts that
 * the comparison reports the difference; an untouched pair reports none.
 */
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { App, SendEvent } from '../../src/protocol/types.js';
import { diffExchange, diffResponse } from './compare.js';
import { expectStreamed, startPair, type Pair } from './harness.js';
import type { ParsedResponse } from './raw-client.js';

function fixtureApp(): express.Express {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.cookie('a', '1').cookie('b', '2').send('hello comparator');
  });
  app.get('/stream', (_req, res) => {
    res.type('text');
    res.write('one|');
    setTimeout(() => res.write('two|'), 200);
    setTimeout(() => res.end('three|'), 400);
  });
  return app;
}

/** A PAGI middleware that rewrites every send event with `change`. */
function tamper(change: (event: SendEvent) => SendEvent): (app: App) => App {
  return (app) => (scope, receive, send) => app(scope, receive, (event) => send(change(event)));
}

const addHeader = tamper((event) =>
  event.type === 'http.response.start' ? { ...event, headers: [...(event.headers ?? []), ['x-tampered', 'yes']] } : event,
);

const dropLastByte = tamper((event) => {
  if (event.type !== 'http.response.start') return event;
  return { ...event, headers: (event.headers ?? []).map(([n, v]) => (n === 'content-length' ? [n, String(Number(v) - 1)] : [n, v])) };
});

const swapCookies = tamper((event) => {
  if (event.type !== 'http.response.start') return event;
  const headers = event.headers ?? [];
  const cookies = headers.filter(([n]) => n === 'set-cookie').reverse();
  return { ...event, headers: [...headers.filter(([n]) => n !== 'set-cookie'), ...cookies] };
});

/** Drops content-length and splits the body in two sends, which forces chunked framing. */
function rechunk(app: App): App {
  return (scope, receive, send) =>
    app(scope, receive, async (event) => {
      if (event.type === 'http.response.start') {
        return send({ ...event, headers: (event.headers ?? []).filter(([n]) => n !== 'content-length') });
      }
      if (event.type !== 'http.response.body' || event.more === true || event.body === undefined) return send(event);
      const body = Buffer.from(event.body);
      await send({ type: 'http.response.body', body: body.subarray(0, 1), more: true });
      return send({ type: 'http.response.body', body: body.subarray(1), more: false });
    });
}

/** Holds every streamed body chunk back and sends them together with the last one. */
function bufferBody(app: App): App {
  return (scope, receive, send) => {
    const held: Uint8Array[] = [];
    return app(scope, receive, async (event) => {
      if (event.type !== 'http.response.body') return send(event);
      const body = event.body;
      if (body !== undefined) held.push(typeof body === 'string' ? Buffer.from(body) : body);
      if (event.more === true) return;
      await send({ type: 'http.response.body', body: Buffer.concat(held), more: false });
    });
  };
}

describe('the comparator detects a broken bridge', () => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('reports no difference for the untouched bridge', async () => {
    pair = await startPair(fixtureApp);
    const result = await pair.request({ path: '/hello' });
    expect(diffExchange(result.native, result.bridged)).toEqual([]);
  });

  it('reports an added header', async () => {
    pair = await startPair(fixtureApp, { wrapBridged: addHeader });
    const result = await pair.request({ path: '/hello' });
    expect(diffExchange(result.native, result.bridged)).toContainEqual(expect.stringContaining('header x-tampered'));
  });

  it('reports a dropped body byte', async () => {
    pair = await startPair(fixtureApp, { wrapBridged: dropLastByte });
    const result = await pair.request({ path: '/hello' });
    const diffs = diffExchange(result.native, result.bridged);
    expect(diffs).toContainEqual(expect.stringContaining('body'));
    expect(diffs).toContainEqual(expect.stringContaining('header content-length'));
  });

  it('reports reordered Set-Cookie values', async () => {
    pair = await startPair(fixtureApp, { wrapBridged: swapCookies });
    const result = await pair.request({ path: '/hello' });
    expect(diffExchange(result.native, result.bridged)).toContainEqual(expect.stringContaining('header set-cookie'));
  });

  it('reports different framing', async () => {
    pair = await startPair(fixtureApp, { wrapBridged: rechunk });
    const result = await pair.request({ path: '/hello' });
    expect(diffExchange(result.native, result.bridged)).toContainEqual(expect.stringContaining('framing'));
  });

  it('the streaming check fails for a buffered response', async () => {
    pair = await startPair(fixtureApp, { wrapBridged: bufferBody });
    const result = await pair.request({ path: '/stream' });
    expectStreamed(result.native, ['one|', 'two|', 'three|'], 100, 'native');
    expect(() => expectStreamed(result.bridged, ['one|', 'two|', 'three|'], 100, 'bridged')).toThrow(/gap before/);
  });
});

describe('comparator rules', () => {
  const base: ParsedResponse = {
    httpVersion: '1.1',
    status: 200,
    statusText: 'OK',
    headers: [
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['Date', 'Mon, 01 Jan 2024 00:00:00 GMT'],
    ],
    framing: 'content-length',
    body: Buffer.from('x'),
    trailers: [],
    complete: true,
    interim: [],
  };

  it('ignores header-name case, Date and the order of different names', () => {
    const other: ParsedResponse = {
      ...base,
      headers: [
        ['set-cookie', 'a=1'],
        ['date', 'Tue, 02 Jan 2024 00:00:00 GMT'],
        ['content-type', 'text/plain'],
        ['set-cookie', 'b=2'],
      ],
    };
    expect(diffResponse(base, other)).toEqual([]);
  });

  it('reports status, completeness, trailers and body differences', () => {
    const other: ParsedResponse = {
      ...base,
      status: 201,
      complete: false,
      body: Buffer.alloc(600, 1),
      trailers: [['x-sum', '1']],
    };
    const diffs = diffResponse(base, other);
    expect(diffs).toEqual(
      expect.arrayContaining([
        expect.stringContaining('status'),
        expect.stringContaining('complete'),
        expect.stringContaining('sha256'),
        expect.stringContaining('trailer x-sum'),
      ]),
    );
  });
});
