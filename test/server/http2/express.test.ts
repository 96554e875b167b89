/**
 * `fromExpress(app)` over HTTP/2, differentially: one Express app factory, served natively on
 * `http.createServer(app)` (HTTP/1.1) and through `serve(fromExpress(app), { http2: true })`
 * (h2c). Each route must answer the same status, headers (minus the connection-specific ones
 * HTTP/2 forbids, and `date`) and body both ways. Then RST_STREAM while Express streams: the
 * handler's `req`/`res` see what Node's own compat server shows a handler natively.
 */
import express, { type Express } from 'express';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromExpress } from '../../../src/bridge/index.js';
import { waitFor, within } from '../helpers.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { abandonUpload, closeH2, connectH2, h2request } from './h2-client.js';

const staticDir = mkdtempSync(path.join(os.tmpdir(), 'pagi-h2-express-'));
// Past HTTP/2's default 64 KiB window: the file only arrives whole if flow control works through the bridge.
writeFileSync(path.join(staticDir, 'page.html'), `<!doctype html><p>${'static '.repeat(30_000)}</p>\n`);

const BIG_JSON = JSON.stringify({ items: Array.from({ length: 8000 }, (_, i) => `item ${i}`) });

/** What the streaming route's req/res emitted, per side. */
const streamEvents = new Map<string, string[]>();

function record(side: string, req: http.IncomingMessage | Http2ServerRequest, res: http.ServerResponse | Http2ServerResponse): void {
  const events: string[] = [];
  streamEvents.set(side, events);
  for (const name of ['aborted', 'close', 'error']) req.on(name, () => events.push(`req:${name}`));
  for (const name of ['close', 'error']) res.on(name, () => events.push(`res:${name}`));
}

/** The part of node:http's and node:http2's responses the streaming handler uses. */
interface StreamingResponse {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  write(chunk: string): boolean;
  end(): unknown;
}

/** Writes a chunk every 10 ms until the client goes (or 5 s pass). */
function streamUntilGone(res: StreamingResponse): void {
  let n = 0;
  const timer = setInterval(() => {
    if (res.destroyed || res.writableEnded || n++ > 500) {
      clearInterval(timer);
      if (!res.writableEnded) res.end();
      return;
    }
    res.write(`chunk ${n}\n`);
  }, 10);
}

function makeApp(side: string): Express {
  const app = express();
  // finalhandler's production page: no stack trace, whose frames would differ between the sides.
  app.set('env', 'production');
  app.use('/static', express.static(staticDir));
  app.get('/json', (_req, res) => {
    res.json({ hello: 'world', list: [1, 2, 3] });
  });
  app.get('/redirect', (_req, res) => {
    res.redirect('/elsewhere');
  });
  app.get('/chunks', (_req, res) => {
    res.type('text/plain');
    res.write('one\n');
    setTimeout(() => {
      res.write('two\n');
      setTimeout(() => res.end('three\n'), 5);
    }, 5);
  });
  app.get('/cookies', (_req, res) => {
    res.cookie('session', 'abc123', { httpOnly: true, path: '/' });
    res.cookie('theme', 'dark', { maxAge: 60_000, expires: undefined });
    res.send('cookies set');
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.post('/echo', express.json(), (req, res) => {
    res.status(201).json({ got: req.body as unknown, length: req.get('content-length') ?? null });
  });
  app.post('/upload', (req, res) => {
    record(side, req, res);
    req.resume();
  });
  app.get('/stream', (req, res) => {
    record(side, req, res);
    res.type('text/plain');
    streamUntilGone(res);
  });
  return app;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function http1request(port: number, method: string, target: string, headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<Answer> {
  return within(
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    }),
    5000,
    `HTTP/1.1 ${method} ${target}`,
  );
}

// Connection-specific (RFC 9113 §8.2.2) and per-moment fields; everything else must match.
const NOT_COMPARED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

function comparable(headers: IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':') && !NOT_COMPARED.has(name)));
}

let native: http.Server;
let nativePort: number;
let bridged: TestServer;
let nativeH2: http2.Http2Server;
let nativeH2Url: string;

beforeAll(async () => {
  native = http.createServer(makeApp('native-http1'));
  native.listen(0, '127.0.0.1');
  await once(native, 'listening');
  nativePort = (native.address() as AddressInfo).port;
  bridged = await startTestServer(fromExpress(makeApp('bridged-h2')), { http2: true });
  // Express cannot run on http2.createServer, so the native HTTP/2 reference for the reset is the
  // same streaming handler written on Node's compat API directly.
  nativeH2 = http2.createServer((req, res) => {
    if (req.url === '/upload') {
      record('native-h2', req, res);
      req.resume();
      return;
    }
    if (req.url !== '/stream') return void res.writeHead(404).end();
    record('native-h2', req, res);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    streamUntilGone(res);
  });
  nativeH2.listen(0, '127.0.0.1');
  await once(nativeH2, 'listening');
  nativeH2Url = `http://127.0.0.1:${(nativeH2.address() as AddressInfo).port}`;
});
afterAll(async () => {
  native.closeAllConnections();
  await new Promise((resolve) => native.close(resolve));
  await bridged.close();
  await new Promise((resolve) => nativeH2.close(resolve));
  rmSync(staticDir, { recursive: true, force: true });
});

const ROUTES: Array<{ name: string; method?: string; target: string; headers?: Record<string, string>; body?: string }> = [
  { name: 'express.static', target: '/static/page.html' },
  { name: 'express.static, HEAD', method: 'HEAD', target: '/static/page.html' },
  { name: 'express.static, a range', target: '/static/page.html', headers: { range: 'bytes=10-99' } },
  { name: 'express.static, conditional (If-None-Match of the ETag) → 304', target: '/static/page.html', headers: { 'if-none-match': 'ETAG' } },
  { name: 'express.static, a missing file → 404', target: '/static/nope.html' },
  { name: 'res.json', target: '/json' },
  { name: 'res.redirect', target: '/redirect' },
  { name: 'streaming res.write', target: '/chunks' },
  { name: 'two cookies', target: '/cookies' },
  { name: 'a thrown error → 500', target: '/boom' },
  { name: 'express.json POST with content-length', method: 'POST', target: '/echo', headers: { 'content-type': 'application/json', 'content-length': '15' }, body: '{"a":[1,"two"]}' },
  // Past the 64 KiB window in the upload direction (express.json's limit is 100 KB).
  { name: 'express.json POST, 95 KB', method: 'POST', target: '/echo', headers: { 'content-type': 'application/json', 'content-length': String(BIG_JSON.length) }, body: BIG_JSON },
  { name: 'an unknown route → 404', target: '/nowhere' },
];

describe('fromExpress over HTTP/2 answers as native Express does on HTTP/1.1', () => {
  let etag = '';
  beforeAll(async () => {
    etag = String((await http1request(nativePort, 'GET', '/static/page.html')).headers.etag);
  });

  for (const route of ROUTES) {
    it(route.name, async () => {
      const method = route.method ?? 'GET';
      const headers = Object.fromEntries(Object.entries(route.headers ?? {}).map(([k, v]) => [k, v === 'ETAG' ? etag : v]));
      const expected = await http1request(nativePort, method, route.target, headers, route.body);
      const session = await connectH2(bridged.url);
      try {
        const got = await h2request(session, { ':method': method, ':path': route.target, ...headers }, route.body);
        expect(got.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
        expect({ status: got.status, headers: comparable(got.headers), body: got.body }).toEqual({
          status: expected.status,
          headers: comparable(expected.headers),
          body: expected.body,
        });
      } finally {
        await closeH2(session);
      }
    });
  }

  it('express.json POST without content-length (an HTTP/2 client need not send one): the same JSON', async () => {
    const body = '{"a":[1,"two"]}';
    const session = await connectH2(bridged.url);
    try {
      const got = await h2request(session, { ':method': 'POST', ':path': '/echo', 'content-type': 'application/json' }, body);
      expect(got.status).toBe(201);
      // Express sees the body as chunked, as node:http shows a chunked HTTP/1.1 upload.
      expect(JSON.parse(got.body)).toEqual({ got: { a: [1, 'two'] }, length: null });
    } finally {
      await closeH2(session);
    }
  });
});

describe('RST_STREAM while Express streams', () => {
  async function resetMidStream(url: string, side: string): Promise<string[]> {
    const session = await connectH2(url);
    try {
      const stream = session.request({ ':path': '/stream' }, { endStream: true });
      stream.on('error', () => {});
      await within(new Promise((resolve) => stream.once('data', resolve)), 5000, `${side}: first chunk`);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      const events = () => streamEvents.get(side) ?? [];
      await waitFor(() => events().includes('req:close') && events().includes('res:close'), 5000, `${side}: req and res close`);
      // Anything late (a second 'close', an 'error') would show up here.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return events();
    } finally {
      await closeH2(session);
    }
  }

  it("mid-upload (RST_STREAM before END_STREAM): req 'aborted' and 'close', res 'close', no 'error', as natively", async () => {
    streamEvents.clear();
    const portOf = (url: string) => Number(new URL(url).port);
    for (const [url, side] of [[nativeH2Url, 'native-h2'], [bridged.url, 'bridged-h2']] as const) {
      await abandonUpload(portOf(url), '/upload', 1000, http2.constants.NGHTTP2_CANCEL, () => waitFor(() => streamEvents.has(side), 5000, `${side}: handler called`));
      const events = () => streamEvents.get(side) ?? [];
      await waitFor(() => events().includes('req:close') && events().includes('res:close'), 5000, `${side}: req and res close`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const nativeEvents = streamEvents.get('native-h2') ?? [];
    expect(nativeEvents).toContain('req:aborted');
    expect([...(streamEvents.get('bridged-h2') ?? [])].sort()).toEqual([...nativeEvents].sort());
  });

  it("the handler's req emits 'aborted' then 'close', its res 'close', as on Node's compat server", async () => {
    streamEvents.clear();
    const nativeEvents = await resetMidStream(nativeH2Url, 'native-h2');
    const bridgedEvents = await resetMidStream(bridged.url, 'bridged-h2');
    expect(nativeEvents).toContain('req:aborted');
    expect([...bridgedEvents].sort()).toEqual([...nativeEvents].sort());
    expect(bridgedEvents.indexOf('req:aborted')).toBeLessThan(bridgedEvents.indexOf('req:close'));
  });
});
