// The new, native PAGI endpoints: an SSE feed and a WebSocket chat, both long-lived and fully async.
import type { App, ConnectionState, Receive, Send, SSEScope, WebSocketScope } from 'pagi';
import { interleave } from 'pagi/channels';
import { withId, type ChatRoom } from './chat-room.js';

export interface LiveOptions {
  tickMs?: number;
  keepaliveSeconds?: number;
}

/** Mounted at `/live`, so `scope.path` is `/events` or `/chat` here (the prefix is in `root_path`). */
export function createLiveApp(room: ChatRoom, { tickMs = 1000, keepaliveSeconds = 15 }: LiveOptions = {}): App {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') throw new Error('the live endpoints keep no lifespan state');
    if (scope.type === 'sse' && scope.path === '/events') return feed(scope, send, room, tickMs, keepaliveSeconds);
    if (scope.type === 'websocket' && scope.path === '/chat') return chat(scope, receive, send, room);

    // Anything else: a plain 404 (on a WebSocket scope, that refuses the handshake).
    await send({ type: 'http.response.start', status: 404, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: 'Not Found' });
  };
}

/** SSE: one `tick` event a second with the server time and the room's numbers (messages: shared; online: this process). */
async function feed(scope: SSEScope, send: Send, room: ChatRoom, tickMs: number, keepaliveSeconds: number): Promise<void> {
  const connection = scope['pagi.connection'];
  await send({ type: 'sse.start', status: 200 });
  await send({ type: 'sse.keepalive', interval: keepaliveSeconds });
  let tick = 0;
  do {
    tick += 1;
    const data = JSON.stringify({ tick, time: new Date().toISOString(), online: room.online, messages: (await room.history()).length });
    await send({ type: 'sse.send', event: 'tick', id: String(tick), data });
  } while (await pause(tickMs, connection));
}

/**
 * WebSocket: each text message is posted to the room; every room event, from any worker or
 * instance, is pushed to this socket. `interleave` waits on the client and on the room at once.
 */
async function chat(scope: WebSocketScope, receive: Receive, send: Send, room: ChatRoom): Promise<void> {
  const name = (new URLSearchParams(scope.query_string).get('name') ?? '').slice(0, 32) || 'anonymous';
  // Joined before accepting: once the browser sees the socket open, it hears every message.
  const { events, leave } = await room.join(scope);
  try {
    await send({ type: 'websocket.accept' });
    for await (const step of interleave(receive, events)) {
      if (step.type === 'client') {
        const event = step.event;
        if (event.type === 'websocket.receive' && event.text !== undefined && event.text.trim() !== '') await room.post(name, event.text);
      } else if (step.type === 'channel' && step.delivery.type === 'message') {
        await send({ type: 'websocket.send', text: JSON.stringify(withId(step.delivery.data, step.delivery.id)) });
      }
    }
  } finally {
    await leave();
  }
}

/** Waits `ms`, or less if the connection ends first; resolves false when it ended. */
function pause(ms: number, connection: ConnectionState): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    void connection.end_future().then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
