import { readdirSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import onFinished from 'on-finished';
import { describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { delay, listen, run, within } from './helpers.js';

/** Everything Express-side code can observe about the end of an exchange, in order. */
function watch(log: string[], req: IncomingMessage, res: ServerResponse): void {
  req.on('aborted', () => log.push('req aborted'));
  req.on('close', () => log.push(`req close destroyed=${req.destroyed}`));
  res.on('finish', () => log.push('res finish'));
  res.on('close', () =>
    log.push(`res close writableFinished=${res.writableFinished} reqDestroyed=${req.destroyed} socketDestroyed=${req.socket.destroyed}`),
  );
  onFinished(res, (err) => log.push(`on-finished ${err ? 'error' : 'ok'}`));
}

/** The `watch` log of one request to `build(log)` served natively by node:http (keep-alive, like the bridged scope). */
async function nativeLog(
  build: (log: string[]) => RequestListener,
  method: string,
  body: string | undefined,
): Promise<string[]> {
  const log: string[] = [];
  const server = await listen(build(log));
  try {
    const response = await within(
      fetch(server.url, body === undefined ? { method } : { method, body, headers: { 'content-type': 'text/plain' } }),
    );
    await response.text();
    await within(waitFor(() => log.some((line) => line.startsWith('req close')) && log.some((line) => line.startsWith('res close'))));
    await delay(5);
    return log;
  } finally {
    await server.close();
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(2);
}

describe('behaviour 2: a client disconnect reaches Express once, in modern Node shape', () => {
  it('mid-response: close before finish, req destroyed, on-finished once, later writes return false', async () => {
    const log: string[] = [];
    let res!: ServerResponse;
    const ex = run(
      fromExpress((req: IncomingMessage, r: ServerResponse) => {
        res = r;
        watch(log, req, r);
        r.write('first');
      }),
    );
    await ex.waitForEvents(2);
    ex.disconnect();
    await within(ex.done);
    await delay(5);
    expect(log).toEqual([
      'req aborted',
      'res close writableFinished=false reqDestroyed=true socketDestroyed=true',
      'on-finished ok',
      'req close destroyed=true',
    ]);
    let threw = false;
    let returned: boolean | undefined;
    try {
      returned = res.write('late');
    } catch {
      threw = true;
    }
    expect({ threw, returned }).toEqual({ threw: false, returned: false });
    await delay(20);
    expect(log.filter((l) => l.startsWith('res close'))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('on-finished'))).toHaveLength(1);
  });

  it('before any response: close once and a late res.send() does not throw', async () => {
    const log: string[] = [];
    const app = express();
    app.get('/', (req, res) => {
      watch(log, req, res);
      res.on('close', () => {
        try {
          res.send('too late');
          log.push(`late send ok headersSent=${res.headersSent}`);
        } catch (error) {
          log.push(`late send threw ${(error as Error).message}`);
        }
      });
    });
    const ex = run(fromExpress(app));
    await delay(10);
    ex.disconnect();
    await within(ex.done);
    expect(log.filter((l) => l.startsWith('late send'))).toEqual(['late send ok headersSent=false']);
    expect(ex.events).toEqual([]);
  });

  it('mid-request-body (receive yields http.disconnect): on-finished sees the error first, then aborted', async () => {
    const log: string[] = [];
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        watch(log, req, res);
        req.on('error', (e: NodeJS.ErrnoException) => log.push(`req error ${e.code}`));
        req.on('data', () => log.push('data'));
      }),
      { method: 'POST', headers: [['host', 'x'], ['content-length', '100']], body: null },
    );
    ex.push('0123456789', true);
    await delay(10);
    ex.disconnect();
    await within(ex.done);
    await delay(5);
    expect(log).toEqual([
      'data',
      'on-finished error',
      'req aborted',
      'res close writableFinished=false reqDestroyed=true socketDestroyed=true',
      'req error ECONNRESET',
      'req close destroyed=true',
    ]);
  });

  it('a send rejected with Disconnected tears down the same way, once', async () => {
    const log: string[] = [];
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        watch(log, req, res);
        res.write('a');
        res.write('b');
      }),
    );
    ex.hold();
    await delay(10);
    ex.disconnect();
    await within(ex.done);
    expect(log.filter((l) => l.startsWith('res close'))).toEqual(['res close writableFinished=false reqDestroyed=true socketDestroyed=true']);
  });

  it('a normal finish emits finish then close, on-finished once, and the request closes (same order as node:http)', async () => {
    const build = (log: string[]) =>
      express().get('/', (req, res) => {
        watch(log, req, res);
        res.send('fine');
      });
    const native = await nativeLog(build, 'GET', undefined);
    // The order of the request's close relative to the response's is the running Node's (it changed in Node 24).
    expect(native.slice(0, 2)).toEqual(['res finish', 'on-finished ok']);
    expect(native).toContain('req close destroyed=true');
    const log: string[] = [];
    const ex = run(fromExpress(build(log)));
    await within(ex.done);
    await delay(5);
    expect(log).toEqual(native);
  });

  it('a normal finish of a POST whose body was read closes like node:http', async () => {
    const build = (log: string[]) =>
      express().post('/', express.text(), (req, res) => {
        watch(log, req, res);
        res.send(`got ${String(req.body).length}`);
      });
    const body = 'x'.repeat(3000);
    const native = await nativeLog(build, 'POST', body);
    expect(native.slice(0, 2)).toEqual(['res finish', 'on-finished ok']);
    expect(native).toContain('res close writableFinished=true reqDestroyed=true socketDestroyed=false');
    const log: string[] = [];
    const ex = run(fromExpress(build(log)), {
      method: 'POST',
      headers: [['host', 'x'], ['content-type', 'text/plain'], ['content-length', String(body.length)]],
      body,
    });
    await within(ex.done);
    await delay(5);
    expect(log).toEqual(native);
  });

  it('socket timeouts reach req/res like Node, and destroy the socket when nobody listens', async () => {
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        res.write('waiting');
        req.socket.setTimeout(30);
      }),
    );
    await within(ex.done);
    expect(ex.connection.reason).toBe('app_abort');
    const handled: string[] = [];
    const ex2 = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.setTimeout(20, () => {
          handled.push('timeout');
          res.end('timed out');
        });
      }),
    );
    await within(ex2.done);
    expect(handled).toEqual(['timeout']);
    expect(ex2.text()).toBe('timed out');
  });
});

function fdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

describe('behaviour 23: concurrency and cleanup', () => {
  it('slow requests progress in parallel', async () => {
    const app = express();
    app.get('/', (_req, res) => {
      setTimeout(() => res.send('slow'), 300);
    });
    const bridged = fromExpress(app);
    const started = Date.now();
    const exchanges = Array.from({ length: 30 }, () => run(bridged));
    await within(Promise.all(exchanges.map((e) => e.done)), 5000);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(exchanges.every((e) => e.text() === 'slow')).toBe(true);
  });

  it('after 10,000 requests (clean, disconnected, failed) no listener, timer or fd has leaked', async () => {
    const app = express();
    app.use(express.json());
    app.get('/ok', (_req, res) => void res.send('ok'));
    app.post('/json', (req, res) => void res.json(req.body));
    app.get('/stream', (req, res) => {
      req.socket.setTimeout(60_000);
      res.write('x');
    });
    app.get('/boom', () => {
      throw Object.assign(new Error('x'), { status: 400, expose: true });
    });
    app.set('env', 'test');
    const bridged = fromExpress(app);
    const snapshot = () => ({
      resources: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length,
      processListeners: process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0),
      fds: fdCount(),
    });
    const oneRound = async (i: number): Promise<void> => {
      const kind = i % 4;
      if (kind === 0) {
        await run(bridged, { url: '/ok' }).done;
      } else if (kind === 1) {
        const body = JSON.stringify({ i });
        await run(bridged, {
          method: 'POST',
          url: '/json',
          headers: [['host', 'x'], ['content-type', 'application/json'], ['content-length', String(body.length)]],
          body,
        }).done;
      } else if (kind === 2) {
        const ex = run(bridged, { url: '/stream' });
        await ex.waitForEvents(2);
        ex.disconnect();
        await ex.done;
      } else {
        await run(bridged, { url: '/boom' }).done;
      }
    };
    // Warm up once so lazily created module state does not count as a leak.
    for (let i = 0; i < 40; i++) await oneRound(i);
    await delay(20);
    const before = snapshot();
    const total = 10_000;
    const concurrency = 50;
    let next = 0;
    await within(
      Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) await oneRound(next++);
        }),
      ),
      60_000,
      '10,000 requests',
    );
    await delay(50);
    const after = snapshot();
    expect(after.processListeners).toBe(before.processListeners);
    expect(after.resources).toBeLessThanOrEqual(before.resources);
    expect(after.fds).toBeLessThanOrEqual(before.fds);
  }, 90_000);
});

describe('behaviour 2 over a real socket', () => {
  it('a client leaving mid-response reaches Express once, and later writes return false', async () => {
    const { toNodeListener } = await import('../../src/adapter/index.js');
    const { listen } = await import('./helpers.js');
    const net = await import('node:net');
    const log: string[] = [];
    let closed!: () => void;
    const sawClose = new Promise<void>((resolve) => (closed = resolve));
    const app = express();
    app.get('/stream', (req, res) => {
      watch(log, req, res);
      res.write('first;');
      const timer = setInterval(() => {
        if (!res.write('more;')) log.push(`write returned false destroyed=${res.destroyed}`);
      }, 20);
      res.on('close', () => {
        setTimeout(() => {
          clearInterval(timer);
          closed();
        }, 60);
      });
    });
    const server = await listen(toNodeListener(fromExpress(app)));
    try {
      await within(
        new Promise<void>((resolve, reject) => {
          const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n'));
          socket.once('data', () => {
            socket.destroy();
            resolve();
          });
          socket.on('error', reject);
        }),
      );
      await within(sawClose, 5000, "res 'close'");
    } finally {
      await server.close();
    }
    expect(log.filter((l) => l.startsWith('res close'))).toEqual([
      'res close writableFinished=false reqDestroyed=true socketDestroyed=true',
    ]);
    expect(log.filter((l) => l.startsWith('on-finished'))).toHaveLength(1);
    expect(log).toContain('req aborted');
    expect(log.some((l) => l === 'write returned false destroyed=true')).toBe(true);
    expect(log).not.toContain('res finish');
  });
});
