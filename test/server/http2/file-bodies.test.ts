/**
 * `file` and `fh` bodies (`http.response.body` with a path or a FileHandle) over HTTP/2: the whole
 * file past the stream's initial flow-control window, a range (`offset`/`length`), HEAD, a missing
 * file the app recovers from, and a client resetting the stream mid-file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/protocol/types.js';
import { waitFor, within } from '../helpers.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { closeH2, connectH2, h2request } from './h2-client.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pagi-h2-file-'));
// Larger than HTTP/2's default 64 KiB window: the file only arrives whole if flow control works.
const CONTENT = Array.from({ length: 12_000 }, (_, i) => `line ${String(i).padStart(5, '0')}\n`).join('');
const FILE = path.join(dir, 'lines.txt');
// Big enough that the server is still sending when the client resets (the client reads none of it).
const BIG = path.join(dir, 'big.bin');
const BIG_SIZE = 16 * 1024 * 1024;
writeFileSync(FILE, CONTENT);
writeFileSync(BIG, Buffer.alloc(BIG_SIZE, 0x61));

/** What the app learned about each path: the recovered error code, the send's outcome. */
const seen = new Map<string, string>();

const app: App = async (scope, _receive, send) => {
  if (scope.type !== 'http') return;
  const start = { type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] } as const;
  switch (scope.path) {
    case '/whole':
      await send(start);
      await send({ type: 'http.response.body', file: FILE });
      return;
    case '/range':
      await send(start);
      await send({ type: 'http.response.body', file: FILE, offset: 11, length: 33 });
      return;
    case '/fh': {
      const handle = await open(FILE);
      try {
        await send(start);
        await send({ type: 'http.response.body', fh: handle, offset: 22 });
      } finally {
        await handle.close();
      }
      return;
    }
    case '/declared':
      // The app's own length; HEAD never opens the file (here: one that does not exist).
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '42']] });
      await send({ type: 'http.response.body', file: path.join(dir, 'nope.txt') });
      return;
    case '/missing':
      await send(start);
      try {
        await send({ type: 'http.response.body', file: path.join(dir, 'nope.txt') });
      } catch (error) {
        // Rejected before any byte was written: the start is still held, so the app can answer again.
        seen.set('/missing', (error as NodeJS.ErrnoException).code ?? 'no code');
        await send({ type: 'http.response.body', body: 'not here' });
      }
      return;
    case '/big': {
      const connection = scope['pagi.connection'];
      await send(start);
      const sent = await send({ type: 'http.response.body', file: BIG }).then(
        () => 'resolved',
        (error: Error) => `rejected ${error.name}`,
      );
      const reason = await connection.end_future();
      seen.set('/big', `${sent}; ${reason ?? 'clean'}`);
      return;
    }
  }
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(app, { http2: true });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('file bodies over HTTP/2', () => {
  it('a whole file past the initial window: every byte, content-length from the file size', async () => {
    const session = await connectH2(server.url);
    try {
      const r = await h2request(session, { ':path': '/whole' });
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe(String(CONTENT.length));
      expect(r.body.length).toBe(CONTENT.length);
      expect(r.body).toBe(CONTENT);
      expect(r.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    } finally {
      await closeH2(session);
    }
  });

  it('offset/length and a FileHandle: only that range, with its length', async () => {
    const session = await connectH2(server.url);
    try {
      const range = await h2request(session, { ':path': '/range' });
      expect(range.headers['content-length']).toBe('33');
      expect(range.body).toBe(CONTENT.slice(11, 44));
      const fh = await h2request(session, { ':path': '/fh' });
      expect(fh.headers['content-length']).toBe(String(CONTENT.length - 22));
      expect(fh.body).toBe(CONTENT.slice(22));
    } finally {
      await closeH2(session);
    }
  });

  it('HEAD: no body and the file never opened (a missing one is no error); the app-set length passes', async () => {
    const session = await connectH2(server.url);
    try {
      const r = await h2request(session, { ':path': '/declared', ':method': 'HEAD' });
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe('42');
      expect(r.body).toBe('');
      expect(r.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
      const whole = await h2request(session, { ':path': '/whole', ':method': 'HEAD' });
      expect(whole.status).toBe(200);
      expect(whole.body).toBe('');
    } finally {
      await closeH2(session);
    }
  });

  it('a missing file rejects the send with ENOENT before any byte; the app answers instead', async () => {
    const session = await connectH2(server.url);
    try {
      const r = await h2request(session, { ':path': '/missing' });
      expect(seen.get('/missing')).toBe('ENOENT');
      expect(r.status).toBe(200);
      expect(r.body).toBe('not here');
      // The session is unharmed.
      expect((await h2request(session, { ':path': '/range' })).body).toBe(CONTENT.slice(11, 44));
    } finally {
      await closeH2(session);
    }
  });

  it('RST_STREAM mid-file: the send settles and the scope ends client_closed; the session carries on', async () => {
    const session = await connectH2(server.url);
    try {
      const stream = session.request({ ':path': '/big' }, { endStream: true });
      stream.on('error', () => {});
      // Headers arrive; the client then reads nothing, so the server is stuck on flow control.
      await within(new Promise((resolve) => stream.once('response', resolve)), 5000, 'file head');
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => seen.has('/big'), 5000, 'end of the reset file scope');
      expect(seen.get('/big')).toMatch(/; client_closed$/);
      expect((await h2request(session, { ':path': '/range' })).body).toBe(CONTENT.slice(11, 44));
    } finally {
      await closeH2(session);
    }
  });
});
