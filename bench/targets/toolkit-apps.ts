// The `toolkit` scenario's three versions of one JSON route, `POST /items/:id`: parse the JSON
// body, answer `{ id, received: <body> }`. Same work in each: a router match with one parameter,
// a JSON body read with a limit and a content-type check, a JSON answer with content-length.
import express from 'express';
import type { Express } from 'express';
import type { App, Receive, Send } from '../../src/protocol/types.js';
import { Disconnected } from '../../src/protocol/errors.js';
import { readJson, router, sendJson } from '../../src/toolkit/index.js';

/** Express 5 with its usual stack for the route: express.json() and the router. */
export function itemsExpress(): Express {
  const app = express();
  app.post('/items/:id', express.json(), function item(req, res) {
    res.json({ id: req.params.id, received: req.body as unknown });
  });
  return app;
}

/** The route on pagi/toolkit. */
export const itemsToolkit: App = router().post('/items/:id', async ({ scope, receive, params, send }) => {
  await sendJson(send, 200, { id: params.id, received: await readJson(scope, receive) });
});

const ITEM = /^\/items\/([^/]+)\/?$/i;
const LIMIT = 100 * 1024;

/** The same route in raw PAGI, written by hand: the floor the toolkit is measured against. */
export const itemsRaw: App = async function items(scope, receive, send) {
  if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`unsupported scope ${scope.type}`);
  const match = scope.method === 'POST' ? ITEM.exec(scope.raw_path) : null;
  if (!match) return answer(send, 404, { error: 'Not Found' });
  const type = scope.headers.find(([name]) => name === 'content-type')?.[1] ?? '';
  if (!type.startsWith('application/json')) return answer(send, 415, { error: 'Unsupported Media Type' });
  const body = await readBody(receive);
  if (body === undefined) return answer(send, 413, { error: 'Payload Too Large' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return answer(send, 400, { error: 'Bad Request' });
  }
  return answer(send, 200, { id: decodeURIComponent(match[1] as string), received: parsed });
};

async function readBody(receive: Receive): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const event = await receive();
    if (event.type === 'http.disconnect' || event.type === 'sse.disconnect') throw new Disconnected('client_closed');
    if (event.type !== 'http.request' && event.type !== 'sse.request') continue;
    size += event.body.length;
    if (size > LIMIT) return undefined;
    parts.push(event.body as Buffer);
    if (!event.more) return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }
}

async function answer(send: Send, status: number, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value));
  await send({
    type: 'http.response.start',
    status,
    headers: [
      ['content-type', 'application/json; charset=utf-8'],
      ['content-length', String(body.length)],
    ],
  });
  await send({ type: 'http.response.body', body });
}
