import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import express from 'express';
import onHeaders from 'on-headers';
import { describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { delay, listen, run, within } from './helpers.js';

const BINARY = Buffer.concat([
  Buffer.from('0\r\n\r\n'),
  Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10]),
  Buffer.from('\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

function types(ex: ReturnType<typeof run>): string[] {
  return ex.events.map((e) => (e.type === 'http.response.body' ? `body${e.more ? '+' : '.'}` : e.type));
}

describe('behaviour 1: res.write() chunks reach send one by one, before end()', () => {
  it('each write is one body event, sent before the response ends', async () => {
    let end!: () => void;
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('content-type', 'text/event-stream');
        res.write('data: 1\n\n');
        setTimeout(() => res.write('data: 2\n\n'), 20);
        end = () => res.end();
      }),
    );
    await ex.waitForEvents(3);
    expect(types(ex)).toEqual(['http.response.start', 'body+', 'body+']);
    expect(ex.complete()).toBe(false);
    end();
    await within(ex.done);
    expect(ex.text()).toBe('data: 1\n\ndata: 2\n\n');
    expect(types(ex)).toEqual(['http.response.start', 'body+', 'body+', 'body.']);
  });

  it('empty writes emit nothing after the head went out', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.write('a');
        res.write('');
        res.write(Buffer.alloc(0));
        res.end();
      }),
    );
    await within(ex.done);
    expect(types(ex)).toEqual(['http.response.start', 'body+', 'body.']);
  });
});

describe('behaviour 6: the internals the ecosystem touches exist and behave', () => {
  it('res and req internals through the lifecycle', async () => {
    const seen: Record<string, unknown> = {};
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        const r = res as ServerResponse & { _header: string | null; _implicitHeader(): void };
        seen.before = { headersSent: res.headersSent, header: r._header, writableEnded: res.writableEnded, finished: res.finished };
        res.setHeader('X-One', '1');
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        seen.getHeader = res.getHeader('x-one');
        seen.getHeaders = { ...res.getHeaders() };
        seen.hasHeader = res.hasHeader('X-ONE');
        seen.names = res.getHeaderNames();
        r._implicitHeader();
        seen.after = { headersSent: res.headersSent, headerIsString: typeof r._header === 'string' };
        try {
          res.setHeader('x-late', '1');
        } catch (error) {
          seen.lateSet = (error as NodeJS.ErrnoException).code;
        }
        try {
          res.removeHeader('x-one');
        } catch (error) {
          seen.lateRemove = (error as NodeJS.ErrnoException).code;
        }
        seen.getAfter = res.getHeader('x-one');
        seen.req = { complete: req.complete, httpVersion: req.httpVersion };
        const listener = (): void => {};
        req.socket.on('close', listener);
        req.socket.removeListener('close', listener);
        seen.socketFns = [typeof req.socket.destroy, typeof req.socket.setTimeout, typeof req.socket.setNoDelay, typeof req.socket.setKeepAlive];
        res.end('x', () => {
          seen.endCallback = { writableFinished: res.writableFinished };
        });
        seen.ended = { writableEnded: res.writableEnded, finished: res.finished };
      }),
    );
    await within(ex.done);
    expect(seen).toEqual({
      before: { headersSent: false, header: null, writableEnded: false, finished: false },
      getHeader: '1',
      getHeaders: { 'x-one': '1', 'set-cookie': ['a=1', 'b=2'] },
      hasHeader: true,
      names: ['x-one', 'set-cookie'],
      after: { headersSent: true, headerIsString: true },
      lateSet: 'ERR_HTTP_HEADERS_SENT',
      lateRemove: 'ERR_HTTP_HEADERS_SENT',
      getAfter: '1',
      req: { complete: false, httpVersion: '1.1' },
      socketFns: ['function', 'function', 'function', 'function'],
      ended: { writableEnded: true, finished: true },
      endCallback: { writableFinished: true },
    });
  });
});

describe('behaviour 7: binary bodies arrive byte-identical by every route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-binary-'));
  const file = join(dir, 'blob.bin');
  writeFileSync(file, BINARY);

  type Route = (req: express.Request, res: express.Response) => void;
  it.each<[string, Route]>([
    ['res.write', (_req: express.Request, res: express.Response): void => {
      res.write(BINARY.subarray(0, 7));
      res.write(BINARY.subarray(7));
      res.end();
    }],
    ['res.send(Buffer)', (_req: express.Request, res: express.Response) => void res.send(BINARY)],
    ['res.sendFile', (_req: express.Request, res: express.Response): void => res.sendFile(file)],
    ['piped stream', (_req: express.Request, res: express.Response) => void createReadStream(file, { highWaterMark: 5 }).pipe(res)],
    ['Readable.from', (_req: express.Request, res: express.Response) => void Readable.from([BINARY.subarray(0, 3), BINARY.subarray(3)]).pipe(res)],
  ])('%s', async (_name, handler) => {
    const app = express();
    app.get('/', handler);
    const ex = run(fromExpress(app));
    await within(ex.done);
    expect(ex.status()).toBe(200);
    expect(ex.body().equals(BINARY)).toBe(true);
  });
});

describe('behaviour 8: header timing follows Node', () => {
  it('the start goes out on flushHeaders(), with an empty body chunk to push it', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('content-type', 'text/event-stream');
        res.flushHeaders();
      }),
    );
    await ex.waitForEvents(2);
    expect(types(ex)).toEqual(['http.response.start', 'body+']);
    ex.disconnect();
    await within(ex.done);
  });

  it('writeHead alone stores the start; on-headers hooks are in it', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        onHeaders(res, () => res.setHeader('x-hooked', 'yes'));
        res.setHeader('x-before', '1');
        res.writeHead(201);
        setTimeout(() => res.end('late'), 10);
      }),
    );
    await ex.waitForEvents(1);
    expect(ex.status()).toBe(201);
    expect(ex.header('x-hooked')).toBe('yes');
    expect(ex.header('x-before')).toBe('1');
    await within(ex.done);
    // The head was stored before end(): Node frames it chunked, so no content-length appears.
    expect(ex.header('content-length')).toBeUndefined();
    expect(ex.text()).toBe('late');
  });

  it('an empty body still gets its start; end() before any head adds content-length like Node', async () => {
    const empty = run(fromExpress((_req: IncomingMessage, res: ServerResponse) => res.end()));
    await within(empty.done);
    expect(empty.status()).toBe(200);
    expect(empty.headers()).toEqual([['content-length', '0']]);
    const small = run(fromExpress((_req: IncomingMessage, res: ServerResponse) => res.end('héllo')));
    await within(small.done);
    expect(small.header('content-length')).toBe('6');
    expect(types(small)).toEqual(['http.response.start', 'body.']);
  });

  it('statusMessage is dropped, status kept', async () => {
    const ex = run(fromExpress((_req: IncomingMessage, res: ServerResponse) => res.writeHead(418, 'Short and stout').end()));
    await within(ex.done);
    expect(ex.status()).toBe(418);
  });
});

describe('behaviour 17: multi-value response headers survive', () => {
  it('three Set-Cookie stay three, writeHead arrays and flat lists', async () => {
    const app = express();
    app.get('/cookies', (_req, res) => {
      res.cookie('a', '1');
      res.cookie('b', '2');
      res.cookie('c', '3', { httpOnly: true });
      res.append('Link', ['<a>', '<b>']);
      res.send('ok');
    });
    app.get('/flat', (_req, res) => {
      res.writeHead(200, ['X-A', '1', 'Set-Cookie', 'x=1', 'Set-Cookie', 'y=2']).end('flat');
    });
    app.get('/object', (_req, res) => {
      res.writeHead(200, { 'X-N': 5, 'Set-Cookie': ['p=1', 'q=2'] }).end('object');
    });
    const a = run(fromExpress(app), { url: '/cookies' });
    await within(a.done);
    expect(a.headerValues('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/', 'c=3; Path=/; HttpOnly']);
    expect(a.headerValues('link')).toEqual(['<a>', '<b>']);
    // After setHeader (Express's X-Powered-By) a flat list goes through
    // setHeader on Node 20 (the last Set-Cookie wins) and appendHeader on
    // Node 22+ (both stay); the bridge runs the running Node's own code.
    const native = await listen(app);
    let nativeCookies: string[];
    try {
      nativeCookies = (await within(fetch(`${native.url}/flat`))).headers.getSetCookie();
    } finally {
      await native.close();
    }
    expect(nativeCookies).toContain('y=2');
    const b = run(fromExpress(app), { url: '/flat' });
    await within(b.done);
    expect(b.headerValues('set-cookie')).toEqual(nativeCookies);
    expect(b.header('x-a')).toBe('1');
    const raw = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) =>
        res.writeHead(200, ['Set-Cookie', 'x=1', 'Set-Cookie', 'y=2', 'X-B', 'b']).end(),
      ),
    );
    await within(raw.done);
    expect(raw.headers()).toEqual([['set-cookie', 'x=1'], ['set-cookie', 'y=2'], ['x-b', 'b']]);
    const c = run(fromExpress(app), { url: '/object' });
    await within(c.done);
    expect(c.headerValues('set-cookie')).toEqual(['p=1', 'q=2']);
    expect(c.header('x-n')).toBe('5');
  });
});

describe('response details: trailers, HEAD, end twice', () => {
  it('addTrailers with a Trailer header → trailers: true and a trailers event', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('Trailer', 'X-Checksum');
        res.write('body');
        res.addTrailers({ 'X-Checksum': 'abc' });
        res.end('!');
      }),
    );
    await within(ex.done);
    const start = ex.events[0] as { trailers?: boolean };
    expect(start.trailers).toBe(true);
    expect(ex.events.at(-1)).toEqual({ type: 'http.response.trailers', headers: [['x-checksum', 'abc']] });
    expect(ex.text()).toBe('body!');
  });

  it('trailers are dropped when the response has a content-length', async () => {
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('content-length', '2');
        res.addTrailers({ 'X-Checksum': 'abc' });
        res.end('ok');
      }),
    );
    await within(ex.done);
    expect(types(ex)).toEqual(['http.response.start', 'body.']);
  });

  it('HEAD keeps content-length, drops the body', async () => {
    const app = express();
    app.get('/', (_req, res) => void res.send('x'.repeat(1000)));
    const ex = run(fromExpress(app), { method: 'HEAD' });
    await within(ex.done);
    expect(ex.header('content-length')).toBe('1000');
    expect(ex.body().length).toBe(0);
    expect(ex.complete()).toBe(true);
  });

  it('end() twice is harmless; write after end reports ERR_STREAM_WRITE_AFTER_END', async () => {
    const errors: string[] = [];
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.on('error', (e: NodeJS.ErrnoException) => errors.push(`event ${e.code}`));
        res.end('once');
        res.end();
        res.write('late', (e) => errors.push(`callback ${(e as NodeJS.ErrnoException | undefined)?.code}`));
      }),
    );
    await within(ex.done);
    await delay(5);
    expect(ex.text()).toBe('once');
    expect(errors).toEqual(['callback ERR_STREAM_WRITE_AFTER_END', 'event ERR_STREAM_WRITE_AFTER_END']);
  });

  it('status 204 and 304 carry no body', async () => {
    const app = express();
    app.get('/204', (_req, res) => void res.status(204).send('ignored'));
    app.get('/304', (_req, res) => {
      res.status(304);
      res.write('ignored');
      res.end();
    });
    for (const url of ['/204', '/304']) {
      const ex = run(fromExpress(app), { url });
      await within(ex.done);
      expect(ex.body().length).toBe(0);
      expect(ex.complete()).toBe(true);
    }
  });
});
