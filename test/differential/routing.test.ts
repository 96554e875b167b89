/**
 * Routing, native vs bridged: query parsing, params, routers and sub-apps on
 * mount paths (`baseUrl`/`originalUrl`/`url` and their restoration), and
 * percent-encoded, UTF-8 and absolute-form request targets.
 */
import express, { type Request, type Response } from 'express';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachExpress, expressMajor, type ExpressModule } from './express-versions.js';
import { json, itFor, runScenario, startPair, type Pair, type Scenario } from './harness.js';

function echo(req: Request, res: Response): void {
  res.json({
    url: req.url,
    originalUrl: req.originalUrl,
    baseUrl: req.baseUrl,
    path: req.path,
    params: req.params,
    query: req.query,
    route: req.route === undefined ? null : String((req.route as { path: unknown }).path),
  });
}

function routingApp(express: ExpressModule): express.Express {
  const app = express();
  // 'production' keeps stack traces (which name bridge frames) out of finalhandler's error pages.
  app.set('env', 'production');
  // URL rewriting at the top: later routing must follow the rewritten url, originalUrl the request.
  app.use((req, _res, next) => {
    if (req.url.startsWith('/old-api/')) req.url = req.url.replace('/old-api/', '/api/');
    next();
  });
  app.get('/echo', echo);
  app.get('/users/:id/books/:bookId', echo);
  // The same routes in each version's path syntax (path-to-regexp 0.1 in Express 4, 8 in Express 5).
  if (expressMajor(express) === 4) {
    app.get('/files/*', echo);
    app.get('/optional/:format?', echo);
  } else {
    app.get('/files/*rest', echo);
    app.get('/optional{/:format}', echo);
  }
  app.get('/param/:name', echo);
  app.get(/^\/regex\/(\d+)$/, echo);

  app.param('user', (req, _res, next, value: string) => {
    (req as Request & { loaded?: string }).loaded = `user:${value}`;
    next();
  });
  app.get('/loaded/:user', (req, res) => {
    res.json({ loaded: (req as Request & { loaded?: string }).loaded, params: req.params });
  });

  app.get(
    '/next-route',
    (req, _res, next) => (req.query['skip'] === '1' ? next('route') : next()),
    (_req, res) => res.send('first route'),
  );
  app.get('/next-route', (_req, res) => res.send('second route'));

  const api = express.Router();
  api.use((req, res, next) => {
    res.set('X-Router-Base', req.baseUrl);
    next();
  });
  api.get('/items/:id', echo);
  api.get('/', echo);
  const nested = express.Router({ mergeParams: true });
  nested.get('/leaf', echo);
  api.use('/v/:version', nested);
  app.use('/api', api);

  const admin = express();
  admin.get('/', echo);
  admin.get('/panel', (req, res) => {
    res.json({ mountpath: admin.mountpath, baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl });
  });
  const deep = express();
  deep.get('/x', echo);
  admin.use('/deep', deep);
  app.use('/admin', admin);

  const ext = express();
  ext.set('query parser', 'extended');
  ext.get('/q', echo);
  app.use('/ext', ext);

  // A pass-through router: the final handler must see the url restored.
  const passthrough = express.Router();
  passthrough.use((_req, _res, next) => next());
  app.use('/restore', passthrough);
  app.use('/restore', echo);

  // URL rewriting middleware: later routing and originalUrl must follow what Express does natively.
  app.use('/legacy', (req, _res, next) => {
    req.url = `/echo${req.url === '/' ? '' : req.url.slice(req.url.indexOf('?'))}`;
    next();
  });

  const strict = express.Router({ strict: true, caseSensitive: true });
  strict.get('/Exact/', echo);
  app.use('/strict', strict);
  return app;
}

const scenarios: Scenario[] = [
  { name: 'simple query string', spec: { path: '/echo?a=1&b=two' }, status: 200 },
  { name: 'repeated query keys become an array', spec: { path: '/echo?a=1&a=2&a=3' }, status: 200 },
  { name: 'encoded and plus-encoded query values', spec: { path: '/echo?q=a+b%2Bc%20d&e=%C3%A9' }, status: 200 },
  { name: 'bracket keys stay flat with the simple parser', spec: { path: '/echo?b[c]=d&x[]=1' }, status: 200 },
  { name: 'extended query parser in a sub-app', spec: { path: '/ext/q?b[c]=d&x[]=1&x[]=2' }, status: 200 },
  {
    name: 'empty query string after ?',
    spec: { path: '/echo?' },
    status: 200,
  },
  { name: 'named params', spec: { path: '/users/42/books/7' }, status: 200 },
  { name: 'wildcard param', spec: { path: '/files/a/b/c.txt' }, status: 200 },
  { name: 'optional segment absent', spec: { path: '/optional' }, status: 200 },
  { name: 'optional segment present', spec: { path: '/optional/json' }, status: 200 },
  { name: 'percent-encoded UTF-8 param is decoded', spec: { path: '/param/caf%C3%A9' }, status: 200 },
  { name: 'encoded slash inside a param', spec: { path: '/param/a%2Fb' }, status: 200 },
  { name: 'encoded space and plus in a param', spec: { path: '/param/a%20b+c' }, status: 200 },
  { name: 'malformed percent-encoding in a param gives 400', spec: { path: '/param/%E0%A4%A' } },
  { name: 'raw UTF-8 bytes in the request target', spec: { path: Buffer.from('/param/ñandú', 'utf8').toString('latin1') } },
  { name: 'regular-expression route', spec: { path: '/regex/123' }, status: 200 },
  { name: 'app.param loader', spec: { path: '/loaded/tobi' }, status: 200 },
  { name: 'next("route") skips to the next route', spec: { path: '/next-route?skip=1' }, status: 200 },
  { name: 'route without next("route")', spec: { path: '/next-route' }, status: 200 },
  { name: 'router on a mount path: baseUrl and url', spec: { path: '/api/items/9?x=1' }, status: 200 },
  { name: 'router root with and without a slash', spec: { path: '/api' }, status: 200 },
  { name: 'nested router with mergeParams', spec: { path: '/api/v/3/leaf' }, status: 200 },
  { name: 'sub-app root', spec: { path: '/admin' }, status: 200 },
  { name: 'sub-app mountpath and urls', spec: { path: '/admin/panel?tab=2' }, status: 200 },
  { name: 'sub-app inside a sub-app', spec: { path: '/admin/deep/x' }, status: 200 },
  { name: 'mount matches whole segments only', spec: { path: '/adminx/panel' }, status: 404 },
  { name: 'percent-encoded mount prefix', spec: { path: '/%61dmin/panel' } },
  { name: 'req.url restored after a router calls next()', spec: { path: '/restore/some/where?k=v' }, status: 200 },
  { name: 'strict, case-sensitive router matches exactly', spec: { path: '/strict/Exact/' }, status: 200 },
  { name: 'strict router rejects a missing slash', spec: { path: '/strict/Exact' }, status: 404 },
  { name: 'case-insensitive app routing', spec: { path: '/ECHO?c=1' }, status: 200 },
  {
    name: 'absolute-form request target',
    spec: { path: 'http://localhost/echo?abs=1' },
    status: 200,
  },
  { name: 'dot segments are not normalised', spec: { path: '/api/../echo' } },
  { name: 'OPTIONS * (asterisk-form)', spec: { method: 'OPTIONS', path: '*' } },
  { name: 'an 8 kB path', spec: { path: `/param/${'x'.repeat(8000)}` }, status: 200 },
  { name: 'Upgrade header on a plain request', spec: { path: '/echo', headers: [['Connection', 'Upgrade'], ['Upgrade', 'h2c']] } },
  { name: 'URL rewrite inside a mounted middleware', spec: { path: '/legacy?x=1' } },
  { name: 'URL rewrite at the top reaches a router', spec: { path: '/old-api/items/3?y=1' }, status: 200 },
  { name: 'a long query string', spec: { path: `/echo?${Array.from({ length: 200 }, (_, i) => `k${i}=v${i}`).join('&')}` }, status: 200 },
  { name: 'semicolons and encoded NUL in the path and query', spec: { path: '/param/a;b=c?z=%00&w=%FF' }, status: 200 },
  { name: 'double slashes in the path', spec: { path: '//echo' } },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  // Express logs every error it hands to finalhandler outside env 'test'; keep the output readable.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
});

describeEachExpress('routing: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => routingApp(express));
  });
  afterAll(async () => {
    await pair.close();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }

  it('the router sees the mount-relative url and the full originalUrl', async () => {
    const result = await runScenario(pair, { name: 'mounted', spec: { path: '/api/items/5?y=2' }, status: 200 });
    expect(json(result.bridged)).toMatchObject({ url: '/items/5?y=2', originalUrl: '/api/items/5?y=2', baseUrl: '/api' });
  });
});
