/**
 * One conformance suite, run against every layer: memory, cluster (real IPC
 * relay, in-process channels), and Redis on a real redis-server with both
 * clients. Each layer comes as two nodes sharing groups.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelsClosed,
  InvalidGroup,
  InvalidMessage,
  interleave,
  type ChannelDelivery,
  type ChannelMessage,
  type LayerOptions,
  type Subscription,
} from 'pagi/channels';
import { createConnection } from '../../src/protocol/connection.js';
import type { ReceiveEvent } from '../../src/protocol/types.js';
import { eventually, take, takeData, untilFence } from './helpers/deliveries.js';
import { clusterKind, ioredisKind, memoryKind, nodeRedisKind, type LayerPair } from './helpers/layers.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.kill();
});

const HISTORY: LayerOptions['history'] = {
  feed: { count: 5 },
  fresh: { count: 100, maxAge: 0.3 },
};

const kinds = [memoryKind, clusterKind, nodeRedisKind(() => redis), ioredisKind(() => redis)];

describe.each(kinds)('$name layer', (kind) => {
  let pair: LayerPair | undefined;
  const open = async (options: LayerOptions = {}) => {
    pair = await kind.create({ history: HISTORY, ...options });
    return pair;
  };
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('delivers every message to every member on both nodes, in publication order per publisher', async () => {
    const { a, b } = await open();
    const members = [await a.subscribe({ groups: ['room'] }), await a.subscribe({ groups: ['room'] }), await b.subscribe({ groups: ['room'] })];
    const publishing = [];
    for (let i = 0; i < 40; i++) {
      publishing.push(a.publish('room', { from: 'a', i }), b.publish('room', { from: 'b', i }));
    }
    await Promise.all(publishing);
    for (const member of members) {
      const got = (await takeData(member, 80)) as Array<{ from: string; i: number }>;
      expect(got.filter((m) => m.from === 'a').map((m) => m.i)).toEqual([...Array(40).keys()]);
      expect(got.filter((m) => m.from === 'b').map((m) => m.i)).toEqual([...Array(40).keys()]);
    }
  });

  it('delivers frozen JSON copies, with the JSON text alongside', async () => {
    const { a, b } = await open();
    const member = await b.subscribe({ groups: ['room'] });
    const sent = { text: 'héllo', n: 1.5, list: [true, null, { deep: 'x' }] };
    await a.publish('room', sent);
    const [message] = (await take(member, 1)) as [ChannelMessage];
    expect(message).toEqual({ type: 'message', group: 'room', data: sent, id: undefined });
    expect(message.data).not.toBe(sent);
    expect(Object.isFrozen(message.data)).toBe(true);
    expect(Object.isFrozen((message.data as { list: Array<object> }).list[2])).toBe(true);
    expect(message.json).toBe(JSON.stringify(sent));
    expect(Object.keys(message)).not.toContain('json');
  });

  it('skips the excluded subscription, on whichever node it is', async () => {
    const { a, b } = await open();
    const sender = await b.subscribe({ groups: ['room'] });
    const other = await b.subscribe({ groups: ['room'] });
    const far = await a.subscribe({ groups: ['room'] });
    await a.publish('room', 'not for the sender', { exclude: sender });
    await a.publish('room', 'by id', { exclude: sender.id });
    await a.publish('room', 'fence');
    expect(await untilFence(sender, 'fence')).toEqual([]);
    expect((await untilFence(other, 'fence')).map((d) => (d as ChannelMessage).data)).toEqual(['not for the sender', 'by id']);
    expect(await takeData(far, 3)).toEqual(['not for the sender', 'by id', 'fence']);
  });

  it('joins and leaves groups: leaving stops delivery, messages already queued stay', async () => {
    const { a, b } = await open();
    const member = await b.subscribe();
    await member.join('one');
    await member.join('two');
    expect([...member.groups]).toEqual(['one', 'two']);
    await a.publish('one', 1);
    await eventually(() => member.queued === 1, 5000, 'first message queued');
    await member.leave('one');
    await a.publish('one', 'after leave');
    await a.publish('two', 'fence');
    expect((await untilFence(member, 'fence')).map((d) => (d as ChannelMessage).data)).toEqual([1]);
    expect([...member.groups]).toEqual(['two']);
    await member.join('one');
    await a.publish('one', 'back');
    expect(await takeData(member, 1)).toEqual(['back']);
  });

  it('ends a subscription on close(), on break, when its scope ends, each with its reason', async () => {
    const { a } = await open();
    const closed = await a.subscribe({ groups: ['room'] });
    const pending = closed.next();
    await closed.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await closed.ended).toBe('closed');

    const broken = await a.subscribe({ groups: ['room'] });
    await a.publish('room', 'x');
    for await (const delivery of broken) {
      expect(delivery.type).toBe('message');
      break;
    }
    expect(broken.endReason).toBe('closed');
    expect(broken.groups.size).toBe(0);

    const connection = createConnection();
    const tied = await a.subscribe({ groups: ['room'], connection: connection.state });
    const alsoTied = await a.subscribe({ groups: ['room'], connection: connection.state });
    connection.disconnect('client_closed');
    expect(await tied.ended).toBe('scope_ended');
    expect(await alsoTied.ended).toBe('scope_ended');
    await expect(tied.join('other')).rejects.toBeInstanceOf(ChannelsClosed);
    await eventually(() => a.stats().subscriptions === 0, 5000, 'subscriptions released');
  });

  it('refuses what is not a JSON value, naming the spot, before anything is sent', async () => {
    const { a, b } = await open();
    const member = await b.subscribe({ groups: ['room'] });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const bad: Array<[unknown, string]> = [
      [{ at: new Date() }, 'data.at is a Date'],
      [{ list: [1, undefined] }, 'data.list[1] is undefined'],
      [{ n: Number.NaN }, 'data.n is NaN'],
      [{ n: 10n }, 'data.n is a bigint'],
      [new Map(), 'data is a Map'],
      [() => 1, 'data is a function'],
      [cyclic, 'data.self refers back'],
      [{ text: 'x'.repeat(2000) }, 'above the layer'],
    ];
    const small = await kind.create({ maxMessageBytes: 1000 });
    try {
      for (const [data, message] of bad) {
        const error = await small.a.publish('room', data).catch((e: unknown) => e);
        expect(error, message).toBeInstanceOf(InvalidMessage);
        expect((error as InvalidMessage).code).toBe('ERR_PAGI_CHANNELS_INVALID_MESSAGE');
        expect((error as Error).message).toContain(message);
      }
      await expect(small.a.publish('', 1)).rejects.toBeInstanceOf(InvalidGroup);
      await expect(small.a.publish('a\nb', 1)).rejects.toMatchObject({ code: 'ERR_PAGI_CHANNELS_INVALID_GROUP' });
      await expect(small.a.subscribe({ groups: ['x'.repeat(300)] })).rejects.toBeInstanceOf(InvalidGroup);
    } finally {
      await small.close();
    }
    await a.publish('room', 'fence');
    expect(await untilFence(member, 'fence')).toEqual([]);
  });

  it('bounds each queue: drop-oldest reports the hole, end stops the subscription, and neither slows the others', async () => {
    const { a, b } = await open();
    const dropping = await b.subscribe({ groups: ['room'], queue: { size: 3 } });
    const ending = await b.subscribe({ groups: ['room'], queue: { size: 3, overflow: 'end' } });
    const reader = await b.subscribe({ groups: ['room'] });
    const readerGot = takeData(reader, 10);
    for (let i = 1; i <= 10; i++) await a.publish('room', i);
    expect(await readerGot).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await ending.ended).toBe('overflow');
    expect(await take(dropping, 4)).toEqual([
      { type: 'gap', group: 'room', reason: 'overflow', missed: 7 },
      ...[8, 9, 10].map((n) => expect.objectContaining({ type: 'message', data: n })),
    ]);
    expect(dropping.dropped).toBe(7);
  });

  it('keeps history: publish returns ids, history() lists what is retained', async () => {
    const { a, b } = await open();
    const ids = [];
    for (let i = 1; i <= 7; i++) ids.push((await a.publish('feed', { i })).id);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(7);
    expect((await a.publish('room', 'no history')).id).toBeUndefined();
    const history = await b.history('feed');
    expect(history.gap).toBeUndefined();
    expect(history.messages.map((m) => m.data)).toEqual([3, 4, 5, 6, 7].map((i) => ({ i })));
    expect(history.messages.map((m) => m.id)).toEqual(ids.slice(2));
    expect((await b.history('feed', { after: ids[4]! })).messages.map((m) => m.data)).toEqual([{ i: 6 }, { i: 7 }]);
    expect((await b.history('feed', { after: ids[0]! })).gap).toEqual({ type: 'gap', group: 'feed', reason: 'trimmed', missed: 1 });
    expect(b.historyPolicy('feed')).toEqual({ count: 5 });
    expect(b.historyPolicy('room')).toBeUndefined();
  });

  it('resumes after an id with exactly the messages missed, once, then live ones', async () => {
    const { a, b } = await open();
    const first = await a.publish('feed', 'm1');
    await a.publish('feed', 'm2');
    await a.publish('feed', 'm3');
    // Publications racing the resume must arrive once, in order, after the replay.
    const racing = Promise.all([a.publish('feed', 'm4'), b.publish('feed', 'm5')]);
    const resumed = await b.subscribe({ groups: ['feed'], after: { feed: first.id! } });
    await racing;
    await a.publish('feed', 'm6');
    const got = (await untilFence(resumed, 'm6')).map((d) => (d as ChannelMessage).data);
    expect(got.slice(0, 2)).toEqual(['m2', 'm3']);
    expect([...got].sort()).toEqual(['m2', 'm3', 'm4', 'm5']);
    await a.publish('feed', 'fence');
    expect(await untilFence(resumed, 'fence')).toEqual([]);
  });

  it('delivers a whole replay even when it is larger than the queue bound', async () => {
    const { a, b } = await open();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await a.publish('feed', i)).id!);
    const small = await b.subscribe({ groups: ['feed'], after: { feed: ids[0]! }, queue: { size: 2, overflow: 'end' } });
    expect(await takeData(small, 4)).toEqual([2, 3, 4, 5]);
    // Live growth is still bounded.
    for (let i = 6; i <= 9; i++) await a.publish('feed', i);
    expect(await small.ended).toBe('overflow');
  });

  it('reports what history cannot give back: trimmed, age, another epoch, a bad id, no history', async () => {
    const { a, b } = await open();
    const ids: string[] = [];
    for (let i = 1; i <= 8; i++) ids.push((await a.publish('feed', i)).id!);

    const trimmed = await b.subscribe({ groups: ['feed'], after: { feed: ids[0]! } });
    expect(await take(trimmed, 6)).toEqual([
      { type: 'gap', group: 'feed', reason: 'trimmed', missed: 2 },
      ...[4, 5, 6, 7, 8].map((n) => expect.objectContaining({ data: n, id: ids[n - 1] })),
    ]);

    const foreign = ids[7]!.replace(/^[0-9a-z]+-/, 'ffffffffffff-');
    const otherEpoch = await b.subscribe({ groups: ['feed'], after: { feed: foreign } });
    const afterEpoch = await take(otherEpoch, 6);
    expect(afterEpoch[0]).toEqual({ type: 'gap', group: 'feed', reason: 'epoch', missed: undefined });
    expect(afterEpoch.slice(1).map((d) => (d as ChannelMessage).data)).toEqual([4, 5, 6, 7, 8]);

    const garbage = await b.subscribe({ groups: ['feed'], after: { feed: 'garbage' } });
    const ahead = await b.subscribe({ groups: ['feed'], after: { feed: ids[7]!.replace(/\d+$/, '999') } });
    const noHistory = await b.subscribe({ groups: ['room'], after: { room: ids[7]! } });
    expect(await take(garbage, 1)).toEqual([{ type: 'gap', group: 'feed', reason: 'invalid_id', missed: undefined }]);
    expect(await take(ahead, 1)).toEqual([{ type: 'gap', group: 'feed', reason: 'invalid_id', missed: undefined }]);
    expect(await take(noHistory, 1)).toEqual([{ type: 'gap', group: 'room', reason: 'no_history', missed: undefined }]);

    const young = await a.publish('fresh', 'short-lived');
    await eventually(async () => (await b.history('fresh')).messages.length === 0, 5000, 'message aged out');
    const aged = await b.subscribe({ groups: ['fresh'], after: { fresh: young.id!.replace(/\d+$/, (n) => String(Number(n) - 1)) } });
    expect(await take(aged, 1)).toEqual([{ type: 'gap', group: 'fresh', reason: 'trimmed', missed: 1 }]);
  });

  it('is back to its baseline after 10,000 join/leave cycles: no subscriptions, groups, listeners or backend subscriptions left', async () => {
    const { a, b, backendSubscriptions, transportListeners } = await open();
    const listenersBefore = transportListeners();
    const backendBefore = await backendSubscriptions();
    const subscriptions: Subscription[] = [];
    for (let i = 0; i < 50; i++) subscriptions.push(await (i % 2 ? a : b).subscribe());
    const cycles = 10_000;
    for (let done = 0; done < cycles; done += subscriptions.length) {
      await Promise.all(
        subscriptions.map(async (subscription, i) => {
          const group = `g${(done + i) % 37}`;
          await subscription.join(group);
          await subscription.leave(group);
        }),
      );
    }
    for (const subscription of subscriptions) await subscription.close();
    // Scope-tied subscriptions too: one connection, many short subscriptions.
    const connection = createConnection();
    for (let i = 0; i < 200; i++) await (await a.subscribe({ groups: ['room'], connection: connection.state })).close();
    connection.complete();
    await eventually(() => a.stats().subscriptions + b.stats().subscriptions === 0, 5000, 'subscriptions released');
    await eventually(() => a.stats().groups + b.stats().groups === 0, 5000, 'groups released');
    await eventually(async () => (await backendSubscriptions()) === backendBefore, 5000, 'backend subscriptions back to baseline');
    expect(transportListeners()).toBe(listenersBefore);
    // And it still works.
    const member = await b.subscribe({ groups: ['g1'] });
    await a.publish('g1', 'still alive');
    expect(await takeData(member, 1)).toEqual(['still alive']);
  });

  it('races with receive() through interleave()', async () => {
    const { a } = await open();
    const member = await a.subscribe({ groups: ['room'] });
    const clientEvents: ReceiveEvent[] = [
      { type: 'websocket.receive', text: 'hello' },
      { type: 'websocket.disconnect', code: 1000, reason: '' },
    ];
    let release!: () => void;
    const clientReady = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const receive = async (): Promise<ReceiveEvent> => {
      if (calls++ === 1) await clientReady;
      return clientEvents[Math.min(calls - 1, 1)]!;
    };
    const seen: string[] = [];
    for await (const step of interleave(receive, member)) {
      if (step.type === 'client') {
        seen.push(step.event.type);
        if (step.event.type === 'websocket.receive') await a.publish('room', 'broadcast');
      } else if (step.type === 'channel') {
        seen.push(`channel:${(step.delivery as ChannelDelivery & { data?: unknown }).data as string}`);
        await member.close();
      } else {
        seen.push(`ended:${step.reason}`);
        release();
      }
    }
    expect(seen).toEqual(['websocket.receive', 'channel:broadcast', 'ended:closed', 'websocket.disconnect']);
  });

  it('after close(), ends every subscription and refuses new work', async () => {
    const { a, b } = await open();
    const member = await b.subscribe({ groups: ['room'] });
    await b.close();
    expect(await member.ended).toBe('layer_closed');
    await expect(b.publish('room', 1)).rejects.toBeInstanceOf(ChannelsClosed);
    await expect(b.subscribe()).rejects.toMatchObject({ code: 'ERR_PAGI_CHANNELS_CLOSED' });
    expect(b.stats()).toEqual({ subscriptions: 0, groups: 0 });
    await b.close();
    if (a !== b) await a.publish('room', 'the other node still works');
  });
});
