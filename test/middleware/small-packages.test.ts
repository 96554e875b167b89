/**
 * The small jshttp/pillarjs packages Express is built from, used directly on
 * plain `(req, res)` handlers (no Express), through the bridge and natively:
 * finalhandler, http-errors, on-finished and on-headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import finalhandler from 'finalhandler';
import createError from 'http-errors';
import onFinished from 'on-finished';
import onHeaders from 'on-headers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectSame, expectSameEvents, header, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from '../differential/harness.js';

/** A Connect-style handler without Express: routes by hand, errors go to finalhandler. */
function plainHandler(probe: Probe) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const done = finalhandler(req, res, { env: 'production', onerror: (error: Error) => probe.record(`onerror ${error.message}`) });
    onFinished(res, (error) => probe.record(`on-finished ${error === null ? 'ok' : 'error'} status=${res.statusCode}`));
    onHeaders(res, function addTiming(this: ServerResponse) {
      this.setHeader('X-Headers-Hook', `status-${this.statusCode}`);
      probe.record(`on-headers ${this.statusCode}`);
    });
    const url = req.url ?? '/';
    if (url === '/ok') {
      res.setHeader('Content-Type', 'text/plain');
      res.end('plain handler');
    } else if (url === '/http-error') {
      done(createError(409, 'conflicting', { headers: { 'X-Reason': 'conflict' } }));
    } else if (url === '/server-error') {
      done(new Error('hidden in production'));
    } else if (url === '/write-head') {
      res.writeHead(202, { 'Content-Type': 'text/plain' });
      res.end('accepted');
    } else if (url === '/streamed') {
      res.write('one;');
      setTimeout(() => res.end('two;'), 30);
    } else if (url === '/unread-post') {
      done();
    } else {
      done();
    }
  };
}

const scenarios: Scenario[] = [
  { name: 'plain handler answers', spec: { path: '/ok' }, status: 200 },
  { name: 'finalhandler with an http-errors error and its headers', spec: { path: '/http-error' }, status: 409 },
  { name: 'finalhandler hides a 500 message in production', spec: { path: '/server-error' }, status: 500 },
  { name: 'finalhandler 404 for a missing route', spec: { path: '/nowhere?x=%3Cscript%3E' }, status: 404 },
  { name: 'finalhandler answers an unread POST', spec: { method: 'POST', path: '/unread-post', body: 'z'.repeat(20_000) }, status: 404 },
  { name: 'finalhandler HEAD', spec: { method: 'HEAD', path: '/nowhere' }, status: 404 },
  {
    name: 'on-headers hook runs inside writeHead and its header is sent',
    spec: { path: '/write-head' },
    status: 202,
    check: ({ bridged }) => {
      expect(header(bridged, 'x-headers-hook')).toBe('status-202');
    },
  },
  { name: 'on-headers with a streamed response', spec: { path: '/streamed' }, status: 200 },
];

describe('finalhandler, http-errors, on-finished, on-headers through the bridge', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(plainHandler);
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
      await expectSameEvents(pair);
    });
  }

  it('on-finished runs exactly once per response', async () => {
    const result = await pair.request({ path: '/ok' });
    expectSame(result);
    const events = await expectSameEvents(pair);
    expect(events.filter((e) => e.startsWith('on-finished'))).toEqual(['on-finished ok status=200']);
  });
});
