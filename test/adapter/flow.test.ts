/**
 * Backpressure, large bodies with bounded memory, client aborts, body limits
 * and listener hygiene.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Disconnected } from '../../src/protocol/errors.js';
import type { AdapterOptions } from '../../src/adapter/index.js';
import type { App, HTTPRequestEvent, ReceiveEvent } from '../../src/protocol/types.js';
import { recordingLogger, servePagi, waitUntil, withDeadline, type PagiServer } from '../helpers/server.js';
import { RawClient, parseHead, rawExchange } from '../helpers/raw-socket.js';
import { connectionOf, httpLike } from '../helpers/scope.js';
import { peakLiveRssGrowth } from '../helpers/memory.js';

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App, options?: AdapterOptions): Promise<PagiServer> {
  current = await servePagi(app, options);
  return current;
}

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Deterministic chunk `i` of a generated stream. */
function chunkOf(i: number): Buffer {
  return Buffer.alloc(CHUNK, i % 251);
}

describe('large bodies with bounded memory', () => {
  it('receives a 100 MB upload chunk by chunk', async () => {
    const total = 100 * MB;
    let received = 0;
    const serverHash = createHash('sha256');
    const { port } = await serve(async (_scope, receive, send) => {
      for (;;) {
        const event = (await receive()) as HTTPRequestEvent;
        received += event.body.length;
        serverHash.update(event.body);
        if (!event.more) break;
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: String(received) });
    });
    const clientHash = createHash('sha256');
    const growth = await peakLiveRssGrowth(async () => {
      const answer = await withDeadline(
        new Promise<string>((resolve, reject) => {
          const req = http.request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': total } });
          req.on('error', reject);
          req.on('response', (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => resolve(text));
          });
          let i = 0;
          const pump = (): void => {
            while (i < total / CHUNK) {
              const chunk = chunkOf(i++);
              clientHash.update(chunk);
              if (!req.write(chunk)) {
                req.once('drain', pump);
                return;
              }
            }
            req.end();
          };
          pump();
        }),
        60_000,
        '100 MB upload',
      );
      expect(answer).toBe(String(total));
    });
    expect(received).toBe(total);
    expect(serverHash.digest('hex')).toBe(clientHash.digest('hex'));
    expect(growth).toBeLessThan(64 * MB);
  });

  it('streams a 100 MB response generated on the fly', async () => {
    const total = 100 * MB;
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/octet-stream']] });
      for (let i = 0; i < total / CHUNK; i++) await send({ type: 'http.response.body', body: chunkOf(i), more: true });
      await send({ type: 'http.response.body' });
    });
    let bytes = 0;
    const growth = await peakLiveRssGrowth(() =>
      withDeadline(
        new Promise<void>((resolve, reject) => {
          http
            .get({ port, host: '127.0.0.1' }, (res) => {
              res.on('data', (d: Buffer) => (bytes += d.length));
              res.on('end', () => resolve());
              res.on('error', reject);
            })
            .on('error', reject);
        }),
        60_000,
        '100 MB download',
      ),
    );
    expect(bytes).toBe(total);
    expect(growth).toBeLessThan(64 * MB);
  });
});

describe('backpressure and aborts', () => {
  it('keeps send pending while the client does not read (slow reader)', async () => {
    let resolvedSends = 0;
    let finished = false;
    const total = 32 * MB;
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', String(total)]] });
      for (let i = 0; i < total / CHUNK; i++) {
        await send({ type: 'http.response.body', body: chunkOf(i), more: i < total / CHUNK - 1 });
        resolvedSends++;
      }
      finished = true;
    });
    const socket = net.connect(port, '127.0.0.1');
    try {
      await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
      socket.pause();
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      // Wait until the sends stop making progress: the socket buffers are full.
      let last = -1;
      await waitUntil(
        () => {
          const stalled = resolvedSends === last && resolvedSends > 0;
          last = resolvedSends;
          return stalled;
        },
        10_000,
        'sends to stall',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stalledAt = resolvedSends;
      expect(stalledAt).toBeLessThan(total / CHUNK);
      expect(resolvedSends).toBe(stalledAt);
      // Reading again releases the pending send and the rest follows.
      let received = 0;
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.resume();
      await waitUntil(() => finished && received >= total, 30_000, 'response to finish');
    } finally {
      socket.destroy();
    }
  });

  it('exposes the outbound buffer through pagi.transport with high-water and drain edges', async () => {
    const edges: string[] = [];
    let bufferedAtHigh = -1;
    let finished = false;
    const total = 32 * MB;
    const { port } = await serve(async (scope, _receive, send) => {
      const transport = httpLike(scope)['pagi.transport'];
      if (transport === undefined) throw new Error('no pagi.transport');
      expect(transport.high_water_mark()).toBeGreaterThan(0);
      expect(transport.low_water_mark()).toBe(0);
      transport.on_high_water(() => {
        edges.push('high');
        bufferedAtHigh = transport.buffered_amount();
      });
      transport.on_drain(() => edges.push('drain'));
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', String(total)]] });
      for (let i = 0; i < total / CHUNK; i++) {
        await send({ type: 'http.response.body', body: chunkOf(i), more: i < total / CHUNK - 1 });
      }
      finished = true;
    });
    const socket = net.connect(port, '127.0.0.1');
    try {
      await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
      socket.pause();
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitUntil(() => edges.includes('high'), 10_000, 'high-water edge');
      expect(bufferedAtHigh).toBeGreaterThan(0);
      let received = 0;
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.resume();
      await waitUntil(() => finished && received >= total, 30_000, 'response to finish');
      expect(edges.indexOf('drain')).toBeGreaterThan(edges.indexOf('high'));
    } finally {
      socket.destroy();
    }
  });

  it('a client aborting mid-upload: receive yields http.disconnect, send rejects Disconnected', async () => {
    const logger = recordingLogger();
    let bytes = 0;
    let last: ReceiveEvent | undefined;
    let reason: string | undefined;
    let sendError: unknown;
    const { port } = await serve(async (scope, receive, send) => {
      for (;;) {
        const event = await receive();
        if (event.type !== 'http.request') {
          last = event;
          break;
        }
        bytes += event.body.length;
      }
      reason = connectionOf(scope).disconnect_reason();
      sendError = await send({ type: 'http.response.start', status: 200 }).then(() => undefined, (e: unknown) => e);
    }, { logger });
    const client = await RawClient.connect(port);
    await client.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${10 * MB}\r\n\r\n`);
    await client.write(Buffer.alloc(MB, 1));
    await waitUntil(() => bytes > 0, 5000, 'first bytes');
    client.destroy();
    await waitUntil(() => sendError !== undefined, 5000, 'send rejection');
    expect(last).toEqual({ type: 'http.disconnect' });
    expect(reason).toBe('client_closed');
    expect(sendError).toBeInstanceOf(Disconnected);
    expect(logger.errors).toEqual([]);
  });

  it('a client aborting mid-response: the pending send rejects Disconnected, on_disconnect fires once', async () => {
    const logger = recordingLogger();
    const reasons: string[] = [];
    let sendError: unknown;
    let sent = 0;
    const { port } = await serve(async (scope, _receive, send) => {
      connectionOf(scope).on_disconnect((r) => reasons.push(r));
      await send({ type: 'http.response.start', status: 200 });
      try {
        for (;;) {
          await send({ type: 'http.response.body', body: chunkOf(sent), more: true });
          sent++;
        }
      } catch (error) {
        sendError = error;
        throw error; // ends the app the way real apps do: Disconnected propagates
      }
    }, { logger });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor((t) => t.length > 200_000, 5000, 'some body');
    client.destroy();
    await waitUntil(() => sendError !== undefined, 5000, 'send rejection');
    expect(sendError).toBeInstanceOf(Disconnected);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reasons).toHaveLength(1);
    expect(['client_closed', 'write_error']).toContain(reasons[0]);
    expect(logger.errors).toEqual([]);
  });
});

describe('maxBodySize (§4.5)', () => {
  it('answers 413 before calling the app when content-length is over the limit', async () => {
    let called = false;
    const { port } = await serve(async () => {
      called = true;
    }, { maxBodySize: 10 });
    const text = await rawExchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n01234567890');
    const head = parseHead(text);
    expect(head.status).toBe(413);
    expect(head.headers).toContainEqual(['connection', 'close']);
    expect(called).toBe(false);
  });

  it('ends a chunked body crossing the limit: 413, http.disconnect, body_too_large', async () => {
    let last: ReceiveEvent | undefined;
    let reason: string | undefined;
    const { port } = await serve(async (scope, receive) => {
      for (;;) {
        const event = await receive();
        if (event.type !== 'http.request') {
          last = event;
          break;
        }
        if (!event.more) break;
      }
      reason = connectionOf(scope).disconnect_reason();
    }, { maxBodySize: 10 });
    const client = await RawClient.connect(port);
    try {
      await client.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await client.write('8\r\n01234567\r\n');
      const text = await client.waitFor((t) => t.includes('\r\n\r\n'));
      expect(parseHead(text).status).toBe(413);
      await waitUntil(() => reason !== undefined);
      expect(last).toEqual({ type: 'http.disconnect' });
      expect(reason).toBe('body_too_large');
    } finally {
      client.destroy();
    }
  });
});

describe('listener hygiene', () => {
  it('adds no lasting listeners or timers over 10,000 keep-alive requests and leaves nothing in flight', async () => {
    const { server, port, listener } = await serve(async (scope, receive, send) => {
      await receive();
      if (scope.type === 'sse') {
        await send({ type: 'sse.start' });
        await send({ type: 'sse.keepalive', interval: 60 });
        await send({ type: 'sse.close' });
        return;
      }
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '2']] });
      await send({ type: 'http.response.body', body: 'ok' });
    });
    let serverSocket: net.Socket | undefined;
    server.once('connection', (s) => (serverSocket = s));
    const socket = net.connect(port, '127.0.0.1');
    try {
      await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
      // Counts complete responses without keeping the stream: each ends with "ok" or an SSE terminator.
      let responses = 0;
      const endings = ['\r\n\r\nok', '\r\n0\r\n\r\n'];
      const tails = ['', ''];
      socket.on('data', (d: Buffer) => {
        const chunk = d.toString('latin1');
        endings.forEach((ending, i) => {
          // A tail one shorter than the marker can never hold a whole match, so none is counted twice.
          const text = (tails[i] as string) + chunk;
          responses += text.split(ending).length - 1;
          tails[i] = text.slice(-(ending.length - 1));
        });
      });
      const request = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx';
      const sseRequest = 'GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n';
      socket.write(request + sseRequest);
      await waitUntil(() => responses === 2, 5000, 'first responses');
      const server = serverSocket as net.Socket;
      const counts = (): string => server.eventNames().map((n) => `${String(n)}:${server.listenerCount(n)}`).join(',');
      const before = counts();
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      for (let round = 0; round < 50; round++) {
        let batch = '';
        for (let i = 0; i < 200; i++) batch += i % 50 === 0 ? sseRequest : request;
        socket.write(batch);
        const expected = 2 + (round + 1) * 200;
        await waitUntil(() => responses === expected, 20_000, `round ${round}`);
      }
      expect(counts()).toBe(before);
      await waitUntil(() => listener.activeCount === 0, 5000, 'no scope in flight');
      const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    } finally {
      socket.destroy();
    }
  });
});
