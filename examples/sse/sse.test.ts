import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

interface Tick {
  id: string;
  tick: number;
  time: string;
}

/** Collects `count` tick events from an EventSource, with a deadline. */
function collectTicks(url: string, count: number, timeoutMs = 15_000): Promise<Tick[]> {
  const source = new EventSource(url);
  const ticks: Tick[] = [];
  return new Promise<Tick[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${ticks.length} ticks in ${timeoutMs} ms`)), timeoutMs);
    source.addEventListener('tick', (event) => {
      ticks.push({ id: event.lastEventId, ...(JSON.parse(event.data) as { tick: number; time: string }) });
      if (ticks.length === count) {
        clearTimeout(timer);
        resolve(ticks);
      }
    });
  }).finally(() => source.close());
}

/** Reads the raw stream until `marker` shows up, then cancels it. */
async function readRawUntil(url: string, marker: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (!text.includes(marker)) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}

describe('examples/sse', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('sse', { env: { SSE_KEEPALIVE: '0.3' } });
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('ticks once a second through an EventSource client', async () => {
    const ticks = await collectTicks(`${example.url}/`, 3);
    expect(ticks.map((t) => t.tick)).toEqual([1, 2, 3]);
    expect(ticks.map((t) => t.id)).toEqual(['1', '2', '3']);
    for (const t of ticks) expect(Number.isNaN(Date.parse(t.time))).toBe(false);
  });

  it('sends keepalive comments between ticks', async () => {
    const raw = await readRawUntil(`${example.url}/`, ':keepalive\n\n');
    expect(raw).toMatch(/^event: tick\ndata: \{"tick":1,.*\}\nid: 1\n\n/);
    expect(raw).toContain(':keepalive\n\n');
  });

  it('resumes counting after Last-Event-ID', async () => {
    const first = await readRawUntil(`${example.url}/`, '\n\n', { 'last-event-id': '41' });
    expect(first).toMatch(/^event: tick\ndata: \{"tick":42,.*\}\nid: 42\n\n/);
  });

  it('serves the clock page to a browser', async () => {
    const response = await fetch(`${example.url}/`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain("new EventSource(location.pathname)");
  });
});
