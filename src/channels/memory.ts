/**
 * The memory layer: groups inside one process, no dependencies. The default
 * for one process (`serve()` without workers, `toNodeListener`, tests).
 * History lives in the process too, so a restart starts a new epoch.
 */
import { TopicBroker } from '../_internal/topic-broker.js';
import type { Backend, BackendSink, Head, ReplayResult, Retention } from './backend.js';
import type { Position } from './ids.js';
import { createLayer } from './layer.js';
import type { ChannelLayer, LayerOptions } from './types.js';

/** A channel layer for one process. */
export function createMemoryLayer(options?: LayerOptions): ChannelLayer {
  return createLayer(new BrokerBackend('memory'), options);
}

/**
 * A backend on an in-process broker: delivery is synchronous (a publish has
 * reached every local queue when its promise resolves). The cluster layer
 * uses it too when the process is not a cluster worker.
 */
export class BrokerBackend implements Backend {
  readonly kind: 'memory' | 'cluster';
  readonly #broker = new TopicBroker<BrokerBackend>();
  #sink: BackendSink | undefined;

  constructor(kind: 'memory' | 'cluster') {
    this.kind = kind;
  }

  start(sink: BackendSink): void {
    this.#sink = sink;
  }

  subscribe(group: string): Promise<Head> {
    const seq = this.#broker.subscribe(group, this);
    return Promise.resolve(this.#position(seq));
  }

  unsubscribe(group: string): Promise<void> {
    this.#broker.unsubscribe(group, this);
    return Promise.resolve();
  }

  publish(group: string, payload: string, history: Retention | undefined): Promise<Position | undefined> {
    const { seq, subscribers } = this.#broker.publish(group, payload, history);
    const position = this.#position(seq);
    if (subscribers.has(this)) this.#sink?.message(group, payload, position);
    return Promise.resolve(history ? position : undefined);
  }

  replay(group: string, after: Position | undefined): Promise<ReplayResult> {
    const { epoch } = this.#broker;
    const replayed = this.#broker.replay(group, after?.epoch === epoch ? after.seq : 0);
    return Promise.resolve({
      ...this.#position(replayed.lastSeq),
      entries: replayed.entries.map((entry) => ({ offset: String(entry.seq), seq: entry.seq, payload: entry.payload })),
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #position(seq: number): Position {
    return { epoch: this.#broker.epoch, offset: seq === 0 ? '' : String(seq), seq };
  }
}
