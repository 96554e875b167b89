/**
 * What only the Redis layer has: a Redis that restarts mid-stream, keys and
 * streams in Redis, and the client it was given. Real redis-server, both clients.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisLayer, UnsupportedRedisClient, type ChannelDelivery, type ChannelLayer, type ChannelMessage, type RedisClient } from 'pagi/channels';
import { eventually, take } from './helpers/deliveries.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.kill();
});

interface Opened {
  client: RedisClient;
  close(): Promise<void>;
}

const clients: Record<string, () => Promise<Opened>> = {
  redis: async () => {
    const client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: async () => void (client.isOpen && (await client.close())) };
  },
  ioredis: async () => {
    const client = new Redis(redis.port, '127.0.0.1', { retryStrategy: () => 50 });
    client.on('error', () => undefined);
    return { client, close: async () => client.disconnect() };
  },
};

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function layerOn(flavour: string, errors: Error[] = []): Promise<ChannelLayer> {
  const opened = await clients[flavour]!();
  const layer = createRedisLayer({
    client: opened.client,
    prefix: 'restart:',
    history: { feed: { count: 1000 } },
    onError: (error) => errors.push(error),
  });
  cleanup.push(opened.close, () => layer.close());
  return layer;
}

describe.each(Object.keys(clients))('the Redis layer on %s', (flavour) => {
  it('reconnects after a Redis restart, restores its subscriptions and reports the gap', async () => {
    const errors: Error[] = [];
    const publisher = await layerOn(flavour);
    const subscriber = await layerOn(flavour, errors);
    const member = await subscriber.subscribe({ groups: ['feed', 'room'] });
    await publisher.publish('feed', 'before');
    await publisher.publish('room', 'before');
    expect((await take(member, 2)).map((d) => (d as ChannelMessage).data)).toEqual(['before', 'before']);
    const oldEpoch = (await subscriber.history('feed')).messages[0]!.id!.split('-')[0]!;

    await redis.restart();
    // Keep publishing (each call waits while its client reconnects) until the subscriber hears the new epoch.
    const published: string[] = [];
    const deliveries: ChannelDelivery[] = [];
    await eventually(
      async () => {
        const n = published.length;
        const result = await Promise.all([publisher.publish('feed', `after ${n}`), publisher.publish('room', `after ${n}`)]).catch(() => undefined);
        if (result) published.push(result[0].id!);
        while (member.queued > 0) deliveries.push(...(await take(member, 1)));
        return deliveries.some((d) => d.type === 'message' && d.group === 'feed' && d.id !== undefined && !d.id.startsWith(oldEpoch));
      },
      20_000,
      'delivery after the restart',
    );
    // The subscriber is back (it heard the new epoch): from now on live delivery of every group works.
    await publisher.publish('room', 'room fence');
    await publisher.publish('feed', 'fence');
    for (;;) {
      const [next] = await take(member, 1);
      if (next!.type === 'message' && next!.data === 'fence') break;
      deliveries.push(next!);
    }

    const feed = deliveries.filter((d) => d.group === 'feed');
    const room = deliveries.filter((d) => d.group === 'room');
    // The history was lost with the restart: reported once, as a new epoch, before anything of the new one.
    expect(feed[0]).toEqual({ type: 'gap', group: 'feed', reason: 'epoch', missed: undefined });
    expect(feed.filter((d) => d.type === 'gap')).toHaveLength(1);
    // Every message of the new epoch arrived, exactly once, in order (recovered from the stream if the subscriber was still away).
    expect(feed.slice(1).map((d) => (d as ChannelMessage).id)).toEqual(published);
    // Without history, the possible loss is reported (what was published meanwhile may be gone), and live delivery is back.
    expect(room).toContainEqual({ type: 'gap', group: 'room', reason: 'reconnect', missed: undefined });
    expect(room.at(-1)).toMatchObject({ type: 'message', data: 'room fence' });
    expect(errors.some((e) => /lost the Redis subscriber connection/.test(e.message))).toBe(true);
  });

  it('keeps history in one stream per group under its prefix, bounded by count', async () => {
    const opened = await clients[flavour]!();
    cleanup.push(opened.close);
    const layer = createRedisLayer({ client: opened.client, prefix: `keys-${flavour}:`, history: { feed: { count: 3 } } });
    cleanup.push(() => layer.close());
    for (let i = 0; i < 5; i++) await layer.publish('feed', i);
    await layer.publish('plain', 'no history');
    const probe = createClient({ url: redis.url });
    await probe.connect();
    cleanup.push(async () => void (await probe.close()));
    expect((await probe.keys(`keys-${flavour}:*`)).sort()).toEqual([`keys-${flavour}:{feed}:log`, `keys-${flavour}:{feed}:meta`]);
    expect(await probe.xLen(`keys-${flavour}:{feed}:log`)).toBe(3);
    expect(await probe.hGet(`keys-${flavour}:{feed}:meta`, 'seq')).toBe('5');
  });

  it('closes only the connection it opened, never the client it was given', async () => {
    const opened = await clients[flavour]!();
    cleanup.push(opened.close);
    const layer = createRedisLayer({ client: opened.client, prefix: 'own:' });
    const member = await layer.subscribe({ groups: ['room'] });
    await layer.close();
    expect(member.endReason).toBe('layer_closed');
    const reply = 'isOpen' in opened.client ? await opened.client.sendCommand(['PING']) : await opened.client.call('PING');
    expect(reply).toBe('PONG');
  });
});

it('refuses anything that is not a redis or ioredis client', () => {
  expect(() => createRedisLayer({ client: {} as RedisClient })).toThrow(UnsupportedRedisClient);
  expect(() => createRedisLayer({ client: null as unknown as RedisClient })).toThrow(/ERR|redis or ioredis/);
});
