import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

describe('examples/hello', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('hello');
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('answers with a line of text naming the path', async () => {
    const response = await fetch(`${example.url}/some/where`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('Hello from PAGI! You asked for /some/where\n');
  });

  it('answers an EventSource-style request with the same plain response', async () => {
    const response = await fetch(`${example.url}/`, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Hello from PAGI! You asked for /\n');
  });
});
