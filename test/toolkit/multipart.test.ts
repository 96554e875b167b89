/**
 * readMultipart: parts stream as they arrive (busboy), files are not
 * buffered and exert backpressure on receive(), skipped files are
 * discarded, and hostile or broken bodies get 400/413/415 without a crash.
 */
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';
import { handleErrors, readMultipart, sendJson, type MultipartOptions } from '../../src/toolkit/index.js';
import { httpLike } from '../helpers/scope.js';
import { servePagi, type PagiServer } from '../helpers/server.js';

const BOUNDARY = 'XyZboundary';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function field(name: string, value: string): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
}
function fileHead(name: string, filename: string, type = 'application/octet-stream'): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
}
const END = `--${BOUNDARY}--\r\n`;

/** Reads every part; files are read fully (or skipped when `skip` names them). */
function collector(options: MultipartOptions = {}, skip: string[] = [], seen: string[] = []): App {
  return handleErrors(
    async (s, receive, send) => {
      const scope = httpLike(s);
      const parts: unknown[] = [];
      for await (const part of readMultipart(scope, receive, options)) {
        seen.push(`${part.type}:${part.name}`);
        if (part.type === 'field') parts.push([part.name, part.value]);
        else if (skip.includes(part.name)) parts.push([part.name, 'skipped']);
        else {
          const bytes = await buffer(part.stream);
          parts.push([part.name, part.filename, part.mimeType, bytes.length, bytes.subarray(0, 8).toString('latin1')]);
        }
      }
      await sendJson(send, 200, parts);
    },
    { logger: { error: () => {} } },
  );
}

describe('readMultipart', () => {
  it('yields fields and files in order, bytes intact', async () => {
    const file = Buffer.concat([Buffer.from('\r\n--not-the-boundary\r\n'), Buffer.alloc(70_000, 0xff)]);
    const body = Buffer.concat([Buffer.from(field('title', 'Ünïcode ✓') + fileHead('upload', 'dir/../a.bin')), file, Buffer.from(`\r\n${field('after', 'x')}${END}`)]);
    const res = await new TestClient(collector()).post('/', { body, headers: { 'content-type': TYPE } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      ['title', 'Ünïcode ✓'],
      ['upload', 'a.bin', 'application/octet-stream', file.length, '\r\n--not-'],
      ['after', 'x'],
    ]);
  });

  it('hands out a file and its first bytes before the upload has finished arriving', async () => {
    const seen: string[] = [];
    async function* upload() {
      yield fileHead('video', 'v.bin') + 'first-bytes;';
      // The rest arrives only once the app has read the start of the file.
      while (!seen.includes('bytes:first-bytes;')) await new Promise((resolve) => setTimeout(resolve, 5));
      yield `rest\r\n${END}`;
    }
    const app: App = async (s, receive, send) => {
      const scope = httpLike(s);
      let content = '';
      for await (const part of readMultipart(scope, receive)) {
        if (part.type !== 'file') continue;
        for await (const piece of part.stream) {
          content += String(piece);
          seen.push(`bytes:${content}`);
        }
      }
      await sendJson(send, 200, { content });
    };
    const res = await new TestClient(app, { timeoutMs: 3000 }).post('/', { body: upload(), headers: { 'content-type': TYPE } });
    expect(await res.json()).toEqual({ content: 'first-bytes;rest' });
  });

  it('does not pull receive() ahead of a file the app is not reading (backpressure)', async () => {
    let produced = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    async function* upload() {
      yield fileHead('big', 'big.bin');
      for (let i = 0; i < 128; i++) yield chunk;
      yield `\r\n${END}`;
    }
    let producedWhilePaused = -1;
    const app: App = async (s, rawReceive, send) => {
      const scope = httpLike(s);
      // Count what the reader pulls out of receive().
      const receive = async () => {
        const event = await rawReceive();
        if (event.type === 'http.request') produced += event.body.length;
        return event;
      };
      let total = 0;
      for await (const part of readMultipart(scope, receive)) {
        if (part.type !== 'file') continue;
        await new Promise((resolve) => setTimeout(resolve, 100)); // the app is busy: nothing reads the file
        producedWhilePaused = produced;
        for await (const piece of part.stream) total += (piece as Buffer).length;
      }
      await sendJson(send, 200, { total });
    };
    const res = await new TestClient(app).post('/', { body: upload(), headers: { 'content-type': TYPE } });
    expect(await res.json()).toEqual({ total: 128 * chunk.length });
    // 8 MiB upload; while paused only a few chunks (busboy's and the file stream's buffers) were pulled.
    expect(producedWhilePaused).toBeGreaterThan(0);
    expect(producedWhilePaused).toBeLessThan(1024 * 1024);
  });

  it('discards a file part the app skips, without stalling', async () => {
    const body = fileHead('skipme', 's.bin') + 'x'.repeat(200_000) + `\r\n${field('after', 'ok')}${END}`;
    const res = await new TestClient(collector({}, ['skipme'])).post('/', { body, headers: { 'content-type': TYPE } });
    expect(await res.json()).toEqual([['skipme', 'skipped'], ['after', 'ok']]);
  });
});

describe('readMultipart with hostile or broken bodies', () => {
  let server: PagiServer;
  beforeAll(async () => {
    server = await servePagi(collector({ fileSize: 1000, fields: 3, fieldSize: 100, files: 1, limit: 50_000 }));
  });
  afterAll(async () => {
    await server.close();
  });

  async function send(body: string | Buffer, contentType = TYPE) {
    const res = await fetch(server.url, { method: 'POST', body, headers: { 'content-type': contentType } });
    return { status: res.status, text: await res.text() };
  }

  it.each([
    ['a file over fileSize', fileHead('f', 'f.bin') + 'x'.repeat(5000) + `\r\n${END}`, 413, "uploaded file 'f.bin' is larger than 1000 bytes"],
    ['too many fields', field('a', '1') + field('b', '2') + field('c', '3') + field('d', '4') + END, 413, 'more than 3 multipart fields'],
    ['a field over fieldSize', field('big', 'v'.repeat(500)) + END, 413, "multipart field 'big' is larger than 100 bytes"],
    ['too many files', fileHead('a', 'a') + 'a\r\n' + fileHead('b', 'b') + 'b\r\n' + END, 413, 'more than 1 uploaded files'],
    ['a body over the total limit', field('a', '1') + 'z'.repeat(60_000), 413, 'request body is larger than 50000 bytes'],
    ['a truncated body', field('a', '1') + fileHead('f', 'f.bin') + 'partial', 400, 'malformed multipart body: Unexpected end of form'],
    ['a malformed part header', `--${BOUNDARY}\r\nno colon here\r\n\r\nx\r\n${END}`, 400, 'malformed multipart body: Malformed part header'],
  ])('%s', async (_name, body, status, message) => {
    const res = await send(body);
    expect(res).toEqual({ status, text: message });
  });

  it('answers a missing boundary with 400 and another type with 415', async () => {
    expect(await send(field('a', '1'), 'multipart/form-data')).toEqual({ status: 400, text: 'malformed multipart request: Multipart: Boundary not found' });
    expect((await send('a=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    // The server survived all of it.
    expect((await send(field('ok', 'yes') + END)).text).toBe('[["ok","yes"]]');
  });
});
