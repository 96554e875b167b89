// Native PAGI applications, one per scenario, written the way a user would write them: every send
// awaited, bodies read through receive(). Each also answers `lifespan` so `serve()` starts cleanly.
import type { App, Receive, Scope, Send } from '../../src/protocol/types.js';
import { Disconnected } from '../../src/protocol/errors.js';
import { STREAM_CHUNK, STREAM_CHUNKS } from './payloads.js';
import { nextBroadcast } from './broadcaster.js';

const HELLO_BODY = Buffer.from('Hello, World!');
const HELLO_HEADERS: Array<[string, string]> = [
  ['content-type', 'text/plain'],
  ['content-length', String(HELLO_BODY.length)],
];

/** Answers the lifespan scope; every other scope type goes to `handle`. */
function withLifespan(handle: App): App {
  return async function lifespanAware(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type !== 'lifespan') return handle(scope, receive, send);
    for (;;) {
      const event = await receive();
      if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
      if (event.type === 'lifespan.shutdown') {
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
    }
  };
}

async function readBody(receive: Receive): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const event = await receive();
    if (event.type === 'http.disconnect') throw new Disconnected('client_closed');
    if (event.type !== 'http.request') continue;
    if (event.body.length > 0) {
      parts.push(Buffer.from(event.body.buffer, event.body.byteOffset, event.body.length));
      size += event.body.length;
    }
    if (!event.more) return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }
}

/** Drains the request body without keeping it; returns the byte count. */
async function countBody(receive: Receive): Promise<number> {
  let size = 0;
  for (;;) {
    const event = await receive();
    if (event.type === 'http.disconnect') throw new Disconnected('client_closed');
    if (event.type !== 'http.request') continue;
    size += event.body.length;
    if (!event.more) return size;
  }
}

export const helloApp: App = withLifespan(async function hello(_scope, _receive, send) {
  await send({ type: 'http.response.start', status: 200, headers: HELLO_HEADERS });
  await send({ type: 'http.response.body', body: HELLO_BODY });
});

export const jsonEchoApp: App = withLifespan(async function jsonEcho(_scope, receive, send) {
  const parsed: unknown = JSON.parse((await readBody(receive)).toString('utf8'));
  const body = Buffer.from(JSON.stringify(parsed));
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'application/json; charset=utf-8'],
      ['content-length', String(body.length)],
    ],
  });
  await send({ type: 'http.response.body', body });
});

/** GET: 1 MB in 16 KB sends; POST: consumes the upload and answers with its size. */
export const streamApp: App = withLifespan(async function stream(scope, receive, send) {
  if (scope.type !== 'http') throw new Error(`unsupported scope ${scope.type}`);
  if (scope.method === 'POST') {
    const body = String(await countBody(receive));
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body });
    return;
  }
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/octet-stream']] });
  for (let i = 0; i < STREAM_CHUNKS; i++) {
    await send({ type: 'http.response.body', body: STREAM_CHUNK, more: true });
  }
  await send({ type: 'http.response.body' });
});

export const wsEchoApp: App = withLifespan(async function wsEcho(scope, receive, send) {
  if (scope.type !== 'websocket') throw new Error(`unsupported scope ${scope.type}`);
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') return;
    if (event.type !== 'websocket.receive') continue;
    if (event.text !== undefined) await send({ type: 'websocket.send', text: event.text });
    else await send({ type: 'websocket.send', bytes: event.bytes });
  }
});

/** Every connected client gets each broadcast tick as one event; the stream runs until it leaves. */
export const sseFanoutApp: App = withLifespan(async function sseFanout(scope, _receive, send) {
  if (scope.type !== 'sse') throw new Error(`unsupported scope ${scope.type}`);
  const connection = scope['pagi.connection'];
  await send({ type: 'sse.start', status: 200 });
  while (connection.is_connected()) {
    const data = await nextBroadcast();
    try {
      await send({ type: 'sse.send', data });
    } catch (error) {
      if (error instanceof Disconnected) return;
      throw error;
    }
  }
});
