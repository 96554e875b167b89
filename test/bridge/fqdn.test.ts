/**
 * Absolute-form request targets through the bridge (the `request_target`
 * extension, issue 16): connect's own "fqdn" tests, written again for
 * Express's `app.use` (which shares connect's behaviour), each run natively
 * and bridged (`toNodeListener(fromExpress(app))`), plus a PAGI `mount` in
 * front standing in for `app.use(prefix)`. Express 4 and 5.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import express5 from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeListener } from '../../src/adapter/index.js';
import { fromExpress } from '../../src/bridge/index.js';
import { mount } from '../../src/compose/index.js';
import { rawExchange } from '../differential/raw-client.js';
import { closeServer, listen } from '../helpers/server.js';

type ExpressFactory = typeof express5;
const express4 = createRequire(import.meta.url)('express4') as ExpressFactory;
const sendUrl = (req: express5.Request, res: express5.Response): void => void res.end(req.url);

/** connect's fqdn cases: the app, the target, the body connect expects. */
const CASES: Array<{ name: string; build: (express: ExpressFactory) => express5.Express; target: string; body: string }> = [
  { name: 'does not obscure FQDNs', build: (e) => e().use(sendUrl), target: 'http://example.com/foo', body: 'http://example.com/foo' },
  { name: 'ignores an FQDN in the search', build: (e) => e().use('/proxy', sendUrl), target: '/proxy?url=http://example.com/blog/post/1', body: '/?url=http://example.com/blog/post/1' },
  { name: 'ignores an FQDN in the path', build: (e) => e().use('/proxy', sendUrl), target: '/proxy/http://example.com/blog/post/1', body: '/http://example.com/blog/post/1' },
  { name: 'adjusts an FQDN req.url', build: (e) => e().use('/blog', sendUrl), target: 'http://example.com/blog/post/1', body: 'http://example.com/post/1' },
  {
    name: 'adjusts an FQDN req.url with multiple handlers',
    build: (e) => e().use((_req, _res, next) => next()).use('/blog', sendUrl),
    target: 'http://example.com/blog/post/1',
    body: 'http://example.com/post/1',
  },
  {
    name: 'adjusts an FQDN req.url with multiple routed handlers',
    build: (e) => e().use('/blog', (_req, _res, next) => next()).use('/blog', sendUrl),
    target: 'http://example.com/blog/post/1',
    body: 'http://example.com/post/1',
  },
];

async function get(port: number, target: string): Promise<{ status: number; body: string }> {
  const request = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`, 'latin1');
  const response = (await rawExchange({ port, request, methods: ['GET'] })).responses[0];
  if (response === undefined) throw new Error(`${target}: no response`);
  return { status: response.status, body: response.body.toString('latin1') };
}

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
] as const)('%s: connect fqdn tests, native and bridged', (_label, express) => {
  const servers: http.Server[] = [];
  const serve = async (listener: http.RequestListener): Promise<number> => {
    const server = http.createServer(listener);
    servers.push(server);
    return (await listen(server)).port;
  };
  afterAll(async () => {
    await Promise.all(servers.map((server) => closeServer(server)));
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const native = await get(await serve(c.build(express)), c.target);
    const bridged = await get(await serve(toNodeListener(fromExpress(c.build(express)))), c.target);
    expect(native).toEqual({ status: 200, body: c.body });
    expect(bridged).toEqual(native);
  });

  describe('a PAGI mount in place of app.use(prefix)', () => {
    let nativePort: number;
    let mountedPort: number;
    const inner = (): express5.Express =>
      express().use((req, res) => res.json({ url: req.url, originalUrl: req.originalUrl, baseUrl: req.baseUrl }));
    beforeAll(async () => {
      nativePort = await serve(express().use('/blog', inner()));
      mountedPort = await serve(toNodeListener(mount({ '/blog': fromExpress(inner()) })));
    });

    it.each(['http://example.com/blog/post/1?x=1', 'http://example.com/blog', 'http://example.com/blog?', '/blog/post?', 'http://example.com/BLOG/'])(
      '%s',
      async (target) => {
        const native = await get(nativePort, target);
        expect(native.status).toBe(200);
        expect(await get(mountedPort, target)).toEqual(native);
      },
    );
  });
});
