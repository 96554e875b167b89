/**
 * Request bodies, native vs bridged: the express.* parsers with limits and
 * malformed input, compressed bodies, chunked bodies without a length,
 * `Expect: 100-continue`, empty bodies, and handlers that read `req` themselves.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { gzipSync, deflateSync } from 'node:zlib';
import express, { type Request, type Response } from 'express';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, first, json, itFor, runScenario, startPair, type Pair, type Scenario } from './harness.js';
import { buildRequest } from './raw-client.js';

function echoBody(req: Request, res: Response): void {
  res.json({ body: req.body === undefined ? '<undefined>' : req.body, complete: req.complete });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function bodiesApp(express: ExpressModule): express.Express {
  const app = express();
  // 'production' keeps stack traces (which name bridge frames) out of finalhandler's error pages.
  app.set('env', 'production');
  app.post('/json', express.json({ limit: '1kb' }), echoBody);
  app.post('/json-strict', express.json({ strict: true }), echoBody);
  app.post('/urlencoded', express.urlencoded({ extended: false }), echoBody);
  app.post('/urlencoded-extended', express.urlencoded({ extended: true }), echoBody);
  app.post('/text', express.text({ type: '*/*' }), echoBody);
  app.post('/raw', express.raw({ type: '*/*', limit: '200kb' }), (req, res) => {
    const body = req.body as Buffer;
    res.json({ length: body.length, sha: sha256(body) });
  });
  app.post('/raw-echo', express.raw({ type: '*/*' }), (req, res) => {
    res.type('application/octet-stream').send(req.body as Buffer);
  });
  app.post('/on-data', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.json({ length: body.length, sha: sha256(body), complete: req.complete });
    });
  });
  app.post('/for-await', async (req, res) => {
    let length = 0;
    const hash = createHash('sha256');
    for await (const chunk of req) {
      length += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    res.json({ length, sha: hash.digest('hex') });
  });
  app.post('/pipe', (req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        length += chunk.length;
        hash.update(chunk);
        done();
      },
    });
    sink.on('finish', () => res.json({ length, sha: hash.digest('hex') }));
    req.pipe(sink);
  });
  app.post('/ignore-body', (_req, res) => {
    res.send('did not read the body');
  });
  app.post('/trailers-echo', (req, res) => {
    req.resume();
    req.on('end', () => res.json({ trailers: req.trailers, raw: req.rawTrailers }));
  });
  app.post('/headers', (req, res) => {
    res.json({ cl: req.headers['content-length'] ?? null, te: req.headers['transfer-encoding'] ?? null });
  });
  return app;
}

const bigJson = JSON.stringify({ pad: 'x'.repeat(2000) });
const binary = Buffer.concat([Buffer.from('a\r\nb\r\n0\r\n\r\n'), Buffer.from([0, 255, 13, 10, 13, 10]), Buffer.from('0\r\n\r\n')]);
const bodyBytes = Buffer.alloc(100_000, 'abcdefghij');

const jsonType: [string, string] = ['Content-Type', 'application/json'];
const formType: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];

const scenarios: Scenario[] = [
  { name: 'express.json parses an object', spec: { method: 'POST', path: '/json', headers: [jsonType], body: '{"a":[1,2],"u":"ü"}' }, status: 200 },
  { name: 'express.json over the limit gives 413', spec: { method: 'POST', path: '/json', headers: [jsonType], body: bigJson }, status: 413 },
  { name: 'express.json malformed input gives 400', spec: { method: 'POST', path: '/json', headers: [jsonType], body: '{"a":' }, status: 400 },
  { name: 'express.json strict rejects a primitive', spec: { method: 'POST', path: '/json-strict', headers: [jsonType], body: '"str"' }, status: 400 },
  { name: 'express.json ignores another content type', spec: { method: 'POST', path: '/json', headers: [['Content-Type', 'text/plain']], body: '{}' }, status: 200 },
  { name: 'express.json with an unsupported charset gives 415', spec: { method: 'POST', path: '/json', headers: [['Content-Type', 'application/json; charset=klingon']], body: '{}' }, status: 415 },
  { name: 'express.urlencoded simple', spec: { method: 'POST', path: '/urlencoded', headers: [formType], body: 'a=1&b=x+y&c=%C3%A9&a=2' }, status: 200 },
  { name: 'express.urlencoded extended', spec: { method: 'POST', path: '/urlencoded-extended', headers: [formType], body: 'user[name]=tobi&list[]=1&list[]=2' }, status: 200 },
  { name: 'express.text with latin1 charset', spec: { method: 'POST', path: '/text', headers: [['Content-Type', 'text/plain; charset=iso-8859-1']], body: Buffer.from([0x63, 0x61, 0x66, 0xe9]) }, status: 200 },
  { name: 'express.raw of 100 kB', spec: { method: 'POST', path: '/raw', headers: [['Content-Type', 'application/octet-stream']], body: bodyBytes }, status: 200 },
  { name: 'express.raw over its limit gives 413', spec: { method: 'POST', path: '/raw', headers: [['Content-Type', 'application/octet-stream']], body: Buffer.alloc(250_000, 1) }, status: 413 },
  {
    name: 'binary body with CRLF and 0\\r\\n\\r\\n echoes byte-exact',
    spec: { method: 'POST', path: '/raw-echo', headers: [['Content-Type', 'application/octet-stream']], body: binary },
    status: 200,
    check: ({ bridged }) => {
      expect(first(bridged).body.equals(binary)).toBe(true);
    },
  },
  {
    name: 'chunked binary body echoes byte-exact',
    spec: { method: 'POST', path: '/raw-echo', headers: [['Content-Type', 'application/octet-stream']], chunks: [binary, binary.subarray(3)] },
    status: 200,
  },
  { name: 'gzip request body', spec: { method: 'POST', path: '/json', headers: [jsonType, ['Content-Encoding', 'gzip']], body: gzipSync('{"zipped":true}') }, status: 200 },
  { name: 'deflate request body', spec: { method: 'POST', path: '/text', headers: [['Content-Type', 'text/plain'], ['Content-Encoding', 'deflate']], body: deflateSync('deflated text') }, status: 200 },
  { name: 'corrupt gzip body gives 400', spec: { method: 'POST', path: '/json', headers: [jsonType, ['Content-Encoding', 'gzip']], body: Buffer.from('not gzip at all') }, status: 400 },
  { name: 'unsupported content-encoding gives 415', spec: { method: 'POST', path: '/json', headers: [jsonType, ['Content-Encoding', 'compress']], body: '{}' }, status: 415 },
  { name: 'chunked JSON without content-length', spec: { method: 'POST', path: '/json', headers: [jsonType], chunks: ['{"chunked":', ' "yes"}'] }, status: 200 },
  { name: 'chunked body over the limit gives 413', spec: { method: 'POST', path: '/json', headers: [jsonType], chunks: [bigJson.slice(0, 1000), bigJson.slice(1000)] }, status: 413 },
  { name: 'empty JSON body with content-length 0', spec: { method: 'POST', path: '/json', headers: [jsonType, ['Content-Length', '0']] }, status: 200 },
  { name: 'POST without any body framing', spec: { method: 'POST', path: '/json', headers: [jsonType] }, status: 200 },
  { name: 'empty chunked body', spec: { method: 'POST', path: '/json', headers: [jsonType], chunks: [] }, status: 200 },
  { name: 'framing headers the handler sees (length)', spec: { method: 'POST', path: '/headers', body: 'abc' }, status: 200 },
  { name: 'framing headers the handler sees (chunked)', spec: { method: 'POST', path: '/headers', chunks: ['abc'] }, status: 200 },
  { name: 'handler reads with on("data")', spec: { method: 'POST', path: '/on-data', body: bodyBytes }, status: 200 },
  { name: 'handler reads with for await', spec: { method: 'POST', path: '/for-await', chunks: [bodyBytes.subarray(0, 50_000), bodyBytes.subarray(50_000)] }, status: 200 },
  { name: 'handler pipes req into a stream', spec: { method: 'POST', path: '/pipe', body: bodyBytes }, status: 200 },
  {
    name: 'handler answers without reading a small body',
    spec: { method: 'POST', path: '/ignore-body', body: 'unread' },
    status: 200,
  },
  { name: 'unread POST to a missing route gives 404', spec: { method: 'POST', path: '/missing', body: 'x'.repeat(5000) }, status: 404 },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  // Express logs every error it hands to finalhandler outside env 'test'; keep the output readable.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
});

describeEachExpress('request bodies: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => bodiesApp(express));
  });
  afterAll(async () => {
    await pair.close();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }

  it('Expect: 100-continue gets the interim 100 before the body is sent', async () => {
    const body = '{"continued":true}';
    const request = buildRequest({
      method: 'POST',
      path: '/json',
      headers: [jsonType, ['Expect', '100-continue'], ['Content-Length', String(body.length)]],
    });
    const result = await pair.exchange({ request, body, waitForContinue: true, methods: ['POST'] });
    expectSame(result);
    expect(first(result.native).interim.map((i) => i.status)).toEqual([100]);
    expect(json(result.bridged)).toEqual({ body: { continued: true }, complete: true });
  });

  it('Expect: 100-continue to a handler that answers without reading the body', async () => {
    const request = buildRequest({
      method: 'POST',
      path: '/ignore-body',
      headers: [['Expect', '100-continue'], ['Content-Length', '9']],
    });
    const result = await pair.exchange({ request, body: 'not read!', waitForContinue: true, methods: ['POST'], observeCloseMs: 300 });
    expectSame(result, { compareServerClose: true });
  });

  it('a slowly uploaded body in delayed parts', async () => {
    const parts = ['{"slow":', '"upload",', '"n":3}'];
    const request = buildRequest({ method: 'POST', path: '/json', headers: [jsonType, ['Content-Length', String(parts.join('').length)]] });
    const result = await pair.exchange({
      request,
      body: parts.map((data) => ({ data, delayMs: 60 })),
      methods: ['POST'],
    });
    expectSame(result);
    expect(json(result.bridged)).toEqual({ body: { slow: 'upload', n: 3 }, complete: true });
  });

  it('an early 413 (declared length over the limit) while the client is still uploading', async () => {
    const body = JSON.stringify({ pad: 'p'.repeat(1990) });
    const request = buildRequest({ method: 'POST', path: '/json', headers: [jsonType, ['Content-Length', String(body.length)]] });
    const result = await pair.exchange({
      request,
      body: [{ data: body.slice(0, 500) }, { data: body.slice(500), delayMs: 200 }],
      methods: ['POST'],
      observeCloseMs: 500,
    });
    expectSame(result, { compareServerClose: true });
    expect(first(result.native).status).toBe(413);
  });

  it('HTTP/1.0 keep-alive POST', async () => {
    await runScenario(pair, {
      name: '1.0 keep-alive',
      spec: { method: 'POST', path: '/json', httpVersion: '1.0', headers: [jsonType, ['Connection', 'keep-alive']], body: '{"old":true}' },
      options: { observeCloseMs: 300 },
      compare: { compareServerClose: true },
      status: 200,
    });
  });

  it('chunk extensions in a chunked request body', async () => {
    const request = buildRequest({ method: 'POST', path: '/raw-echo', headers: [['Content-Type', 'application/octet-stream'], ['Transfer-Encoding', 'chunked']] });
    const result = await pair.exchange({ request, body: '5;name=value\r\nhello\r\n6;x\r\n world\r\n0\r\n\r\n', methods: ['POST'] });
    expectSame(result);
    expect(first(result.bridged).body.toString()).toBe('hello world');
  });

  it('Transfer-Encoding: gzip, chunked reaches the parser as sent', async () => {
    await runScenario(pair, {
      name: 'te gzip',
      spec: { method: 'POST', path: '/headers', headers: [['Transfer-Encoding', 'gzip, chunked']], chunks: ['abc'] },
    });
  });

  // The request_trailers extension (with header_case: rawTrailers keep the client's case).
  it('request trailers reach req.trailers and req.rawTrailers', async () => {
    const request = buildRequest({ method: 'POST', path: '/trailers-echo', headers: [['Transfer-Encoding', 'chunked'], ['Trailer', 'X-Checksum']] });
    const result = await pair.exchange({ request, body: '3\r\nabc\r\n0\r\nX-Checksum: 42\r\nx-other: a\r\nX-Other: b\r\n\r\n', methods: ['POST'] });
    expectSame(result);
  });

  it('a multi-byte character split across chunks', async () => {
    const text = Buffer.from('€uro', 'utf8');
    await runScenario(pair, {
      name: 'split',
      spec: { method: 'POST', path: '/text', headers: [['Content-Type', 'text/plain; charset=utf-8']], chunks: [text.subarray(0, 1), text.subarray(1)] },
      status: 200,
    });
  });

  it('keep-alive after an unread body: the next request on the connection still works', async () => {
    const request = Buffer.concat([
      buildRequest({ method: 'POST', path: '/ignore-body', body: 'y'.repeat(1000) }),
      buildRequest({ path: '/missing-get' }),
    ]);
    const result = await pair.exchange({ request, methods: ['POST', 'GET'] });
    expectSame(result);
  });
});
