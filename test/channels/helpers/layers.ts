/**
 * The layers the conformance suite runs against, each as two "nodes" that
 * share groups: the memory layer (one process: both nodes are the same
 * layer), the cluster layer (two layers talking to one real IPC relay over
 * in-process channels that copy every message the way IPC serialises it),
 * and the Redis layer on a real redis-server, once with `redis` and once
 * with `ioredis` clients.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createClusterLayer, createMemoryLayer, createRedisLayer, type ChannelLayer, type IpcChannel, type LayerOptions } from 'pagi/channels';
import { createIpcRelay, type IpcRelay, type RelayPort } from '../../../src/server/ipc-relay.js';
import type { RedisServer } from './redis-server.js';

export interface LayerPair {
  readonly a: ChannelLayer;
  readonly b: ChannelLayer;
  /** Backend-side subscription count (relay subscriptions, Redis channels with subscribers), for leak checks. */
  backendSubscriptions(): Promise<number>;
  /** Listeners the layers hold on their transports (IPC 'message' listeners, Redis clients' listeners). */
  transportListeners(): number;
  close(): Promise<void>;
}

export interface LayerKind {
  readonly name: string;
  create(options: LayerOptions): Promise<LayerPair>;
}

/** An in-process stand-in for a worker's IPC channel to the primary: JSON copies, FIFO, asynchronous. */
export class InProcessIpc implements IpcChannel {
  connected = true;
  readonly #events = new EventEmitter();
  readonly #port: RelayPort;
  readonly #relay: IpcRelay;

  constructor(relay: IpcRelay) {
    this.#relay = relay;
    this.#port = {
      send: (notice, callback) => {
        const copy: unknown = JSON.parse(JSON.stringify(notice));
        setImmediate(() => this.#events.emit('message', copy));
        callback?.(null);
        return true;
      },
      isConnected: () => this.connected,
    };
  }

  send(message: unknown, callback: (error: Error | null) => void): boolean {
    if (!this.connected) {
      callback(new Error('channel closed'));
      return false;
    }
    const copy: unknown = JSON.parse(JSON.stringify(message));
    setImmediate(() => this.#relay.handle(this.#port, copy));
    callback(null);
    return true;
  }

  on(event: 'message' | 'disconnect', listener: (message: unknown) => void): this {
    this.#events.on(event, listener);
    return this;
  }

  off(event: 'message' | 'disconnect', listener: (message: unknown) => void): this {
    this.#events.off(event, listener);
    return this;
  }

  /** The primary went away. */
  disconnect(): void {
    this.connected = false;
    this.#relay.detach(this.#port);
    this.#events.emit('disconnect');
  }

  listenerCount(): number {
    return this.#events.listenerCount('message') + this.#events.listenerCount('disconnect');
  }
}

export const memoryKind: LayerKind = {
  name: 'memory',
  async create(options) {
    const layer = createMemoryLayer(options);
    return {
      a: layer,
      b: layer,
      backendSubscriptions: async () => layer.stats().groups,
      transportListeners: () => 0,
      close: () => layer.close(),
    };
  },
};

export const clusterKind: LayerKind = {
  name: 'cluster',
  async create(options) {
    const relay = createIpcRelay();
    const ipcA = new InProcessIpc(relay);
    const ipcB = new InProcessIpc(relay);
    const a = createClusterLayer({ ...options, ipc: ipcA });
    const b = createClusterLayer({ ...options, ipc: ipcB });
    return {
      a,
      b,
      backendSubscriptions: async () => relay.stats().subscriptions,
      transportListeners: () => ipcA.listenerCount() + ipcB.listenerCount(),
      close: async () => {
        await Promise.all([a.close(), b.close()]);
      },
    };
  },
};

/** Redis channels that have subscribers, from Redis's own point of view. */
export async function redisChannelCount(url: string): Promise<number> {
  const probe = createClient({ url });
  await probe.connect();
  try {
    const channels = (await probe.sendCommand(['PUBSUB', 'CHANNELS', '*'])) as string[];
    return channels.length;
  } finally {
    await probe.close();
  }
}

export function nodeRedisKind(server: () => RedisServer): LayerKind {
  return {
    name: 'redis (node-redis)',
    async create(options) {
      const url = server().url;
      const clients = [createClient({ url }), createClient({ url })];
      for (const client of clients) client.on('error', () => undefined);
      await Promise.all(clients.map((client) => client.connect()));
      const prefix = `t${Math.random().toString(36).slice(2, 8)}:`;
      const [a, b] = clients.map((client) => createRedisLayer({ ...options, client, prefix })) as [ChannelLayer, ChannelLayer];
      return {
        a,
        b,
        backendSubscriptions: () => redisChannelCount(url),
        transportListeners: () => clients.reduce((sum, client) => sum + client.listenerCount('message'), 0),
        close: async () => {
          await Promise.all([a.close(), b.close()]);
          await Promise.all(clients.map((client) => client.close()));
        },
      };
    },
  };
}

export function ioredisKind(server: () => RedisServer): LayerKind {
  return {
    name: 'redis (ioredis)',
    async create(options) {
      const { port } = server();
      const clients = [new Redis(port, '127.0.0.1'), new Redis(port, '127.0.0.1')];
      for (const client of clients) client.on('error', () => undefined);
      const prefix = `t${Math.random().toString(36).slice(2, 8)}:`;
      const [a, b] = clients.map((client) => createRedisLayer({ ...options, client, prefix })) as [ChannelLayer, ChannelLayer];
      return {
        a,
        b,
        backendSubscriptions: () => redisChannelCount(server().url),
        transportListeners: () => clients.reduce((sum, client) => sum + client.listenerCount('message'), 0),
        close: async () => {
          await Promise.all([a.close(), b.close()]);
          for (const client of clients) client.disconnect();
        },
      };
    },
  };
}
