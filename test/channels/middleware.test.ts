/**
 * `withChannels` and `channelsOf`: native PAGI code and Express handlers
 * behind `fromExpress` (Express 5 and 4) publish to and follow the same
 * groups, on a real `serve()` with real clients.
 */
import { createRequire } from 'node:module';
import express5 from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cascade, fromExpress, mount } from 'pagi';
import { ChannelsNotInstalled, channelsOf, createMemoryLayer, interleave, withChannels, CHANNELS_KEY, type ChannelLayer } from 'pagi/channels';
import type { App, Scope } from '../../src/protocol/types.js';
import { startTestServer } from '../server/test-server.js';

// The `express4` alias has no type declarations of its own; its API is Express's.
const express4 = createRequire(import.meta.url)('express4') as typeof express5;
import { eventually } from './helpers/deliveries.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Native WebSocket chat: every text is published to `chat`; every `chat` message is sent back out. */
const chat: App = async (scope, receive, send) => {
  if (scope.type !== 'websocket') throw new Error('websocket only');
  const layer = channelsOf(scope);
  await send({ type: 'websocket.accept' });
  const member = await layer.subscribe({ scope, groups: ['chat'] });
  for await (const step of interleave(receive, member)) {
    if (step.type === 'client' && step.event.type === 'websocket.receive' && step.event.text) {
      await layer.publish('chat', { from: 'ws', text: step.event.text });
    } else if (step.type === 'channel' && step.delivery.type === 'message') {
      await send({ type: 'websocket.send', text: JSON.stringify(step.delivery.data) });
    }
  }
};

function legacyApp(express: typeof express5) {
  const app = express();
  app.post('/api/messages', express.json(), async (req, res, next) => {
    try {
      const published = await channelsOf(req).publish('chat', { from: 'express', text: (req.body as { text: string }).text });
      res.status(201).json(published);
    } catch (error) {
      next(error);
    }
  });
  // An SSE endpoint written by hand in Express, following the group through the bridged scope.
  app.get('/api/stream', async (req, res) => {
    const member = await channelsOf(req).subscribe({ scope: req, groups: ['chat'] });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for await (const delivery of member) {
      if (delivery.type === 'message') res.write(`data: ${delivery.json}\n\n`);
    }
  });
  return app;
}

async function serveHybrid(layer: ChannelLayer, express: typeof express5) {
  const app = withChannels(mount({ '/live': chat, '/': cascade(fromExpress(legacyApp(express))) }), layer);
  const server = await startTestServer(app);
  cleanup.push(() => server.close());
  return server;
}

function connect(url: string): Promise<{ socket: WebSocket; messages: unknown[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: 5000 });
    const messages: unknown[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('error', reject);
    cleanup.push(() => socket.terminate());
  });
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('withChannels with %s behind fromExpress', (_name, express) => {
  it('lets an Express JSON route publish to the group a native WebSocket chat follows, and the other way round', async () => {
    const layer = createMemoryLayer();
    const server = await serveHybrid(layer, express);
    const alice = await connect(`${server.wsUrl}/live/chat`);
    const bob = await connect(`${server.wsUrl}/live/chat`);
    await eventually(() => layer.stats().subscriptions === 2, 5000, 'both chat sockets subscribed');

    const posted = await fetch(`${server.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the JSON API' }),
    });
    expect(posted.status).toBe(201);
    alice.socket.send('from a socket');
    for (const client of [alice, bob]) {
      await eventually(() => client.messages.length === 2, 5000, 'two chat messages');
      expect(client.messages).toEqual([
        { from: 'express', text: 'from the JSON API' },
        { from: 'ws', text: 'from a socket' },
      ]);
    }
  });

  it('ends an Express handler’s subscription when its client leaves', async () => {
    const layer = createMemoryLayer();
    const server = await serveHybrid(layer, express);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/stream`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await eventually(() => layer.stats().subscriptions === 1, 5000, 'the Express handler subscribed');
    await layer.publish('chat', 'to express');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: "to express"\n\n');
    controller.abort();
    await eventually(() => layer.stats().subscriptions === 0, 5000, 'subscription ended with the request');
  });
});

describe('withChannels and channelsOf', () => {
  it('give every scope the layer, lifespan included, without changing the scope passed in', async () => {
    const layer = createMemoryLayer();
    const seen: Scope[] = [];
    const app = withChannels(async (scope) => void seen.push(scope), layer);
    const outer = { type: 'lifespan', pagi: { version: '0.5', spec_version: '0.3', is_worker: false }, state: {} } as const;
    await app(outer, async () => ({ type: 'lifespan.startup' }), async () => undefined);
    expect(seen[0]![CHANNELS_KEY]).toBe(layer);
    expect(channelsOf(seen[0]!)).toBe(layer);
    expect(CHANNELS_KEY in outer).toBe(false);
  });

  it('say clearly when the middleware is missing', () => {
    const scope = { type: 'lifespan', pagi: { version: '0.5', is_worker: false }, state: {} } as Scope;
    expect(() => channelsOf(scope)).toThrow(ChannelsNotInstalled);
    expect(() => channelsOf({ pagi: { scope } })).toThrow(/wrap the app with withChannels/);
    expect(() => withChannels((async () => undefined) as App, {} as ChannelLayer)).toThrow(TypeError);
  });
});
