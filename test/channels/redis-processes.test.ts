/**
 * Two `pagi-server` processes on two ports sharing one real Redis, with real
 * SSE clients: every message reaches every subscriber on both; a slow
 * subscriber does not slow the others; a crashed process loses nothing that
 * history can recover.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren } from '../server/helpers.js';
import { publish, startBroadcastServer, whoami, type BroadcastServer } from './helpers/processes.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';
import { openSSE, type SSEStream } from './helpers/sse-client.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.kill();
});

const streams: SSEStream[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

async function subscribe(url: string, lastEventId?: string, query = ''): Promise<SSEStream> {
  const stream = await openSSE(`${url}/events${query}`, lastEventId === undefined ? {} : { lastEventId });
  streams.push(stream);
  expect(stream.status).toBe(200);
  return stream;
}

describe('two pagi-server processes on one Redis, one on a redis client, the other on ioredis', () => {
  // Started once for the three tests; the last one kills the first process.
  let one: BroadcastServer;
  let two: BroadcastServer;
  beforeAll(async () => {
    const env = { CHANNELS_LAYER: 'redis', REDIS_URL: redis.url };
    [one, two] = await Promise.all([startBroadcastServer({ ...env, REDIS_CLIENT: 'redis' }), startBroadcastServer({ ...env, REDIS_CLIENT: 'ioredis' })]);
    expect((await whoami(one.url)).pid).not.toBe((await whoami(two.url)).pid);
  });
  afterAll(() => killChildren());

  it('delivers every message to every subscriber of both processes, once, in one order', async () => {
    const subscribers = await Promise.all([one.url, one.url, one.url, two.url, two.url, two.url].map((url) => subscribe(url)));
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await publish(i % 2 ? two.url : one.url, { i }));
    for (const subscriber of subscribers) {
      const events = await subscriber.waitForCount(60, 10_000);
      expect(events.map((e) => (JSON.parse(e.data) as { i: number }).i)).toEqual([...Array(60).keys()]);
      expect(events.map((e) => e.id)).toEqual(ids);
    }
  });

  it('keeps a slow subscriber from slowing the others, and lets it resume from history', async () => {
    // A client that sends its request and then reads nothing: its socket buffers fill, its sends wait.
    const stalled = net.connect(new URL(one.url).port as unknown as number, '127.0.0.1');
    stalled.pause();
    stalled.write(`GET /events?queue=10 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    const readers = await Promise.all([subscribe(one.url), subscribe(two.url)]);
    const big = 'x'.repeat(32 * 1024);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await publish(i % 2 ? two.url : one.url, { i, big }));
    for (const reader of readers) expect((await reader.waitForCount(300, 20_000)).map((e) => e.id)).toEqual(ids);
    const elapsed = Date.now() - started;
    // The stalled client was dropped (queue overflow → abort), not waited for; read what it got, then resume.
    let received = '';
    stalled.setEncoding('latin1');
    stalled.on('data', (chunk: string) => (received += chunk));
    stalled.resume();
    await new Promise<void>((resolve) => (stalled.destroyed ? resolve() : stalled.once('close', () => resolve())));
    const seen = [...received.matchAll(/^id: (\S+)$/gm)].map((m) => m[1]!);
    expect(seen.length).toBeLessThan(300);
    expect(seen).toEqual(ids.slice(0, seen.length));
    const resumed = await subscribe(two.url, seen.at(-1));
    const rest = await resumed.waitForCount(300 - seen.length, 20_000);
    expect(rest.map((e) => e.id)).toEqual(ids.slice(seen.length));
    expect(elapsed).toBeLessThan(20_000);
  });

  it('loses nothing that history can recover when a process crashes', async () => {
    const victim = await subscribe(one.url);
    const survivor = await subscribe(two.url);
    const before = [await publish(two.url, { n: 1 }), await publish(one.url, { n: 2 })];
    expect((await victim.waitForCount(2)).map((e) => e.id)).toEqual(before);
    one.child.proc.kill('SIGKILL');
    await victim.ended;
    const during = [];
    for (let n = 3; n <= 7; n++) during.push(await publish(two.url, { n }));
    // The browser would reconnect with its last id; the other process answers it from history.
    const back = await subscribe(two.url, victim.lastEventId);
    expect((await back.waitForCount(5)).map((e) => e.data)).toEqual([3, 4, 5, 6, 7].map((n) => JSON.stringify({ n })));
    expect(back.events.map((e) => e.id)).toEqual(during);
    expect((await survivor.waitForCount(7)).map((e) => e.id)).toEqual([...before, ...during]);
  });
});
