/**
 * morgan and response-time through the bridge, compared with native
 * Express: the log line carries the right status, length and a response
 * time that covers the handler's work; X-Response-Time is set at writeHead.
 */
import { Writable } from 'node:stream';
import express from 'express';
import morgan from 'morgan';
import responseTime from 'response-time';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { expectSame, expectSameEvents, first, header, startPair, type Pair, type Probe } from '../differential/harness.js';
import { buildRequest } from '../differential/raw-client.js';

function app(express: ExpressModule, probe: Probe): express.Express {
  const server = express();
  const stream = new Writable({
    write(line: Buffer, _encoding, done) {
      probe.record(line.toString().trim());
      done();
    },
  });
  server.use(morgan(':method :url :status :res[content-length] :response-time', { stream }));
  const combined = new Writable({
    write(line: Buffer, _encoding, done) {
      // The date differs between the two requests; everything else in the combined format must not.
      probe.values.set('combined', line.toString().trim().replace(/\[[^\]]+\]/, '[<date>]'));
      done();
    },
  });
  server.use(morgan('combined', { stream: combined }));
  server.use(responseTime({ digits: 3 }));
  server.get('/fast', (_req, res) => {
    res.send('fast response');
  });
  server.get('/slow', (_req, res) => {
    setTimeout(() => res.status(201).send('slow response body'), 120);
  });
  server.get('/streamed', (_req, res) => {
    res.write('a');
    setTimeout(() => res.end('b'), 50);
  });
  // morgan's own suite ('should not color 1xx'): a final 1xx status, which Node writes as a bare head.
  server.get('/processing', (_req, res) => {
    res.statusCode = 102;
    res.end('dropped');
  });
  server.get('/missing-thing', (_req, res) => {
    res.sendStatus(404);
  });
  return server;
}

/** Splits a log line into its fixed part and the response time in ms. */
function parseLine(line: string): { fixed: string; ms: number } {
  const at = line.lastIndexOf(' ');
  return { fixed: line.slice(0, at), ms: Number(line.slice(at + 1)) };
}

const maskTime = { normalizeHeader: { 'x-response-time': (v: string) => v.replace(/^\d+\.\d{3}ms$/, '<n>ms') } };

describeEachExpress('morgan and response-time through the bridge', (express) => {
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

  it('the log line has status and length, X-Response-Time is present', async () => {
    const result = await pair.request({ path: '/fast' });
    expectSame(result, maskTime);
    expect(header(result.bridged, 'x-response-time')).toMatch(/^\d+\.\d{3}ms$/);
    await pair.bridged.probe.waitFor((e) => e.length === 1);
    await pair.native.probe.waitFor((e) => e.length === 1);
    expect(parseLine(pair.bridged.probe.events[0] ?? '').fixed).toBe(parseLine(pair.native.probe.events[0] ?? '').fixed);
    expect(parseLine(pair.bridged.probe.events[0] ?? '').fixed).toBe('GET /fast 200 13');
  });

  it("morgan's combined format (remote address, HTTP version, referrer, user agent)", async () => {
    const result = await pair.request({ path: '/fast?q=1', headers: [['Referer', 'http://from.example/'], ['User-Agent', 'diff-agent/1.0']] });
    expectSame(result, maskTime);
    await Promise.all([pair.native.probe.waitFor((e) => e.length === 1), pair.bridged.probe.waitFor((e) => e.length === 1)]);
    const line = pair.bridged.probe.values.get('combined');
    expect(line).toBe(pair.native.probe.values.get('combined'));
    expect(line).toBe('127.0.0.1 - - [<date>] "GET /fast?q=1 HTTP/1.1" 200 13 "http://from.example/" "diff-agent/1.0"');
  });

  it('a slow handler: status 201 and a response time covering the wait', async () => {
    const result = await pair.request({ path: '/slow' });
    expectSame(result, maskTime);
    for (const side of [pair.native, pair.bridged]) {
      await side.probe.waitFor((e) => e.length === 1);
      const line = parseLine(side.probe.events[0] ?? '');
      expect(line.fixed).toBe('GET /slow 201 18');
      expect(line.ms, `${side.name} response time`).toBeGreaterThanOrEqual(100);
      expect(line.ms, `${side.name} response time`).toBeLessThan(2000);
    }
    expect(Number.parseFloat(header(result.bridged, 'x-response-time') ?? '0')).toBeGreaterThanOrEqual(100);
  });

  it('a streamed response logs without a length', async () => {
    const result = await pair.request({ path: '/streamed' });
    expectSame(result, maskTime);
    const events = await Promise.all([pair.native.probe.settle(), pair.bridged.probe.settle()]);
    expect(events.map((e) => e.map((l) => parseLine(l).fixed))).toEqual([['GET /streamed 200 -'], ['GET /streamed 200 -']]);
  });

  it('a 404 is logged with its status', async () => {
    const result = await pair.request({ path: '/missing-thing?q=1' });
    expectSame(result, maskTime);
    await Promise.all([pair.native.probe.waitFor((e) => e.length === 1), pair.bridged.probe.waitFor((e) => e.length === 1)]);
    expect(pair.native.probe.events.map((l) => parseLine(l).fixed)).toEqual(['GET /missing-thing?q=1 404 9']);
    pair.native.probe.events[0] = parseLine(pair.native.probe.events[0] ?? '').fixed;
    pair.bridged.probe.events[0] = parseLine(pair.bridged.probe.events[0] ?? '').fixed;
    await expectSameEvents(pair);
  });

  it("a final 102 (morgan's 1xx test): the same bare head on the wire and the same log line", async () => {
    // The client reads the 102 as interim; a pipelined request completes the exchange.
    const result = await pair.exchange({
      request: Buffer.concat([buildRequest({ path: '/processing' }), buildRequest({ path: '/fast' })]),
      methods: ['GET'],
    });
    expectSame(result, maskTime);
    expect(first(result.native).interim.map((i) => i.status)).toEqual([102]);
    const lines = await Promise.all([
      pair.native.probe.waitFor((e) => e.length === 2),
      pair.bridged.probe.waitFor((e) => e.length === 2),
    ]).then(() => [pair.native.probe.events, pair.bridged.probe.events].map((events) => events.map((l) => parseLine(l).fixed)));
    expect(lines[0]).toEqual(['GET /processing 102 -', 'GET /fast 200 13']);
    expect(lines[1]).toEqual(lines[0]);
  });
});
