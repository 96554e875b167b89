/**
 * serve-static (the package, used directly) through the bridge, compared
 * with native Express: its options (setHeaders, extensions, index, redirect
 * under a mount), HEAD, and a slow reader downloading a large file.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import serveStatic from 'serve-static';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { createFixtureFiles, type FixtureFiles } from '../differential/fixture-files.js';
import { expectSame, first, itFor, runScenario, startPair, type Pair, type Scenario } from '../differential/harness.js';
import type { App } from '../../src/index.js';

let files: FixtureFiles;

function app(express: ExpressModule): express.Express {
  const server = express();
  server.set('env', 'production');
  server.use(
    '/assets',
    serveStatic(files.root, {
      extensions: ['html', 'txt'],
      index: ['index.html'],
      setHeaders: (res: ServerResponse, file: string) => {
        res.setHeader('X-Served-File', file.slice(files.root.length));
      },
    }),
  );
  server.use('/noindex', serveStatic(files.root, { index: false }));
  return server;
}

const scenarios: Scenario[] = [
  { name: 'setHeaders adds a header per file', spec: { path: '/assets/hello.txt' }, status: 200 },
  { name: 'extensions fallback finds page.html', spec: { path: '/assets/page' }, status: 200 },
  { name: 'index file in a sub-directory', spec: { path: '/assets/sub/' }, status: 200 },
  { name: 'directory redirect says the full mounted path', spec: { path: '/assets/sub?q=1' }, status: 301 },
  { name: 'index: false falls through on a directory', spec: { path: '/noindex/sub/' }, status: 404 },
  { name: 'HEAD on a large file', spec: { method: 'HEAD', path: '/assets/large.bin' }, status: 200 },
  { name: 'OPTIONS falls through', spec: { method: 'OPTIONS', path: '/assets/hello.txt' } },
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

describeEachExpress('serve-static through the bridge', (express) => {
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

  it('a slow reader gets the whole large file byte-exact', async () => {
    const result = await pair.request({ path: '/assets/large.bin' }, { pauseReadingMs: 300, timeoutMs: 8000 });
    expectSame(result);
    const digest = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
    expect(digest(first(result.bridged).body)).toBe(digest(files.large));
  });
});

/**
 * serve-static's own test "redirect should ensure redirect URL is properly
 * encoded": a handler in front rewrites `req.url` and serve-static, used as the
 * whole app (no Express around it), redirects the directory. Natively the
 * request has no `originalUrl`, so serve-static builds the redirect from the
 * rewritten `req.url`; a bridged request that invented one would redirect to
 * the stale original target.
 */
describe('serve-static as the whole app, behind a req.url rewrite', () => {
  let pair: Pair;
  let emulated: Pair;
  const snowApp = () => (req: IncomingMessage, res: ServerResponse): void => {
    req.url = '/snow \u2603';
    serveStatic(files.root)(req, res, () => {
      res.statusCode = 404;
      res.end('not found');
    });
  };
  beforeAll(async () => {
    await mkdir(path.join(files.root, 'snow \u2603'), { recursive: true });
    await writeFile(path.join(files.root, 'snow \u2603', 'index.html'), 'snow');
    pair = await startPair(snowApp);
    // Force the emulated request (a wrapper between adapter and bridge), as under cascade or lint.
    emulated = await startPair(snowApp, { wrapBridged: (app: App): App => (scope, receive, send) => app(scope, () => receive(), send) });
  });
  afterAll(async () => {
    await pair.close();
    await emulated.close();
  });
  for (const [name, get] of [['direct path', () => pair], ['emulated path', () => emulated]] as const) {
    it(`redirects to the encoded rewritten URL (${name})`, async () => {
      const result = await get().request({ path: '/' });
      if (get() === emulated) {
        expect(result.bridgedPaths).toEqual(['http:fake']);
        expectSame({ ...result, bridgedPaths: [] });
      } else {
        expectSame(result);
      }
      expect(first(result.bridged).status).toBe(301);
      expect(first(result.bridged).headers.find(([n]) => n.toLowerCase() === 'location')?.[1]).toBe('/snow%20%E2%98%83/');
    });
  }
});
