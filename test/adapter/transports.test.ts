/** Other transports under toNodeListener: HTTP/2 (compat API, cleartext) and Unix-domain sockets. */
import http from 'node:http';
import http2 from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { toNodeListener } from '../../src/adapter/index.js';
import type { HTTPRequestEvent, HTTPScope, SSEScope } from '../../src/protocol/types.js';
import { withDeadline } from '../helpers/server.js';
import { httpLike } from '../helpers/scope.js';

describe('transports', () => {
  it('serves HTTP/2 through the compat API: body in, streamed body out, duplicate set-cookie', async () => {
    let seen: HTTPScope | SSEScope | undefined;
    const server = http2.createServer(
      toNodeListener(async (scope, receive, send) => {
        seen = httpLike(scope);
        let body = '';
        for (;;) {
          const event = (await receive()) as HTTPRequestEvent;
          body += Buffer.from(event.body).toString();
          if (!event.more) break;
        }
        await send({ type: 'http.response.start', status: 200, headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2']] });
        await send({ type: 'http.response.body', body: `got ${body}`, more: true });
        await send({ type: 'http.response.body', body: '!' });
      }) as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const result = await withDeadline(
        new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
          const req = client.request({ ':path': '/h2?x=1', ':method': 'POST' });
          let headers: http2.IncomingHttpHeaders = {};
          let body = '';
          req.on('response', (h) => (headers = h));
          req.on('data', (d: Buffer) => (body += d.toString()));
          req.on('end', () => resolve({ headers, body }));
          req.on('error', reject);
          req.end('payload');
        }),
        5000,
        'h2 request',
      );
      expect(result.body).toBe('got payload!');
      expect(result.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(seen?.http_version).toBe('2');
      expect([seen?.path, seen?.query_string]).toEqual(['/h2', 'x=1']);
      expect(seen?.headers.some(([name]) => name.startsWith(':'))).toBe(false);
      expect(seen?.headers.find(([name]) => name === 'host')?.[1]).toBe(`127.0.0.1:${port}`);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('HTTP/2: a 500 backstop without connection headers, and an incomplete response resets the stream', async () => {
    const server = http2.createServer(
      toNodeListener(
        async (scope, _receive, send) => {
          if (httpLike(scope).path === '/fail') throw new Error('boom');
          await send({ type: 'http.response.start', status: 200, headers: [['keep-alive', 'timeout=5'], ['upgrade', 'x']] });
          await send({ type: 'http.response.body', body: 'partial', more: true });
        },
        { logger: { error: () => {} } },
      ) as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    const fetchH2 = (path: string): Promise<{ status: number; body: string; rstCode: number | undefined }> =>
      withDeadline(
        new Promise((resolve) => {
          const req = client.request({ ':path': path });
          let status = 0;
          let body = '';
          req.on('response', (h) => (status = Number(h[':status'])));
          req.on('data', (d: Buffer) => (body += d.toString()));
          req.on('close', () => resolve({ status, body, rstCode: req.rstCode }));
          req.on('error', () => {});
          req.end();
        }),
        5000,
        path,
      );
    try {
      const failed = await fetchH2('/fail');
      expect([failed.status, failed.body]).toEqual([500, 'Internal Server Error']);
      const cut = await fetchH2('/cut');
      expect(cut.status).toBe(200);
      expect(cut.rstCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports [path, null] as server and no client on a Unix-domain socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagi-unix-'));
    const socketPath = join(dir, 'app.sock');
    let seen: HTTPScope | SSEScope | undefined;
    const server = http.createServer(
      toNodeListener(async (scope, _receive, send) => {
        seen = httpLike(scope);
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'unix' });
      }),
    );
    try {
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      const body = await withDeadline(
        new Promise<string>((resolve, reject) => {
          http
            .get({ socketPath, path: '/' }, (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(text));
            })
            .on('error', reject);
        }),
        5000,
        'unix request',
      );
      expect(body).toBe('unix');
      expect(seen?.server).toEqual([socketPath, null]);
      expect(seen !== undefined && 'client' in seen).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
