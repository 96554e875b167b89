/**
 * compression through the bridge, compared with native Express: gzip and
 * deflate negotiation, the threshold, HEAD, streamed responses, and SSE with
 * `res.flush()` after each event arriving event by event (compressed).
 */
import { gunzipSync } from 'node:zlib';
import compression from 'compression';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { expectSame, expectSameEvents, first, header, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from '../differential/harness.js';
import type { RawExchange } from '../differential/raw-client.js';

const big = 'compressible text '.repeat(500);

function app(express: ExpressModule, probe: Probe): express.Express {
  const server = express();
  server.use(compression({ threshold: 1024 }));
  server.get('/big', (_req, res) => {
    res.type('text').send(big);
  });
  server.get('/small', (_req, res) => {
    res.type('text').send('tiny');
  });
  server.get('/json', (_req, res) => {
    res.json({ items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item-${i}` })) });
  });
  server.get('/etagged', (_req, res) => {
    res.type('text').send(big);
  });
  server.get('/binary', (_req, res) => {
    res.type('image/png').send(Buffer.alloc(4096, 7));
  });
  server.get('/streamed', (_req, res) => {
    res.type('text');
    res.write(big);
    setTimeout(() => res.end(big), 50);
  });
  server.get('/sse', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    let n = 0;
    res.on('close', () => {
      clearInterval(timer);
      probe.record(`closed after ${n} events, writableFinished=${res.writableFinished}`);
    });
    const timer = setInterval(() => {
      n += 1;
      res.write(`data: event ${n}\n\n`);
      (res as unknown as { flush(): void }).flush();
      if (n === 3) {
        clearInterval(timer);
        setTimeout(() => res.end(), 50);
      }
    }, 200);
  });
  return server;
}

const gzip: [string, string] = ['Accept-Encoding', 'gzip'];

const scenarios: Scenario[] = [
  {
    name: 'gzip above the threshold',
    spec: { path: '/big', headers: [gzip] },
    status: 200,
    check: ({ bridged }) => {
      expect(header(bridged, 'content-encoding')).toBe('gzip');
      expect(gunzipSync(first(bridged).body).toString()).toBe(big);
    },
  },
  { name: 'below the threshold stays identity', spec: { path: '/small', headers: [gzip] }, status: 200 },
  { name: 'deflate when preferred', spec: { path: '/big', headers: [['Accept-Encoding', 'deflate']] }, status: 200 },
  { name: 'identity without Accept-Encoding', spec: { path: '/big' }, status: 200 },
  { name: 'JSON gzip', spec: { path: '/json', headers: [gzip] }, status: 200 },
  { name: 'incompressible type is not compressed', spec: { path: '/binary', headers: [gzip] }, status: 200 },
  { name: 'HEAD with gzip', spec: { method: 'HEAD', path: '/big', headers: [gzip] }, status: 200 },
  { name: 'streamed response is gzip-chunked', spec: { path: '/streamed', headers: [gzip] }, status: 200 },
  { name: 'If-None-Match against a gzip-encoded ETag response', spec: { path: '/etagged', headers: [gzip, ['If-None-Match', 'W/"1194-placeholder"']] }, status: 200 },
  { name: 'Accept-Encoding with q-values prefers gzip', spec: { path: '/big', headers: [['Accept-Encoding', 'deflate;q=0.5, gzip;q=1, br;q=0']] }, status: 200 },
  { name: 'Accept-Encoding identity;q=0 with no alternative', spec: { path: '/big', headers: [['Accept-Encoding', 'identity;q=0']] } },
  { name: 'Cache-Control: no-transform is honoured', spec: { path: '/big', headers: [gzip, ['Cache-Control', 'no-transform']] }, status: 200 },
];

/** Number of bursts of body bytes separated by at least `gapMs`. */
function bursts(exchange: RawExchange, gapMs: number): number {
  let count = 0;
  let last = -Infinity;
  for (const arrival of exchange.arrivals) {
    if (arrival.atMs - last >= gapMs) count += 1;
    last = arrival.atMs;
  }
  return count;
}

describeEachExpress('compression through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => app(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }

  it('304 for the ETag of a compressed response', async () => {
    const probe = await pair.request({ path: '/etagged', headers: [gzip] });
    const etag = header(probe.native, 'etag') ?? '';
    expect(header(probe.bridged, 'etag')).toBe(etag);
    await runScenario(pair, { name: '304', spec: { path: '/etagged', headers: [gzip, ['If-None-Match', etag]] }, status: 304 });
  });

  it('SSE with res.flush() arrives compressed, event by event', async () => {
    const result = await pair.request({ path: '/sse', headers: [gzip] });
    expectSame(result);
    expect(header(result.bridged, 'content-encoding')).toBe('gzip');
    expect(gunzipSync(first(result.bridged).body).toString()).toBe('data: event 1\n\ndata: event 2\n\ndata: event 3\n\n');
    expect(bursts(result.native, 100)).toBeGreaterThanOrEqual(3);
    expect(bursts(result.bridged, 100)).toBeGreaterThanOrEqual(3);
  });

  it('a client leaving a compressed SSE stream is seen by the handler the same way', async () => {
    // Let 'close' events of the earlier, completed streams land before starting from a clean slate.
    await Promise.all([pair.native.probe.settle(), pair.bridged.probe.settle()]);
    pair.reset();
    const result = await pair.request({ path: '/sse', headers: [gzip] }, { abort: { afterBodyBytes: 1 } });
    expect(result.bridged.end).toBe('client-aborted');
    expect(await expectSameEvents(pair, 400)).toEqual(['closed after 1 events, writableFinished=false']);
  });

  it('SSE with res.flush() on an sse scope (Accept: text/event-stream)', async () => {
    const result = await pair.request({ path: '/sse', headers: [gzip, ['Accept', 'text/event-stream']] });
    expectSame(result);
    expect(bursts(result.bridged, 100)).toBeGreaterThanOrEqual(3);
  });
});
