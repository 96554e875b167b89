/**
 * body-parser (the package itself, not the express.* re-exports) through the
 * bridge, compared with native Express: every parser, `verify`, limits,
 * inflation and malformed input.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import bodyParser from 'body-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { itFor, runScenario, startPair, type Pair, type Scenario } from '../differential/harness.js';

function app(express: ExpressModule): express.Express {
  const server = express();
  server.post(
    '/json',
    bodyParser.json({
      limit: '2kb',
      verify: (req, _res, buf) => {
        (req as Request & { rawSha?: string }).rawSha = createHash('sha256').update(buf).digest('hex');
      },
    }),
    (req, res) => {
      res.json({ body: req.body as unknown, rawSha: (req as Request & { rawSha?: string }).rawSha ?? null });
    },
  );
  server.post('/verify-rejects', bodyParser.json({ verify: () => { throw new Error('signature mismatch'); } }), (_req, res) => {
    res.send('not reached');
  });
  server.post('/urlencoded', bodyParser.urlencoded({ extended: true, parameterLimit: 3 }), (req, res) => {
    res.json(req.body as unknown);
  });
  server.post('/text', bodyParser.text({ defaultCharset: 'utf-8' }), (req, res) => {
    res.json({ text: req.body as unknown });
  });
  server.post('/raw', bodyParser.raw({ inflate: false }), (req, res) => {
    res.json({ length: Buffer.isBuffer(req.body) ? req.body.length : null });
  });
  server.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error.status ?? 500).json({ type: error.type ?? null, message: error.message });
  });
  return server;
}

const json: [string, string] = ['Content-Type', 'application/json'];
const form: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];

const scenarios: Scenario[] = [
  { name: 'json with verify sees the raw bytes', spec: { method: 'POST', path: '/json', headers: [json], body: '{"k":"v","n":[1,2,3]}' }, status: 200 },
  { name: 'json verify throwing gives 403', spec: { method: 'POST', path: '/verify-rejects', headers: [json], body: '{}' }, status: 403 },
  { name: 'json over the limit (chunked) gives 413', spec: { method: 'POST', path: '/json', headers: [json], chunks: ['{"a":"', 'x'.repeat(3000), '"}'] }, status: 413 },
  { name: 'json gzip-inflated', spec: { method: 'POST', path: '/json', headers: [json, ['Content-Encoding', 'gzip']], body: gzipSync('{"gz":1}') }, status: 200 },
  { name: 'json malformed gives 400 with type entity.parse.failed', spec: { method: 'POST', path: '/json', headers: [json], body: '{bad json}' }, status: 400 },
  { name: 'urlencoded nested', spec: { method: 'POST', path: '/urlencoded', headers: [form], body: 'a[b]=1&c=2' }, status: 200 },
  { name: 'urlencoded over parameterLimit gives 413', spec: { method: 'POST', path: '/urlencoded', headers: [form], body: 'a=1&b=2&c=3&d=4' }, status: 413 },
  { name: 'text with default charset', spec: { method: 'POST', path: '/text', headers: [['Content-Type', 'text/plain']], body: 'grüße' }, status: 200 },
  { name: 'raw with inflate: false refuses gzip (415)', spec: { method: 'POST', path: '/raw', headers: [['Content-Type', 'application/octet-stream'], ['Content-Encoding', 'gzip']], body: gzipSync('zz') }, status: 415 },
];

describeEachExpress('body-parser through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => app(express));
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
