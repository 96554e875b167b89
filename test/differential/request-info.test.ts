/**
 * Express's request getters, native vs bridged, with and without
 * `trust proxy`, over plain TCP and over TLS: the bridge must feed Express's
 * own getters (socket address, `encrypted`, headers) rather than fake them.
 */
import express, { type Request, type Response } from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { json, itFor, runScenario, startPair, type Pair, type Scenario } from './harness.js';
import { opensslAvailable, selfSignedCert } from './tls-cert.js';

/**
 * rawHeaders as lower-cased pairs without `cookie`: PAGI keeps no original name case and merges
 * repeated Cookie headers into one (PROTOCOL.md §3.1), so only those two aspects may differ.
 */
function rawHeaderPairs(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (name !== 'cookie') out.push(`${name}: ${raw[i + 1] ?? ''}`);
  }
  return out;
}

function describeRequest(req: Request, res: Response): void {
  res.set('ETag', '"fixed-tag"');
  res.json({
    ip: req.ip,
    ips: req.ips,
    protocol: req.protocol,
    secure: req.secure,
    hostname: req.hostname,
    host: req.host,
    subdomains: req.subdomains,
    xhr: req.xhr,
    fresh: req.fresh,
    stale: req.stale,
    range: req.range(1000) ?? null,
    accepts: req.accepts(['json', 'html', 'text']),
    acceptsCharsets: req.acceptsCharsets('utf-8', 'iso-8859-1'),
    acceptsEncodings: req.acceptsEncodings('gzip', 'br', 'identity'),
    acceptsLanguages: req.acceptsLanguages('en', 'fr', 'de'),
    is: req.is('json') ?? null,
    getUserAgent: req.get('user-agent') ?? null,
    getReferrer: req.get('referrer') ?? null,
    getCustom: req.get('x-custom') ?? null,
    method: req.method,
    httpVersion: req.httpVersion,
    remoteFamily: req.socket.remoteFamily,
    localAddress: req.socket.localAddress,
    encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
    headers: req.headers,
    rawHeaders: rawHeaderPairs(req.rawHeaders),
  });
}

function infoApp(express: ExpressModule, trustProxy: boolean | string | number | ((ip: string) => boolean)): express.Express {
  const app = express();
  app.set('trust proxy', trustProxy);
  app.set('subdomain offset', 2);
  app.all('/info', describeRequest);
  app.get('/complete', (req, res) => {
    // Node's parser marks a bodiless request complete only after the handler ran synchronously.
    res.json({ completeInHandler: req.complete });
  });
  return app;
}

const forwarded: Array<[string, string]> = [
  ['X-Forwarded-For', '203.0.113.7, 198.51.100.2'],
  ['X-Forwarded-Proto', 'https'],
  ['X-Forwarded-Host', 'shop.example.com'],
];

const scenarios: Scenario[] = [
  { name: 'plain request', spec: { path: '/info' }, status: 200 },
  {
    name: 'Host with subdomains and a port',
    spec: { path: '/info', headers: [['Host', 'a.b.example.com:8080']] },
    status: 200,
  },
  { name: 'IPv6 literal Host', spec: { path: '/info', headers: [['Host', '[::1]:3000']] }, status: 200 },
  { name: 'X-Forwarded-* ignored without trust proxy', spec: { path: '/info', headers: forwarded }, status: 200 },
  { name: 'XMLHttpRequest marker', spec: { path: '/info', headers: [['X-Requested-With', 'XMLHttpRequest']] }, status: 200 },
  {
    name: 'fresh with a matching If-None-Match',
    spec: { path: '/info', headers: [['If-None-Match', '"fixed-tag"']] },
  },
  { name: 'Range header parsed', spec: { path: '/info', headers: [['Range', 'bytes=0-99,200-']] }, status: 200 },
  { name: 'unsatisfiable Range', spec: { path: '/info', headers: [['Range', 'bytes=5000-6000']] }, status: 200 },
  {
    name: 'content negotiation headers',
    spec: {
      path: '/info',
      headers: [
        ['Accept', 'text/html;q=0.5, application/json'],
        ['Accept-Charset', 'iso-8859-1'],
        ['Accept-Encoding', 'br;q=1, gzip;q=0.2'],
        ['Accept-Language', 'fr-CH, fr;q=0.9, en;q=0.8'],
      ],
    },
    status: 200,
  },
  {
    name: 'req.is with a JSON body',
    spec: { method: 'POST', path: '/info', headers: [['Content-Type', 'application/json; charset=utf-8']], body: '{}' },
    status: 200,
  },
  {
    name: 'req.get referrer alias and user agent',
    spec: { path: '/info', headers: [['Referer', 'http://from/'], ['User-Agent', 'diff/1.0'], ['X-Custom', 'v']] },
    status: 200,
  },
  {
    name: 'repeated request headers are joined as Node joins them',
    spec: {
      path: '/info',
      headers: [
        ['X-Custom', 'one'],
        ['X-Custom', 'two'],
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
        ['User-Agent', 'first'],
        ['User-Agent', 'second'],
        ['Accept', 'text/plain'],
        ['Accept', 'application/json'],
      ],
    },
    status: 200,
  },
  { name: 'HTTP/1.0 request', spec: { path: '/info', httpVersion: '1.0' }, status: 200 },
  { name: 'req.complete inside the handler of a bodiless GET', spec: { path: '/complete' }, status: 200 },
];

const trustedScenarios: Scenario[] = [
  { name: 'trust proxy: X-Forwarded-* honoured', spec: { path: '/info', headers: forwarded }, status: 200 },
  {
    name: 'trust proxy: multiple X-Forwarded-For headers',
    spec: {
      path: '/info',
      headers: [
        ['X-Forwarded-For', '10.0.0.1'],
        ['X-Forwarded-For', '10.0.0.2, 10.0.0.3'],
      ],
    },
    status: 200,
  },
  { name: 'trust proxy: without forwarding headers', spec: { path: '/info' }, status: 200 },
];

describeEachExpress('request getters without trust proxy', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => infoApp(express, false));
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

describeEachExpress('request getters with trust proxy', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => infoApp(express, 'loopback'));
  });
  afterAll(async () => {
    await pair.close();
  });
  for (const scenario of trustedScenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }
});

describeEachExpress('request getters over IPv6 loopback', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => infoApp(express, false), { host: '::1' });
  });
  afterAll(async () => {
    await pair.close();
  });
  it('req.ip is ::1 and the socket family IPv6', async () => {
    const result = await runScenario(pair, { name: 'ipv6', spec: { path: '/info', headers: [['Host', '[::1]']] }, status: 200 });
    expect(json(result.bridged)).toMatchObject({ ip: '::1', remoteFamily: 'IPv6', localAddress: '::1', hostname: '[::1]' });
  });
});

describeEachExpress('request getters with other trust proxy settings', (express) => {
  const settings: Array<[string, boolean | number | string | ((ip: string) => boolean)]> = [
    ['a hop count', 1],
    ['true', true],
    ['a function', (ip: string) => ip === '127.0.0.1'],
    ['a subnet list', '10.0.0.0/8, 127.0.0.1'],
  ];
  for (const [label, setting] of settings) {
    it(`trust proxy as ${label}`, async () => {
      const pair = await startPair(() => infoApp(express, setting));
      try {
        await runScenario(pair, {
          name: label,
          spec: {
            path: '/info',
            headers: [
              ['X-Forwarded-For', '203.0.113.9, 10.1.2.3'],
              ['X-Forwarded-Proto', 'https, http'],
              ['X-Forwarded-Host', 'a.b.example.org, other.example'],
            ],
          },
          status: 200,
        });
      } finally {
        await pair.close();
      }
    });
  }
});

describeEachExpress('request getters over TLS', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => infoApp(express, false), { tls: await selfSignedCert() });
  });
  afterAll(async () => {
    await pair.close();
  });
  it('https: protocol, secure and the encrypted socket', async () => {
    const result = await runScenario(pair, { name: 'tls', spec: { path: '/info' }, status: 200 });
    expect(json(result.bridged)).toMatchObject({ protocol: 'https', secure: true, encrypted: true });
  });
  it('https with trust-proxy headers that must be ignored', async () => {
    await runScenario(pair, { name: 'tls-forwarded', spec: { path: '/info', headers: forwarded }, status: 200 });
  });
}, { skip: !opensslAvailable });
