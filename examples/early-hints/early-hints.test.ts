import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

/** Sends `request` on a raw socket; resolves with each chunk and when it arrived, once the server closes. */
function rawExchange(url: string, request: string): Promise<Array<{ at: number; text: string }>> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Array<{ at: number; text: string }> = [];
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error('no complete response within 5 s'));
    }, 5000);
    socket.on('data', (data: Buffer) => chunks.push({ at: Date.now(), text: data.toString('latin1') }));
    socket.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve(chunks);
    });
  });
}

describe('examples/early-hints', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('early-hints', { env: { RENDER_MS: '300' } });
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('sends 103 Early Hints with the preload link before the slow 200', async () => {
    const started = Date.now();
    const chunks = await rawExchange(example.url, 'GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n');
    const wire = chunks.map((c) => c.text).join('');
    expect(wire).toMatch(/^HTTP\/1\.1 103 Early Hints\r\nLink: <\/style\.css>; rel=preload; as=style\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(wire).toContain('Rendered slowly.');
    // The hints left before the render finished: the first chunk is the 103 alone.
    const first = chunks[0]!;
    expect(first.text.startsWith('HTTP/1.1 103')).toBe(true);
    expect(first.text).not.toContain('200 OK');
    expect(first.at - started).toBeLessThan(chunks.at(-1)!.at - started);
  });

  it('sends no 103 to an HTTP/1.0 client (the extension is not advertised)', async () => {
    const chunks = await rawExchange(example.url, 'GET / HTTP/1.0\r\nHost: example\r\n\r\n');
    const wire = chunks.map((c) => c.text).join('');
    expect(wire.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(wire).not.toContain('103');
  });

  it('fetch (undici) skips the 103 and gets the page', async () => {
    const response = await fetch(`${example.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Rendered slowly.');
  });
});
