import { once } from 'node:events';
import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App, HTTPScope, Scope } from '../../src/protocol/types.js';
import { selfSignedCert } from '../differential/tls-cert.js';
import { connect, deferred, readAll, within } from './helpers.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(app: App, options: TestServerOptions = {}): Promise<TestServer> {
  server = await startTestServer(app, options);
  return server;
}

/** Reads the whole body, then answers with the number of bytes. */
const countBody: App = async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  let total = 0;
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') return;
    total += event.body.length;
    if (!event.more) break;
  }
  await send({ type: 'http.response.start', status: 200 });
  await send({ type: 'http.response.body', body: String(total) });
};

/** Echoes the scope keys the server sets. */
const describeScope: App = async (scope, _receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  const { path, raw_path, root_path, scheme, query_string } = scope;
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({
    type: 'http.response.body',
    body: JSON.stringify({ path, raw_path, root_path, scheme, query_string, tls: scope.extensions.tls ?? null }),
  });
};

describe('serve(): HTTP', () => {
  it('reports its address and url, and applies root_path', async () => {
    const s = await start(describeScope, { rootPath: '/api' });
    expect(s.handle.address).toEqual({ host: '127.0.0.1', port: s.port });
    expect(s.handle.url).toBe(`http://127.0.0.1:${s.port}`);
    const body = (await (await fetch(`${s.url}/users/%C3%A9?q=1`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ path: '/users/é', raw_path: '/api/users/%C3%A9', root_path: '/api', scheme: 'http', query_string: 'q=1' });
  });

  it('answers 413 before calling the app when content-length is above maxBodySize', async () => {
    let calls = 0;
    const s = await start(
      async (scope, receive, send) => {
        if (scope.type === 'http') calls++;
        await countBody(scope, receive, send);
      },
      { maxBodySize: 1000 },
    );
    const small = await fetch(s.url, { method: 'POST', body: 'x'.repeat(1000) });
    expect(await small.text()).toBe('1000');
    const big = await fetch(s.url, { method: 'POST', body: 'x'.repeat(1001) });
    expect(big.status).toBe(413);
    expect(calls).toBe(1);
  });

  it('ends a chunked body crossing maxBodySize with 413 and body_too_large', async () => {
    const reason = deferred<string | undefined>();
    const s = await start(
      async (scope, receive) => {
        if (scope.type !== 'http') throw new Error('http only');
        for (;;) {
          const event = await receive();
          if (event.type === 'http.disconnect') break;
        }
        reason.resolve(scope['pagi.connection'].disconnect_reason());
      },
      { maxBodySize: 100, logSink: [] },
    );
    const socket = await connect(s.port);
    const all = readAll(socket);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    socket.write(`c8\r\n${'y'.repeat(200)}\r\n`);
    expect((await all).toString()).toMatch(/^HTTP\/1\.1 413 /);
    expect(await within(reason.promise, 5000, 'disconnect reason')).toBe('body_too_large');
  });

  it('answers 431 when the request head is above maxHeaderSize', async () => {
    const s = await start(describeScope, { maxHeaderSize: 2048 });
    const socket = await connect(s.port);
    const all = readAll(socket);
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    expect((await all).toString()).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('closes an idle keep-alive connection after timeoutKeepAlive', async () => {
    const s = await start(describeScope, { timeoutKeepAlive: 0.2 });
    const socket = await connect(s.port);
    const all = readAll(socket, 5000);
    const started = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = (await all).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toMatch(/keep-alive: timeout=0/i);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('drops a client that never finishes its request head (headersTimeout)', async () => {
    const s = await start(describeScope, { headersTimeout: 0.3, requestTimeout: 0.5 });
    const socket = await connect(s.port);
    const all = readAll(socket, 10_000);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const text = (await all).toString();
    expect(text === '' || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
  });

  it('writes an access log line in common log format when asked', async () => {
    const lines: string[] = [];
    const s = await start(describeScope, { accessLog: (line) => lines.push(line) });
    await (await fetch(`${s.url}/x?y=1`)).text();
    await (await fetch(s.url, { method: 'HEAD' })).text();
    await new Promise((r) => setTimeout(r, 50));
    expect(lines[0]).toMatch(/^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/x\?y=1 HTTP\/1\.1" 200 \d+$/);
    expect(lines[1]).toMatch(/"HEAD \/ HTTP\/1\.1" 200 -$/);
  });

  it('answers a non-WebSocket upgrade (h2c) as plain HTTP', async () => {
    const s = await start(describeScope);
    const socket = await connect(s.port);
    const all = readAll(socket);
    socket.write('GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n');
    const text = (await all).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('"path":"/plain"');
  });

  it('serves https and wss with extensions.tls', async () => {
    const { key, cert } = await selfSignedCert();
    const wsScope = deferred<Scope>();
    const s = await start(
      async (scope, receive, send) => {
        if (scope.type === 'websocket') {
          wsScope.resolve(scope);
          await receive();
          await send({ type: 'websocket.accept' });
          await send({ type: 'websocket.send', text: 'secure' });
          await send({ type: 'websocket.close' });
          return;
        }
        await describeScope(scope, receive, send);
      },
      { tls: { key, cert } },
    );
    expect(s.handle.url).toBe(`https://127.0.0.1:${s.port}`);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${s.handle.url}/secure`, { rejectUnauthorized: false }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    const parsed = JSON.parse(body) as { scheme: string; tls: { server_cert: string; tls_version: number; client_cert_chain: string[] } };
    expect(parsed.scheme).toBe('https');
    expect(parsed.tls.server_cert).toContain('BEGIN CERTIFICATE');
    expect([0x0303, 0x0304]).toContain(parsed.tls.tls_version);
    expect(parsed.tls.client_cert_chain).toEqual([]);

    const ws = new WebSocket(`wss://127.0.0.1:${s.port}/sock`, { rejectUnauthorized: false });
    ws.on('error', () => {});
    const [message] = (await within(once(ws, 'message'), 5000, 'wss message')) as [Buffer];
    expect(message.toString()).toBe('secure');
    const scope = (await wsScope.promise) as Exclude<Scope, HTTPScope>;
    expect(scope).toMatchObject({ type: 'websocket', scheme: 'wss' });
    expect((scope as { extensions: { tls?: unknown } }).extensions.tls).toBeDefined();
    await within(once(ws, 'close'), 5000, 'wss close');
  });
});
