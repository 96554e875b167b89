// The new, native PAGI endpoints: an SSE feed and a WebSocket chat, both long-lived and fully async.
import type { App, ConnectionState, Receive, Send, SSEScope, WebSocketScope } from 'pagi';
import type { ChatRoom, RoomEvent } from './chat-room.js';

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

/** SSE: one `tick` event a second with the server time and the room's numbers. */
async function feed(scope: SSEScope, send: Send, room: ChatRoom, tickMs: number, keepaliveSeconds: number): Promise<void> {
  const connection = scope['pagi.connection'];
  await send({ type: 'sse.start', status: 200 });
  await send({ type: 'sse.keepalive', interval: keepaliveSeconds });
  let tick = 0;
  do {
    tick += 1;
    const data = JSON.stringify({ tick, time: new Date().toISOString(), online: room.online, messages: room.history().length });
    await send({ type: 'sse.send', event: 'tick', id: String(tick), data });
  } while (await pause(tickMs, connection));
}

/** WebSocket: each text message is posted to the room; every room event is pushed to this socket. */
async function chat(scope: WebSocketScope, receive: Receive, send: Send, room: ChatRoom): Promise<void> {
  const name = (new URLSearchParams(scope.query_string).get('name') ?? '').slice(0, 32) || 'anonymous';
  await send({ type: 'websocket.accept' });

  // Room events arrive at any time, also while this function waits in receive(); chaining the sends
  // keeps them in order and lets us wait for the last one before returning (the completion rule).
  let outgoing = Promise.resolve();
  const push = (event: RoomEvent): void => {
    outgoing = outgoing
      .then(() => send({ type: 'websocket.send', text: JSON.stringify(event) }))
      .catch(() => undefined); // the peer left: its disconnect event is on its way to receive()
  };
  const unsubscribe = room.subscribe(push);
  try {
    for (;;) {
      const event = await receive();
      if (event.type === 'websocket.disconnect') return;
      if (event.type === 'websocket.receive' && event.text !== undefined && event.text.trim() !== '') {
        room.post(name, event.text);
      }
    }
  } finally {
    unsubscribe();
    await outgoing;
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
