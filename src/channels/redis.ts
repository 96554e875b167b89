/**
 * The Redis layer: groups across processes and machines, on a client the
 * application passes (`redis` v4+ or `ioredis`). Live delivery is Redis
 * pub/sub on one subscriber connection per layer (a `duplicate()` of the
 * client); history is a Redis Stream per group.
 *
 * Keys per history group (`<prefix>` defaults to `pagi:channels:`; the
 * braces keep both keys in one Redis Cluster slot):
 * - `<prefix>{<group>}:meta`, a hash: `epoch`, `seq` (last sequence number),
 *   `ms` (time of the last entry);
 * - `<prefix>{<group>}:log`, the stream; entry ids are `<ms>-<seq>`, so the
 *   sequence number is part of every id and age trimming is `XTRIM MINID`.
 * The pub/sub channel is `<prefix><group>`.
 *
 * A history publish is one Lua script (number, append, trim, publish), so the
 * order in the stream is the order on the channel. When the meta hash is
 * missing (first use, or Redis restarted without persistence) the script
 * starts a new epoch. Needs Redis 6.2 or later (`XTRIM MINID`, exclusive ranges).
 */
import { createHash } from 'node:crypto';
import { newEpoch } from '../_internal/topic-broker.js';
import type { Backend, BackendSink, Head, ReplayResult, Retention } from './backend.js';
import { ChannelsUnavailable, InvalidLayerOption } from './errors.js';
import type { Position } from './ids.js';
import { createLayer } from './layer.js';
import { redisDriver, type RedisClient, type RedisDriver, type Subscriber } from './redis-driver.js';
import type { ChannelLayer, LayerOptions } from './types.js';

/** Options of `createRedisLayer()`: the common layer options, plus the client and the key prefix. */
export interface RedisLayerOptions extends LayerOptions {
  /**
   * A `redis` (v4+, connected) or `ioredis` client. The layer sends its
   * commands through it and opens one more connection for pub/sub with
   * `client.duplicate()`. `close()` closes that one, never yours.
   */
  readonly client: RedisClient;
  /** Prefix of every key and channel (default `'pagi:channels:'`). Processes that share groups share the prefix. */
  readonly prefix?: string;
}

/** A channel layer shared by every process that uses the same Redis (and prefix). */
export function createRedisLayer(options: RedisLayerOptions): ChannelLayer {
  const { client, prefix = 'pagi:channels:', ...layerOptions } = options;
  if (typeof prefix !== 'string' || /[\u0000-\u001f]/.test(prefix)) throw new InvalidLayerOption('prefix', 'must be a string without control characters');
  return createLayer(new RedisBackend(redisDriver(client), prefix, layerOptions.onError), layerOptions);
}

// KEYS: meta, log. ARGV: channel, payload, count, maxAgeMs, a fresh epoch (used only when none exists).
const PUBLISH = script(`
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[5]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'ms', 0)
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local last = tonumber(redis.call('HGET', KEYS[1], 'ms'))
if ms < last then ms = last end
redis.call('HSET', KEYS[1], 'ms', string.format('%.0f', ms))
local offset = string.format('%.0f-%.0f', ms, seq)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], offset, 'p', ARGV[2])
local maxAge = tonumber(ARGV[4])
if maxAge > 0 then redis.call('XTRIM', KEYS[2], 'MINID', string.format('%.0f-0', ms - maxAge)) end
redis.call('PUBLISH', ARGV[1], epoch .. '\\n' .. offset .. '\\n' .. ARGV[2])
return {epoch, offset}
`);

// KEYS: meta, log. ARGV: epoch of the asked position ('' for none), its offset, count.
// Returns {false} without history, else {epoch, seq, ms, now seconds, now microseconds, entries}.
const REPLAY = script(`
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'ms')
if not meta[1] then return {false} end
local start = '-'
if meta[1] == ARGV[1] then start = '(' .. ARGV[2] end
local now = redis.call('TIME')
return {meta[1], meta[2], meta[3], now[1], now[2], redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[3])}
`);

const OFFSET = /^\d{1,15}-\d{1,15}$/;

class RedisBackend implements Backend {
  readonly kind = 'redis';
  readonly #driver: RedisDriver;
  readonly #prefix: string;
  readonly #onError: ((error: Error) => void) | undefined;
  #sink: BackendSink | undefined;
  #subscriber: Promise<Subscriber> | undefined;

  constructor(driver: RedisDriver, prefix: string, onError: ((error: Error) => void) | undefined) {
    this.#driver = driver;
    this.#prefix = prefix;
    this.#onError = onError;
  }

  start(sink: BackendSink): void {
    this.#sink = sink;
  }

  async subscribe(group: string, history: Retention | undefined): Promise<Head | undefined> {
    // The head is read before SUBSCRIBE: a message in between is a hole the hub fills from
    // history, whereas reading after could count it as already seen.
    const head = history ? await this.#head(group) : undefined;
    const subscriber = await this.#openSubscriber();
    await subscriber.subscribe(this.#channel(group));
    return head;
  }

  async unsubscribe(group: string): Promise<void> {
    const subscriber = await this.#openSubscriber();
    await subscriber.unsubscribe(this.#channel(group));
  }

  async publish(group: string, payload: string, history: Retention | undefined): Promise<Position | undefined> {
    if (!history) {
      await this.#driver.command(['PUBLISH', this.#channel(group), `\n\n${payload}`]);
      return undefined;
    }
    const reply = await this.#eval(PUBLISH, group, [this.#channel(group), payload, String(history.count), String(history.maxAgeMs), newEpoch()]);
    const [epoch, offset] = asArray(reply).map(String);
    if (!epoch || !offset) throw new ChannelsUnavailable(`publish to ${JSON.stringify(group)}: unexpected reply from Redis`);
    return { epoch, offset, seq: seqOf(offset) };
  }

  async replay(group: string, after: Position | undefined, history: Retention): Promise<ReplayResult> {
    const usable = after && OFFSET.test(after.offset) ? after : undefined;
    const reply = asArray(await this.#eval(REPLAY, group, [usable?.epoch ?? '', usable?.offset ?? '', String(history.count)]));
    if (!reply[0]) return { epoch: undefined, seq: 0, offset: '', entries: [] };
    const seq = Number(reply[1]);
    const now = Number(reply[3]) * 1000 + Math.floor(Number(reply[4]) / 1000);
    const oldest = history.maxAgeMs > 0 ? now - history.maxAgeMs : -Infinity;
    const entries = asArray(reply[5])
      .map((raw) => {
        const [id, fields] = asArray(raw);
        const offset = String(id);
        return { offset, seq: seqOf(offset), payload: String(asArray(fields)[1]), ms: Number(offset.split('-')[0]) };
      })
      .filter((entry) => entry.ms >= oldest)
      .map(({ offset, seq: entrySeq, payload }) => ({ offset, seq: entrySeq, payload }));
    return { epoch: String(reply[0]), seq, offset: seq === 0 ? '' : `${String(reply[2])}-${seq}`, entries };
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) await (await subscriber.catch(() => undefined))?.close();
  }

  async #head(group: string): Promise<Head> {
    const [epoch, seq, ms] = asArray(await this.#driver.command(['HMGET', this.#key(group, 'meta'), 'epoch', 'seq', 'ms']));
    if (epoch === null || epoch === undefined) return { epoch: undefined, seq: 0, offset: '' };
    const last = Number(seq);
    return { epoch: String(epoch), seq: last, offset: last === 0 ? '' : `${String(ms)}-${last}` };
  }

  #openSubscriber(): Promise<Subscriber> {
    this.#subscriber ??= this.#driver
      .openSubscriber({
        message: (channel, message) => this.#onMessage(channel, message),
        restored: () => this.#sink?.resync(),
        lost: (error) => this.#onError?.(new ChannelsUnavailable(`lost the Redis subscriber connection (${error.message}); reconnecting`, { cause: error })),
      })
      .catch((error: unknown) => {
        this.#subscriber = undefined;
        throw error;
      });
    return this.#subscriber;
  }

  #onMessage(channel: string, message: string): void {
    if (!channel.startsWith(this.#prefix)) return;
    const group = channel.slice(this.#prefix.length);
    const first = message.indexOf('\n');
    const second = message.indexOf('\n', first + 1);
    if (first === -1 || second === -1) return;
    const epoch = message.slice(0, first);
    const offset = message.slice(first + 1, second);
    const payload = message.slice(second + 1);
    const position = epoch && OFFSET.test(offset) ? { epoch, offset, seq: seqOf(offset) } : undefined;
    this.#sink?.message(group, payload, position);
  }

  #channel(group: string): string {
    return `${this.#prefix}${group}`;
  }

  #key(group: string, kind: 'meta' | 'log'): string {
    return `${this.#prefix}{${group}}:${kind}`;
  }

  /** EVALSHA, and EVAL when Redis does not know the script (first use, or after a restart). */
  async #eval(body: Script, group: string, args: string[]): Promise<unknown> {
    const keys = [this.#key(group, 'meta'), this.#key(group, 'log')];
    try {
      return await this.#driver.command(['EVALSHA', body.sha, String(keys.length), ...keys, ...args]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return this.#driver.command(['EVAL', body.source, String(keys.length), ...keys, ...args]);
    }
  }
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

function seqOf(offset: string): number {
  return Number(offset.slice(offset.indexOf('-') + 1));
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
