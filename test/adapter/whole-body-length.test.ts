/**
 * A response whose body arrives whole (the first body event has `more`
 * false) is framed by `content-length`, as Node frames `res.end(body)`;
 * everything else keeps the framing it had (PROTOCOL.md §3.2, §4.5).
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { App, HeadersInput } from '../../src/protocol/types.js';
import { closeServer, listen, servePagi, type PagiServer } from '../helpers/server.js';
import { RawClient, decodeChunked, parseHead, rawExchange } from '../helpers/raw-socket.js';

const servers: PagiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function answer(status: number, headers: HeadersInput, bodies: Array<{ body: string; more?: boolean }>, trailers?: boolean): App {
  return async (_scope, _receive, send) => {
    await send({ type: 'http.response.start', status, headers, ...(trailers ? { trailers } : {}) });
    for (const b of bodies) await send({ type: 'http.response.body', ...b });
    if (trailers) await send({ type: 'http.response.trailers', headers: [['x-t', '1']] });
  };
}

async function exchange(app: App, request = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'): Promise<ReturnType<typeof parseHead>> {
  const server = await servePagi(app);
  servers.push(server);
  return parseHead(await rawExchange(server.port, request));
}

const header = (head: ReturnType<typeof parseHead>, name: string): string | undefined => head.headers.find(([n]) => n === name)?.[1];

describe('content-length for a body sent whole', () => {
  it('matches what node:http sends for res.end(body), byte count of UTF-8 included', async () => {
    const native = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('héllo');
    });
    const { port } = await listen(native);
    try {
      const fromNode = parseHead(await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      const fromPagi = await exchange(answer(200, [['content-type', 'text/plain; charset=utf-8']], [{ body: 'héllo' }]));
      expect(header(fromPagi, 'content-length')).toBe(header(fromNode, 'content-length'));
      expect(header(fromPagi, 'content-length')).toBe('6');
      expect(header(fromPagi, 'transfer-encoding')).toBeUndefined();
    } finally {
      await closeServer(native);
    }
  });

  it('is added for an empty whole body and for HTTP/1.0, which then stays alive when asked', async () => {
    expect(header(await exchange(answer(200, [], [{ body: '' }])), 'content-length')).toBe('0');
    const server = await servePagi(answer(200, [], [{ body: 'abc' }]));
    servers.push(server);
    const client = await RawClient.connect(server.port);
    try {
      await client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const old = parseHead(await client.waitFor((t) => t.endsWith('abc')));
      expect(header(old, 'content-length')).toBe('3');
      expect(header(old, 'connection')?.toLowerCase()).toBe('keep-alive');
    } finally {
      client.destroy();
    }
  });

  it('is not added when the body streams, the app framed it, or trailers follow', async () => {
    const streamed = await exchange(answer(200, [], [{ body: 'a', more: true }, { body: 'b' }]));
    expect(header(streamed, 'transfer-encoding')).toBe('chunked');
    expect(decodeChunked(streamed.rest).body).toBe('ab');

    const own = await exchange(answer(200, [['content-length', '3']], [{ body: 'abc' }]));
    expect(own.headers.filter(([n]) => n === 'content-length')).toEqual([['content-length', '3']]);

    const chunkedByApp = await exchange(answer(200, [['transfer-encoding', 'chunked']], [{ body: 'abc' }]));
    expect(header(chunkedByApp, 'content-length')).toBeUndefined();
    expect(decodeChunked(chunkedByApp.rest).body).toBe('abc');

    const withTrailers = await exchange(answer(200, [], [{ body: 'abc' }], true));
    expect(header(withTrailers, 'content-length')).toBeUndefined();
    expect(decodeChunked(withTrailers.rest)).toMatchObject({ body: 'abc', complete: true });
  });

  it('follows HEAD and bodiless statuses: the GET length for HEAD, none for an empty HEAD, 204 or 304', async () => {
    const head = await exchange(answer(200, [], [{ body: 'hello' }]), 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(header(head, 'content-length')).toBe('5');
    expect(head.rest).toBe('');
    const emptyHead = await exchange(answer(200, [], [{ body: '' }]), 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(header(emptyHead, 'content-length')).toBeUndefined();
    for (const status of [204, 304]) {
      const none = await exchange(answer(status, [], [{ body: '' }]));
      expect(header(none, 'content-length'), String(status)).toBeUndefined();
      expect(header(none, 'transfer-encoding'), String(status)).toBeUndefined();
    }
  });
});

describe('a small whole body sent in one chunk with the head', () => {
  it('keeps every byte value, for Buffers, offset views and plain Uint8Arrays, either side of the one-chunk size', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const bodies: Uint8Array[] = [
      all,
      all.subarray(100, 200),
      new Uint8Array(all),
      Buffer.alloc(1024, 0xe9),
      Buffer.alloc(1025, 0xff),
    ];
    let next = 0;
    const server = await servePagi(async (_scope, _receive, send) => {
      const body = bodies[next++] as Uint8Array;
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/octet-stream']] });
      await send({ type: 'http.response.body', body });
    });
    servers.push(server);
    for (const body of bodies) {
      const text = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const head = parseHead(text);
      expect(header(head, 'content-length')).toBe(String(body.length));
      expect(Buffer.from(head.rest, 'latin1').equals(Buffer.from(body))).toBe(true);
    }
  });
});
