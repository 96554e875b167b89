import { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { delay, listen, run, within } from './helpers.js';

function inspect(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      url: req.url,
      method: req.method,
      headers: req.headers,
      headersDistinct: req.headersDistinct,
      rawHeaders: req.rawHeaders,
      httpVersion: req.httpVersion,
      major: req.httpVersionMajor,
      minor: req.httpVersionMinor,
      trailers: req.trailers,
      rawTrailers: req.rawTrailers,
      isIncomingMessage: req instanceof IncomingMessage,
      socketIsConnection: req.socket === req.connection,
    }),
  );
}

describe('behaviour 17: multi-value request headers fold as Node folds them', () => {
  it('joins, keeps first, arrays set-cookie, keeps rawHeaders', async () => {
    const ex = run(fromExpress(inspect), {
      headers: [
        ['host', 'a.test'],
        ['host', 'b.test'],
        ['x-forwarded-for', '1.1.1.1'],
        ['x-forwarded-for', '2.2.2.2'],
        ['cookie', 'a=1; b=2'],
        ['set-cookie', 's=1'],
        ['set-cookie', 's=2'],
        ['content-type', 'text/plain'],
        ['content-type', 'text/html'],
        ['accept', 'a'],
        ['accept', 'b'],
        ['user-agent', 'one'],
        ['user-agent', 'two'],
      ],
    });
    await within(ex.done);
    const got = JSON.parse(ex.text());
    expect(got.headers).toEqual({
      host: 'a.test',
      'x-forwarded-for': '1.1.1.1, 2.2.2.2',
      cookie: 'a=1; b=2',
      'set-cookie': ['s=1', 's=2'],
      'content-type': 'text/plain',
      accept: 'a, b',
      'user-agent': 'one',
    });
    expect(got.headersDistinct['x-forwarded-for']).toEqual(['1.1.1.1', '2.2.2.2']);
    expect(got.headersDistinct.host).toEqual(['a.test', 'b.test']);
    expect(got.rawHeaders.slice(0, 4)).toEqual(['host', 'a.test', 'host', 'b.test']);
    expect(got.trailers).toEqual({});
    expect(got.rawTrailers).toEqual([]);
    expect(got.isIncomingMessage).toBe(true);
    expect(got.socketIsConnection).toBe(true);
  });

  it.each([
    ['1.0', '1.0', 1, 0],
    ['1.1', '1.1', 1, 1],
    ['2', '2.0', 2, 0],
  ] as const)('http_version %s is presented as %s', async (version, text, major, minor) => {
    const ex = run(fromExpress(inspect), { httpVersion: version });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toMatchObject({ httpVersion: text, major, minor });
  });
});

describe('behaviour 11: a body without content-length is presented as chunked; a bodiless request ends at once', () => {
  it('HTTP/2 with a body and no content-length: transfer-encoding chunked, express.json parses it', async () => {
    const app = express();
    app.use(express.json());
    app.post('/', (req, res) => res.json({ te: req.headers['transfer-encoding'] ?? null, body: req.body }));
    const ex = run(fromExpress(app), {
      method: 'POST',
      httpVersion: '2',
      headers: [['host', 'x'], ['content-type', 'application/json']],
      body: null,
    });
    ex.push('{"a":', true);
    ex.push('1}', false);
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ te: 'chunked', body: { a: 1 } });
  });

  it('HTTP/2 without a body: no transfer-encoding, the request ends', async () => {
    const app = express();
    app.post('/', (req, res) => {
      req.on('end', () => res.json({ te: req.headers['transfer-encoding'] ?? null, complete: req.complete }));
      req.resume();
    });
    const ex = run(fromExpress(app), { method: 'POST', httpVersion: '2', headers: [['host', 'x']] });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ te: null, complete: true });
  });

  it('HTTP/1.1 without framing headers is bodiless: receive() is never needed, complete after the handler', async () => {
    const seen: boolean[] = [];
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      seen.push(req.complete);
      setImmediate(() => {
        seen.push(req.complete);
        req.on('end', () => res.end('ended'));
        req.resume();
      });
    };
    const ex = run(fromExpress(handler), { method: 'POST', body: null });
    await within(ex.done);
    expect(seen).toEqual([false, true]);
    expect(ex.text()).toBe('ended');
    expect(ex.receives).toBe(0);
  });
});

describe('behaviour 4: the request body streams and is pulled only as fast as it is read', () => {
  it('the handler sees the first chunk before the upload ends', async () => {
    let first: string | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      req.once('data', (chunk: Buffer) => {
        first = chunk.toString();
        res.write(`got ${first};`);
      });
      req.on('end', () => res.end('done'));
    };
    const ex = run(fromExpress(handler), { method: 'POST', headers: [['host', 'x'], ['transfer-encoding', 'chunked']], body: null });
    ex.push('one', true);
    await ex.waitForEvents(2);
    expect(first).toBe('one');
    ex.push('two', false);
    await within(ex.done);
    expect(ex.text()).toBe('got one;done');
  });

  it('a paused request stops pulling receive()', async () => {
    let req!: IncomingMessage;
    const handler = (r: IncomingMessage, res: ServerResponse): void => {
      req = r;
      r.on('data', () => r.pause());
      r.on('end', () => res.end('ok'));
    };
    const ex = run(fromExpress(handler), { method: 'POST', headers: [['host', 'x'], ['transfer-encoding', 'chunked']], body: null });
    for (let i = 0; i < 50; i++) ex.push(Buffer.alloc(64 * 1024, i), true);
    ex.push('', false);
    await delay(50);
    const pulled = ex.receives;
    // Only what fills the stream's buffer was pulled, not all 51 events.
    expect(pulled).toBeLessThan(5);
    await delay(50);
    expect(ex.receives).toBe(pulled);
    req.removeAllListeners('data');
    req.resume();
    await within(ex.done);
    expect(ex.receives).toBeGreaterThanOrEqual(51);
  });
});

describe('behaviour 12: the request end is observable without a reader', () => {
  it('finalhandler answers an unread POST to a missing route with 404', async () => {
    const app = express();
    const ex = run(fromExpress(app), {
      method: 'POST',
      url: '/missing',
      headers: [['host', 'x'], ['content-length', '5000']],
      body: 'x'.repeat(5000),
    });
    await within(ex.done);
    expect(ex.status()).toBe(404);
    expect(ex.text()).toContain('Cannot POST /missing');
  });

  it('a handler that answers without reading the body completes', async () => {
    const ex = run(fromExpress((_req: IncomingMessage, res: ServerResponse) => res.end('no read')), {
      method: 'POST',
      headers: [['host', 'x'], ['content-length', '3']],
      body: 'abc',
    });
    await within(ex.done);
    expect(ex.text()).toBe('no read');
  });
});

describe('behaviour 10: one owner for the request body, nobody hangs', () => {
  it('a second parser after express.json sees the body as already read', async () => {
    const app = express();
    app.use(express.json());
    app.use(express.text({ type: '*/*' }));
    app.post('/', (req, res) => res.json(req.body));
    const body = '{"x":1}';
    const ex = run(fromExpress(app), {
      method: 'POST',
      headers: [['host', 'x'], ['content-type', 'application/json'], ['content-length', String(body.length)]],
      body,
    });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ x: 1 });
  });

  it('a handler that reads after the body was consumed still completes', async () => {
    const app = express();
    app.use(express.raw({ type: '*/*' }));
    app.post('/', (req, res) => {
      // The stream already ended: readableEnded tells, nobody waits for another 'end'.
      res.json({ readableEnded: req.readableEnded, complete: req.complete, length: (req.body as Buffer).length });
    });
    const ex = run(fromExpress(app), {
      method: 'POST',
      headers: [['host', 'x'], ['content-type', 'application/octet-stream'], ['content-length', '4']],
      body: 'abcd',
    });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ readableEnded: true, complete: true, length: 4 });
  });
});

describe('behaviour 16: client address and scheme through Express getters', () => {
  function addressApp(trust: boolean) {
    const app = express();
    if (trust) app.set('trust proxy', true);
    app.get('/', (req, res) =>
      res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure, hostname: req.hostname, remoteFamily: req.socket.remoteFamily }),
    );
    return app;
  }

  it('without trust proxy: the socket address and the scope scheme', async () => {
    const ex = run(fromExpress(addressApp(false)), {
      scheme: 'https',
      client: ['10.0.0.7', 4321],
      headers: [['host', 'shop.test'], ['x-forwarded-for', '9.9.9.9'], ['x-forwarded-proto', 'http']],
    });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ ip: '10.0.0.7', ips: [], protocol: 'https', secure: true, hostname: 'shop.test', remoteFamily: 'IPv4' });
  });

  it('with trust proxy: X-Forwarded-* apply', async () => {
    const ex = run(fromExpress(addressApp(true)), {
      client: ['::1', 4321],
      headers: [['host', 'shop.test'], ['x-forwarded-for', '9.9.9.9, 8.8.8.8'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', 'front.test']],
    });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({
      ip: '9.9.9.9',
      ips: ['9.9.9.9', '8.8.8.8'],
      protocol: 'https',
      secure: true,
      hostname: 'front.test',
      remoteFamily: 'IPv6',
    });
  });

  it('plain http has no encrypted flag at all, like net.Socket', async () => {
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) =>
        res.end(JSON.stringify({ has: 'encrypted' in req.socket, local: [req.socket.localAddress, req.socket.localPort] })),
      ),
      { server: ['192.168.1.2', 8443] },
    );
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ has: false, local: ['192.168.1.2', 8443] });
  });
});

describe('behaviour 14: mount paths (root_path ↔ baseUrl/originalUrl)', () => {
  it('a scope mounted at /api reaches routes relative to the mount, with the full originalUrl', async () => {
    const app = express();
    const router = express.Router();
    router.get('/users/:id', (req, res) =>
      res.json({ url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl, path: req.path, id: req.params.id }),
    );
    app.use('/v1', router);
    const ex = run(fromExpress(app), { url: '/api/v1/users/7?x=1', rootPath: '/api' });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ url: '/users/7?x=1', baseUrl: '/api/v1', originalUrl: '/api/v1/users/7?x=1', path: '/users/7', id: '7' });
  });

  it('serve-static directory redirect under a mount names the full path', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'bridge-static-'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'index.html'), '<h1>docs</h1>');
    const app = express();
    app.use('/static', express.static(dir));
    const ex = run(fromExpress(app), { url: '/site/static/docs', rootPath: '/site' });
    await within(ex.done);
    expect(ex.status()).toBe(301);
    expect(ex.header('location')).toBe('/site/static/docs/');
  });
});

describe('behaviour 15: percent-encoded paths route as in Express', () => {
  it('a PAGI mount that matched /admin on the decoded path hands Express the rest, whatever the encoding', async () => {
    const app = express();
    app.get('/panel', (req, res) => res.json({ url: req.url, baseUrl: req.baseUrl, originalUrl: req.originalUrl }));
    const ex = run(fromExpress(app), { url: '/%61dmin/panel', rootPath: '/admin' });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ url: '/panel', baseUrl: '/%61dmin', originalUrl: '/%61dmin/panel' });
  });

  it('Express itself sees the raw path, exactly as on node:http', async () => {
    const app = express();
    app.use('/admin', (_req, res) => res.status(403).send('guarded'));
    app.get('/*splat', (req, res) => res.send(`open ${req.path}`));
    const encoded = run(fromExpress(app), { url: '/caf%C3%A9' });
    await within(encoded.done);
    expect(encoded.text()).toBe('open /caf%C3%A9');
    const plain = run(fromExpress(app), { url: '/admin/x' });
    await within(plain.done);
    expect(plain.status()).toBe(403);
  });
});

describe('behaviour 10 (cont.): a handler that answers first may still read the body', () => {
  it('the scope stays open until the request stream is done', async () => {
    let read = 0;
    let ended = false;
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        res.end('answered first');
        req.on('data', (chunk: Buffer) => (read += chunk.length));
        req.on('end', () => (ended = true));
      }),
      { method: 'POST', headers: [['host', 'x'], ['content-length', '3000']], body: null },
    );
    await ex.waitForEvents(2);
    ex.push(Buffer.alloc(1000), true);
    await delay(10);
    let settled = false;
    void ex.done.then(() => (settled = true));
    await delay(10);
    expect(settled).toBe(false);
    ex.push(Buffer.alloc(2000), false);
    await within(ex.done);
    expect({ read, ended }).toEqual({ read: 3000, ended: true });
  });
});

describe('behaviour 11 (cont.): a content-length body completes with its last byte, as in Node', () => {
  it('req.complete and end come without waiting for the closing empty event', async () => {
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        req.on('end', () => res.end(`complete=${req.complete}`));
        req.resume();
      }),
      { method: 'POST', headers: [['host', 'x'], ['content-length', '6']], body: null },
    );
    ex.push('abc', true);
    ex.push('def', true);
    await within(ex.done);
    expect(ex.text()).toBe('complete=true');
  });
});

describe('behaviour 6 (cont.): socket and request fields loggers read', () => {
  it('upgrade, bytesRead/bytesWritten, readyState', async () => {
    let seen: unknown;
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        req.on('end', () => {
          res.write('12345');
          const socket = req.socket as typeof req.socket & { readyState: string };
          seen = { upgrade: (req as IncomingMessage & { upgrade: unknown }).upgrade, read: socket.bytesRead, written: socket.bytesWritten, state: socket.readyState };
          res.end();
        });
        req.resume();
      }),
      { method: 'POST', headers: [['host', 'x'], ['content-length', '4']], body: 'abcd' },
    );
    await within(ex.done);
    expect(seen).toEqual({ upgrade: false, read: 4, written: 5, state: 'open' });
  });
});

describe('originalUrl and baseUrl exist only where Node or Express would set them', () => {
  const urls = (req: IncomingMessage, res: ServerResponse): void => {
    const r = req as IncomingMessage & { originalUrl?: string; baseUrl?: string };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: r.url, hasOriginal: 'originalUrl' in r, hasBase: 'baseUrl' in r, originalUrl: r.originalUrl, baseUrl: r.baseUrl }));
  };

  it('an unmounted plain handler sees neither, as on node:http', async () => {
    const ex = run(fromExpress(urls), { url: '/a/b?q=1' });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ url: '/a/b?q=1', hasOriginal: false, hasBase: false });
  });

  it('a mounted handler sees the full target and the mount prefix, as under app.use(prefix)', async () => {
    const ex = run(fromExpress(urls), { url: '/sub/a%20b?q=1', rootPath: '/sub' });
    await within(ex.done);
    const native = express().use('/sub', urls);
    const server = await listen(native as never);
    try {
      const expected = await (await fetch(`${server.url}/sub/a%20b?q=1`)).json();
      expect(JSON.parse(ex.text())).toEqual(expected);
      expect(expected).toMatchObject({ url: '/a%20b?q=1', originalUrl: '/sub/a%20b?q=1', baseUrl: '/sub' });
    } finally {
      await server.close();
    }
  });

  it('an Express app sets originalUrl itself, mounted or not', async () => {
    const app = express().use(urls);
    const ex = run(fromExpress(app), { url: '/x?y' });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toMatchObject({ url: '/x?y', hasOriginal: true, originalUrl: '/x?y', baseUrl: '' });
  });
});
