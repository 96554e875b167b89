// The hybrid demo scaled out, with real processes: `WORKERS=4 npm start` (cluster layer) and two
// instances on two ports sharing one Redis (`REDIS_URL=… npm start`). A message posted through the
// Express JSON API or a WebSocket reaches every chat socket on every worker and instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRedisServer, type RedisServer } from '../../test/channels/helpers/redis-server.js';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

interface Chat {
  readonly socket: WebSocket;
  readonly pid: number;
  readonly texts: string[];
}

/** Connects a chat socket (a fresh TCP connection, so the cluster may hand it to any worker) and learns which process serves it. */
function connectChat(base: string, name: string): Promise<Chat> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/live/chat?name=${name}`, { handshakeTimeout: 10_000 });
    const texts: string[] = [];
    let pid: number | undefined;
    const timer = setTimeout(() => reject(new Error('no presence event within 10 s')), 10_000);
    socket.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString('utf8')) as { type: string; pid?: number; message?: { text: string } };
      if (event.type === 'message') texts.push(event.message!.text);
      if (event.type === 'presence' && pid === undefined) {
        pid = event.pid!;
        clearTimeout(timer);
        resolve({ socket, pid, texts });
      }
    });
    socket.once('error', reject);
  });
}

async function postMessage(base: string, text: string): Promise<void> {
  const response = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ text }) });
  expect(response.status).toBe(201);
}

async function waitForTexts(chats: readonly Chat[], expected: readonly string[], ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (chats.some((chat) => expected.some((text) => !chat.texts.includes(text)))) {
    if (Date.now() > deadline) throw new Error(`not every socket got ${JSON.stringify(expected)}: ${JSON.stringify(chats.map((c) => c.texts))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('examples/hybrid with WORKERS=4', () => {
  let demo: ExampleProcess;
  const chats: Chat[] = [];
  beforeAll(async () => {
    demo = await startExample('hybrid', { env: { WORKERS: '4' }, timeoutMs: 60_000 });
    await demo.waitForOutput('PAGI hybrid demo: listening on', 60_000);
  });
  afterAll(async () => {
    for (const chat of chats) chat.socket.terminate();
    if (demo) expect(await demo.stop('SIGTERM', 30_000)).toBe(0);
  });

  it('shares the chat between sockets on different workers, from the JSON API and from a socket', async () => {
    for (let i = 0; i < 16 && (chats.length < 4 || new Set(chats.map((c) => c.pid)).size < 3); i++) {
      chats.push(await connectChat(demo.url, `user${i}`));
    }
    expect(new Set(chats.map((c) => c.pid)).size).toBeGreaterThanOrEqual(3);

    await postMessage(demo.url, 'posted through Express');
    chats[0]!.socket.send('typed in a socket');
    await waitForTexts(chats, ['posted through Express', 'typed in a socket']);

    // Any worker answers the history from the same place.
    for (let i = 0; i < 4; i++) {
      const history = (await (await fetch(`${demo.url}/api/messages`, { headers: { connection: 'close' } })).json()) as Array<{ text: string }>;
      expect(history.map((m) => m.text)).toEqual(expect.arrayContaining(['posted through Express', 'typed in a socket']));
    }
  });
});

describe('examples/hybrid as two instances on one Redis', () => {
  let redis: RedisServer;
  const instances: ExampleProcess[] = [];
  const chats: Chat[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    instances.push(...(await Promise.all([1, 2].map(() => startExample('hybrid', { env: { REDIS_URL: redis.url }, timeoutMs: 60_000 })))));
  });
  afterAll(async () => {
    for (const chat of chats) chat.socket.terminate();
    for (const instance of instances) expect(await instance.stop('SIGTERM', 30_000)).toBe(0);
    await redis?.kill();
  });

  it('delivers what is posted on one instance to the sockets of both', async () => {
    const [one, two] = instances as [ExampleProcess, ExampleProcess];
    expect(one.url).not.toBe(two.url);
    chats.push(await connectChat(one.url, 'ann'), await connectChat(one.url, 'bob'), await connectChat(two.url, 'cy'), await connectChat(two.url, 'di'));
    expect(new Set(chats.map((c) => c.pid)).size).toBe(2);

    await postMessage(one.url, 'from the API of instance one');
    chats[3]!.socket.send('from a socket on instance two');
    await waitForTexts(chats, ['from the API of instance one', 'from a socket on instance two']);

    const page = await (await fetch(`${two.url}/`)).text();
    expect(page).toContain('from the API of instance one');
  });
});
