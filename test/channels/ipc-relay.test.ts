/**
 * The primary's IPC relay and the cluster layer's side of it, in process:
 * what the relay ignores, what it forgets when a worker goes, and how the
 * layer fails when the primary does not answer or goes away.
 */
import { describe, expect, it } from 'vitest';
import { ChannelsUnavailable, createClusterLayer, createMemoryLayer } from 'pagi/channels';
import { createIpcRelay, type RelayPort } from '../../src/server/ipc-relay.js';
import { takeData } from './helpers/deliveries.js';
import { InProcessIpc } from './helpers/layers.js';

function recordingPort(): RelayPort & { sent: unknown[] } {
  const sent: unknown[] = [];
  return { sent, send: (message) => void sent.push(message), isConnected: () => true };
}

describe('createIpcRelay', () => {
  it('handles only well-formed relay requests and leaves every other message alone', () => {
    const relay = createIpcRelay();
    const port = recordingPort();
    for (const message of [null, 'x', { pagi: 'listening' }, { pagi: 'relay', op: 'nope', topic: 't' }, { pagi: 'relay', op: 'publish', topic: 't', ref: 1 }, { pagi: 'relay', op: 'subscribe', topic: 5, ref: 1 }]) {
      expect(relay.handle(port, message)).toBe(false);
    }
    expect(port.sent).toEqual([]);
    expect(relay.handle(port, { pagi: 'relay', op: 'subscribe', topic: 't', ref: 1 })).toBe(true);
    expect(port.sent).toEqual([{ pagi: 'relay', op: 'reply', ref: 1, result: { epoch: expect.any(String), seq: 0 } }]);
  });

  it('numbers publications per topic, forwards them to subscribed ports only, and forgets a port that left', () => {
    const relay = createIpcRelay();
    const [one, two, other] = [recordingPort(), recordingPort(), recordingPort()];
    relay.handle(one, { pagi: 'relay', op: 'subscribe', topic: 't', ref: 1 });
    relay.handle(two, { pagi: 'relay', op: 'subscribe', topic: 't', ref: 1 });
    relay.handle(other, { pagi: 'relay', op: 'publish', topic: 't', ref: 7, payload: 'p1' });
    relay.handle(other, { pagi: 'relay', op: 'publish', topic: 't', ref: 8, payload: 'p2' });
    const messages = (port: { sent: unknown[] }) => port.sent.filter((m) => (m as { op: string }).op === 'message').map((m) => (m as { seq: number; payload: string }));
    expect(messages(one).map((m) => [m.seq, m.payload])).toEqual([[1, 'p1'], [2, 'p2']]);
    expect(messages(two)).toHaveLength(2);
    expect(other.sent.map((m) => (m as { ref: number }).ref)).toEqual([7, 8]);
    expect(relay.stats()).toEqual({ topics: 1, subscriptions: 2 });
    relay.detach(one);
    relay.detach(two);
    expect(relay.stats()).toEqual({ topics: 0, subscriptions: 0 });
  });

  it('keeps bounded history for replay and answers replays of another epoch with everything it has', () => {
    const relay = createIpcRelay();
    const port = recordingPort();
    for (let i = 1; i <= 4; i++) relay.handle(port, { pagi: 'relay', op: 'publish', topic: 'h', ref: i, payload: `m${i}`, retention: { count: 3, maxAgeMs: 0 } });
    const epoch = (port.sent[0] as { result: { epoch: string } }).result.epoch;
    relay.handle(port, { pagi: 'relay', op: 'replay', topic: 'h', ref: 10, after: { epoch, seq: 2 } });
    relay.handle(port, { pagi: 'relay', op: 'replay', topic: 'h', ref: 11, after: { epoch: 'other', seq: 3 } });
    const [mine, foreign] = port.sent.slice(-2) as Array<{ result: { seq: number; entries: Array<{ seq: number }> } }>;
    expect(mine!.result.seq).toBe(4);
    expect(mine!.result.entries.map((e) => e.seq)).toEqual([3, 4]);
    expect(foreign!.result.entries.map((e) => e.seq)).toEqual([2, 3, 4]);
  });
});

describe('createClusterLayer', () => {
  it('fails with ChannelsUnavailable when the primary goes away, and when nobody answers', async () => {
    const relay = createIpcRelay();
    const ipc = new InProcessIpc(relay);
    const layer = createClusterLayer({ ipc });
    const member = await layer.subscribe({ groups: ['g'] });
    await layer.publish('g', 'up');
    expect(await takeData(member, 1)).toEqual(['up']);
    ipc.disconnect();
    await expect(layer.publish('g', 'down')).rejects.toBeInstanceOf(ChannelsUnavailable);
    await layer.close();

    const silent = createClusterLayer({ requestTimeout: 0.05, ipc: { send: () => true, on: () => undefined, off: () => undefined } });
    await expect(silent.publish('g', 1)).rejects.toThrow(/no answer from the primary's relay within 0.05 s/);
    await silent.close();
  });

  it('outside a cluster worker, without a channel, keeps everything in this process', async () => {
    const layer = createClusterLayer({ history: { g: { count: 2 } } });
    const member = await layer.subscribe({ groups: ['g'] });
    const { id } = await layer.publish('g', 'local');
    expect(id).toMatch(/^[0-9a-f]{12}-1$/);
    expect(await takeData(member, 1)).toEqual(['local']);
    expect(layer.kind).toBe('cluster');
    await layer.close();
    expect(createMemoryLayer().kind).toBe('memory');
  });
});
