/**
 * `req.originalUrl`/`req.baseUrl` exist only on a mounted request, native vs
 * bridged: a request straight from Node's server has neither (Express sets
 * them itself), one under a mount has what a parent Express app would set.
 * serve-static builds its directory redirect from them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import finalhandler from 'finalhandler';
import serveStatic from 'serve-static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mount } from '../../src/compose/index.js';
import { describeEachExpress } from './express-versions.js';
import { createFixtureFiles, type FixtureFiles } from './fixture-files.js';
import { expectSame, header, json, runScenario, startPair, type Pair } from './harness.js';

type Req = IncomingMessage & { originalUrl?: string; baseUrl?: string };

/** A plain Node handler reporting what it was given, before any Express code ran. */
function reportUrls(req: Req, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, hasOriginalUrl: 'originalUrl' in req, hasBaseUrl: 'baseUrl' in req, originalUrl: req.originalUrl, baseUrl: req.baseUrl }));
}

let files: FixtureFiles;
beforeAll(async () => {
  files = await createFixtureFiles();
});
afterAll(async () => {
  await files.remove();
});

describe('an unmounted bridged request has no originalUrl or baseUrl', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => reportUrls as never);
  });
  afterAll(async () => {
    await pair.close();
  });

  it('a plain handler sees neither property', async () => {
    const result = await runScenario(pair, { name: 'plain', spec: { path: '/a/b?x=1' }, status: 200 });
    expect(json(result.bridged)).toEqual({ url: '/a/b?x=1', hasOriginalUrl: false, hasBaseUrl: false });
  });
});

describe("serve-static's own redirect test through the bridge (no Express)", () => {
  let pair: Pair;
  beforeAll(async () => {
    const serve = serveStatic(files.root);
    pair = await startPair(() => ((req: IncomingMessage, res: ServerResponse) => serve(req, res, finalhandler(req, res))) as never);
  });
  afterAll(async () => {
    await pair.close();
  });

  it('redirect should ensure redirect URL is properly encoded', async () => {
    const result = await runScenario(pair, { name: 'snow', spec: { path: '/snow%20%E2%98%83' }, status: 301 });
    expect(header(result.bridged, 'location')).toBe('/snow%20%E2%98%83/');
  });
});

describeEachExpress('a request under a mount: what a parent Express app would set', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    // Native: an Express parent mounts the handler at /m; bridged: mount() does.
    pair = await startPair(
      (probe) => (probe.side === 'native' ? express().disable('x-powered-by').use('/m', reportUrls as never) : (reportUrls as never)),
      { wrapBridged: (app) => mount({ '/m': app }) },
    );
  });
  afterAll(async () => {
    await pair.close();
  });

  it('originalUrl is the whole target, baseUrl the mount point', async () => {
    const result = await pair.request({ path: '/m/a%20b?x=1' });
    // A composed app always takes the emulated path, whatever the run's default.
    expect(result.bridgedPaths).toEqual(['http:fake']);
    expectSame({ native: result.native, bridged: result.bridged });
    expect(json(result.bridged)).toMatchObject({ url: '/a%20b?x=1', originalUrl: '/m/a%20b?x=1', baseUrl: '/m' });
  });
});
