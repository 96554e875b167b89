import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

/** Rejects if `promise` does not settle within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Logs in over plain HTTP and returns the session cookie Express set. */
async function login(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
    signal: AbortSignal.timeout(5000),
  });
  expect(response.status).toBe(200);
  const cookie = response.headers.get('set-cookie');
  expect(cookie).toMatch(/^connect\.sid=/);
  return cookie!.split(';')[0]!;
}

describe('examples/socketio-legacy', () => {
  let example: ExampleProcess;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    example = await startExample('socketio-legacy');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    if (example) expect(await example.stop()).toBe(0);
  });

  /** Connects; `welcome` resolves with the server's first event (listened for before it can arrive). */
  function connect(cookie: string | undefined, transports: Array<'polling' | 'websocket'>): Socket & { welcome: Promise<unknown> } {
    const socket = ioClient(example.url, {
      transports,
      reconnection: false,
      timeout: 5000,
      extraHeaders: cookie === undefined ? {} : { cookie },
    });
    sockets.push(socket);
    const welcome = new Promise<unknown>((resolve) => socket.once('welcome', resolve));
    return Object.assign(socket, { welcome });
  }

  it('shares the Express login session with the socket.io handshake, and chats between two users', async () => {
    const alice = connect(await login(example.url, 'alice'), ['websocket']);
    const bob = connect(await login(example.url, 'bob'), ['polling', 'websocket']);
    const welcomes = await within(Promise.all([alice.welcome, bob.welcome]), 5000, 'welcome');
    // The name comes from req.session, set by POST /login: the cookie identified the socket.io connection.
    expect(welcomes).toEqual([{ name: 'alice' }, { name: 'bob' }]);

    const heard = within(new Promise<unknown>((resolve) => bob.once('chat', resolve)), 5000, 'chat');
    alice.emit('chat', 'hi bob');
    expect(await heard).toEqual({ from: 'alice', text: 'hi bob' });
  });

  it('refuses a socket.io connection without a login', async () => {
    const stranger = connect(undefined, ['websocket']);
    const error = await within(new Promise<Error>((resolve) => stranger.once('connect_error', resolve)), 5000, 'connect_error');
    expect(error.message).toBe('not logged in');
  });

  it('serves the Express routes and the native PAGI endpoint from the same process', async () => {
    const me = await fetch(`${example.url}/me`, { headers: { cookie: await login(example.url, 'carol') }, signal: AbortSignal.timeout(5000) });
    expect(await me.json()).toEqual({ name: 'carol' });

    const socket = new WebSocket(`${example.url.replace(/^http/, 'ws')}/live`, { handshakeTimeout: 5000 });
    try {
      const messages: string[] = [];
      const two = new Promise<void>((resolve, reject) => {
        socket.on('message', (data: Buffer) => {
          messages.push(data.toString('utf8'));
          if (messages.length === 2) resolve();
        });
        socket.once('error', reject);
      });
      socket.once('open', () => socket.send('hello'));
      await within(two, 5000, 'live messages');
      expect(messages).toEqual(['native PAGI endpoint', JSON.stringify({ length: 5 })]);
    } finally {
      socket.terminate();
    }
  });
});
