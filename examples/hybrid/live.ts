// The new, native PAGI endpoints on pagi/toolkit: an SSE feed and a WebSocket chat, both long-lived
// and fully async. Any other path under /live is a 404 (on a WebSocket, that refuses the handshake).
import { setTimeout as sleep } from 'node:timers/promises';
import { interleave } from 'pagi/channels';
import { query, router } from 'pagi/toolkit';
import { withId, type ChatRoom } from './chat-room.js';

export interface LiveOptions {
  tickMs?: number;
  keepaliveSeconds?: number;
}

/** Mounted at `/live`, so the routes are `/events` and `/chat` here (the prefix is in `root_path`). */
export function createLiveApp(room: ChatRoom, { tickMs = 1000, keepaliveSeconds = 15 }: LiveOptions = {}) {
  return (
    router()
      // SSE: a `tick` event every tickMs with the server time and the room's numbers (messages: shared; online: this process).
      .sse('/events', async ({ sse }) => {
        await sse.keepalive(keepaliveSeconds);
        const left = new AbortController();
        void sse.ended().then(() => left.abort());
        for (let tick = 1; !left.signal.aborted; tick++) {
          const data = JSON.stringify({ tick, time: new Date().toISOString(), online: room.online, messages: (await room.history()).length });
          await sse.send({ event: 'tick', id: String(tick), data });
          await sleep(tickMs, undefined, { signal: left.signal }).catch(() => {}); // cut short when the client leaves
        }
      })
      // WebSocket: each text message goes to the room; every room event, from any worker or instance,
      // comes to this socket. `interleave` waits on the client and on the room at once.
      .websocket('/chat', async ({ scope, socket, receive }) => {
        const name = (query(scope).get('name') ?? '').slice(0, 32) || 'anonymous';
        // Joined before accepting: once the browser sees the socket open, it hears every message.
        const { events, leave } = await room.join(scope);
        try {
          await socket.accept();
          for await (const step of interleave(receive, events)) {
            if (step.type === 'client' && step.event.type === 'websocket.receive' && step.event.text?.trim()) await room.post(name, step.event.text);
            if (step.type === 'channel' && step.delivery.type === 'message') await socket.send(JSON.stringify(withId(step.delivery.data, step.delivery.id)));
          }
        } finally {
          await leave();
        }
      })
  );
}
