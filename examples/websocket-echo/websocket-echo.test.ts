import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

/** Opens a client and resolves once the handshake completed. */
function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: 10_000 });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the next message, as the `ws` client reports it. */
function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
    socket.once('message', (data: Buffer, isBinary: boolean) => {
      clearTimeout(timer);
      resolve({ data, isBinary });
    });
  });
}

describe('examples/websocket-echo', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('websocket-echo');
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('echoes text and bytes, then closes with 1000 on "bye"', async () => {
    const socket = await connect(example.url.replace(/^http/, 'ws'));
    try {
      socket.send('hello');
      const text = await nextMessage(socket);
      expect(text.isBinary).toBe(false);
      expect(text.data.toString('utf8')).toBe('hello');

      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      socket.send(bytes);
      const binary = await nextMessage(socket);
      expect(binary.isBinary).toBe(true);
      expect(Buffer.compare(binary.data, bytes)).toBe(0);

      const closed = new Promise<[number, string]>((resolve) =>
        socket.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])),
      );
      socket.send('bye');
      expect(await closed).toEqual([1000, 'goodbye']);
    } finally {
      socket.terminate();
    }
  });

  it('tells plain HTTP clients to upgrade, naming the port it really runs on', async () => {
    const response = await fetch(example.url);
    expect(response.status).toBe(426);
    const port = new URL(example.url).port;
    expect(port).not.toBe('3000');
    expect(await response.text()).toContain(`npx wscat -c ws://127.0.0.1:${port}/`);
  });
});
