/**
 * Header handling, native vs bridged, both ways: multi-value response
 * headers, latin1 values, many and long headers, removal, and how repeated
 * request headers are folded (`headers`, `headersDistinct`). Also: one
 * Express app instance serving native and bridged requests side by side.
 */
import express, { type Request, type Response } from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, first, itFor, json, runScenario, startPair, type Pair, type Scenario } from './harness.js';

function echoHeaders(req: Request, res: Response): void {
  res.json({ headers: req.headers, distinct: req.headersDistinct, trailers: req.trailers, method: req.method });
}

function headersApp(express: ExpressModule): express.Express {
  const app = express();
  app.get('/set-cookies', (_req, res) => {
    res.append('Set-Cookie', 'a=1; Path=/');
    res.append('Set-Cookie', ['b=2; HttpOnly', 'c=3; SameSite=Strict']);
    res.cookie('d', '4');
    res.send('four cookies');
  });
  app.get('/latin1', (_req, res) => {
    res.setHeader('X-Latin', 'caf\u00e9 \u00ff');
    res.send(Buffer.from('latin1 header value'));
  });
  app.get('/latin1-string-body', (_req, res) => {
    res.setHeader('X-Latin', 'caf\u00e9 \u00ff');
    res.send('latin1 header value');
  });
  app.get('/many', (_req, res) => {
    for (let i = 0; i < 100; i += 1) res.setHeader(`X-Header-${i}`, `value-${i}`);
    res.send('many headers');
  });
  app.get('/long', (_req, res) => {
    res.setHeader('X-Long', 'v'.repeat(8000));
    res.send('long header');
  });
  app.get('/empty-value', (_req, res) => {
    res.setHeader('X-Empty', '');
    res.send('empty header value');
  });
  app.get('/removed', (_req, res) => {
    res.removeHeader('X-Powered-By');
    res.setHeader('X-Gone', 'soon');
    res.removeHeader('x-gone');
    res.send('removed');
  });
  app.get('/case', (_req, res) => {
    res.setHeader('x-MiXeD-CaSe', 'kept');
    res.setHeader('WWW-Authenticate', ['Basic realm="a"', 'Bearer']);
    res.status(401).send('case and multi-value');
  });
  app.get('/content-type-variants', (req, res) => {
    res.type(String(req.query['t'] ?? 'json')).send('typed');
  });
  app.all('/echo', echoHeaders);
  app.get('/echo-cookie', (req, res) => {
    res.json({ cookie: req.headers.cookie ?? null });
  });
  app.disable('etag');
  return app;
}

const scenarios: Scenario[] = [
  {
    name: 'four Set-Cookie headers stay four, in order',
    spec: { path: '/set-cookies' },
    status: 200,
    check: ({ bridged }) => {
      expect(first(bridged).headers.filter(([n]) => n.toLowerCase() === 'set-cookie').map(([, v]) => v.split('=')[0])).toEqual(['a', 'b', 'c', 'd']);
    },
  },
  { name: 'latin1 response header value', spec: { path: '/latin1' }, status: 200 },
  {
    name: 'latin1 response header value with a string body',
    spec: { path: '/latin1-string-body' },
    status: 200,
    // Node writes a stored head glued to a first utf8 string chunk as UTF-8; the bridge
    // re-encodes the start's latin1 values the same way before the start leaves.
  },
  { name: '100 response headers', spec: { path: '/many' }, status: 200 },
  { name: 'an 8 kB response header', spec: { path: '/long' }, status: 200 },
  { name: 'an empty response header value', spec: { path: '/empty-value' }, status: 200 },
  { name: 'removed headers stay removed', spec: { path: '/removed' }, status: 200 },
  { name: 'mixed-case names and a multi-value WWW-Authenticate', spec: { path: '/case' }, status: 401 },
  { name: 'res.type with an extension', spec: { path: '/content-type-variants?t=html' }, status: 200 },
  { name: 'res.type with a full type', spec: { path: '/content-type-variants?t=application%2Fvnd.api%2Bjson' }, status: 200 },
  {
    name: 'repeated request headers fold as Node folds them',
    spec: {
      method: 'POST',
      path: '/echo',
      headers: [
        ['Content-Type', 'text/plain'],
        ['Content-Type', 'application/json'],
        ['Authorization', 'Basic first'],
        ['Authorization', 'Basic second'],
        ['Accept', 'text/html'],
        ['Accept', 'application/json'],
        ['X-Forwarded-For', '10.0.0.1'],
        ['X-Forwarded-For', '10.0.0.2'],
        ['Set-Cookie', 'odd=1'],
        ['Set-Cookie', 'odd=2'],
        ['Host', 'first.example'],
      ],
      body: 'x',
    },
    status: 200,
  },
  {
    name: 'repeated Cookie request headers in headersDistinct',
    spec: { path: '/echo', headers: [['Cookie', 'a=1'], ['Cookie', 'b=2']] },
    status: 200,
  },
  {
    name: 'repeated Cookie request headers are joined with "; "',
    spec: { path: '/echo-cookie', headers: [['Cookie', 'a=1'], ['Cookie', 'b=2']] },
    status: 200,
  },
  {
    name: 'request header with latin1 bytes',
    spec: { path: '/echo', headers: [['X-Latin', Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('latin1')]] },
    status: 200,
  },
  { name: 'request header with an empty value', spec: { path: '/echo', headers: [['X-Empty', '']] }, status: 200 },
  {
    name: 'request header values keep inner whitespace',
    spec: { path: '/echo', headers: [['X-Spaces', 'a   b\tc']] },
    status: 200,
  },
  { name: 'custom method', spec: { method: 'PURGE', path: '/echo' }, status: 200 },
  {
    name: '90 request headers',
    spec: { path: '/echo', headers: Array.from({ length: 90 }, (_, i): [string, string] => [`X-Req-${i}`, `value-${i}`]) },
    status: 200,
  },
  { name: 'an 8 kB Cookie header', spec: { path: '/echo-cookie', headers: [['Cookie', `big=${'c'.repeat(8000)}`]] }, status: 200 },
  { name: 'request headers over Node\'s size limit give 431', spec: { path: '/echo', headers: [['X-Huge', 'h'.repeat(20_000)]] }, status: 431 },
];

describeEachExpress('headers both ways: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => headersApp(express));
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

describeEachExpress('one Express app instance serves native and bridged requests', (express) => {
  let pair: Pair;
  let counter = 0;
  beforeAll(async () => {
    // The same instance on both servers: Express's prototype swap must not leak between the two paths.
    const shared = express();
    shared.get('/count', (req, res) => {
      counter += 1;
      res.json({ n: counter, url: req.url, proto: Object.getPrototypeOf(req) === shared.request });
    });
    pair = await startPair(() => shared);
  });
  afterAll(async () => {
    await pair.close();
  });

  it('alternating requests are all answered correctly', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const result = await pair.request({ path: '/count' });
      const a = json(result.native) as { n: number; proto: boolean };
      const b = json(result.bridged) as { n: number; proto: boolean };
      expect(a.proto && b.proto).toBe(true);
      seen.push(a.n, b.n);
      expectSame(result, { normalizeBody: (body) => body.toString().replace(/"n":\d+/, '"n":0'), ignoreHeaders: ['content-length', 'etag'] });
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
