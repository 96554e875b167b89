/**
 * Response writing below `res.send`, native vs bridged: `writeHead` forms,
 * trailers, piped streams, large and binary bodies, `res.end` twice, write
 * after end, and the ServerResponse state the ecosystem reads.
 */
import { Readable } from 'node:stream';
import express, { type Response } from 'express';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSameEvents, first, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from './harness.js';

const binary = Buffer.concat([Buffer.from('line\r\n0\r\n\r\n'), Buffer.from([0, 1, 13, 10, 255]), Buffer.from('\r\n0\r\n\r\nend')]);
const large = Buffer.alloc(1_000_000);
for (let i = 0; i < large.length; i += 1) large[i] = (i * 7) % 251;

function state(res: Response): string {
  return `headersSent=${res.headersSent} writableEnded=${res.writableEnded} finished=${res.finished} hasHeader=${res.hasHeader('x-a')}`;
}

function responsesApp(express: ExpressModule, probe: Probe): express.Express {
  const app = express();
  // 'production' keeps stack traces (which name bridge frames) out of finalhandler's error pages.
  app.set('env', 'production');
  app.get('/write-head-object', (_req, res) => {
    res.writeHead(201, { 'X-A': '1', 'Set-Cookie': ['a=1', 'b=2'], 'Content-Type': 'text/plain' });
    res.end('object form');
  });
  app.get('/write-head-flat-array', (_req, res) => {
    res.writeHead(200, ['X-A', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-B', 'two']);
    res.end('flat array form');
  });
  app.get('/write-head-message', (_req, res) => {
    res.writeHead(202, 'Custom Reason', { 'Content-Length': '6' });
    res.end('custom');
  });
  app.get('/write-head-merges-set-header', (_req, res) => {
    res.setHeader('X-Early', 'set');
    res.setHeader('X-A', 'early');
    res.writeHead(200, { 'X-A': 'late' });
    res.end('merged');
  });
  app.get('/trailers', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'Content-MD5, X-Count' });
    res.write('trailed body');
    res.addTrailers({ 'Content-MD5': '7895bf4b8828b55ceaf47747b4bca667', 'X-Count': '1' });
    res.end();
  });
  app.get('/trailers-with-length', (_req, res) => {
    // Node throws ERR_HTTP_TRAILER_INVALID for a `Trailer` header here, but silently drops addTrailers().
    res.writeHead(200, { 'Content-Length': '4' });
    res.addTrailers({ 'X-Dropped': 'yes' });
    res.end('four');
  });
  app.get('/pipe-stream', (_req, res) => {
    res.type('text/plain');
    Readable.from(['alpha ', 'beta ', 'gamma']).pipe(res);
  });
  app.get('/pipe-binary', (_req, res) => {
    res.type('application/octet-stream');
    Readable.from([binary.subarray(0, 5), binary.subarray(5)]).pipe(res);
  });
  app.get('/binary-write', (_req, res) => {
    res.setHeader('Content-Type', 'application/octet-stream');
    res.write(binary);
    res.end(binary);
  });
  app.get('/binary-send', (_req, res) => {
    res.send(binary);
  });
  app.get('/large-send', (_req, res) => {
    res.send(large);
  });
  app.get('/large-write', (_req, res) => {
    res.type('application/octet-stream');
    for (let i = 0; i < large.length; i += 65_536) res.write(large.subarray(i, i + 65_536));
    res.end();
  });
  app.get('/encodings', (_req, res) => {
    res.type('text');
    res.write('68656c6c6f20', 'hex');
    res.write('d29ybGQ=', 'base64');
    res.end(' latin1:\xe9', 'latin1');
  });
  app.get('/length-and-writes', (_req, res) => {
    res.setHeader('Content-Length', '10');
    res.write('01234');
    res.end('56789');
  });
  app.get('/explicit-chunked', (_req, res) => {
    res.setHeader('Transfer-Encoding', 'chunked');
    res.end('explicitly chunked');
  });
  app.get('/app-connection-close', (_req, res) => {
    res.setHeader('Connection', 'close');
    res.send('closing');
  });
  app.get('/app-connection-keep-alive', (req, res) => {
    // Node writes the app's Connection header as given and then no Keep-Alive: timeout=N.
    res.setHeader('Connection', 'keep-alive');
    if (req.query['chunked'] === undefined) res.send('kept');
    else {
      res.write('kept ');
      res.end('chunked');
    }
  });
  app.get('/empty-write', (_req, res) => {
    res.write('');
    res.end();
  });
  app.get('/end-twice', (_req, res) => {
    res.on('error', (error: NodeJS.ErrnoException) => probe.record(`error:${error.code ?? error.message}`));
    res.end('first', () => probe.record('end-1-callback'));
    res.end((error?: Error | null) => probe.record(`end-2-callback:${(error as NodeJS.ErrnoException | undefined)?.code ?? 'none'}`));
    probe.record(`after: ${state(res)}`);
  });
  app.get('/write-after-end', (_req, res) => {
    res.on('error', (error: NodeJS.ErrnoException) => probe.record(`error:${error.code ?? error.message}`));
    res.end('done');
    const returned = res.write('late', (error) => probe.record(`write-callback:${(error as NodeJS.ErrnoException | undefined)?.code ?? 'none'}`));
    probe.record(`write-returned:${String(returned)}`);
  });
  app.get('/lifecycle', (_req, res) => {
    res.on('finish', () => probe.record(`finish: ${state(res)} writableFinished=${res.writableFinished}`));
    res.on('close', () => probe.record(`close: ${state(res)} writableFinished=${res.writableFinished}`));
    probe.record(`before: ${state(res)}`);
    res.setHeader('X-A', '1');
    probe.record(`names: ${res.getHeaderNames().join(',')} ${JSON.stringify(res.getHeaders())}`);
    res.write('x', () => probe.record('write-callback'));
    probe.record(`after write: ${state(res)} header=${typeof (res as unknown as { _header: unknown })._header}`);
    res.end('y', () => probe.record('end-callback'));
    probe.record(`after end: ${state(res)}`);
  });
  app.get('/set-after-sent', (_req, res) => {
    res.write('started');
    try {
      res.setHeader('X-Late', '1');
    } catch (error) {
      probe.record(`setHeader threw ${(error as NodeJS.ErrnoException).code ?? ''}`);
    }
    res.end();
  });
  app.get('/numeric-header', (_req, res) => {
    res.setHeader('X-Number', 42);
    res.setHeader('X-List', ['a', 'b']);
    res.send('numbers');
  });
  app.get('/chained-write-head', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('chained');
  });
  app.get('/uint8array', (_req, res) => {
    res.setHeader('Content-Type', 'application/octet-stream');
    res.write(new Uint8Array([1, 2, 3, 13, 10]));
    res.write(Buffer.alloc(0));
    res.end(new Uint8Array([0, 48, 13, 10, 13, 10]));
  });
  app.get('/end-callback-only', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(() => probe.record('end callback without data'));
  });
  app.get('/callbacks-order', (_req, res) => {
    res.on('finish', () => probe.record('finish'));
    res.write('a', 'utf8', () => probe.record('write a'));
    res.write('b', () => probe.record('write b'));
    res.end('c', () => probe.record('end c'));
  });
  app.get('/header-reads', (_req, res) => {
    res.send('header reads');
    probe.record(`content-length=${String(res.getHeader('content-length'))} status=${res.statusCode} sent=${res.headersSent}`);
    try {
      res.removeHeader('content-type');
    } catch (error) {
      probe.record(`removeHeader threw ${(error as NodeJS.ErrnoException).code ?? ''}`);
    }
  });
  app.get('/send-boolean', (_req, res) => {
    res.send(true);
  });
  app.get('/json-settings', (req, res) => {
    req.app.set('json spaces', 2);
    req.app.set('json escape', true);
    res.json({ html: '<b>&</b>' });
    req.app.set('json spaces', undefined);
    req.app.set('json escape', false);
  });
  app.get('/invalid-status', (_req, res) => {
    res.status(1000).send('never');
  });
  app.get('/header-injection', (_req, res) => {
    res.setHeader('X-Bad', 'a\r\nInjected: yes');
    res.send('never');
  });
  app.get('/big-single-write', (_req, res) => {
    res.type('application/octet-stream');
    res.end(large);
  });
  app.get('/many-small-writes', (_req, res) => {
    res.type('text');
    for (let i = 0; i < 1000; i += 1) res.write(`${i % 10}`.repeat(10));
    res.end();
  });
  app.get('/header-aliases', (_req, res) => {
    res.header('X-Alias', 'one');
    res.setHeader('Set-Cookie', 'replaced=1');
    res.setHeader('Set-Cookie', ['final=1', 'final2=2']);
    res.send(`alias=${String(res.get('x-alias'))}`);
  });
  app.get('/status-codes/:code', (req, res) => {
    res.status(Number(req.params['code'])).send(`status ${req.params['code'] ?? ''}`);
  });
  return app;
}

const scenarios: Scenario[] = [
  { name: 'writeHead with an object and an array value', spec: { path: '/write-head-object' }, status: 201 },
  { name: 'writeHead with a flat raw-header array', spec: { path: '/write-head-flat-array' }, status: 200 },
  { name: 'writeHead with a reason phrase', spec: { path: '/write-head-message' }, status: 202 },
  { name: 'writeHead merges headers set earlier', spec: { path: '/write-head-merges-set-header' }, status: 200 },
  {
    name: 'trailers via addTrailers on a chunked response',
    spec: { path: '/trailers', headers: [['TE', 'trailers']] },
    status: 200,
    check: ({ native }) => {
      expect(first(native).trailers.length).toBe(2);
    },
  },
  { name: 'trailers are dropped with a content-length', spec: { path: '/trailers-with-length' }, status: 200 },
  { name: 'HEAD of a piped response', spec: { method: 'HEAD', path: '/pipe-stream' }, status: 200 },
  { name: 'piped Readable', spec: { path: '/pipe-stream' }, status: 200 },
  { name: 'piped binary Readable is byte-exact', spec: { path: '/pipe-binary' }, status: 200 },
  {
    name: 'binary by res.write is byte-exact',
    spec: { path: '/binary-write' },
    status: 200,
    check: ({ bridged }) => {
      expect(first(bridged).body.equals(Buffer.concat([binary, binary]))).toBe(true);
    },
  },
  { name: 'binary by res.send(Buffer) is byte-exact', spec: { path: '/binary-send' }, status: 200 },
  { name: '1 MB by res.send', spec: { path: '/large-send' }, status: 200 },
  { name: '1 MB in 64 kB writes', spec: { path: '/large-write' }, status: 200 },
  { name: 'write encodings hex/base64/latin1', spec: { path: '/encodings' }, status: 200 },
  { name: 'content-length with several writes', spec: { path: '/length-and-writes' }, status: 200 },
  { name: 'explicit Transfer-Encoding: chunked', spec: { path: '/explicit-chunked' }, status: 200 },
  {
    name: 'app-set Connection: close closes the connection',
    spec: { path: '/app-connection-close' },
    options: { observeCloseMs: 300 },
    compare: { compareServerClose: true },
    status: 200,
  },
  {
    name: "app-set Connection: keep-alive: no Keep-Alive header, connection kept",
    spec: { path: '/app-connection-keep-alive' },
    options: { observeCloseMs: 100 },
    compare: { compareServerClose: true },
    status: 200,
  },
  { name: 'app-set Connection: keep-alive on a chunked response', spec: { path: '/app-connection-keep-alive?chunked' }, status: 200 },
  {
    name: 'app-set Connection: keep-alive for an HTTP/1.0 keep-alive client',
    spec: { path: '/app-connection-keep-alive', httpVersion: '1.0', headers: [['Connection', 'keep-alive']] },
    status: 200,
  },
  { name: 'an empty write still starts the response', spec: { path: '/empty-write' }, status: 200 },
  { name: 'numeric and array header values', spec: { path: '/numeric-header' }, status: 200 },
  { name: 'status 500 sent by the app', spec: { path: '/status-codes/500' }, status: 500 },
  { name: 'status 299 (unknown code)', spec: { path: '/status-codes/299' }, status: 299 },
  { name: 'status 304 from the app drops the body', spec: { path: '/status-codes/304' }, status: 304 },
  { name: 'status 205', spec: { path: '/status-codes/205' }, status: 205 },
  { name: 'HEAD of a 1 MB response', spec: { method: 'HEAD', path: '/large-send' }, status: 200 },
  { name: '1000 small writes', spec: { path: '/many-small-writes' }, status: 200 },
  { name: 'res.header/res.get aliases, Set-Cookie replaced', spec: { path: '/header-aliases' }, status: 200 },
  { name: 'writeHead(...).end() chained', spec: { path: '/chained-write-head' }, status: 200 },
  { name: 'Uint8Array and empty Buffer writes', spec: { path: '/uint8array' }, status: 200 },
  { name: 'res.send(true) is JSON', spec: { path: '/send-boolean' }, status: 200 },
  { name: 'json spaces and json escape settings', spec: { path: '/json-settings' }, status: 200 },
  { name: 'an invalid status code becomes a 500', spec: { path: '/invalid-status' }, status: 500 },
  { name: 'a CRLF in a header value is refused by Node (500)', spec: { path: '/header-injection' }, status: 500 },
  { name: '1 MB in one res.end to a slow reader', spec: { path: '/big-single-write' }, options: { pauseReadingMs: 300, timeoutMs: 8000 }, status: 200 },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
});

describeEachExpress('responses: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => responsesApp(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }

  it('res.end twice is harmless and reports the same to callbacks', async () => {
    await runScenario(pair, { name: 'end twice', spec: { path: '/end-twice' }, status: 200 });
    const events = await expectSameEvents(pair);
    expect(events).toContain('end-1-callback');
  });

  it('write after end reports the error the same way', async () => {
    await runScenario(pair, { name: 'write after end', spec: { path: '/write-after-end' }, status: 200 });
    await expectSameEvents(pair);
  });

  it('ServerResponse state through the lifecycle (headersSent, _header, finish then close)', async () => {
    await runScenario(pair, { name: 'lifecycle', spec: { path: '/lifecycle' }, status: 200 });
    const events = await expectSameEvents(pair);
    expect(events.findIndex((e) => e.startsWith('finish'))).toBeLessThan(events.findIndex((e) => e.startsWith('close')));
  });

  it('res.end(callback) without data', async () => {
    await runScenario(pair, { name: 'end cb', spec: { path: '/end-callback-only' }, status: 200 });
    expect(await expectSameEvents(pair)).toEqual(['end callback without data']);
  });

  it('write and end callbacks run in the same order relative to finish', async () => {
    await runScenario(pair, { name: 'cb order', spec: { path: '/callbacks-order' }, status: 200 });
    await expectSameEvents(pair);
  });

  it('header reads after res.send, removeHeader after the head throws', async () => {
    await runScenario(pair, { name: 'reads', spec: { path: '/header-reads' }, status: 200 });
    await expectSameEvents(pair);
  });

  it('setHeader after the head was sent throws ERR_HTTP_HEADERS_SENT', async () => {
    await runScenario(pair, { name: 'late header', spec: { path: '/set-after-sent' }, status: 200 });
    expect(await expectSameEvents(pair)).toEqual(['setHeader threw ERR_HTTP_HEADERS_SENT']);
  });
});
