import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

describe('examples/pagi-in-express', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('pagi-in-express');
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('streams the countdown chunk by chunk through Express, with helmet headers kept', async () => {
    const response = await fetch(`${example.url}/live/countdown?from=3`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');

    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value, { stream: true });
    // Half a second separates the steps, so the first read holds the first one, never the end.
    expect(first).toMatch(/^3\n/);
    expect(first).not.toContain('liftoff');
    let rest = first;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
    }
    expect(rest).toBe('3\n2\n1\nliftoff from /live/countdown\n');
  });

  it('delivers the countdown as events to an EventSource client', async () => {
    const source = new EventSource(`${example.url}/live/countdown?from=3`);
    try {
      const received = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const timer = setTimeout(() => reject(new Error(`only got ${JSON.stringify(seen)}`)), 10_000);
        source.addEventListener('count', (event) => seen.push(event.data));
        source.addEventListener('done', (event) => {
          clearTimeout(timer);
          seen.push(`done ${event.data}`);
          resolve(seen);
        });
      });
      expect(received).toEqual(['3', '2', '1', 'done /live/countdown']);
    } finally {
      source.close();
    }
  });

  it('leaves the Express routes alone', async () => {
    const page = await fetch(`${example.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("new EventSource('/live/countdown?from=5')");
    const missing = await fetch(`${example.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Cannot GET /nope');
  });
});
