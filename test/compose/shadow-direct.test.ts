/**
 * shadow keeps a fromExpress primary on the bridge's direct path for bodiless
 * requests (src/compose/shadow-direct.ts): which path served each side, and
 * that observing Node's own response finds exactly what the protocol path's
 * send events show — the same matches and the same differences, Express 4
 * and 5, with the middleware that rewrites heads and bodies (compression,
 * express-session's on-headers, writeHead with a header object, trailers).
 */
import http from 'node:http';
import compression from 'compression';
import express from 'express';
import express4 from 'express4';
import session from 'express-session';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgePath } from '../../src/bridge/direct-path.js';
import { fromExpress } from '../../src/bridge/index.js';
import { shadow, type ShadowDifference } from '../../src/compose/index.js';
import type { App, Scope } from '../../src/protocol/types.js';
import { servePagi, withDeadline, type PagiServer } from '../helpers/server.js';

const servers: PagiServer[] = [];
afterEach(async () => {
  bridgePath.enabled = true;
  bridgePath.served = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

type ExpressFactory = typeof express | typeof express4;

/** Routes whose heads and bodies are made by middleware and by Node itself. */
function legacy(make: ExpressFactory, variant: 'a' | 'b'): express.Express {
  const app = make() as unknown as express.Express;
  app.use(compression({ threshold: 0 }));
  app.use(session({ secret: 'shadow', resave: false, saveUninitialized: true, name: 'sid' }));
  app.get('/json', (req, res) => {
    res.json({ q: req.query, variant: variant === 'a' ? 1 : 1, nested: { a: 'é' } });
  });
  app.get('/differs', (_req, res) => {
    res.set('x-variant', variant).status(variant === 'a' ? 200 : 202).json({ n: variant === 'a' ? 1 : 2 });
  });
  app.get('/raw-head', (_req, res) => {
    res.removeHeader('x-powered-by');
    res.removeHeader('set-cookie');
    // writeHead with an object and nothing set before: Node's header map stays empty.
    res.writeHead(200, { 'content-type': 'text/plain', 'x-raw': ['1', '2'] });
    res.end('raw');
  });
  app.get('/flat-head', (_req, res) => {
    res.writeHead(201, 'Made', ['content-type', 'text/plain', 'x-flat', 'yes']);
    res.end(Buffer.from('flat'));
  });
  app.get('/stream', (_req, res) => {
    res.type('text');
    let n = 0;
    const tick = (): void => {
      if (n++ < 4) {
        res.write(`chunk ${n}\n`, 'utf8');
        setTimeout(tick, 2);
      } else {
        res.end();
      }
    };
    tick();
  });
  app.get('/trailers', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-sum' });
    res.write('body');
    res.addTrailers({ 'x-sum': variant === 'a' ? 'one' : 'two' });
    res.end();
  });
  app.get('/empty', (_req, res) => {
    res.status(204).end();
  });
  return app;
}

interface Run {
  differences: Array<Omit<ShadowDifference, 'primary' | 'candidate'> & { status: [number, number] }>;
  report: ReturnType<ReturnType<typeof shadow>['report']>['total'];
  paths: string[];
}

const REQUESTS: Array<[string, string?]> = [
  ['/json?a=1'],
  ['/json', 'HEAD'],
  ['/differs'],
  ['/raw-head'],
  ['/flat-head'],
  ['/stream'],
  ['/trailers'],
  ['/empty'],
  ['/nothing-here'],
];

/** Serves shadow(primary, candidate), sends REQUESTS, and returns what shadow found. */
async function runShadow(primary: App, candidate: App, direct: boolean): Promise<Run> {
  bridgePath.enabled = direct;
  const paths: string[] = [];
  bridgePath.served = (path, scope) => void paths.push(`${scope.method} ${scope.path} ${path}`);
  const differences: ShadowDifference[] = [];
  const app = shadow(primary, candidate, { onDifference: (d) => differences.push(d), ignoreHeaders: ['date', 'etag', 'content-length'] });
  const server = await servePagi(app);
  servers.push(server);
  for (const [path, method] of REQUESTS) {
    const response = await fetch(server.url + path, { method: method ?? 'GET', headers: { 'accept-encoding': 'gzip' } });
    await response.arrayBuffer();
  }
  await withDeadline(app.idle(), 5000, 'shadow idle');
  return {
    differences: differences.map(({ primary: p, candidate: c, ...rest }) => ({ ...rest, status: [p.status, c.status] })),
    report: app.report().total,
    paths,
  };
}

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as Array<[string, ExpressFactory]>)('shadow with the primary on the direct path (%s)', (_name, make) => {
  it('serves the sampled primary on the direct path and the candidate on the protocol path', async () => {
    const run = await runShadow(fromExpress(legacy(make, 'a')), fromExpress(legacy(make, 'a')), true);
    // Each request: the primary (first, direct), then the candidate (a tee'd send: the protocol path).
    expect(run.paths.filter((p) => p.startsWith('GET /json ')).sort()).toEqual(['GET /json direct', 'GET /json fake']);
    expect(run.paths.filter((p) => p.endsWith(' direct'))).toHaveLength(REQUESTS.length);
    expect(run.differences).toEqual([]);
    expect(run.report).toMatchObject({ shadowed: REQUESTS.length, matched: REQUESTS.length, differed: 0, skipped: 0 });
  });

  it('finds the same differences observing res as observing send events', async () => {
    const direct = await runShadow(fromExpress(legacy(make, 'a')), fromExpress(legacy(make, 'b')), true);
    const emulated = await runShadow(fromExpress(legacy(make, 'a')), fromExpress(legacy(make, 'b')), false);
    expect(emulated.paths.every((p) => p.endsWith(' fake'))).toBe(true);
    expect(direct.differences.map((d) => d.path).sort()).toEqual(['/differs', '/trailers']);
    expect(direct.differences).toEqual(emulated.differences);
    expect(direct.report).toEqual(emulated.report);
  });
});

describe('shadow with the primary on the direct path: what stays on the protocol path', () => {
  it('keeps a request with a body on the protocol path, so the candidate gets its copy', async () => {
    const paths: string[] = [];
    bridgePath.served = (path) => void paths.push(path);
    const app = express();
    app.use(express.text());
    app.post('/echo', (req, res) => res.send(`got ${String(req.body)}`));
    const candidate: App = async (scope: Scope, receive, send) => {
      if (scope.type !== 'http') return;
      let body = '';
      for (;;) {
        const event = await receive();
        if (event.type !== 'http.request') break;
        body += Buffer.from(event.body).toString();
        if (!event.more) break;
      }
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/html; charset=utf-8']] });
      await send({ type: 'http.response.body', body: `got ${body}` });
    };
    const differences: ShadowDifference[] = [];
    const shadowed = shadow(fromExpress(app), candidate, { methods: ['POST'], onDifference: (d) => differences.push(d), ignoreHeaders: ['etag', 'x-powered-by'] });
    const server = await servePagi(shadowed);
    servers.push(server);
    const response = await fetch(`${server.url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(await response.text()).toBe('got payload');
    await withDeadline(shadowed.idle(), 5000, 'shadow idle');
    expect(paths).toEqual(['fake']);
    expect(differences).toEqual([]);
    expect(shadowed.report().total).toMatchObject({ shadowed: 1, matched: 1 });
  });

  it('counts a direct-path primary cut by the client as skipped, and the server lives on', async () => {
    const paths: string[] = [];
    bridgePath.served = (path) => void paths.push(path);
    const app = express();
    app.get('/slow', (_req, res) => {
      res.type('text').write('first part');
      // Never ends: the client leaves.
    });
    const candidate: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [] });
      await send({ type: 'http.response.body', body: 'x' });
    };
    const shadowed = shadow(fromExpress(app), candidate);
    const server = await servePagi(shadowed);
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${server.url}/slow`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      setTimeout(() => reject(new Error('no first chunk within 5 s')), 5000).unref();
    });
    await withDeadline(shadowed.idle(), 5000, 'shadow idle');
    expect(paths).toEqual(['direct']);
    expect(shadowed.report().total).toMatchObject({ shadowed: 1, skipped: 1, matched: 0, differed: 0 });
    const again = await fetch(`${server.url}/nothing`);
    expect(again.status).toBe(404);
    await again.arrayBuffer();
  });
});
