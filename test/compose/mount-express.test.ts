/**
 * A guard mounted at `/admin` in front of a legacy Express app must run for
 * every spelling of `/admin` the Express app would serve as admin content
 * (its case-insensitive router, `express.static` decoding and normalising the
 * path), unless the mount refuses the spelling as ambiguous (400). Each case
 * is asked of the Express app served natively and of the composition served
 * through `toNodeListener`, over real sockets. The full table of targets, in
 * both arrangements, is `targets.test.ts`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { mount } from '../../src/compose/index.js';
import { getHeader } from '../../src/protocol/headers.js';
import type { App } from '../../src/protocol/types.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';

const SECRET = 'top secret admin file';

function legacyApp(publicDir: string): { legacy: express.Express; admin: express.Express } {
  const admin = express();
  admin.get('/', (_req, res) => {
    res.send('admin home');
  });
  admin.get('/users', (_req, res) => {
    res.send('admin users');
  });
  const legacy = express();
  legacy.use('/admin', admin);
  legacy.use(express.static(publicDir));
  legacy.get('/', (_req, res) => {
    res.send('public home');
  });
  return { legacy, admin };
}

/** The guard: 401 unless `authorization: Bearer ok`. */
function requireAuth(inner: App): App {
  return async (scope, receive, send) => {
    if (scope.type !== 'lifespan' && getHeader(scope.headers, 'authorization') !== 'Bearer ok') {
      await send({ type: 'http.response.start', status: 401, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: 'guard: unauthorised' });
      return;
    }
    return inner(scope, receive, send);
  };
}

function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('mount + fromExpress: a guard at /admin cannot be walked around', () => {
  let native: http.Server;
  let nativePort: number;
  let composed: PagiServer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagi-mount-'));
    mkdirSync(join(dir, 'admin'));
    writeFileSync(join(dir, 'admin', 'secret.txt'), SECRET);
    writeFileSync(join(dir, 'public.txt'), 'public file');
    // Two instances, so nothing is shared between the native and the composed side.
    native = http.createServer(legacyApp(dir).legacy);
    nativePort = (await listen(native)).port;
    const { legacy, admin } = legacyApp(dir);
    composed = await servePagi(mount({ '/admin': requireAuth(fromExpress(admin)), '/': fromExpress(legacy) }));
  });

  afterAll(async () => {
    await closeServer(native);
    await composed?.close();
  });

  // Spellings Express reads as /admin and so does the mount: the guard runs.
  const guarded = ['/admin', '/admin/', '/admin/users', '/ADMIN/users', '/Admin/', '/ADMIN/secret.txt'];
  // Spellings some reader takes for /admin and another does not: refused before any app runs.
  const refused = ['/%61dmin/users', '/%61dmin/secret.txt', '//admin/secret.txt', '//admin/users', '/admin%2F..', '/admin%2Fsecret.txt'];

  for (const path of [...guarded, ...refused]) {
    it(`${path}: ${guarded.includes(path) ? 'the guard runs' : '400'}, and Express's admin content is never served unguarded`, async () => {
      const direct = await rawGet(nativePort, path);
      const servesAdmin = direct.status === 200 && /admin|secret/.test(direct.body);
      const through = await rawGet(composed.port, path);
      if (guarded.includes(path)) expect(through).toEqual({ status: 401, body: 'guard: unauthorised' });
      else expect(through.status).toBe(400);
      if (servesAdmin) expect(through.body).not.toMatch(/admin|secret/);
    });
  }

  it('native Express really serves the tricky spellings (so the cases above matter)', async () => {
    expect((await rawGet(nativePort, '/ADMIN/users')).body).toBe('admin users');
    expect((await rawGet(nativePort, '/%61dmin/secret.txt')).body).toBe(SECRET);
    expect((await rawGet(nativePort, '//admin/secret.txt')).body).toBe(SECRET);
  });

  it('with the credential, the guarded Express router serves every spelling the mount accepts', async () => {
    const auth = { authorization: 'Bearer ok' };
    expect(await rawGet(composed.port, '/admin/users', auth)).toEqual({ status: 200, body: 'admin users' });
    expect(await rawGet(composed.port, '/ADMIN/users', auth)).toEqual({ status: 200, body: 'admin users' });
    expect(await rawGet(composed.port, '/admin', auth)).toEqual({ status: 200, body: 'admin home' });
    // One target, one meaning: not even the credential gets an ambiguous spelling through.
    expect((await rawGet(composed.port, '/%61dmin/users', auth)).status).toBe(400);
    expect((await rawGet(composed.port, '//admin/users', auth)).status).toBe(400);
  });

  it('paths that only look like /admin are not guarded and reach the legacy app', async () => {
    expect(await rawGet(composed.port, '/adminx')).toMatchObject({ status: 404 });
    expect(await rawGet(composed.port, '/public.txt')).toEqual({ status: 200, body: 'public file' });
    expect(await rawGet(composed.port, '/')).toEqual({ status: 200, body: 'public home' });
  });
});
