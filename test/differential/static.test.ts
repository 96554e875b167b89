/**
 * Static files, native vs bridged: express.static (serve-static), res.sendFile
 * and res.download with ETag, Last-Modified, conditional 304s, Range 206/416,
 * HEAD, directory redirects under (nested) mounts, dotfiles, encoded names,
 * traversal attempts and a client leaving mid-download.
 */
import { copyFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { createFixtureFiles, type FixtureFiles } from './fixture-files.js';
import { expectSameEvents, first, header, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from './harness.js';

let files: FixtureFiles;

function staticApp(express: ExpressModule, probe: Probe): express.Express {
  const root = files.root;
  const app = express();
  app.set('env', 'production');
  app.use('/static', express.static(root));
  app.use('/dotallow', express.static(root, { dotfiles: 'allow' }));
  app.use('/strict-static', express.static(root, { fallthrough: false }));
  app.use('/cached', express.static(root, { maxAge: '1d', immutable: true, etag: false, lastModified: false }));
  app.use('/noredirect', express.static(root, { redirect: false }));
  app.use('/mounted/deep', express.static(root));
  app.get('/send-file/:name', (req, res) => {
    res.sendFile(req.params['name'] ?? '', { root, headers: { 'X-Sent-By': 'sendFile' } });
  });
  app.get('/send-file-missing', (_req, res, next) => {
    res.sendFile(path.join(root, 'missing.txt'), (error) => {
      if (error !== undefined) next(error);
    });
  });
  app.get('/send-file-abort', (_req, res) => {
    res.sendFile(path.join(root, 'large.bin'), (error?: Error & { code?: string }) => {
      probe.record(`sendFile callback ${error?.code ?? 'ok'}`);
    });
  });
  app.get('/download', (_req, res) => {
    res.download(path.join(root, 'hello.txt'), 'report ü.txt');
  });
  app.get('/download-binary', (_req, res) => {
    res.download(path.join(root, 'binary.bin'));
  });
  return app;
}

/** How many of this process's file descriptors point at `file` (Linux /proc). */
async function openDescriptors(file: string): Promise<number> {
  const entries = await readdir('/proc/self/fd').catch(() => [] as string[]);
  const targets = await Promise.all(entries.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target === file).length;
}

const lastModified = 'Tue, 02 Jan 2024 03:04:05 GMT';

const scenarios: Scenario[] = [
  {
    name: 'express.static serves a file with ETag and Last-Modified',
    spec: { path: '/static/hello.txt' },
    status: 200,
    check: ({ bridged }) => {
      expect(header(bridged, 'last-modified')).toBe(lastModified);
      expect(header(bridged, 'etag')).toBeDefined();
    },
  },
  { name: 'HTML, JSON content types', spec: { path: '/static/page.html' }, status: 200 },
  { name: 'JSON file', spec: { path: '/static/data.json' }, status: 200 },
  {
    name: 'binary file with CRLF and 0\\r\\n\\r\\n is byte-exact',
    spec: { path: '/static/binary.bin' },
    status: 200,
    check: ({ bridged }) => {
      expect(first(bridged).body.equals(files.binary)).toBe(true);
    },
  },
  { name: '512 kB file (hash compared)', spec: { path: '/static/large.bin' }, status: 200 },
  { name: 'If-Modified-Since gives 304', spec: { path: '/static/hello.txt', headers: [['If-Modified-Since', lastModified]] }, status: 304 },
  { name: 'stale If-Modified-Since gives 200', spec: { path: '/static/hello.txt', headers: [['If-Modified-Since', 'Mon, 01 Jan 2024 00:00:00 GMT']] }, status: 200 },
  { name: 'Range bytes=0-4 gives 206', spec: { path: '/static/hello.txt', headers: [['Range', 'bytes=0-4']] }, status: 206 },
  { name: 'suffix Range bytes=-6', spec: { path: '/static/hello.txt', headers: [['Range', 'bytes=-6']] }, status: 206 },
  { name: 'open Range on a large file', spec: { path: '/static/large.bin', headers: [['Range', 'bytes=100000-']] }, status: 206 },
  { name: 'unsatisfiable Range gives 416', spec: { path: '/static/hello.txt', headers: [['Range', 'bytes=1000-2000']] }, status: 416 },
  { name: 'multiple ranges', spec: { path: '/static/hello.txt', headers: [['Range', 'bytes=0-1,5-6']] } },
  { name: 'If-Range with a stale date ignores Range', spec: { path: '/static/hello.txt', headers: [['Range', 'bytes=0-4'], ['If-Range', 'Mon, 01 Jan 2024 00:00:00 GMT']] }, status: 200 },
  { name: 'HEAD of a static file', spec: { method: 'HEAD', path: '/static/large.bin' }, status: 200 },
  { name: 'HEAD with a Range', spec: { method: 'HEAD', path: '/static/large.bin', headers: [['Range', 'bytes=0-99']] }, status: 206 },
  { name: 'If-Match that fails gives 412', spec: { path: '/static/hello.txt', headers: [['If-Match', '"nope"']] }, status: 412 },
  { name: 'If-Unmodified-Since in the past gives 412', spec: { path: '/static/hello.txt', headers: [['If-Unmodified-Since', 'Mon, 01 Jan 2024 00:00:00 GMT']] }, status: 412 },
  { name: 'POST to a static mount falls through to 404', spec: { method: 'POST', path: '/static/hello.txt', body: 'x' }, status: 404 },
  { name: 'directory without a slash redirects with the mount path', spec: { path: '/static/sub' }, status: 301 },
  { name: 'directory redirect under a nested mount keeps the query', spec: { path: '/mounted/deep/sub?x=1' }, status: 301 },
  { name: 'directory with a slash serves index.html', spec: { path: '/static/sub/' }, status: 200 },
  { name: 'directory without an index falls through', spec: { path: '/static/noindex/' }, status: 404 },
  { name: 'redirect disabled', spec: { path: '/noredirect/sub' }, status: 404 },
  { name: 'dotfile ignored by default', spec: { path: '/static/.hidden' }, status: 404 },
  { name: 'dotfile allowed', spec: { path: '/dotallow/.hidden' }, status: 200 },
  { name: 'fallthrough: false answers 404 itself', spec: { path: '/strict-static/missing.txt' }, status: 404 },
  { name: 'fallthrough: false with a dotfile', spec: { path: '/strict-static/.hidden' } },
  { name: 'percent-encoded file name', spec: { path: '/static/space%20name.txt' }, status: 200 },
  { name: 'UTF-8 file name', spec: { path: '/static/%C3%BCn%C3%AF.txt' }, status: 200 },
  { name: 'encoded traversal is refused', spec: { path: '/strict-static/%2e%2e/%2e%2e/etc/passwd' } },
  { name: 'maxAge and immutable without validators', spec: { path: '/cached/hello.txt' }, status: 200 },
  { name: 'res.sendFile with root and headers', spec: { path: '/send-file/page.html' }, status: 200 },
  { name: 'res.sendFile Range', spec: { path: '/send-file/binary.bin', headers: [['Range', 'bytes=2-9']] }, status: 206 },
  { name: 'res.sendFile of a missing file reaches the error handler', spec: { path: '/send-file-missing' }, status: 404 },
  { name: 'res.sendFile refuses a dotfile', spec: { path: '/send-file/.hidden' }, status: 404 },
  { name: 'res.download with a UTF-8 file name', spec: { path: '/download' }, status: 200 },
  { name: 'HEAD of res.sendFile', spec: { method: 'HEAD', path: '/send-file/binary.bin' }, status: 200 },
  {
    name: 'a static file requested with Accept: text/event-stream (sse scope)',
    spec: { path: '/static/large.bin', headers: [['Accept', 'text/event-stream']] },
    status: 200,
  },
  {
    name: 'a Range request with Accept: text/event-stream (sse scope)',
    spec: { path: '/static/binary.bin', headers: [['Accept', 'text/event-stream'], ['Range', 'bytes=3-10']] },
    status: 206,
  },
  { name: 'res.download of a binary file', spec: { path: '/download-binary' }, status: 200 },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  // Express logs every error it hands to finalhandler outside env 'test'; keep the output readable.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  files = await createFixtureFiles();
});
afterAll(async () => {
  await files.remove();
  vi.restoreAllMocks();
});

describeEachExpress('static files: native vs bridged', (express, version) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => staticApp(express, probe));
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
    });
  }

  it('If-Range with the current ETag honours the Range', async () => {
    const probe = await pair.request({ path: '/static/hello.txt' });
    const etag = header(probe.native, 'etag') ?? '';
    await runScenario(pair, {
      name: 'if-range',
      spec: { path: '/static/hello.txt', headers: [['Range', 'bytes=0-4'], ['If-Range', etag]] },
      status: 206,
    });
  });

  it('If-None-Match with the served ETag gives 304 with no body', async () => {
    const probe = await pair.request({ path: '/static/hello.txt' });
    const etag = header(probe.native, 'etag') ?? '';
    expect(header(probe.bridged, 'etag')).toBe(etag);
    await runScenario(pair, { name: '304', spec: { path: '/static/hello.txt', headers: [['If-None-Match', etag]] }, status: 304 });
  });

  it('a client leaving mid-download aborts sendFile the same way', async () => {
    const result = await pair.request({ path: '/send-file-abort' }, { abort: { afterBodyBytes: 1 }, pauseReadingMs: 5000 });
    expect(result.bridged.end).toBe('client-aborted');
    expect(await expectSameEvents(pair, 300)).toEqual(['sendFile callback ECONNABORTED']);
  });

  it('a client leaving mid-download of express.static closes the file on both sides', async () => {
    // A copy per Express version: the other version's suite runs at the same time in this process.
    const name = `large-${version.major}.bin`;
    const file = path.join(files.root, name);
    await copyFile(path.join(files.root, 'large.bin'), file);
    const result = await pair.request({ path: `/static/${name}` }, { abort: { afterBodyBytes: 1 }, pauseReadingMs: 5000 });
    expect(result.native.end).toBe('client-aborted');
    expect(result.bridged.end).toBe('client-aborted');
    const deadline = Date.now() + 3000;
    while ((await openDescriptors(file)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await openDescriptors(file)).toBe(0);
  });
});
