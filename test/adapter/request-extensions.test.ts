/**
 * The request-side extensions of issue 16 (docs/protocol.md#extensions):
 * `request_target`, `header_case` and `request_trailers`, as `toNodeListener`
 * and `serve()` offer them over real sockets, and as `TestClient` fills them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, HTTPRequestEvent } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';
import { servePagi, type PagiServer } from '../helpers/server.js';
import { rawExchange } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../server/test-server.js';

/** Reads the whole body, then answers with what the scope and the last body event carried. */
const reporter: App = async (scope, receive, send) => {
  if (scope.type !== 'http') return;
  let last: HTTPRequestEvent | undefined;
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') break;
    if (!event.more) {
      last = event;
      break;
    }
  }
  const { request_target, header_case, request_trailers } = scope.extensions;
  const body = JSON.stringify({
    target: request_target?.target,
    raw_path: scope.raw_path,
    query_string: scope.query_string,
    raw_headers: header_case?.raw_headers,
    trailers_offered: request_trailers !== undefined,
    trailers: last?.trailers,
    raw_trailers: last?.raw_trailers,
  });
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json'], ['connection', 'close']] });
  await send({ type: 'http.response.body', body });
};

function bodyOf(response: string): Record<string, unknown> {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

const chunked =
  'POST http://example.test/up? HTTP/1.1\r\nHost: example.test\r\nCookie: a=1\r\nX-Case: A\r\ncookie: b=2\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '3\r\nabc\r\n0\r\nX-Checksum: 42\r\nx-checksum: 43\r\n\r\n';

describe.each([
  ['toNodeListener', async (app: App): Promise<PagiServer | TestServer> => servePagi(app)],
  ['serve()', async (app: App): Promise<PagiServer | TestServer> => startTestServer(app)],
] as const)('%s', (_label, start) => {
  let server: PagiServer | TestServer;
  beforeAll(async () => {
    server = await start(reporter);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('offers the raw target, the raw header list and the trailers of a chunked body', async () => {
    const seen = bodyOf(await rawExchange(server.port, chunked));
    expect(seen).toEqual({
      target: 'http://example.test/up?',
      raw_path: '/up',
      query_string: '',
      raw_headers: ['Host', 'example.test', 'Cookie', 'a=1', 'X-Case', 'A', 'cookie', 'b=2', 'Transfer-Encoding', 'chunked'],
      trailers_offered: true,
      trailers: [
        ['x-checksum', '42'],
        ['x-checksum', '43'],
      ],
      raw_trailers: ['X-Checksum', '42', 'x-checksum', '43'],
    });
  });

  it('a body without trailers has no trailers field; HTTP/1.0 gets no request_trailers', async () => {
    const plain = bodyOf(await rawExchange(server.port, 'GET /p?q HTTP/1.1\r\nHost: h\r\n\r\n'));
    expect(plain).toMatchObject({ target: '/p?q', trailers_offered: true });
    expect(plain).not.toHaveProperty('trailers');
    const old = bodyOf(await rawExchange(server.port, 'GET /p HTTP/1.0\r\nHost: h\r\n\r\n'));
    expect(old).toMatchObject({ target: '/p', trailers_offered: false });
  });
});

describe('TestClient', () => {
  it('fills request_target (a bare ? kept) and delivers request trailers', async () => {
    const client = new TestClient(reporter);
    const response = await client.post('/up?', { body: 'abc', trailers: [['X-Checksum', '42']] });
    expect(await response.json()).toMatchObject({ target: '/up?', raw_path: '/up', trailers_offered: true, trailers: [['x-checksum', '42']] });
    const query = await client.get('/p', { query: { a: '1' } });
    expect(await query.json()).toMatchObject({ target: '/p?a=1' });
  });

  it('sends no trailers when the extensions given leave request_trailers out', async () => {
    const client = new TestClient(reporter, { extensions: {} });
    const response = await client.post('/up', { body: 'abc', trailers: [['x-checksum', '42']] });
    expect(await response.json()).toEqual({ raw_path: '/up', query_string: '', trailers_offered: false });
  });
});
