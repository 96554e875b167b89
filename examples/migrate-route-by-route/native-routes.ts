// The two moved routes, in raw PAGI. They answer what they own and decline the rest with 404, which
// `cascade` reads as "not mine" and hands the request to the Express app behind.
import type { App, Send } from 'pagi';
import { listUsers } from './users.js';

export const nativeRoutes: App = async (scope, _receive, send) => {
  if (scope.type === 'lifespan') throw new Error('no lifespan work here');
  if (scope.type === 'http' && (scope.method === 'GET' || scope.method === 'HEAD')) {
    // Express routes match case-insensitively and ignore one trailing slash; so must we, or
    // `/API/health` would quietly keep going to the old code.
    const path = scope.path.toLowerCase().replace(/(.)\/$/, '$1');
    if (path === '/api/health') return json(send, { ok: true });
    if (path === '/api/users') return json(send, listUsers(new URLSearchParams(scope.query_string).get('team')));
  }
  await send({ type: 'http.response.start', status: 404 });
  await send({ type: 'http.response.body' });
};

/** The same bytes and content-type as Express's `res.json()`. */
async function json(send: Send, payload: unknown): Promise<void> {
  const body = JSON.stringify(payload);
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [['content-type', 'application/json; charset=utf-8'], ['content-length', String(Buffer.byteLength(body))]],
  });
  await send({ type: 'http.response.body', body });
}
