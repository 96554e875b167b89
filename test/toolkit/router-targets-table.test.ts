/**
 * The router on the mount's own table of raw request targets
 * (`test/compose/targets-table.ts`, PROTOCOL.md §3.3), against Express 5's
 * router with the same routes, on a raw socket:
 * - the bare router (`/admin{/*rest}`, `/api/v2{/*rest}`, `/caf%C3%A9{/*rest}`,
 *   `/{*rest}`) decides every row as Express 5 does: which route, which
 *   decoded parameters, or which error status. That includes the rows the
 *   mount refuses: with no mount in front, the router reads the raw path as
 *   Express does. The one exception is a raw `#`, which the router refuses
 *   (400) where Express cuts the path.
 * - behind `mount()` with the table's prefixes (each a router with
 *   `/{*rest}`), against the same prefixes in `app.use`: every row the mount
 *   does not refuse reaches the same prefix with the same parameters; the
 *   rows it refuses are 400.
 */
import http from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mount } from '../../src/compose/index.js';
import { router, sendJson, type Router } from '../../src/toolkit/index.js';
import { TABLE_PREFIXES, TARGET_TABLE, type TargetRow } from '../compose/targets-table.js';
import { rawExchange } from '../differential/raw-client.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';

/** The bare routes: each prefix as a route pattern (Express spells them encoded), then the root. */
const ROUTES = [...TABLE_PREFIXES.map(({ express: path, name }) => ({ path: `${path}{/*rest}`, name })), { path: '/{*rest}', name: 'root' }];

function bareExpress(): express.Express {
  const app = express();
  app.set('env', 'production');
  for (const { path, name } of ROUTES) app.all(path, (req, res) => void res.json({ route: name, params: req.params }));
  return app;
}

function mountedExpress(): express.Express {
  const app = express();
  app.set('env', 'production');
  for (const { express: path, name } of TABLE_PREFIXES) {
    const sub = express.Router();
    sub.all('/{*rest}', (req, res) => void res.json({ route: name, params: req.params }));
    app.use(path, sub);
  }
  app.all('/{*rest}', (req, res) => void res.json({ route: 'root', params: req.params }));
  return app;
}

function bareToolkit(): Router {
  const routes = router();
  for (const { path, name } of ROUTES) routes.all(path, ({ params, send }) => sendJson(send, 200, { route: name, params }));
  return routes;
}

function mountedToolkit() {
  const below = (name: string) => router().all('/{*rest}', ({ params, send }) => sendJson(send, 200, { route: name, params }));
  return mount({ ...Object.fromEntries(TABLE_PREFIXES.map(({ prefix, name }) => [prefix, below(name)])), '/': below('root') });
}

let servers: { express: http.Server; expressMounted: http.Server; bare: PagiServer; mounted: PagiServer };
const ports = { express: 0, expressMounted: 0, bare: 0, mounted: 0 };
beforeAll(async () => {
  servers = {
    express: http.createServer(bareExpress()),
    expressMounted: http.createServer(mountedExpress()),
    bare: await servePagi(bareToolkit()),
    mounted: await servePagi(mountedToolkit()),
  };
  ports.express = (await listen(servers.express)).port;
  ports.expressMounted = (await listen(servers.expressMounted)).port;
  ports.bare = servers.bare.port;
  ports.mounted = servers.mounted.port;
});
afterAll(async () => {
  await closeServer(servers.express);
  await closeServer(servers.expressMounted);
  await servers.bare.close();
  await servers.mounted.close();
});

/** The route and decoded parameters, or the status of an error (error pages differ by design). */
async function decision(port: number, row: TargetRow): Promise<unknown> {
  const method = row.method ?? 'GET';
  const request = Buffer.from(`${method} ${row.target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`, 'latin1');
  const exchange = await rawExchange({ port, request, methods: [method] });
  const response = exchange.responses[0];
  if (response === undefined) return `no response (${exchange.end})`;
  if (response.status !== 200) return response.status;
  return JSON.parse(response.body.toString('utf8'));
}

const name = (row: TargetRow) => `${row.method ?? 'GET'} ${JSON.stringify(row.target)}: ${row.why}`;
/** A raw `#` in the path (not only in the query), which the router refuses where Express cuts the path. */
const hasFragment = (row: TargetRow) => /^[^?]*#/.test(row.target);

describe('the bare router decides every row of the mount table as Express 5 does', () => {
  it.each(TARGET_TABLE.filter((row) => !hasFragment(row)).map((row) => [name(row), row] as const))('%s', async (_name, row) => {
    const [native, toolkit] = await Promise.all([decision(ports.express, row), decision(ports.bare, row)]);
    expect(toolkit).toEqual(native);
    if ('parser' in row.verdict) expect(toolkit).toBe(400);
  });

  it.each(TARGET_TABLE.filter(hasFragment).map((row) => [name(row), row] as const))('%s: a raw # is refused (400)', async (_name, row) => {
    expect(await decision(ports.bare, row)).toBe(400);
  });
});

describe('behind mount(), every row the mount does not refuse reaches the prefix Express picks', () => {
  it.each(TARGET_TABLE.map((row) => [name(row), row] as const))('%s', async (_name, row) => {
    const toolkit = await decision(ports.mounted, row);
    if (!('route' in row.verdict)) {
      expect(toolkit).toBe(400);
      return;
    }
    expect(toolkit).toEqual(await decision(ports.expressMounted, row));
    // Routed to the table's prefix (a parameter that cannot be decoded is a 400 in both).
    if (typeof toolkit === 'object') expect(toolkit).toMatchObject({ route: row.verdict.route });
  });
});

it('the table is not vacuous: every prefix is reached, with and without parameters', async () => {
  const seen = new Set<string>();
  for (const row of TARGET_TABLE) {
    const answer = await decision(ports.bare, row);
    if (typeof answer === 'object' && answer !== null) seen.add((answer as { route: string }).route);
  }
  expect([...seen].sort()).toEqual(['admin', 'cafe', 'root', 'v2']);
});
