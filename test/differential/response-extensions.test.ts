/**
 * The response-side extensions (issue 16), native vs bridged on both bridge
 * paths: the direct path (Express on the adapter's own req/res) and the
 * protocol path (the fake pair, forced by wrapping `receive`, as any
 * composition does), where `reason_phrase`, `final_informational` and
 * `late_trailers` carry what the events could not: a custom reason phrase, a
 * final 1xx status, and `addTrailers()` on a chunked response without a
 * `Trailer` header; `header_case` the response header names' spelling. What
 * PAGI still cannot carry is proven here too.
 */
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/protocol/types.js';
import { diffExchange, summarize, type CompareOptions } from './compare.js';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, first, header, startPair, type ExchangeResult, type Pair } from './harness.js';
import { buildRequest, type RequestSpec } from './raw-client.js';

function extensionsApp(express: ExpressModule): express.Express {
  const app = express();
  // 'production' keeps stack traces (which name bridge frames) out of finalhandler's error pages.
  app.set('env', 'production');
  app.get('/status-message', (_req, res) => {
    res.statusMessage = 'Totally Fine';
    res.send('fine');
  });
  app.get('/write-head-reason', (_req, res) => {
    res.writeHead(202, 'Accepted Later', { 'Content-Type': 'text/plain' });
    res.end('later');
  });
  app.get('/obs-text-reason', (_req, res) => {
    res.statusMessage = 'Caf\u00e9 \u00bd';
    res.end('latin1 reason');
  });
  app.get('/standard-reason', (_req, res) => {
    res.statusMessage = 'OK';
    res.end('standard');
  });
  app.get('/bad-reason', (_req, res) => {
    res.statusMessage = 'split\r\nX-Injected: 1';
    res.end('never');
  });
  app.get('/final-102', (_req, res) => {
    res.status(102).end('dropped body');
  });
  app.get('/final-101', (_req, res) => {
    res.status(101).end();
  });
  app.get('/plain', (_req, res) => {
    res.send('next response');
  });
  app.get('/late-trailers', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.write('a');
    res.addTrailers({ 'X-Checksum': 'abc', 'X-Count': '2' });
    res.end('b');
  });
  app.get('/late-trailers-head-only', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.addTrailers([['X-Only', 'trailer']]);
    res.end();
  });
  app.get('/late-trailers-with-length', (_req, res) => {
    res.setHeader('Content-Length', '2');
    res.write('a');
    res.addTrailers({ 'X-Dropped': 'yes' });
    res.end('b');
  });
  app.get('/end-then-destroy', (req, res) => {
    res.end('ended then destroyed');
    req.socket.destroy();
  });
  app.get('/header-case', (_req, res) => {
    res.setHeader('X-Mixed-Case', '1');
    res.end('case');
  });
  return app;
}

/** Forces the protocol path: the bridge serves the direct path only for the adapter's own `receive`. */
const viaProtocol = (app: App): App => (scope, receive, send) => app(scope, (() => receive()) as typeof receive, send);

/** `expectSame` for the protocol-path pair (whose served path is `fake`, not the default `direct`). */
function expectSameWire(result: ExchangeResult, options: CompareOptions = {}): void {
  const context = `\n  native:  ${summarize(result.native)}\n  bridged: ${summarize(result.bridged)}`;
  expect(diffExchange(result.native, result.bridged, options), `differences:${context}`).toEqual([]);
  expect(result.native.end, `native side timed out${context}`).not.toBe('timeout');
  expect(result.bridgedPaths?.every((path) => path.endsWith(':fake'))).toBe(true);
}

/** The first response's head as bytes on the wire, `Date` masked. */
function head(result: ExchangeResult, side: 'native' | 'bridged'): string {
  const raw = result[side].raw.toString('latin1');
  return raw.slice(0, raw.indexOf('\r\n\r\n') + 4).replace(/^Date: .*\r\n/m, 'Date: -\r\n');
}

const withText: CompareOptions = { compareStatusText: true };
const pipelinedAfter = (path: string): Buffer => Buffer.concat([buildRequest({ path }), buildRequest({ path: '/plain' })]);

// Express logs the ERR_INVALID_CHAR of /bad-reason; both versions' suites share the spy.
beforeAll(() => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(() => {
  vi.restoreAllMocks();
});

describeEachExpress('response extensions: native vs bridged', (express) => {
  const pairs: Record<'direct' | 'protocol', Pair | undefined> = { direct: undefined, protocol: undefined };
  beforeAll(async () => {
    pairs.direct = await startPair(() => extensionsApp(express));
    pairs.protocol = await startPair(() => extensionsApp(express), { wrapBridged: viaProtocol });
  });
  afterAll(async () => {
    await Promise.all([pairs.direct?.close(), pairs.protocol?.close()]);
  });

  for (const path of ['direct', 'protocol'] as const) {
    describe(`${path} path`, () => {
      let pair: Pair;
      beforeEach(() => {
        pair = pairs[path] as Pair;
      });
      const same = path === 'direct' ? expectSame : expectSameWire;
      const request = (spec: RequestSpec): Promise<ExchangeResult> => pair.request(spec);

      it('reason_phrase: res.statusMessage, writeHead(status, reason) and an obs-text reason reach the status line', async () => {
        for (const [target, status, text] of [
          ['/status-message', 200, 'Totally Fine'],
          ['/write-head-reason', 202, 'Accepted Later'],
          ['/standard-reason', 200, 'OK'],
        ] as const) {
          const result = await request({ path: target });
          same(result, withText);
          expect([first(result.bridged).status, first(result.bridged).statusText]).toEqual([status, text]);
        }
        // Node glues the head to a string body and writes both UTF-8: the reason's bytes follow.
        const latin1 = await request({ path: '/obs-text-reason' });
        same(latin1, withText);
        expect(first(latin1.native).statusText).toBe(Buffer.from('Caf\u00e9 \u00bd', 'utf8').toString('latin1'));
      });

      it("reason_phrase: a CR/LF in statusMessage is Node's own ERR_INVALID_CHAR on both sides", async () => {
        const result = await request({ path: '/bad-reason' });
        same(result, withText);
        expect(first(result.native).status).toBe(500);
        expect(result.bridged.raw.toString('latin1')).not.toContain('X-Injected');
      });

      it('final_informational: a final 102 is a bare head, body dropped, connection kept (the next response follows)', async () => {
        // The client reads the 102 as interim; the pipelined request's 200 completes the exchange.
        const result = await pair.exchange({ request: pipelinedAfter('/final-102'), methods: ['GET'] });
        same(result);
        expect(first(result.native).interim.map((i) => i.status)).toEqual([102]);
        expect(first(result.bridged).body.toString()).toBe('next response');
        // Byte for byte (header_case spells the names as Express did).
        expect(head(result, 'bridged')).toBe(head(result, 'native'));
        expect(head(result, 'native')).toMatch(/^HTTP\/1\.1 102 Processing\r\n/);
        expect(head(result, 'native')).not.toMatch(/content-length|transfer-encoding/i);
      });

      it('late_trailers: addTrailers() on a chunked response without a Trailer header', async () => {
        const result = await request({ path: '/late-trailers', headers: [['TE', 'trailers']] });
        same(result);
        expect(first(result.bridged).trailers.map(([name, value]) => [name.toLowerCase(), value])).toEqual([['x-checksum', 'abc'], ['x-count', '2']]);
        const headOnly = await request({ path: '/late-trailers-head-only' });
        same(headOnly);
        expect(first(headOnly.bridged).trailers.length).toBe(1);
      });

      it('header_case: response header names reach the wire as the app spelled them', async () => {
        const names = (result: ExchangeResult, side: 'native' | 'bridged'): string[] => first(result[side]).headers.map(([name]) => name).sort();
        for (const target of ['/header-case', '/write-head-reason', '/late-trailers']) {
          const result = await request({ path: target });
          same(result);
          expect(names(result, 'bridged')).toEqual(names(result, 'native'));
        }
        const closing = await request({ path: '/end-then-destroy' });
        expect(names(closing, 'bridged').filter((name) => name.toLowerCase() !== 'keep-alive')).toEqual(
          names(closing, 'native').filter((name) => name.toLowerCase() !== 'keep-alive'),
        );
      });

      it('late_trailers: dropped as by Node with a content-length, for HTTP/1.0 and for HEAD', async () => {
        for (const spec of [
          { path: '/late-trailers-with-length' },
          { path: '/late-trailers', httpVersion: '1.0' },
        ] satisfies RequestSpec[]) {
          const result = await request(spec);
          same(result);
          expect(first(result.native).trailers).toEqual([]);
        }
        const head = await pair.request({ method: 'HEAD', path: '/late-trailers' });
        same(head);
      });
    });
  }

  describe('what PAGI does not carry (proven on the protocol path)', () => {
    it('a final 101 is refused (500): a 101 head without an upgrade would desync the connection', async () => {
      const pair = pairs.protocol as Pair;
      const result = await pair.exchange({ request: pipelinedAfter('/final-101'), methods: ['GET'], timeoutMs: 1000 });
      // Native Node writes "101 Switching Protocols" and goes on speaking HTTP: a client (or a
      // proxy) that believes the switch reads the next response as the new protocol's bytes.
      expect(head(result, 'native')).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      expect(first(result.bridged).status).toBe(500);
    });

    it("res.end() then socket.destroy() in one tick: 'connection: close' where Node wrote keep-alive", async () => {
      const pair = pairs.protocol as Pair;
      const result = await pair.request({ path: '/end-then-destroy' }, { observeCloseMs: 200 });
      // Node had written the whole keep-alive response before the destroy closed the socket. A PAGI
      // app has one way to close the connection after a complete response — `connection: close`
      // in the head — since abort() after the terminal event is a no-op (§7), so the bridge says so.
      const connection = (side: 'native' | 'bridged'): string | undefined => header(result[side], 'connection');
      expect([connection('native'), header(result.native, 'keep-alive')]).toEqual(['keep-alive', 'timeout=5']);
      expect([connection('bridged'), header(result.bridged, 'keep-alive')]).toEqual(['close', undefined]);
      expect(diffExchange(result.native, result.bridged, { ignoreHeaders: ['connection', 'keep-alive'], compareServerClose: true })).toEqual([]);
    });
  });
});
