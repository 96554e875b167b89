/**
 * The route-by-route migration, end to end over a real socket: a legacy
 * Express app with express-session; two of its routes re-implemented
 * natively in front of it with `mount` + `cascade` + `fromExpress`; the rest
 * still served by Express; the session shared through the cookie (the native
 * endpoints verify the signed `sid` cookie and read the same MemoryStore).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { cascade, mount } from '../../src/compose/index.js';
import { getHeader } from '../../src/protocol/headers.js';
import type { App, HTTPScope, Send } from '../../src/protocol/types.js';
import { servePagi, type PagiServer } from '../helpers/server.js';

const SECRET = 'migration-test-secret';
const COOKIE = 'sid';

interface ShopSession {
  user?: string;
  cart?: string[];
}

declare module 'express-session' {
  interface SessionData {
    user: string;
    cart: string[];
  }
}

/** The legacy app, as it was before the migration started. */
function legacyApp(store: session.Store): express.Express {
  const app = express();
  app.use(express.json());
  app.use(session({ store, secret: SECRET, name: COOKIE, resave: false, saveUninitialized: false }));
  app.post('/login', (req, res) => {
    req.session.user = String((req.body as { name?: unknown }).name);
    req.session.cart = [];
    res.json({ ok: true, via: 'express' });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true, via: 'express' })));
  });
  app.get('/profile', (req, res) => {
    if (!req.session.user) return void res.status(401).json({ error: 'login first', via: 'express' });
    res.json({ user: req.session.user, via: 'express' });
  });
  app.get('/cart', (req, res) => {
    res.json({ items: req.session.cart ?? [], via: 'express' });
  });
  app.post('/cart', (req, res) => {
    if (!req.session.user) return void res.status(401).json({ error: 'login first', via: 'express' });
    req.session.cart = [...(req.session.cart ?? []), String((req.body as { item?: unknown }).item)];
    res.status(201).json({ items: req.session.cart, via: 'express' });
  });
  app.get('/about', (_req, res) => {
    res.type('text').send('legacy about page');
  });
  return app;
}

/** The signed-cookie check express-session performs (cookie-signature's format: `s:<id>.<hmac>`). */
function sessionIdFrom(scope: HTTPScope): string | undefined {
  const cookies = getHeader(scope.headers, 'cookie') ?? '';
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== COOKIE) continue;
    const value = decodeURIComponent(rest.join('='));
    if (!value.startsWith('s:')) return undefined;
    const dot = value.lastIndexOf('.');
    const id = value.slice(2, dot);
    const expected = createHmac('sha256', SECRET).update(id).digest('base64').replace(/=+$/, '');
    const given = Buffer.from(value.slice(dot + 1));
    return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected)) ? id : undefined;
  }
  return undefined;
}

function loadSession(store: session.Store, scope: HTTPScope): Promise<ShopSession | undefined> {
  const id = sessionIdFrom(scope);
  if (!id) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => store.get(id, (err, data) => (err ? reject(err) : resolve((data ?? undefined) as ShopSession | undefined))));
}

async function json(send: Send, status: number, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value));
  await send({ type: 'http.response.start', status, headers: [['content-type', 'application/json'], ['content-length', String(body.length)]] });
  await send({ type: 'http.response.body', body });
}

/** Native GET-only endpoints: other methods answer 405 and fall through to Express. */
function nativeEndpoint(store: session.Store, handler: (s: ShopSession | undefined, send: Send) => Promise<void>): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') return;
    if (scope.type !== 'http' || scope.method !== 'GET' || scope.path !== '/') {
      return json(send, scope.type === 'http' && scope.path === '/' ? 405 : 404, { error: 'not native' });
    }
    return handler(await loadSession(store, scope), send);
  };
}

describe('migrating an Express app with sessions, route by route', () => {
  let server: PagiServer;
  let cookie = '';

  beforeAll(async () => {
    const store = new session.MemoryStore();
    const profile = nativeEndpoint(store, (s, send) =>
      s?.user ? json(send, 200, { user: s.user, via: 'native' }) : json(send, 401, { error: 'login first', via: 'native' }),
    );
    const cart = nativeEndpoint(store, (s, send) => json(send, 200, { items: s?.cart ?? [], via: 'native' }));
    const app = cascade([mount({ '/profile': profile, '/cart': cart }), fromExpress(legacyApp(store))], { declineStatuses: [404, 405] });
    server = await servePagi(app);
  });

  afterAll(async () => {
    await server?.close();
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; setCookie: string[] }> {
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') ? JSON.parse(text) : text, setCookie: res.headers.getSetCookie() };
  }

  it('a native route answers before login, reading no session', async () => {
    expect(await call('GET', '/profile')).toMatchObject({ status: 401, body: { via: 'native' } });
  });

  it('Express still serves login and sets the session cookie', async () => {
    const res = await call('POST', '/login', { name: 'alice' });
    expect(res).toMatchObject({ status: 200, body: { ok: true, via: 'express' } });
    const sid = res.setCookie.find((c) => c.startsWith(`${COOKIE}=`));
    expect(sid).toBeDefined();
    cookie = (sid as string).split(';')[0] as string;
  });

  it('the native route reads the session Express created, through the cookie', async () => {
    expect(await call('GET', '/profile')).toEqual({ status: 200, body: { user: 'alice', via: 'native' }, setCookie: [] });
  });

  it('a method the native route does not serve (405) falls through to Express, with the body replayed', async () => {
    expect(await call('POST', '/cart', { item: 'book' })).toMatchObject({ status: 201, body: { items: ['book'], via: 'express' } });
    expect(await call('POST', '/cart', { item: 'pen' })).toMatchObject({ status: 201, body: { items: ['book', 'pen'], via: 'express' } });
  });

  it('the native cart sees what Express wrote to the shared store', async () => {
    expect(await call('GET', '/cart')).toMatchObject({ status: 200, body: { items: ['book', 'pen'], via: 'native' } });
  });

  it('routes not migrated yet are served by Express, including its own 404', async () => {
    expect(await call('GET', '/about')).toMatchObject({ status: 200, body: 'legacy about page' });
    const missing = await call('GET', '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/Cannot GET \/nowhere/);
  });

  it('a forged cookie is not accepted by the native route', async () => {
    const saved = cookie;
    cookie = `${COOKIE}=${encodeURIComponent('s:forged.signature')}`;
    try {
      expect(await call('GET', '/profile')).toMatchObject({ status: 401, body: { via: 'native' } });
    } finally {
      cookie = saved;
    }
  });

  it('logging out through Express ends the session for the native routes too', async () => {
    expect(await call('POST', '/logout')).toMatchObject({ status: 200, body: { via: 'express' } });
    expect(await call('GET', '/profile')).toMatchObject({ status: 401, body: { via: 'native' } });
  });
});
