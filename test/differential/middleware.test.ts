/**
 * Express middleware chains, native vs bridged: ordering, res.locals,
 * next('router'), error-middleware chains, res.render with a custom engine,
 * app.locals and req.app inside mounted apps, and middleware that wraps
 * res.write/res.end (the classic monkey-patching style).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { itFor, runScenario, startPair, type Pair, type Scenario } from './harness.js';

function tinyEngine(file: string, options: object, callback: (error: Error | null, html?: string) => void): void {
  // The "template" is the view name; locals are rendered as sorted key=value lines.
  const locals = options as Record<string, unknown>;
  const lines = Object.keys(locals)
    .filter((k) => k !== 'settings' && k !== '_locals' && k !== 'cache')
    .sort()
    .map((k) => `${k}=${JSON.stringify(locals[k])}`);
  callback(null, `<view ${file.split('/').pop() ?? ''}>\n${lines.join('\n')}\n`);
}

let viewsDir: string;

function middlewareApp(express: ExpressModule): express.Express {
  const app = express();
  app.set('env', 'production');
  app.engine('tiny', tinyEngine);
  app.set('view engine', 'tiny');
  app.set('views', viewsDir);
  app.locals['site'] = 'differential';

  app.use((req, res, next) => {
    res.locals['trail'] = ['first'];
    res.setHeader('X-Order', 'first');
    next();
  });
  app.use((_req, res, next) => {
    (res.locals['trail'] as string[]).push('second');
    next();
  });

  // Classic wrapper: counts bytes by patching write/end, as many older middlewares do.
  app.use('/wrapped', (_req, res, next) => {
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => Response;
    let bytes = 0;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      bytes += Buffer.byteLength(chunk as string);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk !== undefined && typeof chunk !== 'function') bytes += Buffer.byteLength(chunk as string);
      if (!res.headersSent) res.setHeader('X-Bytes-Seen', String(bytes));
      return end(chunk, ...rest);
    }) as typeof res.end;
    next();
  });
  app.get('/wrapped/send', (_req, res) => {
    res.send('wrapped body');
  });
  app.get('/wrapped/stream', (_req, res) => {
    res.write('part;');
    res.end('end;');
  });

  app.get('/locals', (_req, res) => {
    res.json({ trail: res.locals['trail'], site: app.locals['site'] });
  });

  const guarded = express.Router();
  guarded.use((req, _res, next) => {
    if (req.query['skip'] === '1') {
      next('router');
      return;
    }
    next();
  });
  guarded.get('/thing', (_req, res) => {
    res.send('inside the router');
  });
  app.use('/guarded', guarded);
  app.get('/guarded/thing', (_req, res) => {
    res.send('after the router was skipped');
  });

  app.get('/render', (_req, res) => {
    res.render('page', { title: 'Hello', items: [1, 2] });
  });
  app.get('/render-callback', (_req, res) => {
    res.render('other', { n: 1 }, (error, html) => {
      if (error) throw error;
      res.type('text/plain').send(html.toUpperCase());
    });
  });

  const sub = express();
  sub.locals['site'] = 'sub-site';
  sub.get('/who', (req, res) => {
    res.json({ subSite: req.app.locals['site'], parentSite: app.locals['site'], mountpath: sub.mountpath });
  });
  app.use(['/one', '/two'], sub);

  app.get('/error-chain', (_req, _res, next) => {
    next(new Error('first failure'));
  });
  app.use((error: Error, _req: Request, _res: Response, next: NextFunction) => {
    next(Object.assign(new Error(`${error.message}, rewrapped`), { status: 409 }));
  });
  app.use((error: Error & { status?: number }, req: Request, res: Response, next: NextFunction) => {
    if (req.path !== '/error-chain') {
      next(error);
      return;
    }
    res.status(error.status ?? 500).json({ message: error.message, trail: res.locals['trail'] });
  });
  return app;
}

const scenarios: Scenario[] = [
  { name: 'middleware order and res.locals', spec: { path: '/locals' }, status: 200 },
  { name: 'res.write/res.end wrapped by a middleware (send)', spec: { path: '/wrapped/send' }, status: 200 },
  { name: 'res.write/res.end wrapped by a middleware (stream)', spec: { path: '/wrapped/stream' }, status: 200 },
  { name: 'router runs normally', spec: { path: '/guarded/thing' }, status: 200 },
  { name: "next('router') skips the rest of the router", spec: { path: '/guarded/thing?skip=1' }, status: 200 },
  { name: 'res.render with a custom engine and app.locals', spec: { path: '/render' }, status: 200 },
  { name: 'res.render with a callback', spec: { path: '/render-callback' }, status: 200 },
  { name: 'sub-app mounted on two paths (first)', spec: { path: '/one/who' }, status: 200 },
  { name: 'sub-app mounted on two paths (second)', spec: { path: '/two/who' }, status: 200 },
  { name: 'error-middleware chain rewraps the error', spec: { path: '/error-chain' }, status: 409 },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  // Express logs every error it hands to finalhandler outside env 'test'; keep the output readable.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  viewsDir = await mkdtemp(path.join(tmpdir(), 'pagi-diff-views-'));
  await writeFile(path.join(viewsDir, 'page.tiny'), 'unused: the engine renders locals');
  await writeFile(path.join(viewsDir, 'other.tiny'), 'unused');
});
afterAll(async () => {
  await rm(viewsDir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describeEachExpress('middleware chains: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => middlewareApp(express));
  });
  afterAll(async () => {
    await pair.close();
  });
  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }
});
