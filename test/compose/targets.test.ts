/**
 * One target, one meaning (issue 10 §2, PROTOCOL.md §3.3): every row of
 * `targets-table.ts` is written on a raw socket to
 * - Express alone (`http.createServer(app)`), which says where Express routes it;
 * - arrangement 1, the mount in front: `serve(mount({ '/admin': guard,
 *   '/api/v2': v2, '/café': cafe, '/': fromExpress(app) }))`;
 * - arrangement 2, Express guards in front: `app.use('/admin', guard) …
 *   app.use(toExpress(mount({ … })))`, without and with the credential;
 * for Express 4 and Express 5. A refused row must be a 400 before any app
 * runs (or a guard's 401 when Express decides first); a routed row must reach
 * the same prefix Express picks, with the scope PROTOCOL.md §3.3 describes.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import express5 from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toExpress } from '../../src/adapter/index.js';
import { fromExpress } from '../../src/bridge/index.js';
import { mount } from '../../src/compose/index.js';
import { getHeader } from '../../src/protocol/headers.js';
import type { App, Scope } from '../../src/protocol/types.js';
import { rawExchange } from '../differential/raw-client.js';
import { parseHead, RawClient } from '../helpers/raw-socket.js';
import { closeServer, listen } from '../helpers/server.js';
import { startTestServer, type TestServer } from '../server/test-server.js';
import { TABLE_PREFIXES, TARGET_TABLE, type TableRoute, type TargetRow } from './targets-table.js';

type ExpressFactory = typeof express5;
// Express 4 through the `express4` alias package; it has no types of its own, and its API here is Express 5's.
const express4 = createRequire(import.meta.url)('express4') as ExpressFactory;
const CREDENTIAL = 'Bearer ok';
const REFUSAL = /^Bad Request: ambiguous request target \(([a-z0-9-]+)\)$/;

interface Answer {
  status: number;
  body: string;
  json: Record<string, unknown> | undefined;
}

async function ask(port: number, row: TargetRow, headers: Record<string, string> = {}): Promise<Answer> {
  const method = row.method ?? 'GET';
  const head = [`${method} ${row.target} HTTP/1.1`, 'Host: h', 'Connection: close', ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`)];
  const exchange = await rawExchange({ port, request: Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), methods: [method] });
  const response = exchange.responses[0];
  if (response === undefined) throw new Error(`${row.target}: no response (${exchange.end}, ${exchange.socketError ?? 'no error'})`);
  const body = response.body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, body, json };
}

/** What a PAGI app saw of its scope. */
function seenBy(name: string, scope: Scope): Record<string, unknown> {
  if (scope.type === 'lifespan') return {};
  const { path, root_path, raw_path, query_string, state } = scope;
  return { app: name, path, root_path, raw_path, query_string, lifespan: state['test.lifespan'] === true };
}

/** Answers `http`/`sse`/`websocket` with what it saw; `guarded`: 401 without the credential. Takes part in lifespan. */
function reporter(name: string, guarded = false): App {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') {
      await receive();
      scope.state['test.lifespan'] = true;
      await send({ type: 'lifespan.startup.complete' });
      await receive();
      await send({ type: 'lifespan.shutdown.complete' });
      return;
    }
    const body = JSON.stringify(seenBy(name, scope));
    const denied = guarded && getHeader(scope.headers, 'authorization') !== CREDENTIAL;
    if (scope.type === 'websocket' && !denied) {
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: body });
      await send({ type: 'websocket.close' });
      return;
    }
    if (scope.type === 'sse' && !denied) {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: body });
      await send({ type: 'sse.close' });
      return;
    }
    await send({ type: 'http.response.start', status: denied ? 401 : 200, headers: [['content-type', 'application/json']] });
    await send({ type: 'http.response.body', body });
  };
}

function pagiRoutes(): Record<string, App> {
  return Object.fromEntries(TABLE_PREFIXES.map(({ prefix, name }) => [prefix, reporter(name, name === 'admin')]));
}

/** The Express app: which `app.use` prefix took the request. */
function legacyApp(express: ExpressFactory): express5.Express {
  const app = express();
  for (const { express: path, name } of TABLE_PREFIXES) {
    app.use(path, (req, res) => {
      res.json({ express: name, baseUrl: req.baseUrl, url: req.url, originalUrl: req.originalUrl });
    });
  }
  app.use((req, res) => {
    res.json({ express: 'root', url: req.url, originalUrl: req.originalUrl });
  });
  return app;
}

/** Express guards on every prefix, then the same prefixes in a PAGI mount. */
function guardedFront(express: ExpressFactory): express5.Express {
  const app = express();
  for (const { express: path, name } of TABLE_PREFIXES) {
    app.use(path, (req, res, next) => {
      if (req.headers.authorization === CREDENTIAL) next();
      else res.status(401).json({ guard: name });
    });
  }
  app.use(toExpress(mount({ ...pagiRoutes(), '/': reporter('root') })));
  return app;
}

/** The scope fields a routed row promises. */
function expectedScope(row: TargetRow): Record<string, unknown> {
  if (!('route' in row.verdict)) throw new Error('not a routed row');
  const { route, root_path, path, raw_path, query_string = '' } = row.verdict;
  return { app: route, root_path, path, raw_path, query_string };
}

function expectRefusal(answer: Answer, reason: string): void {
  expect(answer.status).toBe(400);
  expect(REFUSAL.exec(answer.body)?.[1]).toBe(reason);
}

function expectParserRefusal(answer: Answer): void {
  expect(answer.status).toBe(400);
  // Node's own 400 has no body; in any case no app and no router answered.
  expect(answer.json).toBeUndefined();
  expect(answer.body).not.toMatch(REFUSAL);
}

const expressVersions: Array<[string, ExpressFactory]> = [
  ['Express 4', express4],
  ['Express 5', express5],
];

describe.each(expressVersions)('%s: every target gets one decision', (_label, express) => {
  let native: http.Server;
  let nativePort: number;
  let front: TestServer;
  let behind: http.Server;
  let behindPort: number;

  beforeAll(async () => {
    native = http.createServer(legacyApp(express));
    nativePort = (await listen(native)).port;
    front = await startTestServer(mount({ ...pagiRoutes(), '/': fromExpress(legacyApp(express)) }));
    behind = http.createServer(guardedFront(express));
    behindPort = (await listen(behind)).port;
  });

  afterAll(async () => {
    await closeServer(native);
    await front?.close();
    await closeServer(behind);
  });

  it.each(TARGET_TABLE.map((row) => [row.target, row.why, row] as const))('%s (%s)', async (_target, _why, row) => {
    const direct = await ask(nativePort, row);
    const first = await ask(front.port, row);
    const second = await ask(behindPort, row);
    const secondWithCredential = await ask(behindPort, row, { authorization: CREDENTIAL });
    const verdict = row.verdict;

    if ('parser' in verdict) {
      for (const answer of [direct, first, second, secondWithCredential]) expectParserRefusal(answer);
      return;
    }
    expect(direct.status).toBe(200);
    const expressRoute = direct.json?.express as TableRoute;

    if ('refused' in verdict) {
      // Arrangement 1: the mount decides first.
      expectRefusal(first, verdict.refused);
      // Arrangement 2: Express's guard decides first where Express routes the
      // target to a prefix; everything that reaches the mount is refused.
      if (expressRoute === 'root') expectRefusal(second, verdict.refused);
      else expect(second).toMatchObject({ status: 401, json: { guard: expressRoute } });
      expectRefusal(secondWithCredential, verdict.refused);
      return;
    }

    // Agreement: Express alone picks the prefix the mount picks.
    expect(expressRoute).toBe(verdict.route);
    const scope = expectedScope(row);
    // Arrangement 1.
    if (verdict.route === 'root') {
      // The bridged Express sees the target as Node gives it (request_target): the same url and originalUrl.
      expect(first).toMatchObject({ status: 200, json: direct.json });
    } else {
      expect(first).toMatchObject({ status: verdict.route === 'admin' ? 401 : 200, json: { ...scope, lifespan: true } });
    }
    // Arrangement 2.
    if (verdict.route === 'root') expect(second).toMatchObject({ status: 200, json: scope });
    else expect(second).toMatchObject({ status: 401, json: { guard: verdict.route } });
    expect(secondWithCredential).toMatchObject({ status: 200, json: scope });
  });

  it('the table is large enough and covers every refusal reason', () => {
    expect(TARGET_TABLE.length).toBeGreaterThanOrEqual(60);
    const reasons = new Set(TARGET_TABLE.flatMap((row) => ('refused' in row.verdict ? [row.verdict.refused] : [])));
    expect([...reasons].sort()).toEqual(
      ['backslash', 'dot-segment', 'empty-segment', 'encoded-separator', 'encoding-mismatch', 'fragment', 'invalid-utf8', 'nul'].sort(),
    );
  });
});

/** A WebSocket handshake written on a raw socket: the status, and the body of a refusal or the first text frame. */
async function handshake(port: number, target: string): Promise<{ status: number; body: string }> {
  const client = await RawClient.connect(port);
  try {
    const request = [
      `GET ${target} HTTP/1.1`,
      'Host: h',
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ];
    await client.write(Buffer.from(`${request.join('\r\n')}\r\n\r\n`, 'latin1'));
    const complete = (text: string): boolean => {
      if (!text.includes('\r\n\r\n')) return false;
      const head = parseHead(text);
      if (head.status === 101) return firstTextFrame(Buffer.from(head.rest, 'latin1')) !== undefined;
      const length = head.headers.find(([name]) => name === 'content-length')?.[1];
      return Buffer.byteLength(head.rest, 'latin1') >= Number(length ?? 0);
    };
    const head = parseHead(await client.waitFor(complete, 5000, `handshake ${target}`));
    const rest = Buffer.from(head.rest, 'latin1');
    return { status: head.status, body: head.status === 101 ? (firstTextFrame(rest) ?? '') : rest.toString('utf8') };
  } finally {
    client.destroy();
  }
}

/** The payload of an unmasked server text frame at the start of `bytes`, once complete. */
function firstTextFrame(bytes: Buffer): string | undefined {
  if (bytes.length < 2) return undefined;
  let length = (bytes[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  }
  return bytes.length < offset + length ? undefined : bytes.subarray(offset, offset + length).toString('utf8');
}

describe('the refusal comes before any app runs on sse and websocket scopes too', () => {
  let front: TestServer;
  const ran: string[] = [];
  const spy = (name: string, app: App): App => async (scope, receive, send) => {
    if (scope.type !== 'lifespan') ran.push(`${name} ${scope.type} ${scope.raw_path}`);
    return app(scope, receive, send);
  };

  beforeAll(async () => {
    const routes = Object.fromEntries(Object.entries(pagiRoutes()).map(([prefix, app]) => [prefix, spy(prefix, app)]));
    front = await startTestServer(mount({ ...routes, '/': spy('/', fromExpress(legacyApp(express5))) }));
  });

  afterAll(async () => {
    await front?.close();
  });

  const refusedRows = TARGET_TABLE.filter((row) => 'refused' in row.verdict);
  const v2Rows = TARGET_TABLE.filter((row) => 'route' in row.verdict && row.verdict.route === 'v2');

  it.each(refusedRows.map((row) => [row.target, row] as const))('sse %s: 400, no app ran', async (_target, row) => {
    ran.length = 0;
    const answer = await ask(front.port, row, { accept: 'text/event-stream' });
    expectRefusal(answer, (row.verdict as { refused: string }).refused);
    expect(ran).toEqual([]);
  });

  it.each(refusedRows.map((row) => [row.target, row] as const))('websocket %s: 400 refusal, no app ran', async (_target, row) => {
    ran.length = 0;
    const answer = await handshake(front.port, row.target);
    expect(answer.status).toBe(400);
    expect(REFUSAL.exec(answer.body)?.[1]).toBe((row.verdict as { refused: string }).refused);
    expect(ran).toEqual([]);
  });

  it.each(v2Rows.map((row) => [row.target, row] as const))('sse and websocket %s reach /api/v2 with the same scope as http', async (_target, row) => {
    const sse = await ask(front.port, row, { accept: 'text/event-stream' });
    expect(sse.status).toBe(200);
    const data = /^data: (.*)$/m.exec(sse.body)?.[1] ?? '';
    expect(JSON.parse(data)).toMatchObject(expectedScope(row));
    const ws = await handshake(front.port, row.target);
    expect(ws.status).toBe(101);
    expect(JSON.parse(ws.body)).toMatchObject({ ...expectedScope(row), lifespan: true });
  });
});

describe('what each layer does with # and \\ (no mount)', () => {
  const echo: App = async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan');
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
    await send({ type: 'http.response.body', body: JSON.stringify({ raw_path: scope.raw_path, path: scope.path, query_string: scope.query_string }) });
  };
  const rows: Array<[string, Record<string, string>]> = [
    ['/admin#x', { raw_path: '/admin#x', path: '/admin#x', query_string: '' }],
    ['/a\\b#c?d#e', { raw_path: '/a\\b#c', path: '/a\\b#c', query_string: 'd#e' }],
    ['http://h/admin#/x', { raw_path: '/admin#/x', path: '/admin#/x', query_string: '' }],
    ['/x?q=\\', { raw_path: '/x', path: '/x', query_string: 'q=\\' }],
  ];

  it("serve() keeps them in raw_path as Node's parser received them (the server routes nothing)", async () => {
    const server = await startTestServer(echo);
    try {
      for (const [target, expected] of rows) expect((await ask(server.port, { target, verdict: { parser: true }, why: '' })).json).toEqual(expected);
    } finally {
      await server.close();
    }
  });
});
