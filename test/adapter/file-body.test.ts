import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutOfOrder } from '../../src/protocol/errors.js';
import type { App } from '../../src/protocol/types.js';
import { servePagi, waitUntil, type PagiServer } from '../helpers/server.js';
import { parseHead, rawExchange } from '../helpers/raw-socket.js';

let dir: string;
let small: string;
let large: string;
let largeBytes: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pagi-file-body-'));
  small = join(dir, 'small.txt');
  writeFileSync(small, '0123456789abcdefghij');
  large = join(dir, 'large.bin');
  largeBytes = randomBytes(8 * 1024 * 1024 + 123);
  writeFileSync(large, largeBytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App): Promise<PagiServer> {
  current = await servePagi(app);
  return current;
}

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('file and fh bodies', () => {
  it('streams a file range with content-length', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', file: small, offset: 5, length: 7 });
    });
    const head = parseHead(await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(head.headers).toContainEqual(['content-length', '7']);
    expect(head.rest).toBe('56789ab');
  });

  it('clips a length past the end and sends nothing for an offset past the end', async () => {
    const { url } = await serve(async (scope, _receive, send) => {
      const offset = scope.type === 'http' && scope.path === '/past' ? 100 : 15;
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', file: small, offset, length: 1000 });
    });
    expect(await (await fetch(`${url}/clip`)).text()).toBe('fghij');
    expect(await (await fetch(`${url}/past`)).text()).toBe('');
  });

  it('streams a large file byte-exact with backpressure', async () => {
    const { url } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', file: large });
    });
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(body.length).toBe(largeBytes.length);
    expect(sha(body)).toBe(sha(largeBytes));
  });

  it('reads an fh from an absolute offset and leaves it open for the app', async () => {
    let handle: FileHandle | undefined;
    let stillOpen = false;
    let done = false;
    const { url } = await serve(async (_scope, _receive, send) => {
      handle = await open(small, 'r');
      try {
        await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
        await send({ type: 'http.response.body', fh: handle, offset: 10 });
        stillOpen = (await handle.stat()).size === 20;
      } finally {
        await handle.close();
        done = true;
      }
    });
    expect(await (await fetch(url)).text()).toBe('abcdefghij');
    await waitUntil(() => done);
    expect(stillOpen).toBe(true);
  });

  it('rejects a missing file with ENOENT before writing anything; the app can recover', async () => {
    let error: unknown;
    const { url } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['x-kept', 'yes']] });
      try {
        await send({ type: 'http.response.body', file: join(dir, 'missing.txt') });
      } catch (e) {
        error = e;
      }
      await send({ type: 'http.response.body', body: 'fallback' });
    });
    const response = await fetch(url);
    expect(await response.text()).toBe('fallback');
    expect(response.headers.get('x-kept')).toBe('yes');
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('rejects a closed fh before writing anything', async () => {
    let error: unknown;
    const { url } = await serve(async (_scope, _receive, send) => {
      const fh = await open(small, 'r');
      await fh.close();
      await send({ type: 'http.response.start', status: 200 });
      error = await send({ type: 'http.response.body', fh }).then(() => undefined, (e: unknown) => e);
      await send({ type: 'http.response.body', body: 'inline' });
    });
    expect(await (await fetch(url)).text()).toBe('inline');
    expect((error as NodeJS.ErrnoException).code).toBe('EBADF');
  });

  it('never opens the file for HEAD', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '42']] });
      await send({ type: 'http.response.body', file: join(dir, 'does-not-exist') });
    });
    const text = await rawExchange(port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const head = parseHead(text);
    expect(head.status).toBe(200);
    expect(head.headers).toContainEqual(['content-length', '42']);
    expect(head.rest).toBe('');
  });

  it('a file body after inline bytes is out of order', async () => {
    let error: unknown;
    const { url } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'x', more: true });
      error = await send({ type: 'http.response.body', file: small }).then(() => undefined, (e: unknown) => e);
      await send({ type: 'http.response.body', body: 'y' });
    });
    expect(await (await fetch(url)).text()).toBe('xy');
    expect(error).toBeInstanceOf(OutOfOrder);
  });

  it('sends trailers after a file body when promised', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send({ type: 'http.response.body', file: small, length: 3 });
      await send({ type: 'http.response.trailers', headers: [['x-sum', '3']] });
    });
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(parseHead(text).rest).toBe('3\r\n012\r\n0\r\nx-sum: 3\r\n\r\n');
  });
});
