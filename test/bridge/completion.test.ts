import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { run, within } from './helpers.js';

describe('behaviour 9: fall-through and late completion', () => {
  it('an Express app with no matching route answers 404 through its own finalhandler', async () => {
    const ex = run(fromExpress(express()), { url: '/x%20y?q=1' });
    await within(ex.done);
    expect(ex.status()).toBe(404);
    expect(ex.header('content-type')).toBe('text/html; charset=utf-8');
    expect(ex.text()).toContain('<pre>Cannot GET /x%20y</pre>');
  });

  it('a bare Router calling its final next() gets the same 404 page from the bridge', async () => {
    const router = express.Router();
    router.get('/known', (_req, res) => void res.send('known'));
    const native = run(fromExpress(express().use(router)), { url: '/unknown' });
    const bridged = run(fromExpress(router), { url: '/unknown' });
    await within(Promise.all([native.done, bridged.done]));
    expect(bridged.status()).toBe(404);
    expect(bridged.text()).toBe(native.text());
    const headersOf = (e: typeof native) => e.headers().filter(([n]) => n !== 'x-powered-by');
    expect(headersOf(bridged)).toEqual(headersOf(native));
  });

  it('a single middleware calling next() gets a 404; HEAD gets the headers only', async () => {
    const ex = run(fromExpress((_req: IncomingMessage, _res: ServerResponse, next: () => void) => next()), { method: 'HEAD', url: '/m' });
    await within(ex.done);
    expect(ex.status()).toBe(404);
    expect(Number(ex.header('content-length'))).toBeGreaterThan(0);
    expect(ex.body().length).toBe(0);
  });

  it("next('router') out of the outermost layer is a plain fall-through", async () => {
    const ex = run(fromExpress((_req: IncomingMessage, _res: ServerResponse, next: (e?: unknown) => void) => next('router')));
    await within(ex.done);
    expect(ex.status()).toBe(404);
  });

  it('a handler that answers 2 s after it returned is awaited', async () => {
    const app = express();
    app.get('/', (_req, res) => {
      setTimeout(() => res.send('late'), 2000);
    });
    const ex = run(fromExpress(app));
    let settled = false;
    void ex.done.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1000));
    expect(settled).toBe(false);
    await within(ex.done, 5000);
    expect(ex.text()).toBe('late');
  });
});

describe('behaviour 13: errors before headers → error handler; after headers → aborted response', () => {
  it('sync throw, async rejection and next(err) go through Express error handling', async () => {
    const app = express();
    app.get('/sync', () => {
      throw Object.assign(new Error('teapot'), { status: 418 });
    });
    app.get('/async', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    app.get('/custom', (_req, _res, next) => next(new Error('custom')));
    app.use((err: Error, req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (req.path === '/custom') res.status(422).json({ handled: err.message });
      else next(err);
    });
    app.set('env', 'production');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const sync = run(fromExpress(app), { url: '/sync' });
      const async = run(fromExpress(app), { url: '/async' });
      const custom = run(fromExpress(app), { url: '/custom' });
      await within(Promise.all([sync.done, async.done, custom.done]));
      expect(sync.status()).toBe(418);
      expect(sync.text()).toContain('I&#39;m a Teapot');
      expect(async.status()).toBe(500);
      expect(async.text()).toContain('Internal Server Error');
      expect(custom.status()).toBe(422);
      expect(JSON.parse(custom.text())).toEqual({ handled: 'custom' });
      // Express logs handed-on errors from a setImmediate; let that run under the spy.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      spy.mockRestore();
    }
  });

  it('bare middleware: a throw or next(err) is answered like finalhandler (status, headers, stack outside production)', async () => {
    const thrower = (): void => {
      throw Object.assign(new Error('nope <b>'), { statusCode: 403, headers: { 'x-why': 'because' } });
    };
    const dev = run(fromExpress(thrower, { env: 'development' }));
    await within(dev.done);
    expect(dev.status()).toBe(403);
    expect(dev.header('x-why')).toBe('because');
    expect(dev.text()).toContain('Error: nope &lt;b&gt;');
    const errors: unknown[] = [];
    const prod = run(
      fromExpress((_req: IncomingMessage, _res: ServerResponse, next: (e?: unknown) => void) => next(new Error('hidden')), {
        env: 'production',
        onError: (e) => errors.push(e),
      }),
    );
    await within(prod.done);
    expect(prod.status()).toBe(500);
    expect(prod.text()).toContain('<pre>Internal Server Error</pre>');
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    const rejected = run(fromExpress(async () => Promise.reject(new Error('async bare')), { env: 'production' }));
    await within(rejected.done);
    expect(rejected.status()).toBe(500);
  });

  it('an error after the head was sent ends the PAGI response aborted, never cleanly', async () => {
    const app = express();
    app.get('/', (_req, res, next) => {
      res.write('partial');
      setTimeout(() => next(new Error('too late')), 10);
    });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const ex = run(fromExpress(app));
      await within(ex.done);
      expect(ex.status()).toBe(200);
      expect(ex.text()).toBe('partial');
      expect(ex.complete()).toBe(false);
      expect(ex.connection.reason).toBe('app_abort');
    } finally {
      spy.mockRestore();
    }
  });

  it('res.destroy(err) aborts the scope with the error text as detail', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.write('x');
        res.destroy(new Error('upstream failed'));
      }),
    );
    await within(ex.done);
    expect(ex.connection.reason).toBe('app_abort');
    expect(ex.connection.state.disconnect_detail()).toBe('upstream failed');
    expect(ex.complete()).toBe(false);
  });

  it('a send the server rejects as invalid rejects the app with that error', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.statusCode = 150;
        res.end('informational is not a final status');
      }),
    );
    await expect(within(ex.done)).rejects.toMatchObject({ code: 'ERR_PAGI_INVALID_EVENT' });
  });
});

describe('behaviour 13 (cont.): destroying the socket lets out what Node had already written', () => {
  it('res.end() then socket.destroy() in the same tick: the ended response is complete', async () => {
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        res.end('ended then destroyed');
        req.socket.destroy();
      }),
    );
    await within(ex.done);
    expect(ex.text()).toBe('ended then destroyed');
    expect(ex.complete()).toBe(true);
  });

  it('flushHeaders() then destroy: the head goes out, then the abort', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.flushHeaders();
        res.destroy();
      }),
    );
    await within(ex.done);
    expect(ex.events.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body']);
    expect(ex.connection.reason).toBe('app_abort');
  });

  it('write() then destroy in the same tick: the corked write never leaves', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('content-type', 'text/plain');
        res.write('corked');
        res.destroy();
      }),
    );
    await within(ex.done);
    expect(ex.body().length).toBe(0);
    expect(ex.complete()).toBe(false);
    expect(ex.connection.reason).toBe('app_abort');
  });
});

describe('socket.end() inside a handler closes the connection, as natively', () => {
  it('req.socket.end() before any response: no response, the connection is aborted', async () => {
    const ex = run(
      fromExpress((req: IncomingMessage) => {
        req.socket.end();
      }),
    );
    await within(ex.done);
    expect(ex.events).toEqual([]);
    expect(ex.connection.reason).toBe('app_abort');
  });

  it('res.socket.end() after a written chunk: the chunk goes out, then the abort', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.write('partial;');
        setTimeout(() => res.socket?.end(), 10);
      }),
    );
    await within(ex.done);
    expect(ex.text()).toBe('partial;');
    expect(ex.complete()).toBe(false);
    expect(ex.connection.reason).toBe('app_abort');
  });

  it('res.end() then socket.end(): the ended response is complete', async () => {
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        res.end('done');
        req.socket.end();
      }),
    );
    await within(ex.done);
    expect(ex.text()).toBe('done');
    expect(ex.complete()).toBe(true);
  });
});
