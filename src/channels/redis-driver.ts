/**
 * The two Redis clients behind one small interface: raw commands, and a
 * subscriber connection that reports when it is back after a reconnect.
 * Both are described structurally, so neither package is ever imported:
 * `pagi/channels` uses the client the application passes, nothing else.
 *
 * - `redis` (node-redis v4+): commands through `sendCommand([...])`; the
 *   subscriber is a `duplicate()` we connect and own. node-redis restores its
 *   subscriptions before it emits 'ready' again.
 * - `ioredis`: commands through `call(...)`; the subscriber is a
 *   `duplicate()` too. ioredis resubscribes on 'ready' by itself; we send our
 *   own SUBSCRIBE after it and wait for its answer, so "back" means "subscribed".
 */
import { UnsupportedRedisClient } from './errors.js';

// `any`: each client types its listeners its own way; a narrower type here would reject real clients.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

/** The part of a node-redis (`redis` v4+) client this package uses. */
export interface NodeRedisClient {
  readonly isOpen: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedisClient;
  connect(): Promise<unknown>;
  subscribe(channels: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channels: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  /** node-redis v5+; `quit()` before. */
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

/** The part of an `ioredis` client this package uses. */
export interface IoRedisClient {
  readonly status: string;
  call(command: string, ...args: string[]): Promise<unknown>;
  duplicate(): IoRedisClient;
  connect(): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** A connected `redis` (v4+) client, or an `ioredis` client. */
export type RedisClient = NodeRedisClient | IoRedisClient;

/** What a subscriber connection reports to the Redis backend. */
export interface SubscriberEvents {
  message(channel: string, message: string): void;
  /** The connection came back and every channel is subscribed again. */
  restored(): void;
  /** The connection failed (reported once per outage). */
  lost(error: Error): void;
}

/** The pub/sub connection the Redis backend owns (a `duplicate()` of the application's client). */
export interface Subscriber {
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

/** One of the two clients, behind the three operations the Redis backend needs. */
export interface RedisDriver {
  readonly flavour: 'redis' | 'ioredis';
  command(args: readonly string[]): Promise<unknown>;
  openSubscriber(events: SubscriberEvents): Promise<Subscriber>;
}

/** Recognises the client (ioredis first: it also has a `sendCommand`); `UnsupportedRedisClient` otherwise. */
export function redisDriver(client: unknown): RedisDriver {
  if (typeof client !== 'object' || client === null) throw new UnsupportedRedisClient('options.client must be a redis or ioredis client');
  const c = client as Record<string, unknown>;
  if (typeof c.call === 'function' && typeof c.status === 'string' && typeof c.duplicate === 'function') return ioredisDriver(client as IoRedisClient);
  if (typeof c.sendCommand === 'function' && typeof c.duplicate === 'function' && 'isOpen' in c) return nodeRedisDriver(client as NodeRedisClient);
  throw new UnsupportedRedisClient('options.client is neither a redis (v4+) client nor an ioredis client');
}

function nodeRedisDriver(client: NodeRedisClient): RedisDriver {
  return {
    flavour: 'redis',
    command: (args) => client.sendCommand([...args]),
    async openSubscriber(events) {
      const connection = client.duplicate();
      const health = connectionHealth(events);
      // node-redis throws an 'error' without a listener; each failed reconnect attempt emits one.
      connection.on('error', health.onError);
      connection.on('ready', health.onReady(() => events.restored()));
      const listener = (message: string, channel: string) => events.message(channel, message);
      await connection.connect();
      return {
        subscribe: async (channel) => void (await connection.subscribe(channel, listener)),
        unsubscribe: async (channel) => void (await connection.unsubscribe(channel, listener)),
        close: async () => {
          health.closing = true;
          if (connection.isOpen) await (connection.close ?? connection.quit)?.call(connection);
        },
      };
    },
  };
}

function ioredisDriver(client: IoRedisClient): RedisDriver {
  return {
    flavour: 'ioredis',
    command: ([command, ...args]) => client.call(command!, ...args),
    async openSubscriber(events) {
      const connection = client.duplicate();
      const health = connectionHealth(events);
      const channels = new Set<string>();
      connection.on('error', health.onError);
      // ioredis often reconnects without an 'error' (the server closed the socket cleanly): 'close' is the outage.
      connection.on('close', () => health.onError(new Error('connection closed')));
      connection.on(
        'ready',
        health.onReady(() => {
          const all = [...channels];
          if (all.length === 0) return events.restored();
          connection.subscribe(...all).then(
            () => events.restored(),
            (error: unknown) => health.onError(error instanceof Error ? error : new Error(String(error))),
          );
        }),
      );
      connection.on('message', (channel: string, message: string) => events.message(channel, message));
      if (connection.status === 'wait') await connection.connect();
      else if (connection.status !== 'ready') await new Promise<void>((resolve) => connection.once('ready', () => resolve()));
      return {
        subscribe: async (channel) => {
          channels.add(channel);
          await connection.subscribe(channel);
        },
        unsubscribe: async (channel) => {
          channels.delete(channel);
          await connection.unsubscribe(channel);
        },
        close: async () => {
          health.closing = true;
          await connection.quit().catch(() => connection.disconnect());
        },
      };
    },
  };
}

/** Turns a client's 'error'/'ready' events into one `lost` per outage and one `restored` after it. */
function connectionHealth(events: SubscriberEvents) {
  let readyOnce = false;
  let down = false;
  const health = {
    closing: false,
    onError: (error: Error) => {
      if (health.closing || down) return;
      down = true;
      events.lost(error);
    },
    onReady: (restore: () => void) => () => {
      down = false;
      if (!readyOnce) {
        readyOnce = true;
        return;
      }
      if (!health.closing) restore();
    },
  };
  return health;
}
