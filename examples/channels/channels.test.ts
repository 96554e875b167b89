// The channels example as users run it, with WORKERS=2 (the cluster layer through the primary):
// notifications posted through Express reach EventSource and WebSocket clients on any worker, a
// reconnecting SSE client resumes with Last-Event-ID, a WebSocket sender is excluded from its own.
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openSSE } from '../../test/channels/helpers/sse-client.js';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

async function notify(base: string, text: string): Promise<string> {
  const response = await fetch(`${base}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ text }) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('examples/channels (WORKERS=2)', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('channels', { env: { WORKERS: '2' }, timeoutMs: 60_000 });
    await example.waitForOutput('channels example: listening on', 60_000);
  });
  afterAll(async () => {
    if (example) expect(await example.stop('SIGTERM', 30_000)).toBe(0);
  });

  it('streams notifications posted through Express to EventSource clients, and lists them', async () => {
    const sources = [new EventSource(`${example.url}/events`), new EventSource(`${example.url}/events`)];
    const got: string[][] = [[], []];
    sources.forEach((source, i) => source.addEventListener('notification', (event) => got[i]!.push((JSON.parse(event.data) as { text: string }).text)));
    try {
      await until(() => sources.every((s) => s.readyState === EventSource.OPEN), 'EventSources open');
      // Published on whichever worker takes each POST.
      for (const text of ['one', 'two', 'three']) await notify(example.url, text);
      await until(() => got.every((texts) => texts.length === 3), 'three notifications each');
      expect(got).toEqual([['one', 'two', 'three'], ['one', 'two', 'three']]);
      const listed = (await (await fetch(`${example.url}/api/notifications`)).json()) as Array<{ id: string; text: string }>;
      expect(listed.slice(-3).map((n) => n.text)).toEqual(['one', 'two', 'three']);
    } finally {
      for (const source of sources) source.close();
    }
  });

  it('resumes a reconnecting client after its Last-Event-ID, with exactly what it missed', async () => {
    const first = await openSSE(`${example.url}/events`);
    await notify(example.url, 'seen');
    const [seen] = await first.waitForCount(1);
    first.close();
    const missed = [await notify(example.url, 'missed 1'), await notify(example.url, 'missed 2')];
    const again = await openSSE(`${example.url}/events`, { lastEventId: seen!.id! });
    expect((await again.waitForCount(2)).map((e) => e.id)).toEqual(missed);
    again.close();
  });

  it('relays WebSocket messages to everybody but their sender', async () => {
    const open = () =>
      new Promise<{ socket: WebSocket; got: Array<{ text: string; id: string }> }>((resolve, reject) => {
        const socket = new WebSocket(`${example.url.replace(/^http/, 'ws')}/ws`);
        const got: Array<{ text: string; id: string }> = [];
        socket.on('message', (data: Buffer) => got.push(JSON.parse(data.toString('utf8')) as { text: string; id: string }));
        socket.once('open', () => resolve({ socket, got }));
        socket.once('error', reject);
      });
    const [alice, bob] = [await open(), await open()];
    try {
      // The endpoint subscribes before it accepts: an open socket hears everything from now on.
      await notify(example.url, 'ready?');
      await until(() => alice.got.length === 1 && bob.got.length === 1, 'the first notification at both');
      alice.socket.send('hello from alice');
      await until(() => bob.got.length === 2, 'alice’s message at bob');
      // Published after alice's message (bob has it), so the fence reaches alice after it would have.
      await notify(example.url, 'fence');
      await until(() => alice.got.length === 2 && bob.got.length === 3, 'the fence');
      expect(bob.got.map((m) => m.text)).toEqual(['ready?', 'hello from alice', 'fence']);
      expect(alice.got.map((m) => m.text)).toEqual(['ready?', 'fence']);
      expect(bob.got[1]!.id).toMatch(/^[0-9a-f]{12}-\d+$/);
    } finally {
      alice.socket.terminate();
      bob.socket.terminate();
    }
  });
});
