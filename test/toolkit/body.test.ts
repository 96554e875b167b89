/**
 * The buffering body readers over a real server (toNodeListener on
 * 127.0.0.1:0) with real clients: limits (declared and streamed), content
 * types, charsets, malformed JSON and forms, `sse` scopes, reading twice, and
 * a client that leaves mid-body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Disconnected } from '../../src/protocol/errors.js';
import type { App } from '../../src/protocol/types.js';
import { BodyAlreadyRead, handleErrors, readBytes, readForm, readJson, readMultipart, readText, sendJson } from '../../src/toolkit/index.js';
import { RawClient } from '../helpers/raw-socket.js';
import { httpLike } from '../helpers/scope.js';
import { servePagi, waitUntil, type PagiServer } from '../helpers/server.js';

const outcomes: string[] = [];

const app: App = handleErrors(
  async (s, receive, send) => {
    const scope = httpLike(s);
    const limit = Number(new URLSearchParams(scope.query_string).get('limit') ?? 1024);
    try {
      switch (scope.path) {
        case '/json':
          return await sendJson(send, 200, { type: scope.type, value: await readJson(scope, receive, { limit }) });
        case '/text':
          return await sendJson(send, 200, { text: await readText(scope, receive, { limit }) });
        case '/form':
          return await sendJson(send, 200, { form: [...(await readForm(scope, receive, { limit, parameterLimit: 3 }))] });
        case '/bytes': {
          const bytes = await readBytes(scope, receive, { limit });
          return await sendJson(send, 200, { length: bytes.length, first: bytes[0], last: bytes[bytes.length - 1] });
        }
        case '/twice': {
          const bytes = await readBytes(scope, receive, { limit });
          const again = await readJson(scope, receive, { limit });
          let streamed = 'allowed';
          try {
            readMultipart(scope, receive);
          } catch (error) {
            streamed = (error as BodyAlreadyRead).code;
          }
          return await sendJson(send, 200, { same: bytes.toString() === JSON.stringify(again), streamed });
        }
        default:
          throw new Error(`no such test path ${scope.path}`);
      }
    } catch (error) {
      outcomes.push(error instanceof Disconnected ? `disconnected:${error.reason}` : `error:${(error as Error).message}`);
      throw error;
    }
  },
  { logger: { error: () => {} } },
);

let server: PagiServer;
beforeAll(async () => {
  server = await servePagi(app);
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: string | Uint8Array, contentType?: string, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('readJson', () => {
  it('parses JSON, also application/*+json and a BOM', async () => {
    expect(JSON.parse((await post('/json', '{"a":[1,"✓"]}', 'application/json')).text)).toEqual({ type: 'http', value: { a: [1, '✓'] } });
    expect((await post('/json', '"x"', 'application/merge-patch+json; charset=UTF-8')).status).toBe(200);
    expect(JSON.parse((await post('/json', '\ufeff{"b":2}', 'application/json')).text).value).toEqual({ b: 2 });
  });

  it('answers broken and empty JSON with 400 naming the problem', async () => {
    const broken = await post('/json', '{"a":', 'application/json');
    expect(broken.status).toBe(400);
    expect(broken.type).toBe('text/plain; charset=utf-8');
    expect(broken.text).toMatch(/^request body is not valid JSON: /);
    const empty = await post('/json', '  ', 'application/json');
    expect([empty.status, empty.text]).toEqual([400, 'request body is empty, expected JSON']);
  });

  it('answers a wrong or missing content type with 415, and a non-UTF-8 charset too', async () => {
    expect(await post('/json', '{}', 'text/plain')).toMatchObject({ status: 415, text: "unsupported media type: expected application/json or application/*+json, got 'text/plain'" });
    expect((await post('/json', '{}', undefined)).status).toBe(415); // fetch says text/plain;charset=UTF-8
    expect(await post('/json', '{}', 'application/json; charset=latin1')).toMatchObject({ status: 415, text: 'unsupported charset "latin1": expected utf-8' });
  });
});

describe('limits', () => {
  it('refuses a declared content-length over the limit before reading a byte', async () => {
    const client = await RawClient.connect(server.port);
    // Announce 10 MB and send none of it: the answer must not wait for the body.
    await client.write('POST /json?limit=100 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n');
    const head = await client.waitFor((t) => t.includes('\r\n\r\n') && t.includes('bytes'), 3000, '413 response');
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head).toContain('request body is larger than 100 bytes');
    client.socket.destroy();
  });

  it('stops a chunked body at the chunk that crosses the limit', async () => {
    const big = async function* () {
      for (let i = 0; i < 100; i++) yield new Uint8Array(512).fill(0x61);
    };
    const res = await fetch(`${server.url}/bytes?limit=2000`, { method: 'POST', body: ReadableStream.from(big()), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    await res.arrayBuffer();
  });

  it('accepts a body of exactly the limit, and binary bytes arrive intact', async () => {
    const bytes = new Uint8Array(1024).map((_, i) => i % 256);
    bytes[0] = 0x0d;
    bytes[1023] = 0x0a;
    expect(JSON.parse((await post('/bytes', bytes, 'application/octet-stream')).text)).toEqual({ length: 1024, first: 13, last: 10 });
    expect((await post('/bytes', new Uint8Array(1025), 'application/octet-stream')).status).toBe(413);
  });
});

describe('readText charsets', () => {
  it('decodes the charset the content-type names', async () => {
    expect(JSON.parse((await post('/text', Buffer.from('caf\xe9', 'latin1'), 'text/plain; charset=ISO-8859-1')).text).text).toBe('café');
    expect(JSON.parse((await post('/text', Buffer.from('hé', 'utf16le'), 'text/plain; charset="utf-16le"')).text).text).toBe('hé');
    expect(JSON.parse((await post('/text', Buffer.from([0x82, 0xa0]), 'text/plain; charset=shift_jis')).text).text).toBe('あ');
    expect(JSON.parse((await post('/text', 'plain ✓', 'text/plain')).text).text).toBe('plain ✓');
  });

  it('answers an unknown charset with 415', async () => {
    expect(await post('/text', 'x', 'text/plain; charset=x-klingon')).toMatchObject({ status: 415, text: 'unsupported charset "x-klingon"' });
    expect((await post('/text', 'x', 'text/plain; charset=utf-7')).status).toBe(415);
  });
});

describe('readForm', () => {
  it('parses urlencoded bodies', async () => {
    const res = await post('/form', 'a=1&b=x+y&c=%E2%9C%93', 'application/x-www-form-urlencoded');
    expect(JSON.parse(res.text).form).toEqual([['a', '1'], ['b', 'x y'], ['c', '✓']]);
  });

  it('answers too many parameters with 413 and a wrong type with 415', async () => {
    expect((await post('/form', 'a=1&b=2&c=3&d=4', 'application/x-www-form-urlencoded')).status).toBe(413);
    expect((await post('/form', 'a=1', 'application/json')).status).toBe(415);
    expect((await post('/form', 'a=1', 'application/x-www-form-urlencoded; charset=shift_jis')).status).toBe(415);
  });
});

describe('reading on sse scopes, twice, and after the client left', () => {
  it('reads the body of an sse scope (sse.request events)', async () => {
    const res = await post('/json', '{"q":1}', 'application/json', { accept: 'text/event-stream' });
    expect(JSON.parse(res.text)).toEqual({ type: 'sse', value: { q: 1 } });
  });

  it('shares the buffered bytes between readers and refuses a later stream', async () => {
    expect(JSON.parse((await post('/twice', '{"z":true}', 'application/json')).text)).toEqual({ same: true, streamed: 'ERR_PAGI_BODY_ALREADY_READ' });
  });

  it('rejects with Disconnected when the client leaves mid-body', async () => {
    outcomes.length = 0;
    const client = await RawClient.connect(server.port);
    await client.write('POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nonly part of it');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.socket.destroy();
    await waitUntil(() => outcomes.length > 0, 3000, 'the reader to see the disconnect');
    expect(outcomes).toEqual(['disconnected:client_closed']);
  });
});
