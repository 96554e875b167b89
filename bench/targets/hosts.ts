// How a target is put on a socket. The pagi modules are imported lazily so that a target whose
// module is missing or broken fails alone, with its own error, instead of taking the others down.
import http from 'node:http';
import type http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { App } from '../../src/protocol/types.js';
import type { Express } from 'express';

export const HOST = '127.0.0.1';

export interface Hosted {
  port: number;
  close(): Promise<void>;
}

export function hostNodeServer(server: http.Server): Promise<Hosted> {
  // Benchmarks keep connections alive for the whole round; Node's 5 s default would make
  // autocannon reconnect mid-round on idle connections of slow targets.
  server.keepAliveTimeout = 60_000;
  return listenHosted(server);
}

/** Listens on a free port of HOST; `close` stops the server. */
export function listenHosted(server: http.Server | http2.Http2Server): Promise<Hosted> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

export function hostListener(listener: http.RequestListener): Promise<Hosted> {
  return hostNodeServer(http.createServer(listener));
}

export async function hostPagiListener(app: App): Promise<Hosted> {
  const { toNodeListener } = await import('../../src/adapter/index.js');
  return hostListener(toNodeListener(app));
}

export async function bridge(expressApp: Express): Promise<App> {
  const { fromExpress } = await import('../../src/bridge/index.js');
  return fromExpress(expressApp);
}

/** `cascade(native, bridged)`: requests the native routes do not know fall through to Express. */
export async function cascadeInFront(native: App, bridged: App): Promise<App> {
  const { cascade } = await import('../../src/compose/index.js');
  return cascade(native, bridged);
}

/** `mount({ '/new': native, '/': bridged })`: everything outside `/new` goes to Express. */
export async function mountInFront(native: App, bridged: App): Promise<App> {
  const { mount } = await import('../../src/compose/index.js');
  return mount({ '/new': native, '/': bridged });
}

/** A port that was free a moment ago, for `serve()`, which is told its port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function hostPagiServe(app: App): Promise<Hosted> {
  const { serve } = await import('../../src/server/index.js');
  const port = await freePort();
  // Same keep-alive as the node:http targets (Node's 5 s default would make idle connections reconnect).
  const handle = await serve(app, { host: HOST, port, timeoutKeepAlive: 60 });
  return { port, close: () => Promise.resolve(handle.close()).then(() => undefined) };
}
