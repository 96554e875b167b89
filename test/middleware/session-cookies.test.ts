/**
 * cookie-parser (signed cookies) and express-session (MemoryStore) through
 * the bridge, compared with native Express; a secure session cookie is only
 * issued on an https scope (TLS end to end, certificate made at test time).
 */
import { createHmac } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { buildRequest, type RawExchange } from '../differential/raw-client.js';
import { expectSame, first, json, runScenario, startPair, type Pair } from '../differential/harness.js';
import { opensslAvailable, selfSignedCert } from '../differential/tls-cert.js';

const SECRET = 'differential secret';

/** The `s:value.signature` form cookie-parser verifies (HMAC-SHA256, base64 without padding). */
function signCookie(value: string): string {
  return `s:${value}.${createHmac('sha256', SECRET).update(value).digest('base64').replace(/=+$/, '')}`;
}

function cookieApp(express: ExpressModule): express.Express {
  const app = express();
  app.use(cookieParser(SECRET));
  app.get('/cookies', (req, res) => {
    res.json({ cookies: req.cookies as unknown, signed: req.signedCookies as unknown });
  });
  app.get('/set-signed', (_req, res) => {
    res.cookie('token', 'abc', { signed: true, httpOnly: true }).cookie('plain', 'p').send('set');
  });
  return app;
}

function sessionApp(express: ExpressModule, secure: boolean): express.Express {
  const app = express();
  app.use(
    session({
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      store: new session.MemoryStore(),
      cookie: { secure, httpOnly: true, maxAge: 60_000 },
    }),
  );
  app.post('/login', express.urlencoded({ extended: false }), (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      (req.session as typeof req.session & { user?: string }).user = String((req.body as Record<string, unknown>)['user']);
      req.session.save((saveError) => (saveError ? next(saveError) : res.redirect(303, '/me')));
    });
  });
  app.get('/me', (req, res) => {
    res.json({ user: (req.session as typeof req.session & { user?: string }).user ?? null });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.clearCookie('connect.sid').send('bye')));
  });
  app.get('/count', (req, res) => {
    const data = req.session as typeof req.session & { views?: number };
    data.views = (data.views ?? 0) + 1;
    res.json({ views: data.views });
  });
  return app;
}

/** Session ids (and the Expires date derived from the request time) differ per side by design. */
const maskSession = {
  normalizeHeader: {
    'set-cookie': (value: string): string =>
      value.replace(/connect\.sid=[^;]+/, 'connect.sid=<sid>').replace(/Expires=[^;]+/, 'Expires=<date>'),
  },
};

function sessionCookie(exchange: RawExchange): string | undefined {
  const setCookie = first(exchange).headers.find(([n]) => n.toLowerCase() === 'set-cookie')?.[1];
  return setCookie?.split(';')[0];
}

describeEachExpress('cookie-parser through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => cookieApp(express));
  });
  afterAll(async () => {
    await pair.close();
  });

  it('plain and signed cookies are parsed', async () => {
    const signed = signCookie('abc');
    const cookie = `plain=p; token=${encodeURIComponent(signed)}; json=${encodeURIComponent('j:{"a":1}')}`;
    const result = await runScenario(pair, { name: 'parse', spec: { path: '/cookies', headers: [['Cookie', cookie]] }, status: 200 });
    expect(json(result.bridged)).toEqual({ cookies: { plain: 'p', json: { a: 1 } }, signed: { token: 'abc' } });
  });

  it('a tampered signed cookie is rejected', async () => {
    await runScenario(pair, { name: 'tampered', spec: { path: '/cookies', headers: [['Cookie', 'token=s%3Aabc.invalid']] }, status: 200 });
  });

  it('several Cookie headers are combined', async () => {
    await runScenario(pair, { name: 'multi', spec: { path: '/cookies', headers: [['Cookie', 'a=1'], ['Cookie', 'b=2']] }, status: 200 });
  });

  it('res.cookie signed sets two cookies', async () => {
    await runScenario(pair, { name: 'set', spec: { path: '/set-signed' }, status: 200 });
  });
});

describeEachExpress('express-session (MemoryStore) through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => sessionApp(express, false));
  });
  afterAll(async () => {
    await pair.close();
  });

  it('the session survives across requests with the cookie it issued', async () => {
    const firstVisit = await pair.request({ path: '/count' });
    expectSame(firstVisit, maskSession);
    const cookies = { native: sessionCookie(firstVisit.native), bridged: sessionCookie(firstVisit.bridged) };
    expect(cookies.bridged).toMatch(/^connect\.sid=/);
    const second = await pair.exchangeEach((side) => ({
      request: buildRequest({ path: '/count', headers: [['Cookie', cookies[side.name] ?? '']] }),
    }));
    expectSame(second, maskSession);
    expect(json(second.bridged)).toEqual({ views: 2 });
  });

  it('login (regenerate + save + redirect), me, logout (destroy)', async () => {
    const login = await pair.request({
      method: 'POST',
      path: '/login',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: 'user=tobi',
    });
    expectSame(login, maskSession);
    expect(first(login.native).status).toBe(303);
    const cookies = { native: sessionCookie(login.native), bridged: sessionCookie(login.bridged) };
    const me = await pair.exchangeEach((side) => ({ request: buildRequest({ path: '/me', headers: [['Cookie', cookies[side.name] ?? '']] }) }));
    expectSame(me, maskSession);
    expect(json(me.bridged)).toEqual({ user: 'tobi' });
    const logout = await pair.exchangeEach((side) => ({
      request: buildRequest({ method: 'POST', path: '/logout', headers: [['Cookie', cookies[side.name] ?? '']] }),
      methods: ['POST'],
    }));
    expectSame(logout, maskSession);
    const after = await pair.exchangeEach((side) => ({ request: buildRequest({ path: '/me', headers: [['Cookie', cookies[side.name] ?? '']] }) }));
    expectSame(after, maskSession);
    expect(json(after.bridged)).toEqual({ user: null });
  });

  it('a secure session cookie is not issued over plain http', async () => {
    const insecure = await startPair(() => sessionApp(express, true));
    try {
      const result = await insecure.request({ path: '/count' });
      expectSame(result, maskSession);
      expect(sessionCookie(result.native)).toBeUndefined();
    } finally {
      await insecure.close();
    }
  });
});

describeEachExpress('express-session secure cookie behind a trusted proxy', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => {
      const app = sessionApp(express, true);
      app.set('trust proxy', 'loopback');
      return app;
    });
  });
  afterAll(async () => {
    await pair.close();
  });

  it('X-Forwarded-Proto: https makes the connection secure for the cookie', async () => {
    const result = await pair.request({ path: '/count', headers: [['X-Forwarded-Proto', 'https']] });
    expectSame(result, maskSession);
    expect(sessionCookie(result.bridged)).toMatch(/^connect\.sid=/);
  });
});

describeEachExpress('express-session secure cookie on an https scope', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => sessionApp(express, true), { tls: await selfSignedCert() });
  });
  afterAll(async () => {
    await pair.close();
  });

  it('issues a Secure cookie and keeps the session', async () => {
    const firstVisit = await pair.request({ path: '/count' });
    expectSame(firstVisit, maskSession);
    const setCookie = first(firstVisit.bridged).headers.find(([n]) => n.toLowerCase() === 'set-cookie')?.[1] ?? '';
    expect(setCookie).toMatch(/; Secure/);
    const cookies = { native: sessionCookie(firstVisit.native), bridged: sessionCookie(firstVisit.bridged) };
    const second = await pair.exchangeEach((side) => ({
      request: buildRequest({ path: '/count', headers: [['Cookie', cookies[side.name] ?? '']] }),
    }));
    expectSame(second, maskSession);
    expect(json(second.bridged)).toEqual({ views: 2 });
  });
}, { skip: !opensslAvailable });
