/**
 * The cluster layer across real workers: `pagi-server --workers 2` running
 * the broadcast fixture, real SSE clients (the `eventsource` package among
 * them), the primary's IPC relay in between.
 */
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, waitFor } from '../server/helpers.js';
import { publish, startBroadcastServer, type BroadcastServer } from './helpers/processes.js';
import { openSSE, type SSEStream } from './helpers/sse-client.js';

describe('the cluster layer on pagi-server --workers 2', () => {
  let server: BroadcastServer;
  beforeAll(async () => {
    server = await startBroadcastServer({ CHANNELS_LAYER: 'cluster' }, 2);
  });
  afterAll(async () => {
    server?.child.proc.kill('SIGTERM');
    await server?.child.exited(30_000).catch(() => undefined);
    killChildren();
  });

  it('delivers every message to subscribers on every worker, once, in one order', async () => {
    const streams: SSEStream[] = [];
    try {
      // Fresh connections until the streams sit on both workers.
      for (let i = 0; i < 30 && (streams.length < 4 || new Set(streams.map((s) => s.headers['x-pid'])).size < 2); i++) {
        streams.push(await openSSE(`${server.url}/events`));
      }
      expect(new Set(streams.map((s) => s.headers['x-pid'])).size).toBe(2);
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await publish(server.url, { i }));
      for (const stream of streams) {
        const events = await stream.waitForCount(30, 10_000);
        expect(events.map((e) => e.id)).toEqual(ids);
        expect(events.map((e) => JSON.parse(e.data) as unknown)).toEqual([...Array(30).keys()].map((i) => ({ i })));
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('loses nothing that history can recover when a worker crashes: the browser resumes on another', async () => {
    const pids: string[] = [];
    const source = new EventSource(`${server.url}/events`, {
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        pids.push(response.headers.get('x-pid') ?? '');
        return response;
      },
    });
    const received: Array<{ id: string; data: string }> = [];
    source.addEventListener('message', (event) => received.push({ id: event.lastEventId, data: event.data }));
    try {
      await waitFor(() => source.readyState === EventSource.OPEN, 10_000, 'EventSource open');
      const ids = [await publish(server.url, { n: 1 }), await publish(server.url, { n: 2 })];
      await waitFor(() => received.length === 2, 10_000, 'two messages before the crash');

      process.kill(Number(pids[0]), 'SIGKILL');
      await server.child.waitOutput(new RegExp(`\\(pid ${pids[0]}\\) exited unexpectedly`), 10_000);
      // Published while the client is away; the primary's history keeps them.
      for (let n = 3; n <= 6; n++) ids.push(await publish(server.url, { n }));
      await waitFor(() => received.length >= 6, 15_000, 'the missed messages after reconnecting');
      ids.push(await publish(server.url, { n: 7 }));
      await waitFor(() => received.length >= 7, 10_000, 'live messages after the resume');

      expect(pids.length).toBeGreaterThanOrEqual(2);
      expect(received.map((r) => r.id)).toEqual(ids);
      expect(received.map((r) => (JSON.parse(r.data) as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      source.close();
    }
  });
});
