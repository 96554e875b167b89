import { afterEach, describe, expect, it } from 'vitest';
import { Disconnected, InvalidEvent, OutOfOrder } from '../../src/protocol/errors.js';
import type { AdapterOptions } from '../../src/adapter/index.js';
import type { App, Send } from '../../src/protocol/types.js';
import { recordingLogger, servePagi, waitUntil, withDeadline, type PagiServer } from '../helpers/server.js';
import { RawClient, decodeChunked, parseHead, rawExchange } from '../helpers/raw-socket.js';
import { connectionOf, httpLike } from '../helpers/scope.js';

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App, options?: AdapterOptions): Promise<PagiServer> {
  current = await servePagi(app, options);
  return current;
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

describe('completion rule (§2.2)', () => {
  it('answers 500 text/plain with connection: close when the app throws before starting; logs once', async () => {
    const logger = recordingLogger();
    const reasons: string[] = [];
    const { port } = await serve(async (scope) => {
      connectionOf(scope).on_disconnect((r) => reasons.push(r));
      throw new Error('boom');
    }, { logger });
    const text = await rawExchange(port, GET);
    const head = parseHead(text);
    expect(head.status).toBe(500);
    expect(head.headers).toContainEqual(['content-type', 'text/plain; charset=utf-8']);
    expect(head.headers).toContainEqual(['connection', 'close']);
    expect(head.rest).toBe('Internal Server Error');
    await waitUntil(() => reasons.length > 0);
    expect(reasons).toEqual(['server_error']);
    expect(logger.errors).toHaveLength(1);
    expect((logger.errors[0]?.error as Error).message).toBe('boom');
  });

  it('answers 500 when the app returns without responding (also for a synchronous app)', async () => {
    const logger = recordingLogger();
    const { port } = await serve(((scope: { path?: string }) => {
      if (scope.path === '/sync') return undefined;
      return Promise.resolve();
    }) as unknown as App, { logger });
    expect(parseHead(await rawExchange(port, GET)).status).toBe(500);
    expect(parseHead(await rawExchange(port, 'GET /sync HTTP/1.1\r\nHost: x\r\n\r\n')).status).toBe(500);
    expect(logger.errors.map((e) => e.message)).toEqual([
      'app returned without starting a response (missing await?) (GET /)',
      'app returned without starting a response (missing await?) (GET /sync)',
    ]);
  });

  it('answers 500 for an sse scope the app neither starts nor declines', async () => {
    const logger = recordingLogger();
    const { port } = await serve(async () => {}, { logger });
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    expect(parseHead(text).status).toBe(500);
    expect(logger.errors).toHaveLength(1);
  });

  it('aborts a response the app fails in the middle of: no terminating chunk, server_error, logged once', async () => {
    const logger = recordingLogger();
    const reasons: string[] = [];
    const { port } = await serve(async (scope, _receive, send) => {
      connectionOf(scope).on_disconnect((r) => reasons.push(r));
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'partial', more: true });
      throw new Error('mid-stream');
    }, { logger });
    const client = await RawClient.connect(port);
    try {
      await client.write(GET);
      const text = await client.waitClosed();
      const head = parseHead(text);
      expect(head.status).toBe(200);
      const body = decodeChunked(head.rest);
      expect(body.body).toBe('partial');
      expect(body.complete).toBe(false);
      await waitUntil(() => reasons.length > 0);
      expect(reasons).toEqual(['server_error']);
      expect(logger.errors).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });

  it('flushes a held head and then cuts the connection when the app returns after the start only', async () => {
    const logger = recordingLogger();
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '10']] });
    }, { logger });
    const text = await rawExchange(port, GET);
    const head = parseHead(text);
    expect(head.status).toBe(200);
    expect(head.rest).toBe('');
    expect(logger.errors).toHaveLength(1);
  });

  it('lets a completed response stand when the app throws afterwards; logs once', async () => {
    const logger = recordingLogger();
    const completes: string[] = [];
    const { url } = await serve(async (scope, _receive, send) => {
      connectionOf(scope).on_complete(() => completes.push('complete'));
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'fine' });
      throw new Error('late');
    }, { logger });
    const response = await fetch(url);
    expect(await response.text()).toBe('fine');
    await waitUntil(() => logger.errors.length > 0);
    expect(completes).toEqual(['complete']);
    expect(logger.errors).toHaveLength(1);
  });

  it('stays silent when the app ends with Disconnected after the client left', async () => {
    const logger = recordingLogger();
    let settled = false;
    const { port } = await serve(async (_scope, receive, send) => {
      try {
        for (;;) {
          const event = await receive();
          if (event.type === 'http.disconnect') break;
        }
        await send({ type: 'http.response.start', status: 200 });
      } finally {
        settled = true;
      }
    }, { logger });
    const client = await RawClient.connect(port);
    await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    await new Promise((resolve) => setTimeout(resolve, 30));
    client.destroy();
    await waitUntil(() => settled);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(logger.errors).toEqual([]);
  });

  it('rejects sends after the app returned with OutOfOrder', async () => {
    let leaked: Send | undefined;
    const { url } = await serve(async (_scope, _receive, send) => {
      leaked = send;
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    });
    await (await fetch(url)).text();
    await waitUntil(() => leaked !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect((leaked as Send)({ type: 'http.response.body', body: 'x' })).rejects.toBeInstanceOf(OutOfOrder);
  });

  it('abort() cuts the connection with app_abort and logs nothing', async () => {
    const logger = recordingLogger();
    let sendError: unknown;
    const { port } = await serve(async (scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'a', more: true });
      connectionOf(scope).abort('stop');
      expect(connectionOf(scope).disconnect_reason()).toBe('app_abort');
      expect(connectionOf(scope).disconnect_detail()).toBe('stop');
      await send({ type: 'http.response.body', body: 'b' }).catch((error: unknown) => (sendError = error));
    }, { logger });
    const text = await rawExchange(port, GET);
    // abort() does not wait for pending writes: the client may see nothing or a cut body, never an end.
    expect(text).not.toContain('0\r\n\r\n');
    await waitUntil(() => sendError !== undefined);
    expect((sendError as Disconnected).reason).toBe('app_abort');
    expect(logger.errors).toEqual([]);
  });
});

describe('misuse is rejected without changing the response (§2.3)', () => {
  async function probe(steps: (send: Send) => Promise<unknown[]>): Promise<{ errors: unknown[]; text: string }> {
    let errors: unknown[] = [];
    const { port } = await serve(async (_scope, _receive, send) => {
      errors = await steps(send);
    });
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await current?.close();
    current = undefined;
    return { errors, text };
  }
  const caught = (p: Promise<void>): Promise<unknown> => p.then(() => undefined, (error: unknown) => error);

  it('body before start → OutOfOrder, then the app recovers', async () => {
    const { errors, text } = await probe(async (send) => {
      const e = await caught(send({ type: 'http.response.body', body: 'x' }));
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'ok' });
      return [e];
    });
    expect(errors[0]).toBeInstanceOf(OutOfOrder);
    expect(parseHead(text).rest).toBe('ok');
  });

  it('second start → OutOfOrder; bad header bytes → InvalidEvent; unknown type → InvalidEvent', async () => {
    const { errors, text } = await probe(async (send) => {
      const bad = await caught(send({ type: 'http.response.start', status: 200, headers: [['x-a', 'v\r\nx-evil: 1']] }));
      const unknown = await caught(send({ type: 'http.response.nope' } as never));
      const typed = await caught(send({ type: 'http.response.start', status: '200' } as never));
      await send({ type: 'http.response.start', status: 200 });
      const second = await caught(send({ type: 'http.response.start', status: 201 }));
      await send({ type: 'http.response.body', body: 'ok' });
      return [bad, unknown, typed, second];
    });
    expect(errors[0]).toBeInstanceOf(InvalidEvent);
    expect(errors[1]).toBeInstanceOf(InvalidEvent);
    expect(errors[2]).toBeInstanceOf(InvalidEvent);
    expect((errors[2] as Error).message).toContain('http.response.start: status');
    expect(errors[3]).toBeInstanceOf(OutOfOrder);
    expect(text).not.toContain('x-evil');
    expect(parseHead(text).status).toBe(200);
  });

  it('trailers on a content-length response → OutOfOrder', async () => {
    const { errors } = await probe(async (send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '2']], trailers: true });
      await send({ type: 'http.response.body', body: 'ok', more: true });
      const e = await caught(send({ type: 'http.response.trailers', headers: [] }));
      return [e];
    });
    expect(errors[0]).toBeInstanceOf(OutOfOrder);
  });

  it('file after inline bytes → OutOfOrder; body after the end → OutOfOrder', async () => {
    const { errors } = await probe(async (send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'a', more: true });
      const file = await caught(send({ type: 'http.response.body', file: '/etc/hostname' }));
      await send({ type: 'http.response.body', body: 'b' });
      const after = await caught(send({ type: 'http.response.body', body: 'c' }));
      return [file, after];
    });
    expect(errors[0]).toBeInstanceOf(OutOfOrder);
    expect(errors[1]).toBeInstanceOf(OutOfOrder);
  });

  it('http.fullflush without the extension → InvalidEvent; with it, the head is pushed out', async () => {
    current = await servePagi(async (scope, _receive, send) => {
      expect(httpLike(scope).extensions.fullflush).toBeUndefined();
      await send({ type: 'http.response.start', status: 200 });
      const e = await send({ type: 'http.fullflush' }).then(() => undefined, (error: unknown) => error);
      await send({ type: 'http.response.body', body: e instanceof InvalidEvent ? 'invalid' : 'accepted' });
    }, { extensions: { fullflush: false } });
    expect(await (await fetch(current.url)).text()).toBe('invalid');
    await current.close();

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    current = await servePagi(async (scope, _receive, send) => {
      expect(httpLike(scope).extensions.fullflush).toEqual({});
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.fullflush' });
      await gate;
      await send({ type: 'http.response.body', body: 'later' });
    });
    const client = await RawClient.connect(current.port);
    try {
      await client.write(GET);
      await client.waitFor((t) => t.includes('\r\n\r\n'), 5000, 'head before body');
      release();
      await client.waitFor((t) => t.includes('later'));
    } finally {
      client.destroy();
    }
  });

  it('send on a gone client → Disconnected before validation', async () => {
    let error: unknown;
    const { port } = await serve(async (_scope, receive, send) => {
      await receive();
      await receive(); // http.disconnect once the client left
      error = await send({ type: 'nonsense' } as never).then(() => undefined, (e: unknown) => e);
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    client.destroy();
    await withDeadline(waitUntil(() => error !== undefined), 5000, 'send rejection');
    expect(error).toBeInstanceOf(Disconnected);
  });
});
