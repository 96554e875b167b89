/**
 * method-override and express-rate-limit through the bridge, compared with
 * native Express (rate limiting keys on req.ip, which the bridge must feed
 * through Express's own getter).
 */
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import methodOverride from 'method-override';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { expectSame, first, runScenario, startPair, type Pair } from '../differential/harness.js';

function app(express: ExpressModule): express.Express {
  const server = express();
  server.use(methodOverride('X-HTTP-Method-Override'));
  server.use(methodOverride('_method'));
  server.all('/method', (req, res) => {
    res.json({ method: req.method, originalMethod: (req as typeof req & { originalMethod?: string }).originalMethod ?? null });
  });
  server.use(
    '/limited',
    rateLimit({ windowMs: 60_000, limit: 2, standardHeaders: 'draft-7', legacyHeaders: true }),
    (_req, res) => {
      res.send('within the limit');
    },
  );
  return server;
}

describeEachExpress('method-override through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => app(express));
  });
  afterAll(async () => {
    await pair.close();
  });

  it('X-HTTP-Method-Override on POST', async () => {
    await runScenario(pair, { name: 'header', spec: { method: 'POST', path: '/method', headers: [['X-HTTP-Method-Override', 'DELETE']] }, status: 200 });
  });
  it('_method query on POST', async () => {
    await runScenario(pair, { name: 'query', spec: { method: 'POST', path: '/method?_method=PUT' }, status: 200 });
  });
  it('override ignored on GET', async () => {
    await runScenario(pair, { name: 'get', spec: { path: '/method', headers: [['X-HTTP-Method-Override', 'DELETE']] }, status: 200 });
  });

  it('express-rate-limit: two allowed, the third gets 429 with the same headers', async () => {
    for (const expected of [200, 200, 429]) {
      const result = await pair.request({ path: '/limited' });
      // The reset time is derived from the clock; both sides are asked at the same moment.
      expectSame(result, { ignoreHeaders: ['ratelimit', 'x-ratelimit-reset', 'retry-after'] });
      expect(first(result.bridged).status).toBe(expected);
    }
  });
});
