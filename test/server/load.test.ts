/**
 * 1,000 concurrent WebSockets and 1,000 concurrent SSE streams held for 10 s
 * against a real `pagi-server` process, with no errors. The clients live in
 * this process, the server in a child, so the two share the 2 cores.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { FIXTURES, killChildren, runCli, waitFor, within } from './helpers.js';

const COUNT = 1000;
const HOLD_MS = 10_000;

afterAll(() => killChildren());

describe('load', () => {
  it(`holds ${COUNT} WebSockets and ${COUNT} SSE streams for ${HOLD_MS / 1000} s without errors`, { timeout: 90_000 }, async () => {
    const child = runCli(['--port', '0', '--no-access-log', path.join(FIXTURES, 'hold.mjs')]);
    const port = Number((await child.waitOutput(/listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    const errors: string[] = [];
    const sockets: WebSocket[] = [];
    const streams: EventSource[] = [];
    let wsOpen = 0;
    let sseMessages = 0;
    let wsClosedEarly = 0;
    try {
      // Open in batches so the accept queue never overflows.
      for (let i = 0; i < COUNT; i += 100) {
        const batch: Array<Promise<unknown>> = [];
        for (let j = i; j < Math.min(i + 100, COUNT); j++) {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${j}`);
          sockets.push(ws);
          ws.on('error', (err) => errors.push(`ws ${j}: ${err.message}`));
          ws.on('close', () => wsClosedEarly++);
          batch.push(
            new Promise<void>((resolve) =>
              ws.once('open', () => {
                wsOpen++;
                resolve();
              }),
            ),
          );
          const es = new EventSource(`http://127.0.0.1:${port}/sse/${j}`);
          streams.push(es);
          es.onerror = (event) => errors.push(`sse ${j}: ${event.message ?? 'error'}`);
          batch.push(
            new Promise<void>((resolve) => {
              es.onmessage = (event) => {
                if (event.data === 'hello') sseMessages++;
                resolve();
              };
            }),
          );
        }
        await within(Promise.all(batch), 30_000, `batch ${i / 100}`);
      }
      expect(wsOpen).toBe(COUNT);
      expect(sseMessages).toBe(COUNT);

      await new Promise((r) => setTimeout(r, HOLD_MS));

      // Every WebSocket still answers after the hold.
      let echoes = 0;
      for (const ws of sockets) {
        ws.once('message', () => echoes++);
        ws.send('ping');
      }
      await waitFor(() => echoes === COUNT, 20_000, 'echo from every WebSocket');
      const states = streams.map((es) => es.readyState);
      expect({ errors: errors.slice(0, 5), notOpen: states.filter((st) => st !== EventSource.OPEN).length }).toEqual({ errors: [], notOpen: 0 });
      expect(wsClosedEarly).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      for (const es of streams) es.close();
      for (const ws of sockets) ws.terminate();
    }
    child.proc.kill('SIGTERM');
    expect(await child.exited(30_000)).toBe(0);
    expect(child.stderr()).not.toMatch(/pagi (warn|error)/);
  });
});
