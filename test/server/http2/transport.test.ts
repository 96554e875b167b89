/** `http2: true`: h2c with prior knowledge and HTTP/1.1 on one port; TLS with ALPN h2 and HTTP/1.1 fallback. */
import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import type { App, HTTPScope } from '../../../src/protocol/types.js';
import { localhostCert } from '../../helpers/tls.js';
import { within } from '../helpers.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { closeH2, connectH2, h2request } from './h2-client.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** Answers with what the scope said, as JSON. */
const echoScope: App = async (scope, _receive, send) => {
  const s = scope as HTTPScope;
  const body = JSON.stringify({
    type: s.type,
    http_version: s.http_version,
    method: s.method,
    scheme: s.scheme,
    path: s.path,
    query_string: s.query_string,
    headers: s.headers,
    tls: s.extensions?.tls !== undefined,
  });
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body });
};

type Seen = { type: string; http_version: string; method: string; scheme: string; path: string; query_string: string; headers: [string, string][]; tls: boolean };

describe('serve({ http2: true }) transports', () => {
  it('cleartext: h2c with prior knowledge and HTTP/1.1 on the same port', async () => {
    const server = await startTestServer(echoScope, { http2: true });
    servers.push(server);
    const session = await connectH2(server.url);
    try {
      const h2 = await h2request(session, { ':path': '/a%20b?x=1', 'x-test': 'yes' });
      expect(h2.status).toBe(200);
      const seen = JSON.parse(h2.body) as Seen;
      expect(seen).toMatchObject({ type: 'http', http_version: '2', method: 'GET', scheme: 'http', path: '/a b', query_string: 'x=1', tls: false });
      // Pseudo-headers removed; :authority became host (first), the rest as sent.
      expect(seen.headers.some(([name]) => name.startsWith(':'))).toBe(false);
      expect(seen.headers[0]).toEqual(['host', `127.0.0.1:${server.port}`]);
      expect(seen.headers).toContainEqual(['x-test', 'yes']);

      const h1 = await within(fetch(`${server.url}/one?y=2`), 5000, 'http/1.1 fetch');
      const seen1 = (await h1.json()) as Seen;
      expect(seen1).toMatchObject({ http_version: '1.1', path: '/one', query_string: 'y=2' });
    } finally {
      await closeH2(session);
    }
  });

  it('cleartext: HTTP/1.1 requests starting like the preface (PUT, POST) stay HTTP/1.1', async () => {
    const server = await startTestServer(echoScope, { http2: true });
    servers.push(server);
    for (const method of ['PUT', 'POST', 'PATCH']) {
      const res = await within(fetch(`${server.url}/m`, { method, body: 'x' }), 5000, method);
      expect(((await res.json()) as Seen).method).toBe(method);
    }
  });

  it('TLS: ALPN h2 is HTTP/2 (scheme https, tls extension); an HTTP/1.1-only client is served too', async () => {
    const tls = await localhostCert();
    const server = await startTestServer(echoScope, { http2: true, tls });
    servers.push(server);
    const url = `https://127.0.0.1:${server.port}`;
    const session = await connectH2(url);
    try {
      expect(session.alpnProtocol).toBe('h2');
      const seen = JSON.parse((await h2request(session, { ':path': '/secure' })).body) as Seen;
      expect(seen).toMatchObject({ http_version: '2', scheme: 'https', path: '/secure', tls: true });
    } finally {
      await closeH2(session);
    }
    const h1 = await within(
      new Promise<{ alpn: string | false | null; seen: Seen }>((resolve, reject) => {
        const req = https.get(`${url}/old`, { rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], agent: false } as https.RequestOptions, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol, seen: JSON.parse(text) as Seen }));
        });
        req.on('error', reject);
      }),
      5000,
      'https/1.1',
    );
    expect(h1.alpn).toBe('http/1.1');
    expect(h1.seen).toMatchObject({ http_version: '1.1', scheme: 'https', tls: true });
  });

  it('without http2 the preface is not HTTP/2 (HTTP/1.1 only, as before)', async () => {
    const server = await startTestServer(echoScope);
    servers.push(server);
    const session = (await import('node:http2')).connect(server.url);
    const failed = await within(
      new Promise<boolean>((resolve) => {
        session.on('error', () => resolve(true));
        session.on('remoteSettings', () => resolve(false));
      }),
      5000,
      'h2c refused',
    );
    session.destroy();
    expect(failed).toBe(true);
  });
});

