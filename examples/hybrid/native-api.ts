// A route moved out of Express into native PAGI, on pagi/toolkit. It sits in front of the Express app
// in a `cascade`: the router answers what it knows and declines everything else with a 404, which
// lets Express try next.
import { router, sendJson } from 'pagi/toolkit';
import type { ChatRoom } from './chat-room.js';

const started = Date.now();

export function createNativeApi(room: ChatRoom) {
  return router().get('/api/stats', async ({ send }) =>
    sendJson(send, 200, {
      online: room.online,
      messages: (await room.history()).length,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      servedBy: 'native PAGI',
      pid: process.pid,
    }),
  );
}
