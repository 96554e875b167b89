/**
 * `describeMatrix`: one test body, run against the same fixture app through
 * two transports — the in-process `TestClient` and a real `toNodeListener`
 * server reached with `fetch` — so any disagreement between them fails.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { App } from '../../src/protocol/types.js';
import { TestClient, readSSE, type SSEEvent } from '../../src/testing/index.js';
import { servePagi } from '../helpers/server.js';

export interface MatrixRequest {
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** The transport-neutral view of a response both sides can produce. */
export interface MatrixResponse {
  status: number;
  header(name: string): string | null;
  setCookies(): string[];
  text(): Promise<string>;
  chunks(): AsyncIterable<Uint8Array>;
  /** The client leaves mid-response. */
  disconnect(): void;
}

export interface MatrixStream {
  status: number;
  header(name: string): string | null;
  events: AsyncIterator<SSEEvent>;
  close(): void;
}

export interface Transport {
  readonly name: string;
  request(method: string, path: string, init?: MatrixRequest): Promise<MatrixResponse>;
  sse(path: string): Promise<MatrixStream>;
  close(): Promise<void>;
}

async function inProcess(app: App): Promise<Transport> {
  const client = new TestClient(app);
  return {
    name: 'TestClient',
    async request(method, path, init = {}) {
      const res = await client.request(method, path, { ...(init.headers ? { headers: init.headers } : {}), ...(init.body !== undefined ? { body: init.body } : {}) });
      return {
        status: res.status,
        header: (name) => res.headers.get(name) ?? null,
        setCookies: () => res.headers.getAll('set-cookie'),
        text: () => res.text(),
        chunks: () => res,
        disconnect: () => res.disconnect(),
      };
    },
    async sse(path) {
      const res = await client.request('GET', path, { headers: { accept: 'text/event-stream' } });
      return {
        status: res.status,
        header: (name) => res.headers.get(name) ?? null,
        events: readSSE(res)[Symbol.asyncIterator](),
        close: () => res.disconnect(),
      };
    },
    close: async () => {},
  };
}

async function overSocket(app: App): Promise<Transport> {
  const server = await servePagi(app);
  const controllers = new Set<AbortController>();
  const open = async (path: string, init: RequestInit): Promise<{ res: Response; controller: AbortController }> => {
    const controller = new AbortController();
    controllers.add(controller);
    return { res: await fetch(`${server.url}${path}`, { ...init, signal: controller.signal }), controller };
  };
  return {
    name: 'toNodeListener',
    async request(method, path, init = {}) {
      const { res, controller } = await open(path, { method, ...(init.headers ? { headers: init.headers } : {}), ...(init.body !== undefined ? { body: init.body } : {}) });
      return {
        status: res.status,
        header: (name) => res.headers.get(name),
        setCookies: () => res.headers.getSetCookie(),
        text: () => res.text(),
        chunks: () => bodyChunks(res),
        disconnect: () => controller.abort(),
      };
    },
    async sse(path) {
      const controller = new AbortController();
      controllers.add(controller);
      const res = await fetch(`${server.url}${path}`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      return {
        status: res.status,
        header: (name) => res.headers.get(name),
        events: readSSE(bodyChunks(res))[Symbol.asyncIterator](),
        close: () => controller.abort(),
      };
    },
    async close() {
      for (const controller of controllers) controller.abort();
      await server.close();
    },
  };
}

async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.length > 0) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Runs `body` once per transport, each with a fresh fixture from `factory`
 * (`{ app, ...controls }`); `fixture()` gives the tests that side's controls.
 */
export function describeMatrix<F extends { app: App }>(
  name: string,
  factory: () => F,
  body: (transport: () => Transport, fixture: () => F) => void,
): void {
  for (const make of [inProcess, overSocket]) {
    describe(`${name} [${make === inProcess ? 'TestClient' : 'toNodeListener'}]`, () => {
      let transport: Transport | undefined;
      let fixture: F | undefined;
      beforeAll(async () => {
        fixture = factory();
        transport = await make(fixture.app);
      });
      afterAll(async () => {
        await transport?.close();
      });
      body(
        () => {
          if (!transport) throw new Error('transport not ready');
          return transport;
        },
        () => fixture as F,
      );
    });
  }
}
