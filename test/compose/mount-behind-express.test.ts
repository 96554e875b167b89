/**
 * Arrangement 2 beyond the table: `toExpress(mount(...))` under an Express
 * mount path, Express 4's `//` handling, a `req.url` rewritten before the
 * mount, and case-sensitive routing on both sides. Real Express 4 and 5 over
 * real sockets.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import express5 from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { toExpress } from '../../src/adapter/index.js';
import { mount } from '../../src/compose/index.js';
import type { App } from '../../src/protocol/types.js';
import { rawExchange } from '../differential/raw-client.js';
import { closeServer, listen } from '../helpers/server.js';

type ExpressFactory = typeof express5;
const express4 = createRequire(import.meta.url)('express4') as ExpressFactory;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

async function start(app: express5.Express): Promise<number> {
  const server = http.createServer(app);
  servers.push(server);
  return (await listen(server)).port;
}

async function get(port: number, target: string, headers: string[] = []): Promise<{ status: number; body: string }> {
  const request = [`GET ${target} HTTP/1.1`, 'Host: h', 'Connection: close', ...headers, '', ''].join('\r\n');
  const exchange = await rawExchange({ port, request });
  const response = exchange.responses[0];
  if (response === undefined) throw new Error(`${target}: no response (${exchange.end})`);
  return { status: response.status, body: response.body.toString() };
}

const reporter = (name: string): App => async (scope, _receive, send) => {
  if (scope.type === 'lifespan') throw new Error('no lifespan');
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: JSON.stringify({ app: name, root_path: scope.root_path, path: scope.path, raw_path: scope.raw_path }) });
};

const guard: express5.RequestHandler = (req, res, next) => {
  if (req.headers.authorization === 'Bearer ok') next();
  else res.status(401).send('express guard');
};

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
])('%s in front of toExpress(mount(...))', (_label, express) => {
  it('under an Express mount path: the mount checks the segments below it', async () => {
    const app = express();
    app.use('/outer/admin', guard);
    app.use('/outer', toExpress(mount({ '/admin': reporter('admin'), '/': reporter('other') })));
    const port = await start(app);
    expect(await get(port, '/outer/admin/x')).toEqual({ status: 401, body: 'express guard' });
    expect((await get(port, '/outer/%61dmin/x')).status).toBe(400);
    expect((await get(port, '/outer/admin%2Fx')).status).toBe(400);
    expect(JSON.parse((await get(port, '/OUTER/admin/x', ['Authorization: Bearer ok'])).body)).toEqual({
      app: 'admin',
      root_path: '/OUTER/admin',
      path: '/x',
      raw_path: '/OUTER/admin/x',
    });
    expect(JSON.parse((await get(port, '/outer/%61/x')).body)).toMatchObject({ app: 'other', root_path: '/outer', path: '/a/x' });
  });

  it("an empty segment right below Express's mount path is refused (Express 4 drops it, Express 5 keeps it)", async () => {
    const app = express();
    app.use('/outer/x', guard);
    app.use('/outer', toExpress(mount({ '/x': reporter('x'), '/': reporter('other') })));
    const port = await start(app);
    expect((await get(port, '/outer//x')).status).toBe(400);
    expect((await get(port, '/outer/x')).status).toBe(401);
  });

  it('a req.url rewritten before the mount no longer matches raw_path: refused where the mount compares', async () => {
    const app = express();
    app.use((req, _res, next) => {
      if (req.url.startsWith('/old/')) req.url = `/new/${req.url.slice(5)}`;
      next();
    });
    app.use(toExpress(mount({ '/new': reporter('new'), '/': reporter('other') })));
    const port = await start(app);
    expect(await get(port, '/old/x')).toEqual({ status: 400, body: 'Bad Request: ambiguous request target (unaligned)' });
    expect(JSON.parse((await get(port, '/new/x')).body)).toMatchObject({ app: 'new', path: '/x' });

    // Rewritten before Express: req.originalUrl follows, and so does raw_path.
    const inner = express();
    inner.use(toExpress(mount({ '/new': reporter('new'), '/': reporter('other') })));
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/old/')) req.url = `/new/${req.url.slice(5)}`;
      inner(req, res);
    });
    servers.push(server);
    const early = (await listen(server)).port;
    expect(JSON.parse((await get(early, '/old/x')).body)).toEqual({ app: 'new', root_path: '/new', path: '/x', raw_path: '/new/x' });
  });

  it("with 'case sensitive routing' on, a caseSensitive mount agrees with Express", async () => {
    const app = express();
    app.set('case sensitive routing', true);
    app.use('/admin', guard);
    app.use(toExpress(mount({ '/admin': reporter('admin'), '/': reporter('other') }, { caseSensitive: true })));
    const port = await start(app);
    expect(await get(port, '/admin/x')).toEqual({ status: 401, body: 'express guard' });
    expect(JSON.parse((await get(port, '/ADMIN/x')).body)).toMatchObject({ app: 'other', path: '/ADMIN/x' });
    // Lower-case hex is another spelling to a case-sensitive Express: refused.
    const cafe = express();
    cafe.set('case sensitive routing', true);
    cafe.use('/caf%C3%A9', guard);
    cafe.use(toExpress(mount({ '/café': reporter('cafe'), '/': reporter('other') }, { caseSensitive: true })));
    const cafePort = await start(cafe);
    expect((await get(cafePort, '/caf%C3%A9/x')).status).toBe(401);
    expect((await get(cafePort, '/caf%c3%a9/x')).status).toBe(400);
  });
});
