// A route moved out of Express into native PAGI. It sits in front of the Express app in a `cascade`:
// it answers what it knows and declines everything else with a 404, which lets Express try next.
import type { App, Send } from 'pagi';
import type { ChatRoom } from './chat-room.js';

const started = Date.now();

export function createNativeApi(room: ChatRoom): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('the native API keeps no lifespan state');
    if (scope.type === 'http' && scope.method === 'GET' && scope.path === '/api/stats') {
      return json(send, 200, {
        online: room.online,
        messages: (await room.history()).length,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        servedBy: 'native PAGI',
        pid: process.pid,
      });
    }
    await send({ type: 'http.response.start', status: 404, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: 'Not Found' });
  };
}

async function json(send: Send, status: number, payload: unknown): Promise<void> {
  await send({ type: 'http.response.start', status, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: JSON.stringify(payload) });
}
