/**
 * The IPC relay a multi-worker server's primary runs: a small publish/subscribe
 * hub between its cluster workers. A worker subscribes to topics and publishes
 * strings; the relay numbers every publication per topic, keeps a bounded
 * history when asked, and forwards each publication, in order, to every worker
 * subscribed to its topic (the publisher included). It is how
 * `createClusterLayer()` of `pagi/channels` reaches the other workers without a
 * broker of its own, but it is generic: the payloads are opaque strings and
 * the message contract lives in `_internal/relay-contract.ts`.
 *
 * `serve({ workers })` and `pagi-server --workers` start it on their own; a
 * program that forks its own `node:cluster` workers calls `startIpcRelay()`
 * in its primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { isRelayRequest, type RelayNotice, type RelayRequest } from '../_internal/relay-contract.js';
import { TopicBroker } from '../_internal/topic-broker.js';

/** The side of an IPC channel the relay writes to: a cluster `Worker` or a forked `ChildProcess` is one. */
export interface RelayPort {
  send(message: RelayNotice, callback?: (error: Error | null) => void): unknown;
  /** `Worker` reports its channel this way… */
  isConnected?(): boolean;
  /** …and `ChildProcess` this way. */
  readonly connected?: boolean;
}

/** A relay bound to no transport: the caller feeds it each port's messages. */
export interface IpcRelay {
  /** Handles `message` from `port` if it is a relay request; returns whether it was one. */
  handle(port: RelayPort, message: unknown): boolean;
  /** Forgets `port`'s subscriptions (its process exited or disconnected). */
  detach(port: RelayPort): void;
  /** Topics and subscriptions currently held (for leak checks). */
  stats(): { topics: number; subscriptions: number };
}

/** Creates a relay with a fresh epoch: positions handed out by an earlier relay are recognised as foreign. */
export function createIpcRelay(): IpcRelay {
  const broker = new TopicBroker<RelayPort>();
  const send = (port: RelayPort, notice: RelayNotice): void => {
    if (port.isConnected?.() === false || port.connected === false) return;
    try {
      // With a callback, a channel closing under us is reported there instead of as an 'error' event.
      port.send(notice, ignoreSendError);
    } catch {
      // The worker is exiting; its 'exit' detaches it.
    }
  };

  const dispatch = (port: RelayPort, request: RelayRequest): void => {
    const { epoch } = broker;
    switch (request.op) {
      case 'subscribe': {
        const seq = broker.subscribe(request.topic, port);
        send(port, { pagi: 'relay', op: 'reply', ref: request.ref, result: { epoch, seq } });
        return;
      }
      case 'unsubscribe':
        broker.unsubscribe(request.topic, port);
        return;
      case 'publish': {
        const { seq, subscribers } = broker.publish(request.topic, request.payload, request.retention);
        const message: RelayNotice = { pagi: 'relay', op: 'message', topic: request.topic, payload: request.payload, epoch, seq };
        for (const subscriber of subscribers) send(subscriber, message);
        // After the fan-out, so a publisher subscribed to its own topic sees its message before the answer.
        send(port, { pagi: 'relay', op: 'reply', ref: request.ref, result: { epoch, seq } });
        return;
      }
      case 'replay': {
        const afterSeq = request.after?.epoch === epoch ? request.after.seq : 0;
        const replayed = broker.replay(request.topic, afterSeq);
        const entries = replayed.entries.map((e) => ({ seq: e.seq, payload: e.payload }));
        send(port, { pagi: 'relay', op: 'reply', ref: request.ref, result: { epoch, seq: replayed.lastSeq, entries } });
        return;
      }
    }
  };

  return {
    handle(port, message) {
      if (!isRelayRequest(message)) return false;
      dispatch(port, message);
      return true;
    },
    detach(port) {
      broker.unsubscribeAll(port);
    },
    stats() {
      return { topics: broker.topicCount, subscriptions: broker.subscriptionCount };
    },
  };
}

function ignoreSendError(): void {
  // A worker that left misses its messages; the relay forgets it on 'exit'/'disconnect'.
}

/**
 * Runs a relay for every worker this process forks with `node:cluster` (call
 * it in the primary, before or after forking). Returns the function that
 * stops it. `serve({ workers })` does this itself.
 */
export function startIpcRelay(): () => void {
  if (!cluster.isPrimary) throw new Error('startIpcRelay() runs in the cluster primary');
  const relay = createIpcRelay();
  const onMessage = (worker: Worker, message: unknown) => void relay.handle(worker, message);
  const onGone = (worker: Worker) => relay.detach(worker);
  cluster.on('message', onMessage);
  cluster.on('exit', onGone);
  cluster.on('disconnect', onGone);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('exit', onGone);
    cluster.off('disconnect', onGone);
  };
}
