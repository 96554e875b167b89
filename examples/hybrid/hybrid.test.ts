// The hybrid demo driven by Node clients (fetch, ws, eventsource). The browser test is test/e2e/.
import { EventSource } from 'eventsource';
import { TestClient } from 'pagi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startExample, type ExampleProcess } from '../_support/example-process.js';
import { createApp } from './app.js';

/** A chat client that records every room event it receives. */
class ChatClient {
  readonly events: Array<{ type: string; message?: { from: string; text: string }; online?: number }> = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.events.push(JSON.parse(data.toString('utf8'))));
  }

  static connect(url: string): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: 10_000 });
      const client = new ChatClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** Resolves once a chat message with `text` has arrived. */
  async waitForMessage(text: string, timeoutMs = 10_000): Promise<{ from: string; text: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.type === 'message' && e.message?.text === text);
      if (found?.message) return found.message;
      if (Date.now() > deadline) throw new Error(`no message '${text}' within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('examples/hybrid', () => {
  let example: ExampleProcess;
  let wsUrl: string;
  beforeAll(async () => {
    example = await startExample('hybrid');
    wsUrl = `${example.url.replace(/^http/, 'ws')}/live/chat`;
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('renders the page in Express with a session that counts visits', async () => {
    const first = await fetch(`${example.url}/`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await first.text();
    expect(html).toContain('Rendered by Express');
    expect(html).toMatch(/<strong id="visits">1<\/strong>/);
    const cookie = first.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^connect\.sid=/);

    const second = await fetch(`${example.url}/`, { headers: { cookie: cookie! } });
    expect(await second.text()).toMatch(/<strong id="visits">2<\/strong>/);
  });

  it('serves the static assets through express.static', async () => {
    const response = await fetch(`${example.url}/static/demo.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    const etag = response.headers.get('etag');
    await response.text();
    // fetch adds `cache-control: no-cache` to conditional requests unless one is given, and
    // no-cache tells Express to ignore If-None-Match.
    const cached = await fetch(`${example.url}/static/demo.js`, {
      headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
    });
    expect(cached.status).toBe(304);
  });

  it('answers /api/stats natively, in front of Express', async () => {
    const response = await fetch(`${example.url}/api/stats`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ servedBy: 'native PAGI' });
  });

  it('streams clock ticks over SSE', async () => {
    const source = new EventSource(`${example.url}/live/events`);
    try {
      const ticks = await new Promise<number[]>((resolve, reject) => {
        const seen: number[] = [];
        const timer = setTimeout(() => reject(new Error(`only ${seen.length} ticks`)), 15_000);
        source.addEventListener('tick', (event) => {
          seen.push((JSON.parse(event.data) as { tick: number }).tick);
          if (seen.length === 2) {
            clearTimeout(timer);
            resolve(seen);
          }
        });
      });
      expect(ticks).toEqual([1, 2]);
    } finally {
      source.close();
    }
  });

  it('broadcasts chat messages between WebSocket clients and from the Express JSON API', async () => {
    const alice = await ChatClient.connect(`${wsUrl}?name=alice`);
    const bob = await ChatClient.connect(`${wsUrl}?name=bob`);
    try {
      alice.socket.send('hi bob');
      expect(await bob.waitForMessage('hi bob')).toMatchObject({ from: 'alice' });
      expect(await alice.waitForMessage('hi bob')).toMatchObject({ from: 'alice' });

      const posted = await fetch(`${example.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'from the legacy API' }),
      });
      expect(posted.status).toBe(201);
      expect(await bob.waitForMessage('from the legacy API')).toMatchObject({ from: 'api' });

      const history = (await (await fetch(`${example.url}/api/messages`)).json()) as Array<{ text: string }>;
      expect(history.map((m) => m.text)).toEqual(expect.arrayContaining(['hi bob', 'from the legacy API']));
      expect(await (await fetch(`${example.url}/api/stats`)).json()).toMatchObject({ online: 2 });
    } finally {
      alice.socket.terminate();
      bob.socket.terminate();
    }
  });

  it('refuses WebSocket handshakes outside /live/chat', async () => {
    const refused = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${example.url.replace(/^http/, 'ws')}/live/nowhere`);
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => reject(new Error('handshake should have been refused')));
      socket.once('error', () => undefined);
    });
    expect(refused).toBe(404);
  });
});

describe('examples/hybrid in-process, with TestClient', () => {
  it('runs the composed app without sockets: feed, chat and the Express page', async () => {
    const client = new TestClient(createApp({ tickMs: 20 }));

    const feed = await client.sse('/live/events');
    const ticks = await feed.take(3);
    expect(ticks.map((t) => [t.event, t.id])).toEqual([['tick', '1'], ['tick', '2'], ['tick', '3']]);
    feed.close();
    await feed.settled();

    const chat = await client.websocket('/live/chat', { query: { name: 'tess' } });
    expect(await chat.receiveJson()).toEqual({ type: 'presence', online: 1, pid: process.pid });
    chat.sendText('in-process hello');
    expect(await chat.receiveJson()).toMatchObject({ type: 'message', message: { from: 'tess', text: 'in-process hello' } });
    chat.close();
    await chat.settled();

    const page = await client.get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<b>tess</b> in-process hello');
  });
});
