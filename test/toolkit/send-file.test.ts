/**
 * sendFile against serve-static (which runs `send`, like `express.static`
 * and `res.sendFile`), differential-style: the same files and requests to
 * both, compared on the wire (status, framing, headers, bytes).
 */
import http from 'node:http';
import serveStatic from 'serve-static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/protocol/types.js';
import { handleErrors, sendFile } from '../../src/toolkit/index.js';
import { diffExchange, summarize } from '../differential/compare.js';
import { createFixtureFiles, type FixtureFiles } from '../differential/fixture-files.js';
import { buildRequest, rawExchange, type RawExchange, type RequestSpec } from '../differential/raw-client.js';
import { httpLike } from '../helpers/scope.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';

let files: FixtureFiles;
let native: http.Server;
let nativePort = 0;
let pagi: PagiServer;

beforeAll(async () => {
  files = await createFixtureFiles();
  const statics = serveStatic(files.root, { fallthrough: false, index: false, redirect: false });
  native = http.createServer((req, res) =>
    statics(req, res, (error?: { status?: number; headers?: Record<string, string> | undefined }) => {
      // What an error handler sees from send: the status and, for 416, content-range.
      res.statusCode = error?.status ?? 404;
      for (const [name, value] of Object.entries(error?.headers ?? {})) res.setHeader(name, value);
      res.end();
    }),
  );
  nativePort = (await listen(native)).port;
  const app: App = handleErrors(async (s, _receive, send) => {
    const scope = httpLike(s);
    await sendFile(send, scope, scope.path, { root: files.root });
  });
  pagi = await servePagi(app);
});
afterAll(async () => {
  await closeServer(native);
  await pagi.close();
  await files.remove();
});

async function both(spec: RequestSpec): Promise<{ native: RawExchange; pagi: RawExchange }> {
  const request = buildRequest(spec);
  const methods = [spec.method ?? 'GET'];
  const [a, b] = await Promise.all([rawExchange({ port: nativePort, request, methods }), rawExchange({ port: pagi.port, request, methods })]);
  return { native: a, pagi: b };
}

async function expectSame(spec: RequestSpec, status: number): Promise<RawExchange> {
  const result = await both(spec);
  const diffs = diffExchange(result.native, result.pagi, {});
  expect(diffs, `\n native: ${summarize(result.native)}\n pagi:   ${summarize(result.pagi)}`).toEqual([]);
  expect(result.native.responses[0]?.status).toBe(status);
  return result.pagi;
}

/** For error answers only the status and content-range mean something (the bodies are each side's own). */
async function expectSameStatus(spec: RequestSpec, status: number): Promise<void> {
  const result = await both(spec);
  const pick = (x: RawExchange) => {
    const r = x.responses[0];
    return [r?.status, r?.headers.find(([n]) => n.toLowerCase() === 'content-range')?.[1]];
  };
  expect(pick(result.pagi)).toEqual(pick(result.native));
  expect(result.native.responses[0]?.status).toBe(status);
}

describe('sendFile answers as serve-static does', () => {
  let etag = '';
  let lastModified = '';
  beforeAll(async () => {
    const { pagi: res } = await both({ path: '/large.bin' });
    etag = res.responses[0]?.headers.find(([n]) => n === 'etag')?.[1] ?? '';
    lastModified = res.responses[0]?.headers.find(([n]) => n === 'last-modified')?.[1] ?? '';
  });

  it.each([
    ['a text file', { path: '/hello.txt' }, 200],
    ['html, json and binary types', { path: '/page.html' }, 200],
    ['a binary file with chunk look-alikes', { path: '/binary.bin' }, 200],
    ['a 512 kB file', { path: '/large.bin' }, 200],
    ['an encoded name', { path: '/space%20name.txt' }, 200],
    ['a UTF-8 name', { path: '/%C3%BCn%C3%AF.txt' }, 200],
    ['HEAD', { method: 'HEAD', path: '/large.bin' }, 200],
    ['one range', { path: '/large.bin', headers: [['Range', 'bytes=100-1099']] }, 206],
    ['a suffix range', { path: '/large.bin', headers: [['Range', 'bytes=-500']] }, 206],
    ['an open range', { path: '/hello.txt', headers: [['Range', 'bytes=7-']] }, 206],
    ['overlapping ranges combined', { path: '/large.bin', headers: [['Range', 'bytes=0-10,5-20']] }, 206],
    ['multiple ranges: the whole file', { path: '/large.bin', headers: [['Range', 'bytes=0-10,100-200']] }, 200],
    ['a malformed range: the whole file', { path: '/hello.txt', headers: [['Range', 'bytes=abc']] }, 200],
    ['another unit: the whole file', { path: '/hello.txt', headers: [['Range', 'items=0-1']] }, 200],
    ['HEAD with a range', { method: 'HEAD', path: '/large.bin', headers: [['Range', 'bytes=0-99']] }, 206],
  ] as Array<[string, RequestSpec, number]>)('%s', async (_name, spec, status) => {
    await expectSame(spec, status);
  });

  it('answers conditional requests: 304 on a match, 200 otherwise, If-Range', async () => {
    await expectSame({ path: '/large.bin', headers: [['If-None-Match', etag]] }, 304);
    await expectSame({ path: '/large.bin', headers: [['If-None-Match', `"other", ${etag}`]] }, 304);
    await expectSame({ path: '/large.bin', headers: [['If-None-Match', '"other"']] }, 200);
    await expectSame({ path: '/large.bin', headers: [['If-Modified-Since', lastModified]] }, 304);
    await expectSame({ path: '/large.bin', headers: [['If-Modified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT']] }, 200);
    await expectSame({ path: '/large.bin', headers: [['If-None-Match', etag], ['Cache-Control', 'no-cache']] }, 200);
    await expectSame({ path: '/large.bin', headers: [['Range', 'bytes=0-9'], ['If-Range', etag]] }, 206);
    await expectSame({ path: '/large.bin', headers: [['Range', 'bytes=0-9'], ['If-Range', '"stale"']] }, 200);
    await expectSame({ path: '/large.bin', headers: [['Range', 'bytes=0-9'], ['If-Range', lastModified]] }, 206);
    await expectSame({ path: '/large.bin', headers: [['If-Match', etag]] }, 200);
  });

  it('fails preconditions (412), unsatisfiable ranges (416), missing files, dotfiles and traversal as send does', async () => {
    await expectSameStatus({ path: '/large.bin', headers: [['If-Match', '"nope"']] }, 412);
    await expectSameStatus({ path: '/large.bin', headers: [['If-Unmodified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT']] }, 412);
    await expectSameStatus({ path: '/hello.txt', headers: [['Range', 'bytes=9999-']] }, 416);
    await expectSameStatus({ path: '/missing.txt' }, 404);
    await expectSameStatus({ path: '/.hidden' }, 404);
    await expectSameStatus({ path: '/hello.txt/' }, 404);
    await expectSameStatus({ path: '/sub/%2E%2E/%2E%2E/etc/passwd' }, 403);
    await expectSameStatus({ path: '/%00hello.txt' }, 400);
  });
});

describe('sendFile without a root', () => {
  it('needs an absolute path and refuses ".." in it', async () => {
    const calls: string[] = [];
    const send = async (e: { type: string }) => void calls.push(e.type);
    await expect(sendFile(send, { headers: [] }, 'relative.txt')).rejects.toThrow(/must be absolute/);
    await expect(sendFile(send, { headers: [] }, `${files.root}/sub/../hello.txt`)).rejects.toMatchObject({ status: 403 });
    await sendFile(send, { headers: [] }, `${files.root}/hello.txt`);
    expect(calls).toEqual(['http.response.start', 'http.response.body']);
  });
});
