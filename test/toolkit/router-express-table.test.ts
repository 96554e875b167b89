/**
 * The router against Express 5's router on one table of raw request
 * targets: the same routes in both, the same bytes sent to both, and the
 * same decision (which route, which decoded parameters, or 404/400) required.
 * Percent-encoding, encoded slashes, case, trailing and doubled slashes,
 * broken escapes, dot segments, wildcards, optional groups, and mounts.
 */
import http from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mount } from '../../src/compose/index.js';
import { router, sendJson } from '../../src/toolkit/index.js';
import { rawExchange, type RawExchange } from '../differential/raw-client.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';

const ROUTES = ['/users/:id', '/users/:id/books/:bookId', '/files/*rest', '/optional{/:format}', '/flights/:from-:to', '/static/path', '/Case/Sensitive', '/'];

function expressApp(): express.Express {
  const app = express();
  app.set('env', 'production');
  const api = express.Router();
  for (const path of ROUTES) {
    const answer = (req: express.Request, res: express.Response) => void res.json({ route: path, params: req.params });
    app.get(path, answer);
    api.get(path, answer);
  }
  app.use('/api', api);
  return app;
}

function toolkitApp() {
  const build = () => {
    const routes = router();
    for (const path of ROUTES) routes.get(path, ({ params, send }) => sendJson(send, 200, { route: path, params }));
    return routes;
  };
  return { mounted: mount({ '/api': build(), '/': build() }), bare: build() };
}

const TARGETS = [
  '/',
  '/users/42',
  '/users/42/',
  '/USERS/42',
  '/users/a%2Fb',
  '/users/a%2fb',
  '/users/%41%42',
  '/users/%E2%9C%93',
  '/users/%ZZ',
  '/users/%C0%AF',
  '/users/%E2%9C',
  '/users/%00',
  '/us%65rs/1',
  '/users/1%3Fq',
  '/users/1%23x',
  '/users/a%20b',
  '/users/+plus+',
  '/users/1;jsessionid=x',
  '/users/1/books/2',
  '/users/1/books/2/',
  '/users//books/2',
  '/users/1/../2',
  '/users/1?x=%ZZ',
  '/files/a/b/c',
  '/files/a%2Fb/c',
  '/files/%E2%9C%93/x%20y',
  '/files/',
  '/files',
  '/files/a//b',
  '/optional',
  '/optional/',
  '/optional/json',
  '/optional/json/extra',
  '/flights/LAX-SFO',
  '/flights/LAX-',
  '/flights/L%2DX-SFO',
  '/static/path',
  '/static/path/',
  '/Static/Path',
  '/static//path',
  '/static/pat%68',
  '/case/sensitive',
  '/nothing/here',
  '/api/users/7',
  '/API/users/7',
  '/api/users/a%2Fb',
  '/api/files/x/y',
  '/api',
  '/api/',
  '/api/static/path',
  '/apiusers/7',
  'http://example.com/users/absolute',
  '/users/%F0%9F%98%80',
  '/users/%ED%A0%80',
  '/users/caf%C3%A9',
  '/users/caf\xe9',
  'HTTPS://H/users/9',
  'http://h',
  'http://h?q=1',
  '/%2575sers/1',
  '/users/./1',
  '/users/1?x=\\',
];

// Targets on which Express and a decoding router could decide differently: the toolkit refuses them
// with 400 (PROTOCOL.md §3.3, one target, one meaning) where Express cuts at the '#'. Encodings in the
// prefix a mount compares (`/%61pi`, `/api%2F…`) are mount's rules, held to test/compose's target table.
const REFUSED = ['/users/1#frag', '/api/users/1#/x', '/files/a#b/c'];

// Targets the mount in front refuses (its first segment is compared with `api`: `//`, dot segments,
// `%2F`, `\`). Behind that mount they are 400 whatever the router would say; the bare router, with
// no mount in front, must still decide on them as Express 5 does.
const REFUSED_BY_MOUNT = [
  '//users/1',
  '/%2e%2e/users/1',
  '/./users/1',
  '/optional%2Fjson',
  '/users\\1',
  '/users/1\\x',
  '/users/..%2F..%2Fetc',
  '/users/%2e%2e',
];

let native: http.Server;
let nativePort = 0;
let pagi: PagiServer;
let bare: PagiServer;
beforeAll(async () => {
  native = http.createServer(expressApp());
  nativePort = (await listen(native)).port;
  const apps = toolkitApp();
  pagi = await servePagi(apps.mounted);
  bare = await servePagi(apps.bare);
});
afterAll(async () => {
  await closeServer(native);
  await pagi.close();
  await bare.close();
});

function decision(exchange: RawExchange): unknown {
  const response = exchange.responses[0];
  if (response === undefined) return `no response (${exchange.end})`;
  // Error pages differ by design (finalhandler's HTML vs the toolkit's text): compare their status.
  if (response.status !== 200) return response.status;
  return JSON.parse(response.body.toString('utf8'));
}

describe('router() decides like Express 5 on every target', () => {
  it.each(TARGETS)('%s', async (target) => {
    const request = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1');
    const [a, b] = await Promise.all([rawExchange({ port: nativePort, request }), rawExchange({ port: pagi.port, request })]);
    expect(decision(b)).toEqual(decision(a));
  });

  it.each(REFUSED_BY_MOUNT)('%s: bare router as Express, 400 behind the mount', async (target) => {
    const request = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1');
    const [a, b, c] = await Promise.all([
      rawExchange({ port: nativePort, request }),
      rawExchange({ port: bare.port, request }),
      rawExchange({ port: pagi.port, request }),
    ]);
    expect(decision(b)).toEqual(decision(a));
    expect(decision(c)).toBe(400);
  });

  it.each(REFUSED)('refuses %s with 400', async (target) => {
    const request = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1');
    expect(decision(await rawExchange({ port: pagi.port, request }))).toBe(400);
  });

  it('covers matches, decoded parameters and refusals (the table is not vacuous)', async () => {
    const seen = new Set<unknown>();
    for (const target of ['/users/a%2Fb', '/users/%ZZ', '/nothing/here', '/files/a%2Fb/c']) {
      const request = `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
      seen.add(JSON.stringify(decision(await rawExchange({ port: pagi.port, request }))));
    }
    expect([...seen]).toEqual([
      JSON.stringify({ route: '/users/:id', params: { id: 'a/b' } }),
      '400',
      '404',
      JSON.stringify({ route: '/files/*rest', params: { rest: ['a/b', 'c'] } }),
    ]);
  });
});
