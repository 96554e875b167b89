/**
 * Hostile input the other toolkit tests leave out, on a real server with raw
 * sockets and fetch: a multi-megabyte chunked body with no content-length
 * (413 at the chunk that crosses the limit, the server keeps serving), JSON
 * nested 50,000 deep, `__proto__` keys (no prototype pollution), bytes that
 * are not UTF-8 in a JSON string, a quoted and upper-case charset, and
 * broken escapes in the query and the cookie header (read as Express reads
 * them, never a 500).
 */
import express from 'express';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookies, query, readJson, router, sendJson } from '../../src/toolkit/index.js';
import { closeServer, listen, servePagi, withDeadline, type PagiServer } from '../helpers/server.js';

const app = router({ logger: { error: () => {} } })
  .post('/json', async ({ scope, receive, send }) => {
    const value = await readJson(scope, receive, { limit: 100 * 1024 });
    await sendJson(send, 200, { kind: Array.isArray(value) ? 'array' : typeof value, value: Array.isArray(value) ? null : value, polluted: ({} as Record<string, unknown>).polluted ?? null });
  })
  .get('/read', ({ scope, send }) => sendJson(send, 200, { query: [...query(scope)], cookies: cookies(scope) }));

const legacy = express().get('/read', (req, res) => void res.json({ query: req.query }));

let server: PagiServer;
let native: http.Server;
let nativePort = 0;
beforeAll(async () => {
  server = await servePagi(app);
  native = http.createServer(legacy);
  nativePort = (await listen(native)).port;
});
afterAll(async () => {
  await server.close();
  await closeServer(native);
});

function post(body: string | Uint8Array, type = 'application/json') {
  return fetch(`http://127.0.0.1:${server.port}/json`, { method: 'POST', body, headers: { 'content-type': type }, signal: AbortSignal.timeout(5000) });
}

describe('hostile bodies', () => {
  it('a chunked 8 MiB body without content-length: 413 at the crossing chunk, and the server serves on', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
    const answer = withDeadline(
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      }),
      10_000,
      'the 413',
    );
    socket.write('POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < 8 * 1024 * 1024 && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(`${chunk.length.toString(16)}\r\n`) || !socket.write(chunk) || !socket.write('\r\n')) {
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), new Promise((resolve) => socket.once('close', resolve))]);
      }
    }
    socket.end();
    expect(await answer).toMatch(/^HTTP\/1\.1 413 /);
    expect((await post('{"after":true}')).status).toBe(200);
  });

  it('JSON nested 50,000 deep is parsed or refused with 400, never a 500', async () => {
    const response = await post(`${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    expect([200, 400]).toContain(response.status);
  });

  it('__proto__ keys stay data: no prototype pollution', async () => {
    const response = await post('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { polluted: unknown; value: Record<string, unknown> };
    expect(body.polluted).toBeNull();
    expect(Object.keys(body.value)).toEqual(['__proto__', 'constructor']);
  });

  it('bytes that are not UTF-8 inside a JSON string become U+FFFD, as body-parser decodes them', async () => {
    const response = await post(Buffer.concat([Buffer.from('{"s":"a'), Buffer.from([0xff, 0xc0]), Buffer.from('b"}')]));
    expect(await response.json()).toMatchObject({ value: { s: 'a\ufffd\ufffdb' } });
  });

  it('a quoted, upper-case UTF-8 charset is UTF-8; latin1 is a 415', async () => {
    expect((await post('{"ok":1}', 'application/json; charset="UTF-8"')).status).toBe(200);
    expect((await post('{"ok":1}', 'application/json; charset=latin1')).status).toBe(415);
  });
});

describe('broken escapes in the query and the cookie header', () => {
  it('query(): the same values Express parses, no error', async () => {
    const target = '/read?a=%ZZ&b=%E2%9C&c=%2&d=+x+&e=%00&a=2';
    const [mine, theirs] = await Promise.all([
      fetch(`http://127.0.0.1:${server.port}${target}`).then((r) => r.json() as Promise<{ query: Array<[string, string]> }>),
      fetch(`http://127.0.0.1:${nativePort}${target}`).then((r) => r.json() as Promise<{ query: Record<string, string | string[]> }>),
    ]);
    const grouped: Record<string, string | string[]> = {};
    for (const [name, value] of mine.query) {
      const seen = grouped[name];
      grouped[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    expect(grouped).toEqual(theirs.query);
  });

  it('cookies(): a broken escape is kept as sent, junk is skipped', async () => {
    const read = (cookie: string) =>
      fetch(`http://127.0.0.1:${server.port}/read`, { headers: { cookie } }).then((r) => r.json() as Promise<{ cookies: Record<string, string> }>);
    expect((await read('a=%E0%A4%A; b=ok; c=%41')).cookies).toEqual({ a: '%E0%A4%A', b: 'ok', c: 'A' });
    // The cookie package's reading: pairs without '=' are skipped, an empty name is kept.
    expect((await read(';;; =; novalue')).cookies).toEqual({ '': '' });
  });
});
