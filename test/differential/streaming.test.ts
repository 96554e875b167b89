/**
 * Streaming and timing, native vs bridged: `res.write` chunks arrive one by
 * one, `flushHeaders()` sends the head at once, hand-written SSE streams on
 * both an `http` and an `sse` scope, a handler may answer seconds after it
 * returned, and a slow reader gets every byte with backpressure on the way.
 * Timing margins are generous (writes 200 ms apart, asserted >= 100 ms).
 */
import { Readable } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, expectSameEvents, expectStreamed, first, startPair, type Pair, type Probe } from './harness.js';
import { buildRequest } from './raw-client.js';

const GAP_MS = 200;
const MIN_GAP_MS = 100;

function later(ms: number, action: () => void): void {
  setTimeout(action, ms);
}

function streamingApp(express: ExpressModule, probe: Probe): express.Express {
  const app = express();
  // 'production' keeps stack traces (which name bridge frames) out of finalhandler's error pages.
  app.set('env', 'production');
  app.get('/chunks', (_req, res) => {
    res.type('text/plain');
    res.write('chunk-1;');
    later(GAP_MS, () => res.write('chunk-2;'));
    later(2 * GAP_MS, () => res.write('chunk-3;'));
    later(3 * GAP_MS, () => res.end('chunk-end;'));
  });
  app.get('/flush-headers', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.flushHeaders();
    later(300, () => res.end('after the head'));
  });
  app.get('/sse', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': opening comment\n\n');
    later(GAP_MS, () => res.write('event: tick\ndata: 1\n\n'));
    later(2 * GAP_MS, () => res.write('id: 7\ndata: two\ndata: lines\n\n'));
    later(3 * GAP_MS, () => res.end('data: bye\n\n'));
  });
  app.get('/slow-pipe', (_req, res) => {
    res.type('text/plain');
    let n = 0;
    const source = new Readable({
      read() {
        n += 1;
        later(n === 1 ? 0 : GAP_MS, () => this.push(n <= 3 ? `piece-${n};` : null));
      },
    });
    source.pipe(res);
  });
  app.get('/late-answer', (_req, res) => {
    probe.record('handler returned');
    later(2000, () => res.send('answered two seconds later'));
  });
  app.get('/big-for-slow-reader', (_req, res) => {
    res.type('application/octet-stream');
    const chunk = Buffer.alloc(64 * 1024, 'z');
    let written = 0;
    let sawFalse = false;
    const writeMore = (): void => {
      while (written < 32) {
        written += 1;
        if (!res.write(chunk)) {
          if (!sawFalse) probe.record('write returned false');
          sawFalse = true;
          res.once('drain', () => {
            writeMore();
          });
          return;
        }
      }
      res.end();
    };
    writeMore();
  });
  app.post('/sse-post', express.json(), (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(req.body)}\n\n`);
    later(GAP_MS, () => res.end('data: done\n\n'));
  });
  app.get('/sse-error-after-start', (_req, res, next) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('data: first\n\n');
    later(50, () => next(new Error('failed mid-stream')));
  });
  app.get('/sse-error', () => {
    throw new Error('failed before streaming');
  });
  app.post('/echo-pipe', (req, res) => {
    res.setHeader('Content-Type', 'application/octet-stream');
    req.pipe(res);
  });
  app.post('/echo-stream', (req, res) => {
    res.type('text/plain');
    req.on('data', (chunk: Buffer) => res.write(`got:${chunk.toString()};`));
    req.on('end', () => res.end('end;'));
  });
  return app;
}

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
});

describeEachExpress('streaming: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => streamingApp(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  it('res.write chunks 200 ms apart arrive as separate reads', async () => {
    const result = await pair.request({ path: '/chunks' });
    expectSame(result);
    const markers = ['chunk-1;', 'chunk-2;', 'chunk-3;', 'chunk-end;'];
    expectStreamed(result.native, markers, MIN_GAP_MS, 'native');
    expectStreamed(result.bridged, markers, MIN_GAP_MS, 'bridged');
    expect(result.bridged.arrivals.length).toBeGreaterThanOrEqual(3);
  });

  it('flushHeaders() sends the head before the body', async () => {
    const result = await pair.request({ path: '/flush-headers' });
    expectSame(result);
    for (const side of [result.native, result.bridged]) {
      expect(side.headAtMs).toBeDefined();
      const bodyAt = side.arrivals[0]?.atMs ?? 0;
      expect(bodyAt - (side.headAtMs ?? 0)).toBeGreaterThanOrEqual(150);
    }
  });

  it('hand-written SSE streams event by event (http scope)', async () => {
    const result = await pair.request({ path: '/sse', headers: [['Accept', '*/*']] });
    expectSame(result);
    const markers = [': opening comment', 'data: 1', 'data: lines', 'data: bye'];
    expectStreamed(result.native, markers, MIN_GAP_MS, 'native');
    expectStreamed(result.bridged, markers, MIN_GAP_MS, 'bridged');
  });

  it('hand-written SSE streams event by event (Accept: text/event-stream, an sse scope)', async () => {
    const result = await pair.request({ path: '/sse', headers: [['Accept', 'text/event-stream']] });
    expectSame(result);
    const markers = [': opening comment', 'data: 1', 'data: lines', 'data: bye'];
    expectStreamed(result.bridged, markers, MIN_GAP_MS, 'bridged');
  });

  it('a POST with a JSON body and Accept: text/event-stream (sse scope reads the body)', async () => {
    const result = await pair.request({
      method: 'POST',
      path: '/sse-post',
      headers: [['Accept', 'text/event-stream'], ['Content-Type', 'application/json']],
      body: '{"query":"stream me"}',
    });
    expectSame(result);
    expect(first(result.bridged).body.toString()).toBe('data: {"query":"stream me"}\n\ndata: done\n\n');
    expectStreamed(result.bridged, ['stream me', 'data: done'], MIN_GAP_MS, 'bridged');
  });

  it('a chunked POST body on an sse scope', async () => {
    const result = await pair.request({
      method: 'POST',
      path: '/sse-post',
      headers: [['Accept', 'text/event-stream'], ['Content-Type', 'application/json']],
      chunks: ['{"a":', '1}'],
    });
    expectSame(result);
  });

  it('an error before streaming on an sse scope gives the same 500', async () => {
    const result = await pair.request({ path: '/sse-error', headers: [['Accept', 'text/event-stream']] });
    expectSame(result);
    expect(first(result.native).status).toBe(500);
  });

  it('an error after the stream started on an sse scope cuts the connection the same way', async () => {
    const result = await pair.request({ path: '/sse-error-after-start', headers: [['Accept', 'text/event-stream']] });
    expectSame(result);
    expect(result.native.end).toBe('truncated');
    expect(first(result.bridged).body.toString()).toBe('data: first\n\n');
  });

  it('HEAD of the SSE route with Accept: text/event-stream', async () => {
    const result = await pair.request({ method: 'HEAD', path: '/sse', headers: [['Accept', 'text/event-stream']] });
    expectSame(result);
  });

  it('Expect: 100-continue on an sse scope', async () => {
    const body = '{"continued":"sse"}';
    const request = buildRequest({
      method: 'POST',
      path: '/sse-post',
      headers: [['Accept', 'text/event-stream'], ['Content-Type', 'application/json'], ['Expect', '100-continue'], ['Content-Length', String(body.length)]],
    });
    const result = await pair.exchange({ request, body, waitForContinue: true, methods: ['POST'] });
    expectSame(result);
    expect(first(result.native).interim.map((i) => i.status)).toEqual([100]);
  });

  it('a 404 for an Accept: text/event-stream request looks like the native one', async () => {
    const result = await pair.request({ path: '/no-such-stream', headers: [['Accept', 'text/event-stream']] });
    expectSame(result);
    expect(first(result.native).status).toBe(404);
  });

  it('a slowly produced piped stream arrives piece by piece', async () => {
    const result = await pair.request({ path: '/slow-pipe' });
    expectSame(result);
    expectStreamed(result.bridged, ['piece-1;', 'piece-2;', 'piece-3;'], MIN_GAP_MS, 'bridged');
  });

  it('HTTP/1.0 streaming is close-delimited and still streamed', async () => {
    const result = await pair.request({ path: '/chunks', httpVersion: '1.0' });
    expectSame(result);
    expectStreamed(result.bridged, ['chunk-1;', 'chunk-2;', 'chunk-3;'], MIN_GAP_MS, 'bridged');
  });

  it('a handler that answers 2 s after it returned is awaited', async () => {
    const result = await pair.request({ path: '/late-answer' });
    expectSame(result);
    expect(first(result.bridged).status).toBe(200);
    await expectSameEvents(pair);
  });

  it('a slow reader gets every byte and the writer saw backpressure', async () => {
    const result = await pair.request({ path: '/big-for-slow-reader' }, { pauseReadingMs: 400, timeoutMs: 8000 });
    expectSame(result);
    expect(first(result.bridged).body.length).toBe(32 * 64 * 1024);
    expect(await expectSameEvents(pair)).toEqual(['write returned false']);
  });

  it('request chunks are echoed while the upload is still going', async () => {
    const request = buildRequest({ method: 'POST', path: '/echo-stream', headers: [['Transfer-Encoding', 'chunked']] });
    const chunk = (s: string): string => `${s.length.toString(16)}\r\n${s}\r\n`;
    const result = await pair.exchange({
      request,
      body: [
        { data: chunk('a') },
        { data: chunk('b'), delayMs: GAP_MS },
        { data: chunk('c'), delayMs: GAP_MS },
        { data: '0\r\n\r\n', delayMs: GAP_MS },
      ],
      methods: ['POST'],
    });
    expectSame(result);
    expectStreamed(result.bridged, ['got:a;', 'got:b;', 'got:c;'], MIN_GAP_MS, 'bridged');
  });

  it('req.pipe(res) echoes a chunked upload while it is still going', async () => {
    const request = buildRequest({ method: 'POST', path: '/echo-pipe', headers: [['Transfer-Encoding', 'chunked']] });
    const chunk = (s: string): string => `${s.length.toString(16)}\r\n${s}\r\n`;
    const result = await pair.exchange({
      request,
      body: [{ data: chunk('one;') }, { data: chunk('two;'), delayMs: GAP_MS }, { data: chunk('three;') + '0\r\n\r\n', delayMs: GAP_MS }],
      methods: ['POST'],
    });
    expectSame(result);
    expectStreamed(result.bridged, ['one;', 'two;', 'three;'], MIN_GAP_MS, 'bridged');
  });

  it('req.pipe(res) echoes 2 MB to a slow reader byte-exact', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 1) body[i] = (i * 13) % 256;
    const result = await pair.request({ method: 'POST', path: '/echo-pipe', body }, { pauseReadingMs: 300, timeoutMs: 10_000 });
    expectSame(result);
    expect(first(result.bridged).body.equals(body)).toBe(true);
  });

  it('slow requests progress in parallel', async () => {
    const results = await Promise.all([pair.request({ path: '/chunks' }), pair.request({ path: '/chunks' }), pair.request({ path: '/slow-pipe' })]);
    for (const result of results) {
      expectSame(result);
      // Each response starts at once and lasts ~600 ms: served one after another, the later heads would wait for it.
      expect(result.bridged.headAtMs ?? Infinity).toBeLessThan(500);
    }
  });
});
