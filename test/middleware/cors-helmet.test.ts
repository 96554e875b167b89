/**
 * cors (simple requests and preflight) and helmet through the bridge,
 * compared with native Express.
 */
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { afterAll, beforeAll, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { itFor, runScenario, startPair, type Pair, type Scenario } from '../differential/harness.js';

function app(express: ExpressModule): express.Express {
  const server = express();
  server.use('/open', cors());
  server.use(
    '/strict',
    cors({
      origin: (origin, callback) => callback(null, origin === 'https://good.example'),
      credentials: true,
      methods: ['GET', 'PUT'],
      allowedHeaders: ['X-Token', 'Content-Type'],
      exposedHeaders: ['X-Total'],
      maxAge: 600,
    }),
  );
  server.use('/secure', helmet());
  server.use('/secure-custom', helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ['data:'] } }, hsts: false }));
  server.all(['/open/r', '/strict/r', '/secure/r', '/secure-custom/r'], (_req, res) => {
    res.set('X-Total', '3').json({ ok: true });
  });
  return server;
}

const scenarios: Scenario[] = [
  { name: 'cors: simple request without Origin', spec: { path: '/open/r' }, status: 200 },
  { name: 'cors: simple request with Origin', spec: { path: '/open/r', headers: [['Origin', 'https://any.example']] }, status: 200 },
  {
    name: 'cors: default preflight answers 204',
    spec: { method: 'OPTIONS', path: '/open/r', headers: [['Origin', 'https://any.example'], ['Access-Control-Request-Method', 'DELETE']] },
    status: 204,
  },
  {
    name: 'cors: strict preflight with credentials and allowed headers',
    spec: {
      method: 'OPTIONS',
      path: '/strict/r',
      headers: [
        ['Origin', 'https://good.example'],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'x-token'],
      ],
    },
    status: 204,
  },
  { name: 'cors: allowed origin with exposed headers', spec: { path: '/strict/r', headers: [['Origin', 'https://good.example']] }, status: 200 },
  { name: 'cors: refused origin gets no CORS headers', spec: { path: '/strict/r', headers: [['Origin', 'https://evil.example']] }, status: 200 },
  { name: 'helmet: default headers', spec: { path: '/secure/r' }, status: 200 },
  { name: 'helmet: custom CSP, no HSTS', spec: { path: '/secure-custom/r' }, status: 200 },
  { name: 'helmet: HEAD', spec: { method: 'HEAD', path: '/secure/r' }, status: 200 },
];

describeEachExpress('cors and helmet through the bridge', (express) => {
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
