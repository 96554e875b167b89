/**
 * Errors, native vs bridged: sync throws, rejected async handlers, next(err)
 * with a status and headers, custom error handlers, errors after the head was
 * sent (the connection is cut: the client must see the same truncation), a
 * final next() with no response, and handlers that destroy the response.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import createError from 'http-errors';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachExpress, expressMajor, type ExpressModule } from './express-versions.js';
import { itFor, runScenario, startPair, type Pair, type Scenario } from './harness.js';

type AsyncHandler = (req: Request, res: Response, next: NextFunction) => Promise<void>;

/**
 * Express 5 passes a rejected handler promise to next(err); Express 4 ignores
 * the promise, so its users wrap async handlers like this (the
 * express-async-handler pattern) to get the same 500.
 */
function catching(express: ExpressModule, handler: AsyncHandler): AsyncHandler {
  if (expressMajor(express) === 5) return handler;
  return (req, res, next) => handler(req, res, next).catch(next);
}

function errorsApp(express: ExpressModule): express.Express {
  const app = express();
  // 'production' keeps stack traces (which name bridge frames) out of finalhandler's pages.
  app.set('env', 'production');
  app.get('/sync-throw', () => {
    throw new Error('sync boom');
  });
  app.get(
    '/async-reject',
    catching(express, async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('async boom');
    }),
  );
  app.get('/next-status', (_req, _res, next) => {
    next(Object.assign(new Error('forbidden here'), { status: 403 }));
  });
  app.get('/next-status-code', (_req, _res, next) => {
    next(Object.assign(new Error('teapot'), { statusCode: 418 }));
  });
  app.get('/http-error', () => {
    throw createError(429, 'slow down', { headers: { 'Retry-After': '30' } });
  });
  app.get('/exposed-error', (_req, _res, next) => {
    next(createError(400, 'bad <input> & "quotes"'));
  });
  app.get('/throw-string', () => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- deliberately not an Error
    throw 'a string';
  });
  app.get('/error-after-headers', (_req, res, next) => {
    res.type('text/plain');
    res.write('partial body;');
    setTimeout(() => next(new Error('after headers')), 20);
  });
  app.get(
    '/async-error-after-headers',
    catching(express, async (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('only some of the promised bytes');
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('async after headers');
    }),
  );
  app.get('/double-response', (_req, res) => {
    res.write('started;');
    res.json({ too: 'late' });
  });
  app.get('/send-twice', (_req, res) => {
    res.send('first answer');
    res.send('second answer');
  });
  app.get('/end-then-destroy', (_req, res) => {
    res.end('ended then destroyed');
    res.destroy();
  });
  app.get('/end-then-socket-destroy-later', (req, res) => {
    res.end('ended, socket destroyed later');
    setTimeout(() => req.socket.destroy(), 50);
  });
  app.get('/write-head-then-destroy', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.destroy();
  });
  app.get('/flush-headers-then-destroy', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.flushHeaders();
    res.destroy();
  });
  app.get('/flush-headers-then-destroy-later', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.flushHeaders();
    setTimeout(() => res.destroy(), 50);
  });
  app.get('/destroy-before-response', (_req, res) => {
    res.destroy();
  });
  app.get('/destroy-mid-response', (_req, res) => {
    res.write('some;');
    setTimeout(() => res.destroy(), 50);
  });
  app.get('/socket-destroy', (req) => {
    req.socket.destroy();
  });
  app.get('/fall-through', (_req, _res, next) => {
    next();
  });

  const custom = express.Router();
  custom.get('/boom', () => {
    throw Object.assign(new Error('custom boom'), { status: 422 });
  });
  custom.get('/throws-in-handler', () => {
    throw new Error('handler failure');
  });
  custom.use((error: Error & { status?: number }, req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/throws-in-handler') {
      next(new Error('error handler re-raises'));
      return;
    }
    res.status(error.status ?? 500).set('X-Error', 'custom').json({ message: error.message, path: req.originalUrl });
  });
  app.use('/custom', custom);

  const declining = express();
  declining.get('/only', (_req, res) => res.send('sub-app answered'));
  app.use('/sub', declining);
  app.use('/sub', (_req, res) => {
    res.status(404).send('outer app after a sub-app declined');
  });
  return app;
}

/**
 * Node writes `Connection: keep-alive` and then its socket dies; PAGI cannot close a cleanly completed response
 * without announcing it, so the bridged head says `Connection: close` (bridge inbox 04:42/04:50). Everything
 * else — the complete body, the closed connection — is still compared.
 */
const closedAfterEnd = { ignoreHeaders: ['connection', 'keep-alive'] };

const scenarios: Scenario[] = [
  { name: 'sync throw gives 500', spec: { path: '/sync-throw' }, status: 500 },
  { name: 'rejected async handler gives 500', spec: { path: '/async-reject' }, status: 500 },
  { name: 'next(err) with status 403', spec: { path: '/next-status' }, status: 403 },
  { name: 'next(err) with statusCode 418', spec: { path: '/next-status-code' }, status: 418 },
  { name: 'http-errors with headers', spec: { path: '/http-error' }, status: 429 },
  { name: 'exposed message is escaped', spec: { path: '/exposed-error' }, status: 400 },
  { name: 'throwing a non-Error', spec: { path: '/throw-string' }, status: 500 },
  {
    name: 'error after headers cuts the connection (chunked)',
    spec: { path: '/error-after-headers' },
    status: 200,
    check: ({ native, bridged }) => {
      expect(native.end).toBe('truncated');
      expect(bridged.end).toBe('truncated');
    },
  },
  {
    name: 'async error after headers cuts a content-length body short',
    spec: { path: '/async-error-after-headers' },
    status: 200,
    check: ({ bridged }) => {
      expect(bridged.end).toBe('truncated');
    },
  },
  {
    // Node corks the socket for res.write until the next tick, so finalhandler's destroy wins: nothing arrives.
    name: 'res.json after res.write throws ERR_HTTP_HEADERS_SENT and cuts the response',
    spec: { path: '/double-response' },
    check: ({ native, bridged }) => {
      expect(native.end).toBe('truncated');
      expect(bridged.end).toBe('truncated');
    },
  },
  {
    // res.end flushes at once natively, so the first answer is complete before finalhandler destroys the socket.
    name: 'res.send twice: the first answer stands',
    spec: { path: '/send-twice' },
    compare: closedAfterEnd,
    status: 200,
  },
  {
    name: 'res.end() then res.destroy() at once',
    spec: { path: '/end-then-destroy' },
    compare: closedAfterEnd,
    status: 200,
  },
  {
    name: 'res.send twice: the connection is closed afterwards',
    spec: { path: '/send-twice' },
    options: { observeCloseMs: 300 },
    compare: { ...closedAfterEnd, compareServerClose: true },
    status: 200,
  },
  {
    name: 'res.end() then res.destroy(): the connection is closed afterwards',
    spec: { path: '/end-then-destroy' },
    options: { observeCloseMs: 300 },
    compare: { ...closedAfterEnd, compareServerClose: true },
    status: 200,
  },
  { name: 'res.end() then socket.destroy() 50 ms later', spec: { path: '/end-then-socket-destroy-later' }, status: 200 },
  { name: 'writeHead then destroy: nothing is sent', spec: { path: '/write-head-then-destroy' } },
  {
    name: 'flushHeaders then destroy at once',
    spec: { path: '/flush-headers-then-destroy' },
    compare: closedAfterEnd,
    status: 200,
  },
  { name: 'flushHeaders then destroy 50 ms later', spec: { path: '/flush-headers-then-destroy-later' } },
  {
    name: 'res.destroy() before a response: no response, connection closed',
    spec: { path: '/destroy-before-response' },
    check: ({ native, bridged }) => {
      expect(native.responses).toHaveLength(0);
      expect(bridged.responses).toHaveLength(0);
      expect(bridged.end).toBe('truncated');
    },
  },
  {
    name: 'res.destroy() mid-response: truncated',
    spec: { path: '/destroy-mid-response' },
    status: 200,
    check: ({ bridged }) => {
      expect(bridged.end).toBe('truncated');
    },
  },
  {
    name: 'req.socket.destroy() in a handler',
    spec: { path: '/socket-destroy' },
    check: ({ bridged }) => {
      expect(bridged.responses).toHaveLength(0);
    },
  },
  { name: 'final next() with no response gives 404', spec: { path: '/fall-through' }, status: 404 },
  { name: 'custom error handler answers', spec: { path: '/custom/boom?x=1' }, status: 422 },
  { name: 'custom error handler passes on to finalhandler', spec: { path: '/custom/throws-in-handler' }, status: 500 },
  { name: 'HEAD of an erroring route', spec: { method: 'HEAD', path: '/sync-throw' }, status: 500 },
  { name: 'sub-app that declines falls through to the outer app', spec: { path: '/sub/other' }, status: 404 },
  { name: 'sub-app that answers', spec: { path: '/sub/only' }, status: 200 },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  // Express logs every error it hands to finalhandler outside env 'test'; keep the output readable.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
});

describeEachExpress('errors: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => errorsApp(express));
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
