/**
 * A typical production middleware stack in one app — helmet, cors,
 * compression, morgan, express.json, cookie-parser, express-session,
 * express-rate-limit behind a trusted proxy, static files and an error
 * handler — compared natively and through the bridge, request by request.
 */
import { Writable } from 'node:stream';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import session from 'express-session';
import helmet from 'helmet';
import morgan from 'morgan';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { createFixtureFiles, type FixtureFiles } from '../differential/fixture-files.js';
import { expectSame, expectSameEvents, first, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from '../differential/harness.js';

let files: FixtureFiles;

function app(express: ExpressModule, probe: Probe): express.Express {
  const server = express();
  server.set('env', 'production');
  server.set('trust proxy', 'loopback');
  server.use(helmet());
  server.use(cors({ origin: ['https://app.example'], credentials: true }));
  server.use(compression({ threshold: 256 }));
  const stream = new Writable({
    write(line: Buffer, _encoding, done) {
      probe.record(line.toString().trim());
      done();
    },
  });
  server.use(morgan(':remote-addr :method :url :status :res[content-length]', { stream }));
  server.use(express.json({ limit: '10kb' }));
  server.use(cookieParser('stack secret'));
  server.use(session({ secret: 'stack secret', resave: false, saveUninitialized: false, store: new session.MemoryStore() }));
  server.use('/api', rateLimit({ windowMs: 60_000, limit: 3, standardHeaders: 'draft-7', legacyHeaders: false }));
  server.use('/assets', express.static(files.root, { maxAge: '1h' }));
  server.get('/api/items', (_req, res) => {
    res.json({ items: Array.from({ length: 50 }, (_, i) => ({ id: i, label: `item number ${i}` })) });
  });
  server.post('/api/items', (req, res) => {
    res.status(201).json({ created: req.body as unknown, ip: req.ip });
  });
  server.get('/api/fail', () => {
    throw Object.assign(new Error('upstream unavailable'), { status: 502 });
  });
  server.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error.status ?? 500).json({ error: error.message });
  });
  return server;
}

const forwarded: [string, string] = ['X-Forwarded-For', '198.51.100.23'];
const gzip: [string, string] = ['Accept-Encoding', 'gzip, deflate'];

const scenarios: Scenario[] = [
  { name: 'JSON list, gzip, CORS for an allowed origin', spec: { path: '/api/items', headers: [gzip, forwarded, ['Origin', 'https://app.example']] }, status: 200 },
  {
    name: 'CORS preflight for a JSON POST',
    spec: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST'], ['Access-Control-Request-Headers', 'content-type']],
    },
    status: 204,
  },
  { name: 'JSON POST from a forwarded client', spec: { method: 'POST', path: '/api/items', headers: [forwarded, ['Content-Type', 'application/json']], body: '{"label":"new"}' }, status: 201 },
  { name: 'error handler JSON with helmet headers', spec: { path: '/api/fail', headers: [['X-Forwarded-For', '198.51.100.99']] }, status: 502 },
  { name: 'static asset with gzip and maxAge', spec: { path: '/assets/page.html', headers: [gzip] }, status: 200 },
  { name: 'static large binary is not compressed', spec: { path: '/assets/large.bin', headers: [gzip] }, status: 200 },
  { name: 'unknown route 404 through the whole stack', spec: { path: '/nope', headers: [gzip] }, status: 404 },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  files = await createFixtureFiles();
});
afterAll(async () => {
  await files.remove();
  vi.restoreAllMocks();
});

describeEachExpress('a production middleware stack through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => app(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      // Rate-limit reset times come from the clock; both sides are asked at the same moment.
      await runScenario(pair, { ...scenario, compare: { ignoreHeaders: ['ratelimit'] } });
      // morgan's line (none for the preflight, which cors answers before morgan runs).
      await expectSameEvents(pair);
    });
  }

  it('the rate limit counts per forwarded client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const result = await pair.request({ path: '/api/items', headers: [['X-Forwarded-For', '203.0.113.50']] });
      expectSame(result, { ignoreHeaders: ['ratelimit', 'retry-after'] });
      statuses.push(first(result.bridged).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const other = await pair.request({ path: '/api/items', headers: [['X-Forwarded-For', '203.0.113.51']] });
    expectSame(other, { ignoreHeaders: ['ratelimit'] });
    expect(first(other.bridged).status).toBe(200);
  });
});
