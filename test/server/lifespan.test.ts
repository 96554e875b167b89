import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { once } from 'node:events';
import { LifespanStartupFailed } from '../../src/protocol/errors.js';
import type { App, LifespanScope, Scope } from '../../src/protocol/types.js';
import { createLogger } from '../../src/server/logger.js';
import { serve, type ServerHandle } from '../../src/server/serve.js';
import { deferred, within } from './helpers.js';

let handle: ServerHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

function quietLogger(lines: string[] = []) {
  return createLogger('debug', (line) => void lines.push(line));
}

async function portIsFree(port: number): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

describe('lifespan', () => {
  it('runs startup before listening and copies its state into http, sse and websocket scopes', async () => {
    const order: string[] = [];
    const seen: Scope[] = [];
    const app: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        expect(scope.pagi).toEqual({ version: '0.5', spec_version: '0.3', is_worker: false });
        expect(await receive()).toEqual({ type: 'lifespan.startup' });
        scope.state.db = { name: 'db' };
        order.push('startup');
        await send({ type: 'lifespan.startup.complete' });
        expect(await receive()).toEqual({ type: 'lifespan.shutdown' });
        order.push('shutdown');
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
      seen.push(scope);
      scope.state.private = scope.type;
      if (scope.type === 'websocket') {
        await send({ type: 'websocket.close' });
        return;
      }
      if (scope.type === 'sse') {
        await send({ type: 'sse.start' });
        await send({ type: 'sse.send', data: 'x' });
        await send({ type: 'sse.close' });
        return;
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'ok' });
    };
    handle = await serve(app, { port: 0, logger: quietLogger() });
    order.push('listening');
    const base = handle.url;
    expect(await (await fetch(`${base}/a`)).text()).toBe('ok');
    expect(await (await fetch(`${base}/b`, { headers: { accept: 'text/event-stream' } })).text()).toBe('data: x\n\n');
    const ws = new WebSocket(`ws://127.0.0.1:${handle.address.port}/`);
    ws.on('error', () => {});
    await within(once(ws, 'unexpected-response'), 5000, 'ws refusal');
    expect(seen.map((s) => s.type)).toEqual(['http', 'sse', 'websocket']);
    for (const scope of seen) {
      const state = (scope as Exclude<Scope, LifespanScope>).state;
      expect(state.db).toEqual({ name: 'db' });
      expect(state.db).toBe((seen[0] as Exclude<Scope, LifespanScope>).state.db);
      expect(state.private).toBe(scope.type);
    }
    await handle.close();
    handle = undefined;
    expect(order).toEqual(['startup', 'listening', 'shutdown']);
  });

  it('rejects with LifespanStartupFailed and never listens when startup fails', async () => {
    const port = await freePort();
    const app: App = async (scope, receive, send) => {
      if (scope.type !== 'lifespan') throw new Error('no');
      await receive();
      await send({ type: 'lifespan.startup.failed', message: 'database unreachable' });
    };
    const error = await serve(app, { port, logger: quietLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifespanStartupFailed);
    expect((error as Error).message).toBe('database unreachable');
    expect(await portIsFree(port)).toBe(true);
  });

  it('serves without lifespan when the app throws on the lifespan scope (logged at info)', async () => {
    const lines: string[] = [];
    const app: App = async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('http only');
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    };
    handle = await serve(app, { port: 0, logger: quietLogger(lines) });
    expect((await fetch(handle.url)).status).toBe(204);
    expect(lines.filter((l) => l.includes('lifespan'))).toEqual([expect.stringMatching(/^pagi info: lifespan: .*http only/)]);
  });

  it('serves without lifespan when the app returns without answering startup', async () => {
    const app: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        await receive();
        return;
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: String(Object.keys((scope as { state: object }).state).length) });
    };
    handle = await serve(app, { port: 0, logger: quietLogger() });
    expect(await (await fetch(handle.url)).text()).toBe('0');
  });

  it('fails startup after the startup timeout', async () => {
    const app: App = async (scope, receive) => {
      if (scope.type === 'lifespan') {
        await receive();
        await new Promise(() => {});
      }
    };
    const error = await serve(app, { port: 0, lifespanStartupTimeout: 0.1, logger: quietLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifespanStartupFailed);
    expect((error as Error).message).toMatch(/within 0.1s/);
  });

  it('sends lifespan.shutdown only after in-flight requests finished, and logs shutdown.failed', async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const inRequest = deferred();
    const app: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        await receive();
        await send({ type: 'lifespan.startup.complete' });
        await receive();
        events.push('lifespan.shutdown');
        await send({ type: 'lifespan.shutdown.failed', message: 'flush failed' });
        return;
      }
      inRequest.resolve();
      await new Promise((r) => setTimeout(r, 200));
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'slow' });
      events.push('response sent');
    };
    handle = await serve(app, { port: 0, logger: quietLogger(lines) });
    const response = fetch(handle.url).then((r) => r.text());
    await within(inRequest.promise, 5000, 'request started');
    await handle.close();
    handle = undefined;
    expect(await response).toBe('slow');
    expect(events).toEqual(['response sent', 'lifespan.shutdown']);
    expect(lines).toContainEqual(expect.stringMatching(/^pagi warn: lifespan: shutdown failed: flush failed/));
  });

  it('logs an app failure after startup and keeps serving', async () => {
    const lines: string[] = [];
    const app: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        await receive();
        await send({ type: 'lifespan.startup.complete' });
        throw new Error('background task died');
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'alive' });
    };
    handle = await serve(app, { port: 0, logger: quietLogger(lines) });
    expect(await (await fetch(handle.url)).text()).toBe('alive');
    expect(lines).toContainEqual(expect.stringMatching(/^pagi error: lifespan: the application failed/));
  });
});
