// The response-side extensions for native PAGI apps: reason_phrase, final_informational and
// late_trailers on toNodeListener, serve() (HTTP/1.1 and HTTP/2) and TestClient, on real sockets.
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { InvalidEvent, OutOfOrder } from '../../src/protocol/errors.js';
import type { App, HTTPScope, SendEvent } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';
import { servePagi, type PagiServer } from '../helpers/server.js';
import { rawExchange } from '../helpers/raw-socket.js';
import { startTestServer, type TestServer } from '../server/test-server.js';
import { closeH2, connectH2, h2request } from '../server/http2/h2-client.js';

let servers: Array<PagiServer | TestServer> = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function listener(app: App): Promise<number> {
  const server = await servePagi(app);
  servers.push(server);
  return server.port;
}

const GET = (path: string, version = '1.1'): string => `GET ${path} HTTP/${version}\r\nHost: x\r\n${version === '1.1' ? 'Connection: close\r\n' : ''}\r\n`;

/** Sends `attempts` in order (recording each outcome), then a plain 200 unless one of them succeeded as a terminal answer. */
function attemptsApp(attempts: (scope: HTTPScope) => SendEvent[][], outcomes: string[]): App {
  return async (scope, _receive, send) => {
    if (scope.type !== 'http') return;
    const offered = ['reason_phrase', 'final_informational', 'late_trailers'].filter((name) => scope.extensions[name] !== undefined);
    outcomes.push(`offered=${offered.join(',')}`);
    for (const events of attempts(scope)) {
      try {
        for (const event of events) await send(event);
        outcomes.push('sent');
        return;
      } catch (error) {
        outcomes.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
    }
    await send({ type: 'http.response.start', status: 200 });
    await send({ type: 'http.response.body', body: 'fallback' });
  };
}

const goodReason: SendEvent[] = [
  { type: 'http.response.start', status: 202, reason: 'Accepted Later', headers: [['content-type', 'text/plain']] },
  { type: 'http.response.body', body: 'later' },
];
const reasonApp = Object.assign(
  (outcomes: string[]): App =>
    attemptsApp(
      () => [
        [{ type: 'http.response.start', status: 200, reason: 'Bad\r\nX-Injected: 1' }],
        [{ type: 'http.response.start', status: 200, reason: '\u20ac' }],
        goodReason,
      ],
      outcomes,
    ),
  { good: goodReason },
);

describe('reason_phrase', () => {
  it('toNodeListener writes the reason; CR/LF and chars above U+00FF are InvalidEvent naming reason', async () => {
    const outcomes: string[] = [];
    const wire = await rawExchange(await listener(reasonApp(outcomes)), GET('/'));
    expect(wire).toMatch(/^HTTP\/1\.1 202 Accepted Later\r\n/);
    expect(wire).not.toContain('X-Injected');
    expect(outcomes[0]).toBe('offered=reason_phrase,final_informational,late_trailers');
    expect(outcomes[1]).toMatch(/^InvalidEvent: http\.response\.start: reason must not contain U\+0D/);
    expect(outcomes[2]).toMatch(/^InvalidEvent: http\.response\.start: reason must not contain U\+20AC/);
    expect(outcomes[3]).toBe('sent');
  });

  it('an HTTP/1.0 request is offered reason_phrase only', async () => {
    const outcomes: string[] = [];
    const wire = await rawExchange(await listener(reasonApp(outcomes)), GET('/', '1.0'));
    expect(wire).toMatch(/^HTTP\/1\.1 202 Accepted Later\r\n/);
    expect(outcomes[0]).toBe('offered=reason_phrase');
  });

  it('serve() writes it on HTTP/1.1; over HTTP/2 (no reason phrase) it is not offered and refused', async () => {
    const outcomes: string[] = [];
    const server = await startTestServer(reasonApp(outcomes), { http2: true });
    servers.push(server);
    expect(await rawExchange(server.port, GET('/'))).toMatch(/^HTTP\/1\.1 202 Accepted Later\r\n/);
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/' });
      expect([answer.status, answer.body]).toEqual([200, 'fallback']);
    } finally {
      await closeH2(session);
    }
    expect(outcomes.slice(4)).toEqual([
      'offered=late_trailers',
      ...Array.from({ length: 3 }, () => expect.stringMatching(/^InvalidEvent: http\.response\.start: reason needs the reason_phrase extension/)),
    ]);
  });

  it('TestClient offers it by default and reports response.reason; without the key the start is refused', async () => {
    // TestClient fails a request on any refused send, so only the good start here.
    const client = new TestClient(attemptsApp(() => [reasonApp.good], []));
    const response = await client.get('/');
    expect([response.status, response.reason, await response.text()]).toEqual([202, 'Accepted Later', 'later']);
    const bare = new TestClient(attemptsApp(() => [[{ type: 'http.response.start', status: 200, reason: 'Fine' }]], []), { extensions: {} });
    await expect(bare.get('/')).rejects.toThrow(InvalidEvent);
  });
});

const goodFinal: SendEvent[] = [
  { type: 'http.response.start', status: 102, headers: [['x-final', '1']] },
  { type: 'http.response.body', body: 'dropped as Node drops it' },
];
const finalApp = Object.assign(
  (outcomes: string[]): App => attemptsApp(() => [[{ type: 'http.response.start', status: 101 }], goodFinal], outcomes),
  { good: goodFinal },
);

describe('final_informational', () => {
  it('toNodeListener writes a final 102 as Node does (head only, connection kept); 101 is always refused', async () => {
    const outcomes: string[] = [];
    const port = await listener(finalApp(outcomes));
    // The client takes the 102 as interim: the pipelined request's answer completes the connection.
    const wire = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\n\r\n${GET('/next')}`);
    expect(wire).toMatch(/^HTTP\/1\.1 102 Processing\r\nx-final: 1\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nHTTP\/1\.1 102 Processing\r\n/);
    expect(wire).not.toContain('dropped');
    // Node reads the pipelined request while the first is answered: the two apps' outcomes interleave.
    expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(2);
    expect(outcomes).toContainEqual(
      expect.stringMatching(/^InvalidEvent: http\.response\.start: status must be an integer from 200 to 999, got 101 \(101 is only sent by the server/),
    );
  });

  it('HTTP/1.0 is not offered it: a final 1xx is InvalidEvent naming the extension', async () => {
    const outcomes: string[] = [];
    expect(await rawExchange(await listener(finalApp(outcomes)), GET('/', '1.0'))).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(outcomes[2]).toMatch(/^InvalidEvent: http\.response\.start: status .*got 102 \(a final 1xx status needs the final_informational extension/);
  });

  it('TestClient offers it by default', async () => {
    const response = await new TestClient(attemptsApp(() => [finalApp.good], [])).get('/');
    expect([response.status, await response.text()]).toEqual([102, 'dropped as Node drops it']);
  });
});

describe('late_trailers', () => {
  it('toNodeListener ends a chunked body with trailers the start did not promise; never after a content-length', async () => {
    const outcomes: string[] = [];
    const port = await listener(attemptsApp((scope) => [lateEvents(scope.path)], outcomes));
    expect(await rawExchange(port, GET('/a'))).toMatch(/\r\nTransfer-Encoding: chunked\r\n\r\n.*streamed \/a\r\n0\r\nx-checksum: abc\r\n\r\n$/s);
    expect(outcomes).toEqual(['offered=reason_phrase,final_informational,late_trailers', 'sent']);
    let refusal: unknown;
    const framed = await listener(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '1']] });
      await send({ type: 'http.response.body', body: 'x', more: true });
      refusal = await send({ type: 'http.response.trailers', headers: [['x-never', '1']] }).catch((error: unknown) => error);
      await send({ type: 'http.response.body', body: '' });
    });
    const wire = await rawExchange(framed, GET('/'));
    expect(refusal).toBeInstanceOf(OutOfOrder);
    expect(String(refusal)).toMatch(/no trailers: the response is framed by content-length/);
    expect(wire).toMatch(/\r\ncontent-length: 1\r\n.*\r\n\r\nx$/s);
  });

  it('serve() over HTTP/1.1 and HTTP/2 sends them', async () => {
    const server = await startTestServer(attemptsApp((scope) => [lateEvents(scope.path)], []), { http2: true });
    servers.push(server);
    const wire = await rawExchange(server.port, GET('/h1'));
    expect(wire).toMatch(/Transfer-Encoding: chunked\r\n\r\n.*streamed \/h1\r\n0\r\nx-checksum: abc\r\n\r\n$/s);
    const session = await connectH2(server.url);
    try {
      const answer = await h2request(session, { ':path': '/h2' });
      expect([answer.body, answer.trailers?.['x-checksum']]).toEqual(['streamed /h2', 'abc']);
    } finally {
      await closeH2(session);
    }
  });

  it('HTTP/1.0 is not offered it; TestClient is, and records them (without the key: OutOfOrder)', async () => {
    const outcomes: string[] = [];
    await rawExchange(await listener(attemptsApp((scope) => [lateEvents(scope.path)], outcomes)), GET('/', '1.0'));
    expect(outcomes).toEqual(['offered=reason_phrase', expect.stringMatching(/^OutOfOrder: .*\(or the late_trailers extension\)/)]);
    const response = await new TestClient(attemptsApp((scope) => [lateEvents(scope.path)], [])).get('/t');
    expect(await response.text()).toBe('streamed /t');
    expect(response.trailers?.get('x-checksum')).toBe('abc');
    const bare = await new TestClient(attemptsApp((scope) => [lateEvents(scope.path)], []), { extensions: {} }).get('/t');
    await expect(bare.text()).rejects.toThrow(OutOfOrder);
  });
});

function lateEvents(path: string): SendEvent[] {
  return [
    { type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] },
    { type: 'http.response.body', body: `streamed ${path}`, more: true },
    { type: 'http.response.trailers', headers: [['x-checksum', 'abc']] },
  ];
}

describe('header_case on the response (header_names)', () => {
  const spelled: SendEvent[] = [
    { type: 'http.response.start', status: 200, headers: [['x-request-id', '7'], ['content-type', 'text/plain'], ['x-plain', '1']], header_names: ['Content-Type', 'X-Request-ID', 'X-Unused'] },
    { type: 'http.response.body', body: 'spelled' },
  ];

  it('toNodeListener writes each name it spells as spelled, the rest lower-case; a bad name is InvalidEvent naming it', async () => {
    const outcomes: string[] = [];
    const app = attemptsApp(
      () => [[{ type: 'http.response.start', status: 200, headers: [['x-a', '1']], header_names: ['X A'] }], spelled],
      outcomes,
    );
    const wire = await rawExchange(await listener(app), GET('/'));
    expect(wire).toMatch(/^HTTP\/1\.1 200 OK\r\nX-Request-ID: 7\r\nContent-Type: text\/plain\r\nx-plain: 1\r\n/);
    expect(outcomes[1]).toMatch(/^InvalidEvent: http\.response\.start: header_names\[0\] is not a valid header name: "X A"/);
  });

  it('HTTP/2 does not offer it: header_names is refused', async () => {
    const outcomes: string[] = [];
    const server = await startTestServer(attemptsApp(() => [spelled], outcomes), { http2: true });
    servers.push(server);
    const session = await connectH2(server.url);
    try {
      expect((await h2request(session, { ':path': '/' })).body).toBe('fallback');
    } finally {
      await closeH2(session);
    }
    expect(outcomes[1]).toMatch(/header_names needs the header_case extension/);
  });

  it("TestClient offers it: raw_headers as the test spelled them (Cookie headers separate), the start's spellings in response.rawHeaders", async () => {
    let raw: unknown;
    const app: App = async (scope, receive, send) => {
      raw = (scope as HTTPScope).extensions?.['header_case'];
      await receive();
      for (const event of spelled) await send(event);
    };
    const client = new TestClient(app, { headers: { 'X-Tenant': 'acme' } });
    const response = await client.get('/', { headers: [['X-Request-ID', 'abc'], ['Cookie', 'a=1'], ['Cookie', 'b=2']] });
    expect(raw).toEqual({ raw_headers: ['host', 'testserver', 'X-Tenant', 'acme', 'X-Request-ID', 'abc', 'Cookie', 'a=1', 'Cookie', 'b=2'] });
    expect(response.rawHeaders).toEqual(['X-Request-ID', '7', 'Content-Type', 'text/plain', 'x-plain', '1']);
    expect(response.headers.get('x-request-id')).toBe('7');
    // Without the key (explicit extensions), the start is refused.
    await expect(new TestClient(attemptsApp(() => [spelled], []), { extensions: {} }).get('/')).rejects.toThrow(InvalidEvent);
  });

  it('TestClient with a bridged Express app: req.rawHeaders keeps the spelling, res.setHeader spellings reach response.rawHeaders', async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.setHeader('X-Echo', JSON.stringify(req.rawHeaders));
      res.send('ok');
    });
    const response = await new TestClient(fromExpress(app)).get('/', { headers: [['X-Trace', 't1'], ['Cookie', 'a=1'], ['Cookie', 'b=2']] });
    expect(JSON.parse(response.headers.get('x-echo') ?? '[]')).toEqual(['host', 'testserver', 'X-Trace', 't1', 'Cookie', 'a=1', 'Cookie', 'b=2']);
    expect(response.rawHeaders).toContain('X-Echo');
    expect(response.rawHeaders).toContain('Content-Type');
  });
});
