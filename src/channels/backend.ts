/**
 * The internal contract between the shared part of every layer (hub.ts:
 * local groups, queues, order, gaps) and what differs per layer: how a
 * message reaches the other processes and where history lives. memory.ts,
 * cluster.ts and redis.ts each implement it once.
 */
import type { Retention } from '../_internal/topic-broker.js';
import type { Position } from './ids.js';

export type { Retention };

/** Where a group's history stands: its epoch and its last message's sequence number and offset. */
export interface Head {
  /** `undefined`: the group has no history (yet, or any more). */
  readonly epoch: string | undefined;
  /** The last sequence number of the epoch (0: none yet). */
  readonly seq: number;
  /** That message's offset (`''` when `seq` is 0). */
  readonly offset: string;
}

/** One retained message: its offset, sequence number and payload (the envelope). */
export interface ReplayEntry {
  readonly offset: string;
  readonly seq: number;
  readonly payload: string;
}

/** A group's retained messages after a position, and where the group stands now. */
export interface ReplayResult extends Head {
  /** Oldest first. All retained entries when the asked position was of another epoch. */
  readonly entries: readonly ReplayEntry[];
}

/** Where a backend delivers what arrives from the transport. */
export interface BackendSink {
  /** A message for `group`; `position` on groups with history. Called in the transport's order. */
  message(group: string, payload: string, position: Position | undefined): void;
  /** Live delivery was interrupted (a reconnect): messages may have been missed on every group. */
  resync(): void;
}

/** A layer's transport and history store (memory.ts, cluster.ts, redis.ts). */
export interface Backend {
  readonly kind: 'memory' | 'cluster' | 'redis';
  /** Called once, before anything else. */
  start(sink: BackendSink): void;
  /**
   * Starts live delivery of `group` to this process; resolves when active.
   * On history groups, with the head as it was no later than the moment
   * delivery started (messages after it are new to this process).
   */
  subscribe(group: string, history: Retention | undefined): Promise<Head | undefined>;
  unsubscribe(group: string): Promise<void>;
  /** Publishes; resolves with the message's position on history groups. */
  publish(group: string, payload: string, history: Retention | undefined): Promise<Position | undefined>;
  /** Retained entries of `group` after `after` (all of them when `after` is `undefined` or of another epoch). */
  replay(group: string, after: Position | undefined, history: Retention): Promise<ReplayResult>;
  close(): Promise<void>;
}
