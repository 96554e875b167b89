/**
 * `streamGroupsToSSE` on a real `serve()` with a real SSE client over
 * sockets: resuming with Last-Event-ID (exactly the missed messages, once),
 * gaps as events, several groups behind one id, a slow client's overflow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLayer, streamGroupsToSSE, withChannels, type ChannelLayer, type GroupsToSSEOptions } from 'pagi/channels';
import type { App } from '../../src/protocol/types.js';
import { startTestServer, type TestServer } from '../server/test-server.js';
import { openSSE, type SSEStream } from './helpers/sse-client.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serveGroups(layer: ChannelLayer, options: Omit<GroupsToSSEOptions, 'layer'>): Promise<TestServer> {
  const app: App = async (scope, receive, send) => {
    if (scope.type !== 'sse') throw new Error(`unexpected ${scope.type} scope`);
    await streamGroupsToSSE(scope, receive, send, options);
  };
  const server = await startTestServer(withChannels(app, layer));
  cleanup.push(() => server.close());
  return server;
}

async function open(server: TestServer, lastEventId?: string): Promise<SSEStream> {
  const stream = await openSSE(`${server.url}/`, lastEventId === undefined ? {} : { lastEventId });
  cleanup.push(() => stream.close());
  expect(stream.status).toBe(200);
  expect(stream.headers['content-type']).toBe('text/event-stream');
  return stream;
}

/** Publishes once the server holds a subscription for the stream (so nothing races the join). */
async function whenSubscribed(layer: ChannelLayer, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (layer.stats().subscriptions < count) {
    if (Date.now() > deadline) throw new Error('no subscription within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('streamGroupsToSSE', () => {
  it('sends messages with their ids and resumes a reconnecting client with exactly what it missed', async () => {
    const layer = createMemoryLayer({ history: { feed: { count: 100 } } });
    const server = await serveGroups(layer, { groups: ['feed'], event: 'news' });
    const first = await open(server);
    await whenSubscribed(layer, 1);
    const ids = [];
    for (let i = 1; i <= 3; i++) ids.push((await layer.publish('feed', { i })).id);
    const seen = await first.waitForCount(3);
    expect(seen).toEqual(ids.map((id, i) => ({ event: 'news', id, data: JSON.stringify({ i: i + 1 }) })));
    first.close();
    await first.ended;

    for (let i = 4; i <= 6; i++) ids.push((await layer.publish('feed', { i })).id);
    const again = await open(server, first.lastEventId);
    await whenSubscribed(layer, 1);
    ids.push((await layer.publish('feed', { i: 7 })).id);
    const resumed = await again.waitForCount(4);
    expect(resumed.map((e) => e.id)).toEqual(ids.slice(3));
    expect(resumed.map((e) => e.data)).toEqual([4, 5, 6, 7].map((i) => JSON.stringify({ i })));
  });

  it('announces what history cannot give back as a gap event: an id from a restarted server, a bad id', async () => {
    const before = createMemoryLayer({ history: { feed: { count: 10 } } });
    const oldId = (await before.publish('feed', 'from the old process')).id!;
    const layer = createMemoryLayer({ history: { feed: { count: 10 } } });
    await layer.publish('feed', 'new 1');
    const server = await serveGroups(layer, { groups: ['feed'], gapEvent: 'missed' });

    const restarted = await open(server, oldId);
    const [gap, replayed] = await restarted.waitForCount(2);
    expect(gap).toEqual({ event: 'missed', id: undefined, data: JSON.stringify({ group: 'feed', reason: 'epoch', missed: null }) });
    expect(replayed).toMatchObject({ event: 'message', data: '"new 1"' });

    const garbage = await open(server, 'not-an-id\u00e9');
    const [bad] = await garbage.waitForCount(1);
    expect(JSON.parse(bad!.data)).toEqual({ group: 'feed', reason: 'invalid_id', missed: null });
  });

  it('follows several groups behind one Last-Event-ID', async () => {
    const layer = createMemoryLayer({ history: { a: { count: 10 }, b: { count: 10 } } });
    const server = await serveGroups(layer, { groups: ['a', 'b', 'live'], event: (m) => m.group });
    const stream = await open(server);
    await whenSubscribed(layer, 1);
    await layer.publish('a', 'a1');
    await layer.publish('b', 'b1');
    await layer.publish('live', 'no history');
    const events = await stream.waitForCount(3);
    expect(events.map((e) => e.event)).toEqual(['a', 'b', 'live']);
    // The id names the last message of each history group; a message without history keeps it.
    const cursor = new URLSearchParams(events[1]!.id);
    expect([...cursor.keys()]).toEqual(['a', 'b']);
    expect(events[2]!.id).toBe(events[1]!.id);
    stream.close();

    await layer.publish('b', 'b2');
    await layer.publish('a', 'a2');
    const resumed = await open(server, stream.lastEventId);
    expect((await resumed.waitForCount(2)).map((e) => e.data).sort()).toEqual(['"a2"', '"b2"']);
  });

  it('ends the stream of a client that cannot keep up, and the client resumes where it stopped', async () => {
    const layer = createMemoryLayer({ history: { feed: { count: 1000 } } });
    const server = await serveGroups(layer, { groups: ['feed'], queue: { size: 5 } });
    const stream = await open(server);
    await whenSubscribed(layer, 1);
    const ids: string[] = [];
    // The memory layer queues synchronously: 50 publications in one turn overflow a queue of 5.
    await Promise.all(Array.from({ length: 50 }, (_, i) => layer.publish('feed', i))).then((all) => ids.push(...all.map((p) => p.id!)));
    await stream.ended;
    const got = stream.events.map((e) => e.id);
    expect(got.length).toBeLessThan(50);
    expect(got).toEqual(ids.slice(0, got.length));
    const resumed = await open(server, stream.lastEventId);
    expect((await resumed.waitForCount(50 - got.length)).map((e) => e.id)).toEqual(ids.slice(got.length));
  });

  it('unsubscribes when the client leaves', async () => {
    const layer = createMemoryLayer();
    const server = await serveGroups(layer, { groups: ['feed'] });
    const stream = await open(server);
    await whenSubscribed(layer, 1);
    stream.close();
    const deadline = Date.now() + 5000;
    while (layer.stats().subscriptions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(layer.stats()).toEqual({ subscriptions: 0, groups: 0 });
  });
});
