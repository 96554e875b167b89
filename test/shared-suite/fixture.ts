/**
 * The fixture app of the shared suite: native endpoints behind `mount` and
 * `cascade`, so the composition is exercised on both transports too.
 */
import { cascade, mount } from '../../src/compose/index.js';
import { getHeader } from '../../src/protocol/headers.js';
import type { App, HTTPScope, Receive, SSEScope, Send } from '../../src/protocol/types.js';

export interface FixtureControls {
  /** Opened by the test to let `/api/stream` send its second chunk. */
  releaseStream(): void;
  /** What `/api/hold` saw after its client left: `<event type> <disconnect_reason()>`. */
  seenAfterDisconnect: string[];
}

async function readAll(receive: Receive): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request' && event.type !== 'sse.request') return Buffer.concat(chunks);
    chunks.push(event.body);
    if (!event.more) return Buffer.concat(chunks);
  }
}

async function text(send: Send, status: number, body: string, headers: Array<[string, string]> = []): Promise<void> {
  await send({ type: 'http.response.start', status, headers: [['content-type', 'text/plain; charset=utf-8'], ...headers] });
  await send({ type: 'http.response.body', body });
}

export function createFixture(): { app: App } & FixtureControls {
  let release!: () => void;
  let released = new Promise<void>((resolve) => (release = resolve));
  const controls: FixtureControls = {
    releaseStream: () => release(),
    seenAfterDisconnect: [],
  };

  const api: App = async (scope, receive, send) => {
    if (scope.type !== 'http') return text(send, 404, 'not here');
    const s: HTTPScope = scope;
    switch (s.path) {
      case '/hello':
        await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['content-length', '5']] });
        await send({ type: 'http.response.body', body: 'hello' });
        return;
      case '/echo': {
        const body = await readAll(receive);
        await send({
          type: 'http.response.start',
          status: 200,
          headers: [['content-type', getHeader(s.headers, 'content-type') ?? 'application/octet-stream'], ['x-body-length', String(body.length)]],
        });
        await send({ type: 'http.response.body', body });
        return;
      }
      case '/stream':
        await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
        await send({ type: 'http.response.body', body: 'first;', more: true });
        await released;
        released = new Promise<void>((resolve) => (release = resolve));
        await send({ type: 'http.response.body', body: 'second', more: true });
        await send({ type: 'http.response.body', body: '' });
        return;
      case '/hold': {
        await receive();
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'holding', more: true });
        const event = await receive();
        controls.seenAfterDisconnect.push(`${event.type} ${s['pagi.connection'].disconnect_reason() ?? 'none'}`);
        return;
      }
      case '/cookies':
        await text(send, 200, 'cookies', [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; HttpOnly']]);
        return;
      default:
        return text(send, 404, 'api: no such endpoint');
    }
  };

  /** Behind `api` in the cascade: answers what `api` declined under /api/info. */
  const info: App = async (scope, receive, send) => {
    if (scope.type === 'lifespan') return;
    if (scope.path.startsWith('/info')) {
      const body = await readAll(receive);
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
      await send({
        type: 'http.response.body',
        body: JSON.stringify({
          type: scope.type,
          method: (scope as HTTPScope).method,
          path: scope.path,
          root_path: scope.root_path,
          raw_path: scope.raw_path,
          query_string: scope.query_string,
          test_header: getHeader(scope.headers, 'x-test') ?? null,
          body: body.toString(),
        }),
      });
      return;
    }
    return text(send, 404, 'nobody has this');
  };

  const events: App = async (scope, _receive, send) => {
    if (scope.type !== 'sse') return text(send, 406, 'use an event stream');
    const s: SSEScope = scope;
    if (s.path === '/denied') return text(send, 403, 'denied');
    await send({ type: 'sse.start', headers: [['x-stream', 'yes']] });
    await send({ type: 'sse.send', data: 'plain' });
    await send({ type: 'sse.comment', comment: 'a comment' });
    await send({ type: 'sse.send', event: 'update', data: 'line 1\nline 2', id: '42', retry: 2500 });
    await send({ type: 'sse.send', data: '' });
    await send({ type: 'sse.close' });
  };

  /** In front of the stream: declines everything, so the stream comes from the next app of a cascade. */
  const notMine: App = async (_scope, _receive, send) => text(send, 404, 'not mine');
  const app = mount({ '/api': cascade(api, info), '/events': cascade(notMine, events) });
  return { app, ...controls };
}
