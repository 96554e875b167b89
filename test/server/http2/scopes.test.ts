/** `http` and `sse` scopes over HTTP/2: SSE events as sent, trailers, and RST_STREAM as that scope's disconnect only. */
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, ReceiveEvent } from '../../../src/protocol/types.js';
import { deferred, waitFor, within } from '../helpers.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { abandonUpload, closeH2, connectH2, h2request } from './h2-client.js';

/** `/sse` waits for this before its second event: the first must have arrived on its own. */
let releaseSecond = deferred();
const ends = new Map<string, ReceiveEvent>();
/** `/upload?<name>`: the receive() results, in order. */
const uploads = new Map<string, string[]>();

const app: App = async (scope, receive, send) => {
  if (scope.type === 'sse') {
    await send({ type: 'sse.start', headers: [['x-kind', 'sse']] });
    await send({ type: 'sse.send', event: 'tick', data: 'one' });
    await releaseSecond.promise;
    await send({ type: 'sse.send', data: 'two', id: '2' });
    await send({ type: 'sse.close' });
    return;
  }
  if (scope.type !== 'http') return;
  if (scope.path === '/trailers') {
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']], trailers: true });
    await send({ type: 'http.response.body', body: 'body', more: true });
    await send({ type: 'http.response.trailers', headers: [['x-checksum', 'abc']] });
    return;
  }
  if (scope.path === '/upload') {
    const seen: string[] = [];
    uploads.set(scope.query_string, seen);
    for (;;) {
      const event = await receive();
      seen.push(event.type === 'http.request' ? `body ${event.body.length} more=${String(event.more)}` : event.type);
      if (event.type !== 'http.request' || !event.more) return;
    }
  }
  if (scope.path === '/hang') {
    await send({ type: 'http.response.start', status: 200 });
    await send({ type: 'http.response.body', body: 'partial', more: true });
    for (let event = await receive(); ; event = await receive()) {
      if (event.type === 'http.disconnect') {
        ends.set(scope.path, event);
        return;
      }
    }
    return;
  }
  await send({ type: 'http.response.start', status: 200 });
  await send({ type: 'http.response.body', body: `ok ${scope.path}` });
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(app, { http2: true });
});
afterAll(async () => {
  await server.close();
});

describe('scopes over HTTP/2', () => {
  it('sse: the head and each event arrive as sent, not at the end', async () => {
    releaseSecond = deferred();
    const session = await connectH2(server.url);
    try {
      const req = session.request({ ':path': '/events', accept: 'text/event-stream' });
      req.setEncoding('utf8');
      let text = '';
      const head = within(new Promise<http2.IncomingHttpHeaders>((resolve) => req.once('response', resolve)), 5000, 'sse head');
      req.on('data', (d: string) => (text += d));
      const h = await head;
      expect(h[':status']).toBe(200);
      expect(h['content-type']).toMatch(/^text\/event-stream/);
      expect(h['x-kind']).toBe('sse');
      await waitFor(() => text.includes('data: one'), 5000, 'first event');
      expect(text).toContain('event: tick\ndata: one\n\n');
      expect(text).not.toContain('two');
      const ended = within(new Promise((resolve) => req.once('end', resolve)), 5000, 'sse end');
      releaseSecond.resolve();
      await ended;
      expect(text).toMatch(/(id: 2\ndata: two|data: two\nid: 2)\n\n/);
    } finally {
      await closeH2(session);
    }
  });

  it('trailers: sent as an HTTP/2 trailing HEADERS frame', async () => {
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/trailers', te: 'trailers' });
      expect(answer.body).toBe('body');
      expect(answer.trailers?.['x-checksum']).toBe('abc');
    } finally {
      await closeH2(session);
    }
  });


  for (const [name, code] of [['CANCEL', http2.constants.NGHTTP2_CANCEL], ['NO_ERROR', http2.constants.NGHTTP2_NO_ERROR]] as const) {
    it(`RST_STREAM (${name}) mid-upload, before END_STREAM: http.disconnect, never the cut body as complete`, async () => {
      // Node's compat request ends (and says complete) on a reset; the body reader must not believe it.
      await abandonUpload(server.port, `/upload?${name}`, 1000, code, () =>
        waitFor(() => (uploads.get(name)?.length ?? 0) > 0, 5000, 'first body chunk'),
      );
      await waitFor(() => uploads.get(name)?.at(-1) === 'http.disconnect' || /more=false/.test(uploads.get(name)?.at(-1) ?? ''), 5000, 'end of the upload');
      expect(uploads.get(name)).toEqual(['body 1000 more=true', 'http.disconnect']);
    });
  }

  it('RST_STREAM of one stream is http.disconnect for that scope; another stream on the session completes', async () => {
    const session = await connectH2(server.url);
    try {
      const hang = session.request({ ':path': '/hang' }, { endStream: true });
      hang.on('error', () => {});
      await within(new Promise((resolve) => hang.once('data', resolve)), 5000, 'partial body');
      hang.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => ends.has('/hang'), 5000, 'disconnect of the reset scope');
      expect(ends.get('/hang')?.type).toBe('http.disconnect');
      const other = await h2request(session, { ':path': '/other' });
      expect(other.body).toBe('ok /other');
    } finally {
      await closeH2(session);
    }
  });
});
