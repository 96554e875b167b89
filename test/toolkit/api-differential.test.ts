/**
 * One small API written twice — in Express 5 and with pagi/toolkit — served
 * on 127.0.0.1:0 and sent identical bytes: the responses must be the same on
 * the wire (status, framing, headers, body). This is the migration promise:
 * a route moved out of Express keeps answering as it did.
 */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, query, readJson, redirect, router, sendJson, sendText, setCookie } from '../../src/toolkit/index.js';
import { diffExchange, summarize } from '../differential/compare.js';
import { buildRequest, rawExchange, type RequestSpec } from '../differential/raw-client.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';

interface User {
  id: string;
  name: string;
}
const seed = (): Map<string, User> => new Map([['1', { id: '1', name: 'Ada' }]]);

function expressApi(): express.Express {
  const users = seed();
  const app = express();
  app.set('etag', false);
  app.set('x-powered-by', false);
  app.get('/users/:id', (req, res) => {
    const user = users.get(req.params.id);
    if (!user) return void res.status(404).json({ error: `no user ${req.params.id}` });
    res.json(user);
  });
  app.post('/users', express.json(), (req, res) => {
    const name = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string') return void res.status(400).json({ error: 'name is required' });
    const user = { id: String(users.size + 1), name };
    users.set(user.id, user);
    res.status(201).json(user);
  });
  app.get('/search', (req, res) => void res.json({ q: req.query['q'] ?? null }));
  app.get('/old-users/:id', (req, res) => res.redirect(301, `/users/${req.params.id}`));
  app.get('/login', (_req, res) => {
    res.cookie('sid', 's3cr3t value', { httpOnly: true, sameSite: 'lax' });
    res.json({ ok: true });
  });
  app.get('/hello', (_req, res) => void res.type('text').send('hello ✓'));
  app.use((_req: Request, res: Response) => void res.status(404).json({ error: 'Not Found' }));
  app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => void res.status(error.status ?? 500).json({ error: 'bad request' }));
  return app;
}

function toolkitApi() {
  const users = seed();
  return router({ renderError: (error, send) => sendJson(send, error.status, { error: error.status === 404 ? 'Not Found' : 'bad request' }, error.headers) })
    .get('/users/:id', ({ params, send }) => {
      const user = users.get(params.id);
      if (!user) return sendJson(send, 404, { error: `no user ${params.id}` });
      return sendJson(send, 200, user);
    })
    .post('/users', async ({ scope, receive, send }) => {
      const name = ((await readJson(scope, receive)) as { name?: unknown }).name;
      if (typeof name !== 'string') return sendJson(send, 400, { error: 'name is required' });
      const user = { id: String(users.size + 1), name };
      users.set(user.id, user);
      return sendJson(send, 201, user);
    })
    .get('/search', ({ scope, send }) => sendJson(send, 200, { q: query(scope).get('q') }))
    .get('/old-users/:id', ({ params, send }) => redirect(send, `/users/${params.id}`, 301))
    .get('/login', ({ send }) => sendJson(send, 200, { ok: true }, [setCookie('sid', 's3cr3t value', { path: '/', httpOnly: true, sameSite: 'lax' })]))
    .get('/hello', ({ send }) => sendText(send, 200, 'hello ✓'));
}

let native: http.Server;
let nativePort = 0;
let pagi: PagiServer;
beforeAll(async () => {
  native = http.createServer(expressApi());
  nativePort = (await listen(native)).port;
  pagi = await servePagi(toolkitApi());
});
afterAll(async () => {
  await closeServer(native);
  await pagi.close();
});

const json = (body: string): Pick<RequestSpec, 'headers' | 'body'> => ({ headers: [['Content-Type', 'application/json']], body });

// In order: the POST changes both sides' state the same way.
const SCENARIOS: Array<[string, RequestSpec, number, string[]?]> = [
  ['a found user', { path: '/users/1' }, 200],
  ['HEAD of a user', { method: 'HEAD', path: '/users/1' }, 200],
  ['a missing user', { path: '/users/99' }, 404],
  ['an encoded parameter', { path: '/users/%41da' }, 404],
  ['creating a user', { method: 'POST', path: '/users', ...json('{"name":"Grace"}') }, 201],
  ['the created user', { path: '/users/2' }, 200],
  ['a body without the field', { method: 'POST', path: '/users', ...json('{}') }, 400],
  ['broken JSON', { method: 'POST', path: '/users', ...json('{"name":') }, 400],
  ['a broken parameter escape', { path: '/users/%E0%A4%A' }, 400],
  ['a query string', { path: '/search?q=caf%C3%A9+au+lait' }, 200],
  ['no query', { path: '/search' }, 200],
  // Express negotiates the redirect body (text or HTML) and says `Vary: Accept`; the toolkit always
  // sends the text body, so its answer does not vary (documented on redirect()).
  ['a redirect', { path: '/old-users/1' }, 301, ['vary']],
  ['a cookie', { path: '/login' }, 200],
  ['a text reply', { path: '/hello' }, 200],
  ['no route', { path: '/nothing' }, 404],
  ['a keep-alive HTTP/1.0 request', { path: '/users/1', httpVersion: '1.0', headers: [['Connection', 'keep-alive']] }, 200],
];

describe('the same API in Express and with the toolkit', () => {
  it.each(SCENARIOS)('%s', async (_name, spec, status, ignoreHeaders = []) => {
    const request = buildRequest(spec);
    const methods = [spec.method ?? 'GET'];
    const [a, b] = await Promise.all([rawExchange({ port: nativePort, request, methods }), rawExchange({ port: pagi.port, request, methods })]);
    const diffs = diffExchange(a, b, { ignoreHeaders });
    expect(diffs, `\n express: ${summarize(a)}\n toolkit: ${summarize(b)}`).toEqual([]);
    expect(a.responses[0]?.status).toBe(status);
  });
});
