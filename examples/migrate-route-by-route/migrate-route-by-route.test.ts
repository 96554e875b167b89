// The migration checked at every step: supertest on the old Express app (what a team has today), the
// same supertest checks on the new app through toNodeListener, TestClient in-process for the native
// routes, and both versions run as real servers and asked the same questions.
import { toNodeListener } from 'pagi';
import { TestClient } from 'pagi/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';
import { createAfterApp } from './after.js';
import { createBeforeApp } from './before.js';
import { nativeRoutes } from './native-routes.js';

/** Requests whose answers must not change when routes move. */
const SAME_ANSWERS: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/api/health' },
  { method: 'GET', path: '/API/Health/' },
  { method: 'HEAD', path: '/api/health' },
  { method: 'GET', path: '/api/users' },
  { method: 'GET', path: '/api/users?team=engines' },
  { method: 'GET', path: '/api/users/2' },
  { method: 'GET', path: '/api/users/99' },
  { method: 'GET', path: '/api/me' },
  { method: 'POST', path: '/login', body: { name: 'nobody' } },
];

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
  poweredBy: string | null;
}

async function ask(base: string, { method, path, body }: (typeof SAME_ANSWERS)[number], cookie?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cookie) headers.cookie = cookie;
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
    poweredBy: response.headers.get('x-powered-by'),
  };
}

describe('examples/migrate-route-by-route', () => {
  // One supertest suite, run against the Express app before and the PAGI app after: supertest takes
  // any (req, res) listener, and toNodeListener turns a PAGI app into one.
  for (const [label, listener] of [
    ['before (Express)', () => createBeforeApp()],
    ['after (PAGI, through toNodeListener)', () => toNodeListener(createAfterApp())],
  ] as const) {
    it(`${label}: passes the same supertest suite`, async () => {
      const app = listener();
      await request(app).get('/api/health').expect(200, { ok: true });
      await request(app).get('/api/users?team=compilers').expect(200, [{ id: 2, name: 'Grace Hopper', team: 'compilers' }]);
      await request(app).get('/api/users/3').expect(200, { id: 3, name: 'Alan Turing', team: 'engines' });
      const agent = request.agent(app);
      await agent.post('/login').send({ name: 'Ada Lovelace' }).expect(200);
      await agent.get('/api/me').expect(200, { user: 'Ada Lovelace' });
    });
  }

  it('native routes: tested in-process with TestClient, declining what they do not own', async () => {
    const client = new TestClient(nativeRoutes);
    const health = await client.get('/api/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await health.json()).toEqual({ ok: true });

    const engines = await client.get('/api/users', { query: { team: 'engines' } });
    expect((await engines.json<Array<{ name: string }>>()).map((u) => u.name)).toEqual(['Ada Lovelace', 'Alan Turing']);

    // Not theirs: a 404 start, which `cascade` reads as "try the next app".
    expect((await client.get('/api/users/1')).status).toBe(404);
    expect((await client.post('/api/health')).status).toBe(404);
  });

  it('after: the composed app in-process with TestClient, Express session included', async () => {
    const client = new TestClient(createAfterApp(), { cookies: true }); // keeps the session cookie
    expect(await (await client.get('/api/health')).json()).toEqual({ ok: true });
    const login = await client.post('/login', { json: { name: 'Grace Hopper' } });
    expect(login.status).toBe(200);
    expect(await (await client.get('/api/me')).json()).toEqual({ user: 'Grace Hopper' });
  });

  describe('before and after, as real servers', () => {
    let before: ExampleProcess;
    let after: ExampleProcess;
    beforeAll(async () => {
      before = await startExample('migrate-route-by-route', { env: { MODE: 'before' } });
      after = await startExample('migrate-route-by-route', { env: { MODE: 'after' } });
    });
    afterAll(async () => {
      const codes = [await before?.stop(), await after?.stop()];
      expect(codes).toEqual([0, 0]);
    });

    it('gives the same answers to the same requests', async () => {
      for (const spec of SAME_ANSWERS) {
        const [old, migrated] = await Promise.all([ask(before.url, spec), ask(after.url, spec)]);
        expect({ ...migrated, poweredBy: undefined }, `${spec.method} ${spec.path}`).toEqual({ ...old, poweredBy: undefined });
      }
    });

    it('serves the moved routes natively and the rest from Express', async () => {
      expect((await ask(before.url, { method: 'GET', path: '/api/health' })).poweredBy).toBe('Express');
      expect((await ask(after.url, { method: 'GET', path: '/api/health' })).poweredBy).toBeNull();
      expect((await ask(after.url, { method: 'GET', path: '/api/users' })).poweredBy).toBeNull();
      expect((await ask(after.url, { method: 'GET', path: '/api/users/1' })).poweredBy).toBe('Express');
    });

    it('keeps the Express session working behind the native routes', async () => {
      const login = await fetch(`${after.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Grace Hopper' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const me = await ask(after.url, { method: 'GET', path: '/api/me' }, cookie);
      expect(JSON.parse(me.body)).toEqual({ user: 'Grace Hopper' });
    });
  });
});
