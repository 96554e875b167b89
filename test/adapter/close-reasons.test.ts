/**
 * Why a request ended early, as the app sees it (PROTOCOL.md §7.3): Node
 * answers a malformed chunked body with 400 and a request slower than
 * `requestTimeout` with 408 and destroys the socket; the app's scope must
 * end with `protocol_error` / `client_timeout`, not `client_closed`. A client
 * that half-closes or resets mid-body is still `client_closed`.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { toExpress, toNodeListener } from '../../src/adapter/index.js';
import type { App, ReceiveEvent } from '../../src/protocol/types.js';
import { serve } from '../../src/server/serve.js';
import { createLogger } from '../../src/server/logger.js';
import { closeServer, listen, waitUntil } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-socket.js';
import { connectionOf } from '../helpers/scope.js';

interface Seen {
  reason?: string | undefined;
  detail?: string | undefined;
  last?: ReceiveEvent;
}

/** Reads the whole body, then records how the scope ended. */
function reader(seen: Seen): App {
  return async (scope, receive) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan');
    const connection = connectionOf(scope);
    connection.on_disconnect((reason, detail) => {
      seen.reason = reason;
      seen.detail = detail;
    });
    for (;;) {
      const event = await receive();
      if (event.type !== 'http.request') {
        seen.last = event;
        return;
      }
    }
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

// requestTimeout 0.5 s, checked every 100 ms.
const NODE_OPTIONS: http.ServerOptions = { requestTimeout: 500, headersTimeout: 500, connectionsCheckingInterval: 100 };

const hosts: Record<string, (app: App) => Promise<number>> = {
  'serve()': async (app) => {
    const handle = await serve(app, { port: 0, requestTimeout: 0.5, headersTimeout: 0.5, logger: createLogger('silent') });
    closers.push(() => handle.close());
    return handle.address.port;
  },
  toNodeListener: async (app) => {
    const server = http.createServer(NODE_OPTIONS, toNodeListener(app));
    closers.push(() => closeServer(server));
    return (await listen(server)).port;
  },
  toExpress: async (app) => {
    const server = http.createServer(NODE_OPTIONS, express().use(toExpress(app)));
    closers.push(() => closeServer(server));
    return (await listen(server)).port;
  },
};

async function exchange(port: number, request: string, then?: (client: RawClient) => void): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    await client.write(request);
    then?.(client);
    return await client.waitClosed(5000);
  } finally {
    client.destroy();
  }
}

describe.each(Object.keys(hosts))('close reasons on %s', (hostName) => {
  const host = hosts[hostName] as (app: App) => Promise<number>;

  it('a malformed chunked body: 400 to the client, protocol_error to the app', async () => {
    const seen: Seen = {};
    const port = await host(reader(seen));
    const text = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    await waitUntil(() => seen.reason !== undefined, 5000, 'the disconnect');
    expect(seen.reason).toBe('protocol_error');
    expect(seen.detail).toMatch(/chunk size/i);
    expect(seen.last).toEqual({ type: 'http.disconnect' });
  });

  it('a body slower than requestTimeout: 408 to the client, client_timeout to the app', async () => {
    const seen: Seen = {};
    const port = await host(reader(seen));
    const text = await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    await waitUntil(() => seen.reason !== undefined, 5000, 'the disconnect');
    expect(seen.reason).toBe('client_timeout');
    expect(seen.last).toEqual({ type: 'http.disconnect' });
  });

  it('a client that half-closes mid-body is still client_closed', async () => {
    const seen: Seen = {};
    const port = await host(reader(seen));
    await exchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', (client) => client.socket.end());
    await waitUntil(() => seen.reason !== undefined, 5000, 'the disconnect');
    expect(seen.reason).toBe('client_closed');
  });
});
