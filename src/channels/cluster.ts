/**
 * The cluster layer: groups across the workers of one `pagi-server --workers N`
 * (or `serve({ workers })`), through the IPC relay the primary runs
 * (server/ipc-relay.ts). No dependencies, nothing to configure. The relay
 * numbers each group's messages and keeps their history, so it survives a
 * worker crash; a restart of the whole server starts a new epoch.
 *
 * Outside a cluster worker (one process, `--workers 1`) the layer keeps
 * everything in-process, like the memory layer, so the same code runs both ways.
 */
import cluster from 'node:cluster';
import { isRelayNotice, type RelayRequest, type RelayResult } from '../_internal/relay-contract.js';
import type { Backend, BackendSink, Head, ReplayResult, Retention } from './backend.js';
import { ChannelsUnavailable, InvalidLayerOption } from './errors.js';
import type { Position } from './ids.js';
import { createLayer } from './layer.js';
import { BrokerBackend } from './memory.js';
import type { ChannelLayer, LayerOptions } from './types.js';

/** The worker's end of an IPC channel: `process` in a cluster worker or a forked child. */
export interface IpcChannel {
  send(message: unknown, callback: (error: Error | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
  readonly connected?: boolean;
}

/** Options of `createClusterLayer()`: the common layer options, plus how to reach the primary. */
export interface ClusterLayerOptions extends LayerOptions {
  /** Seconds to wait for the primary's answer before failing with `ChannelsUnavailable` (default 10). */
  readonly requestTimeout?: number;
  /**
   * The channel to the relay. Default: `process` in a cluster worker; outside
   * one, no channel (everything stays in this process). Pass one to reach a
   * relay over another IPC channel (a `child_process.fork` child, tests).
   */
  readonly ipc?: IpcChannel;
}

/**
 * A channel layer shared by every worker of this server, through the
 * primary's IPC relay; outside a cluster worker (and without `ipc`), an
 * in-process layer with the same behaviour.
 */
export function createClusterLayer(options: ClusterLayerOptions = {}): ChannelLayer {
  const { requestTimeout = 10, ipc, ...layerOptions } = options;
  if (typeof requestTimeout !== 'number' || !(requestTimeout > 0)) {
    throw new InvalidLayerOption('requestTimeout', `must be a positive number of seconds (got ${String(requestTimeout)})`);
  }
  const channel = ipc ?? (cluster.isWorker ? (process as unknown as IpcChannel) : undefined);
  const backend = channel ? new IpcBackend(channel, requestTimeout * 1000) : new BrokerBackend('cluster');
  return createLayer(backend, layerOptions);
}

type Pending = { resolve: (result: RelayResult) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };
type Request = RelayRequest extends infer R ? (R extends { ref: number } ? Omit<R, 'ref' | 'pagi'> : never) : never;

class IpcBackend implements Backend {
  readonly kind = 'cluster';
  readonly #channel: IpcChannel;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextRef = 1;
  #sink: BackendSink | undefined;
  #gone: string | undefined;

  constructor(channel: IpcChannel, timeoutMs: number) {
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
  }

  start(sink: BackendSink): void {
    this.#sink = sink;
    this.#channel.on('message', this.#onMessage);
    this.#channel.on('disconnect', this.#onDisconnect);
  }

  async subscribe(group: string): Promise<Head> {
    const { epoch, seq } = await this.#request({ op: 'subscribe', topic: group });
    return { epoch, seq, offset: seq === 0 ? '' : String(seq) };
  }

  unsubscribe(group: string): Promise<void> {
    this.#post({ pagi: 'relay', op: 'unsubscribe', topic: group }, () => undefined);
    return Promise.resolve();
  }

  async publish(group: string, payload: string, history: Retention | undefined): Promise<Position | undefined> {
    const request: Request = history ? { op: 'publish', topic: group, payload, retention: history } : { op: 'publish', topic: group, payload };
    const { epoch, seq } = await this.#request(request);
    return history ? { epoch, offset: String(seq), seq } : undefined;
  }

  async replay(group: string, after: Position | undefined): Promise<ReplayResult> {
    const request: Request = after ? { op: 'replay', topic: group, after: { epoch: after.epoch, seq: after.seq } } : { op: 'replay', topic: group };
    const { epoch, seq, entries = [] } = await this.#request(request);
    return {
      epoch,
      seq,
      offset: seq === 0 ? '' : String(seq),
      entries: entries.map((entry) => ({ offset: String(entry.seq), seq: entry.seq, payload: entry.payload })),
    };
  }

  close(): Promise<void> {
    this.#channel.off('message', this.#onMessage);
    this.#channel.off('disconnect', this.#onDisconnect);
    this.#fail('the layer was closed');
    return Promise.resolve();
  }

  readonly #onMessage = (message: unknown): void => {
    if (!isRelayNotice(message)) return;
    if (message.op === 'message') {
      this.#sink?.message(message.topic, message.payload, { epoch: message.epoch, offset: String(message.seq), seq: message.seq });
      return;
    }
    const pending = this.#pending.get(message.ref);
    if (!pending) return;
    this.#pending.delete(message.ref);
    clearTimeout(pending.timer);
    if ('error' in message) pending.reject(new ChannelsUnavailable(`the primary's relay refused: ${message.error}`));
    else pending.resolve(message.result);
  };

  readonly #onDisconnect = (): void => this.#fail('the IPC channel to the primary closed');

  #fail(why: string): void {
    this.#gone ??= why;
    for (const [ref, pending] of this.#pending) {
      this.#pending.delete(ref);
      clearTimeout(pending.timer);
      pending.reject(new ChannelsUnavailable(why));
    }
  }

  #request(request: Request): Promise<RelayResult> {
    if (this.#gone) return Promise.reject(new ChannelsUnavailable(this.#gone));
    const ref = this.#nextRef++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref);
        reject(new ChannelsUnavailable(`no answer from the primary's relay within ${this.#timeoutMs / 1000} s (${request.op} ${JSON.stringify(request.topic)}); is this a pagi-server worker?`));
      }, this.#timeoutMs);
      this.#pending.set(ref, { resolve, reject, timer });
      this.#post({ ...request, pagi: 'relay', ref } as RelayRequest, (error) => {
        const waiting = this.#pending.get(ref);
        if (!waiting) return;
        this.#pending.delete(ref);
        clearTimeout(waiting.timer);
        waiting.reject(new ChannelsUnavailable(`cannot reach the primary's relay: ${error.message}`, { cause: error }));
      });
    });
  }

  /** Sends with a callback: a closed channel is reported there, never as an 'error' event on `process`. */
  #post(message: RelayRequest, onError: (error: Error) => void): void {
    if (this.#channel.connected === false) {
      onError(new Error('the IPC channel is closed'));
      return;
    }
    try {
      this.#channel.send(message, (error) => {
        if (error) onError(error);
      });
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
