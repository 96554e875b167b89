/**
 * PROTOCOL.md §1 deviation 9 through the toolkit: a route that forgets the
 * `await` on a response helper (`sendJson`, `sendFile`, `sse.send`,
 * `socket.send`) after the client left must not end the process. The
 * helper's promise relays the server's: the server logs the failed send once
 * ("missing await?") and keeps serving; an awaited helper rejects as usual
 * and nothing is logged. A helper that fails before sending (a value JSON
 * cannot hold) is logged once by the toolkit.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { Disconnected } from '../../src/protocol/errors.js';
import { createLogger } from '../../src/server/logger.js';
import { serve, type ServerHandle } from '../../src/server/index.js';
import { router, sendFile, sendJson } from '../../src/toolkit/index.js';
import { waitUntil, withDeadline } from '../helpers/server.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  lines.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

const lines: string[] = [];
/** What each route saw once its late helper settled (or was left to the server). */
const done: Record<string, unknown> = {};

const app = router()
  .get('/forgets', async ({ scope }) => {
    await scope['pagi.connection'].disconnect_future();
    done.forgets = 'called';
  })
  .get('/json', async ({ scope, send }) => {
    await scope['pagi.connection'].disconnect_future();
    void sendJson(send, 200, { late: true });
    done.json = true;
  })
  .get('/json-awaited', async ({ scope, send }) => {
    await scope['pagi.connection'].disconnect_future();
    done['json-awaited'] = await sendJson(send, 200, { late: true }).then(
      () => 'sent',
      (error: unknown) => error,
    );
  })
  .get('/file', async ({ scope, send }) => {
    await scope['pagi.connection'].disconnect_future();
    void sendFile(send, scope, new URL(import.meta.url).pathname);
    done.file = true;
  })
  .get('/not-json', ({ send }) => {
    void sendJson(send, 200, 10n);
    return sendJson(send, 200, { fine: true });
  })
  .sse('/events', async ({ sse }) => {
    await sse.send({ data: 'first' });
    await sse.ended();
    void sse.send({ data: 'late' });
    done.events = true;
  })
  .websocket('/socket', async ({ socket }) => {
    await socket.send('hello');
    for await (const _message of socket) {
      // Reads until the peer leaves.
    }
    void socket.send('late');
    done.socket = true;
  });

let server: ServerHandle;
let port = 0;
beforeAll(async () => {
  server = await serve(app, { host: '127.0.0.1', port: 0, logger: createLogger('error', (line) => void lines.push(line)) });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.close();
});

/** Sends a request head and leaves once the handler is waiting. */
async function requestAndLeave(path: string, headers = ''): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
  if (headers !== '') await withDeadline(new Promise((resolve) => socket.once('data', resolve)), 5000, 'the first event');
  else await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
}

async function stillServing(): Promise<void> {
  const response = await fetch(`${server.url}/not-json`, { signal: AbortSignal.timeout(5000) });
  expect(await response.json()).toEqual({ fine: true });
}

const reported = (event: string, path: string) => `pagi error: send(${event}) failed and nothing awaited it (${path}; missing await?)`;
const reports = () => lines.filter((line) => line.includes('nothing awaited it'));

describe('a toolkit helper left unawaited after the client left', () => {
  it('sendJson: the server logs the failed start once; no unhandled rejection; the process serves on', async () => {
    await requestAndLeave('/json');
    await waitUntil(() => reports().length > 0, 5000, 'the report');
    await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more comes
    expect(reports()).toEqual([expect.stringContaining(reported('http.response.start', 'GET /json'))]);
    expect(reports()[0]).toContain('Disconnected');
    expect(done.json).toBe(true);
    expect(unhandled).toEqual([]);
    await stillServing();
  });

  it('an awaited sendJson rejects with Disconnected, and nothing is logged', async () => {
    await requestAndLeave('/json-awaited');
    await waitUntil(() => done['json-awaited'] !== undefined, 5000, 'the handler');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done['json-awaited']).toBeInstanceOf(Disconnected);
    expect(reports()).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('sendFile: the same, one line', async () => {
    await requestAndLeave('/file');
    await waitUntil(() => reports().length > 0, 5000, 'the report');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports()).toEqual([expect.stringContaining(reported('http.response.start', 'GET /file'))]);
    expect(unhandled).toEqual([]);
    await stillServing();
  });

  it('sse.send: one line', async () => {
    await requestAndLeave('/events', 'Accept: text/event-stream\r\n');
    await waitUntil(() => reports().length > 0, 5000, 'the report');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports()).toEqual([expect.stringContaining(reported('sse.send', 'GET /events'))]);
    expect(done.events).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it('socket.send: no unhandled rejection, at most one line', async () => {
    const client = new WebSocket(`${server.url.replace('http', 'ws')}/socket`);
    await withDeadline(new Promise((resolve) => client.once('message', resolve)), 5000, 'hello');
    client.terminate();
    await waitUntil(() => done.socket === true, 5000, 'the handler');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // serve()'s WebSocket session rejects a send after the peer left with a plain promise (no
    // "missing await?" report of its own yet); the router's bookkeeping handles it, so it is quiet.
    expect(reports().filter((line) => !line.includes(reported('websocket.send', 'websocket /socket')))).toEqual([]);
    expect(reports().length).toBeLessThanOrEqual(1);
    expect(unhandled).toEqual([]);
  });

  it('a helper that fails before sending (a BigInt for sendJson) is logged once by the toolkit', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await stillServing();
      await waitUntil(() => errors.mock.calls.length > 0, 5000, 'the toolkit log');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors.mock.calls.map((call) => call[0])).toEqual(['pagi/toolkit: sendJson failed and nothing awaited it (missing await?)']);
      expect(errors.mock.calls[0]?.[1]).toBeInstanceOf(TypeError);
    } finally {
      errors.mockRestore();
    }
    expect(unhandled).toEqual([]);
  });
});
