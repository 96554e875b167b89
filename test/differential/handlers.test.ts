/**
 * Handlers that are not Express apps, native vs bridged: an Express Router
 * and a single `(req, res, next)` middleware given straight to fromExpress.
 * Natively such a handler needs a final handler for its `next()`;
 * finalhandler is what Express itself uses, so that is the native truth.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import finalhandler from 'finalhandler';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from './harness.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Natively: the handler plus finalhandler for its next(); bridged: the bare handler. */
function asSide(handler: Middleware) {
  return (probe: Probe) =>
    probe.side === 'bridged'
      ? handler
      : (req: IncomingMessage, res: ServerResponse) => handler(req, res, finalhandler(req, res, { env: 'production' }));
}

function router(express: ExpressModule): Middleware {
  const r = express.Router();
  // No Express app around it: the response has only Node's own methods (no res.send/res.json).
  r.get('/hello', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end('from a router');
  });
  r.get('/user/:id', (req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ id: req.params['id'], url: req.url, baseUrl: req.baseUrl }));
  });
  r.get('/fail', () => {
    throw Object.assign(new Error('router failure'), { status: 418 });
  });
  return r as unknown as Middleware;
}

const single: Middleware = (req, res, next) => {
  if (req.url === '/single') {
    res.setHeader('Content-Type', 'text/plain');
    res.end('from a single middleware');
    return;
  }
  next();
};

const routerScenarios: Scenario[] = [
  { name: 'Router: a route answers', spec: { path: '/hello' }, status: 200 },
  { name: 'Router: params', spec: { path: '/user/7?x=1' }, status: 200 },
  { name: 'Router: HEAD', spec: { method: 'HEAD', path: '/hello' }, status: 200 },
  { name: 'Router: final next() gives 404', spec: { path: '/missing' }, status: 404 },
  { name: 'Router: an error with a status', spec: { path: '/fail' }, status: 418 },
  { name: 'Router: 404 names the encoded path', spec: { path: '/caf%C3%A9/<x>?q=1' }, status: 404 },
];

const singleScenarios: Scenario[] = [
  { name: 'single middleware answers', spec: { path: '/single' }, status: 200 },
  { name: 'single middleware calls next(): 404', spec: { path: '/other' }, status: 404 },
  { name: 'single middleware calls next() for a POST with a body', spec: { method: 'POST', path: '/other', body: 'unread' }, status: 404 },
];

describeEachExpress('an Express Router given to fromExpress', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(asSide(router(express)), { bridge: { env: 'production' } });
  });
  afterAll(async () => {
    await pair.close();
  });
  for (const scenario of routerScenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }
});

describe('a single middleware given to fromExpress', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(asSide(single), { bridge: { env: 'production' } });
  });
  afterAll(async () => {
    await pair.close();
  });
  for (const scenario of singleScenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }
});
