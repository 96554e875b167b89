/**
 * The request/response pair serve() makes on each HTTP/2 stream (instead of
 * Node's compat pair): the head held until the body, bodiless answers,
 * repeated fields, Expect, the 503 of limitConcurrency, uploads and
 * trailers, and that a request without body leaves the stream alone.
 */
import http2 from 'node:http2';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/protocol/types.js';
import { deferred, within } from '../helpers.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { closeH2, connectH2, h2request } from './h2-client.js';

let release = deferred();

const app: App = async (scope, receive, send) => {
  if (scope.type !== 'http') return;
  switch (scope.path) {
    case '/no-content':
      await send({ type: 'http.response.start', status: 204, headers: [['x-kind', 'empty']] });
      await send({ type: 'http.response.body', body: 'dropped' });
      return;
    case '/cookies':
      await send({
        type: 'http.response.start',
        status: 201,
        headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'text/plain'], ['connection', 'close']],
      });
      await send({ type: 'http.response.body', body: 'two cookies' });
      return;
    case '/echo': {
      let size = 0;
      let trailers = '';
      for (;;) {
        const event = await receive();
        if (event.type !== 'http.request') break;
        size += event.body.length;
        if (event.trailers !== undefined) trailers = event.trailers.map(([n, v]) => `${n}=${v}`).join(',');
        if (!event.more) break;
      }
      await send({ type: 'http.response.start', status: 200, headers: [['x-trailers', trailers]] });
      await send({ type: 'http.response.body', body: `got ${size}` });
      return;
    }
    case '/slow':
      await release.promise;
      break;
    case '/streamed':
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'one ', more: true });
      await send({ type: 'http.response.body', body: 'two', more: false });
      return;
    default:
      break;
  }
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
  await send({ type: 'http.response.body', body: `hello ${scope.path}` });
};

let server: TestServer;
let limited: TestServer;
beforeAll(async () => {
  server = await startTestServer(app, { http2: true });
  limited = await startTestServer(app, { http2: true, limitConcurrency: 1 });
});
afterAll(async () => {
  await server.close();
  await limited.close();
});

describe("serve({ http2: true })'s own stream pair", () => {
  it('a whole body: content-length and the bytes, on a stream that ends cleanly', async () => {
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/hi' });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe(String('hello /hi'.length));
      expect(answer.headers['date']).toBeDefined();
      expect(answer.body).toBe('hello /hi');
      expect(answer.trailers).toBeUndefined();
      expect(answer.rstCode).toBe(0);
    } finally {
      await closeH2(session);
    }
  });

  it('HEAD: the length GET would have, no body; 204: no body either', async () => {
    const session = await connectH2(server.url);
    try {
      const head = await h2request(session, { ':path': '/hi', ':method': 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String('hello /hi'.length));
      expect(head.body).toBe('');
      expect(head.rstCode).toBe(0);
      const empty = await h2request(session, { ':path': '/no-content' });
      expect(empty.status).toBe(204);
      expect(empty.headers['x-kind']).toBe('empty');
      expect(empty.body).toBe('');
      expect(empty.rstCode).toBe(0);
    } finally {
      await closeH2(session);
    }
  });

  it('repeated fields stay repeated; a connection field is dropped (HTTP/2 forbids it)', async () => {
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/cookies' });
      expect(answer.status).toBe(201);
      expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(answer.headers['connection']).toBeUndefined();
      expect(answer.body).toBe('two cookies');
    } finally {
      await closeH2(session);
    }
  });

  it('a streamed body arrives whole and the stream ends cleanly', async () => {
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/streamed' });
      expect(answer.body).toBe('one two');
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.rstCode).toBe(0);
    } finally {
      await closeH2(session);
    }
  });

  it('an upload with request trailers reaches the app', async () => {
    const session = await connectH2(server.url);
    try {
      const req = session.request({ ':method': 'POST', ':path': '/echo' }, { waitForTrailers: true });
      req.on('wantTrailers', () => req.sendTrailers({ 'x-sum': '42' }));
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      const response = within(once(req, 'response'), 5000, 'echo response') as Promise<[http2.IncomingHttpHeaders]>;
      req.end(Buffer.alloc(70_000, 1));
      const [headers] = await response;
      await within(once(req, 'end'), 5000, 'echo end');
      expect(body).toBe('got 70000');
      expect(headers['x-trailers']).toBe('x-sum=42');
    } finally {
      await closeH2(session);
    }
  });

  it('Expect: 100-continue: the 100 comes when the app reads, then the body is taken', async () => {
    const session = await connectH2(server.url);
    try {
      const req = session.request({ ':method': 'POST', ':path': '/echo', expect: '100-continue' });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      await within(once(req, 'continue'), 5000, '100 continue');
      req.end('abc');
      await within(once(req, 'end'), 5000, 'echo end');
      expect(body).toBe('got 3');
    } finally {
      await closeH2(session);
    }
  });

  it('any other expectation: 417, as Node answers it, and the app is not called', async () => {
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/hi', expect: 'teapot' });
      expect(answer.status).toBe(417);
      expect(answer.body).toBe('');
    } finally {
      await closeH2(session);
    }
  });

  it('limitConcurrency: a request beyond the limit gets 503 with Retry-After on its own stream', async () => {
    release = deferred();
    const session = await connectH2(limited.url);
    try {
      const first = h2request(session, { ':path': '/slow' });
      // The first must be in before the second is refused.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await h2request(session, { ':path': '/hi' });
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBeDefined();
      expect(second.headers['connection']).toBeUndefined();
      release.resolve();
      expect((await first).body).toBe('hello /slow');
      // The session stays usable: HTTP/2 has no connection to close per request.
      expect((await h2request(session, { ':path': '/after' })).body).toBe('hello /after');
    } finally {
      release.resolve();
      await closeH2(session);
    }
  });
});
