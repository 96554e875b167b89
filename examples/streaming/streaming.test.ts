import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

describe('examples/streaming', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('streaming');
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('delivers chunks one by one, before the response ends', async () => {
    const response = await fetch(`${example.url}/?count=3`);
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');

    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = decoder.decode((await reader.read()).value, { stream: true });
    // Half a second separates the chunks, so the first read holds the first chunk, never the end.
    expect(first).toMatch(/^chunk 1 of 3\n/);
    expect(first).not.toContain('done');

    let rest = first;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
    }
    expect(rest).toBe('chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\ndone\n');
  });

  it('lets the client leave mid-stream without disturbing the server', async () => {
    const controller = new AbortController();
    const response = await fetch(`${example.url}/?count=50`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();

    const next = await fetch(`${example.url}/?count=1`);
    expect(await next.text()).toBe('chunk 1 of 1\ndone\n');
  });
});
