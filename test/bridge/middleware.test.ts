import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import compression from 'compression';
import cors from 'cors';
import { EventSource } from 'eventsource';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import multer from 'multer';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from '../../src/adapter/index.js';
import { fromExpress } from '../../src/bridge/index.js';
import { delay, listen, run, within } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serveBridged(app: express.Express) {
  const server = await listen(toNodeListener(fromExpress(app)));
  closers.push(server.close);
  return server;
}

describe('behaviour 5: the prototype swap breaks nothing; one app serves native and bridged requests', () => {
  it('the same Express instance answers the same on http.createServer and through the bridge', async () => {
    const app = express();
    app.use(express.json());
    app.get('/who', (req, res) => void res.json({ proto: Object.getPrototypeOf(req) === app.request, ip: req.ip, q: req.query }));
    app.post('/echo', (req, res) => void res.status(201).json(req.body));
    const native = await listen(app);
    closers.push(native.close);
    const bridged = await serveBridged(app);
    for (const base of [native.url, bridged.url, native.url, bridged.url]) {
      const who = await fetch(`${base}/who?a=1`);
      expect(await who.json()).toEqual({ proto: true, ip: '127.0.0.1', q: { a: '1' } });
      const echo = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
      expect(echo.status).toBe(201);
      expect(await echo.json()).toEqual({ n: 1 });
    }
  });
});

describe('behaviour 18: headers set by middleware are kept, no double response', () => {
  it('cors and helmet headers reach the start; a second send throws and emits nothing', async () => {
    const app = express();
    app.use(cors({ origin: 'https://a.test', credentials: true }));
    app.use(helmet());
    let second = '';
    app.get('/', (_req, res) => {
      res.set('x-route', 'yes');
      res.send('once');
      try {
        res.send('twice');
      } catch (error) {
        second = (error as NodeJS.ErrnoException).code ?? 'threw';
      }
      second += ` headersSent=${res.headersSent}`;
    });
    const ex = run(fromExpress(app), { headers: [['host', 'x'], ['origin', 'https://a.test']] });
    await within(ex.done);
    expect(ex.events.filter((e) => e.type === 'http.response.start')).toHaveLength(1);
    expect(ex.header('access-control-allow-origin')).toBe('https://a.test');
    expect(ex.header('access-control-allow-credentials')).toBe('true');
    expect(ex.header('x-content-type-options')).toBe('nosniff');
    expect(ex.header('content-security-policy')).toBeDefined();
    expect(ex.header('x-route')).toBe('yes');
    expect(ex.text()).toBe('once');
    expect(second).toBe('ERR_HTTP_HEADERS_SENT headersSent=true');
  });

  it('a CORS preflight is answered by the middleware', async () => {
    const app = express();
    app.use(cors());
    const ex = run(fromExpress(app), {
      method: 'OPTIONS',
      headers: [['host', 'x'], ['origin', 'https://b.test'], ['access-control-request-method', 'PUT']],
    });
    await within(ex.done);
    expect(ex.status()).toBe(204);
    expect(ex.header('access-control-allow-methods')).toContain('PUT');
  });
});

describe('behaviour 16: secure session cookies on https scopes', () => {
  it('express-session sets a secure cookie on https and not on http', async () => {
    const app = express();
    app.use(session({ secret: 's', resave: false, saveUninitialized: true, cookie: { secure: true } }));
    app.get('/', (_req, res) => void res.send('session'));
    const https = run(fromExpress(app), { scheme: 'https' });
    const plain = run(fromExpress(app), { scheme: 'http' });
    await within(Promise.all([https.done, plain.done]));
    expect(https.headerValues('set-cookie')).toHaveLength(1);
    expect(https.header('set-cookie')).toMatch(/Secure/);
    expect(plain.headerValues('set-cookie')).toHaveLength(0);
  });
});

describe('behaviour 19: compression works, including SSE with res.flush()', () => {
  it('gzips a large response (the on-headers hook adds content-encoding to the start)', async () => {
    const app = express();
    app.use(compression());
    app.get('/', (_req, res) => void res.type('text').send('compress me '.repeat(1000)));
    const ex = run(fromExpress(app), { headers: [['host', 'x'], ['accept-encoding', 'gzip']] });
    await within(ex.done);
    expect(ex.header('content-encoding')).toBe('gzip');
    expect(ex.header('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(ex.body()).toString()).toBe('compress me '.repeat(1000));
  });

  it('SSE through compression reaches an EventSource event by event; flush() also sends http.fullflush when offered', async () => {
    // The app sends its second and third events only once the client has the first: a response
    // buffered by compression or the bridge would never get past the first event (no timing).
    let released: Promise<void> = Promise.resolve();
    const app = express();
    app.use(compression());
    app.get('/events', (_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.setHeader('cache-control', 'no-cache');
      const tick = (n: number) => {
        res.write(`data: tick ${n}\n\n`);
        (res as unknown as { flush(): void }).flush();
      };
      tick(1);
      void released.then(() => {
        tick(2);
        tick(3);
        res.end();
      });
    });
    const server = await serveBridged(app);
    const received: string[] = [];
    let release!: () => void;
    released = new Promise((resolve) => (release = resolve));
    const source = new EventSource(`${server.url}/events`);
    try {
      await within(
        new Promise<void>((resolve) => {
          source.onmessage = (event) => {
            received.push(event.data as string);
            if (received.length === 1) release();
            if (received.length === 3) resolve();
          };
        }),
        5000,
        'three SSE events, the first before the others were sent',
      );
    } finally {
      source.close();
    }
    expect(received).toEqual(['tick 1', 'tick 2', 'tick 3']);

    released = Promise.resolve();
    const flushed = run(fromExpress(app), {
      url: '/events',
      headers: [['host', 'x'], ['accept-encoding', 'gzip']],
      extensions: { fullflush: {} },
    });
    await within(flushed.done);
    expect(flushed.events.filter((e) => e.type === 'http.fullflush')).toHaveLength(3);
    expect(flushed.header('content-encoding')).toBe('gzip');
  });
});

describe('behaviour 20: static files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-files-'));
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  writeFileSync(join(dir, 'data.bin'), bytes);
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 7));

  function staticApp() {
    const app = express();
    app.use('/files', express.static(dir));
    return app;
  }

  it('Range → 206 with exact bytes; unsatisfiable → 416', async () => {
    const ex = run(fromExpress(staticApp()), { url: '/files/data.bin', headers: [['host', 'x'], ['range', 'bytes=10-19']] });
    await within(ex.done);
    expect(ex.status()).toBe(206);
    expect(ex.header('content-range')).toBe('bytes 10-19/1000');
    expect(ex.body().equals(bytes.subarray(10, 20))).toBe(true);
    const bad = run(fromExpress(staticApp()), { url: '/files/data.bin', headers: [['host', 'x'], ['range', 'bytes=5000-6000']] });
    await within(bad.done);
    expect(bad.status()).toBe(416);
  });

  it('If-None-Match → 304 without a body; HEAD → headers only', async () => {
    const first = run(fromExpress(staticApp()), { url: '/files/data.bin' });
    await within(first.done);
    const etag = first.header('etag') as string;
    expect(etag).toBeDefined();
    expect(first.header('last-modified')).toBeDefined();
    const cached = run(fromExpress(staticApp()), { url: '/files/data.bin', headers: [['host', 'x'], ['if-none-match', etag]] });
    await within(cached.done);
    expect(cached.status()).toBe(304);
    expect(cached.body().length).toBe(0);
    const head = run(fromExpress(staticApp()), { method: 'HEAD', url: '/files/data.bin' });
    await within(head.done);
    expect(head.header('content-length')).toBe('1000');
    expect(head.body().length).toBe(0);
  });

  it('a client leaving mid-download closes the file', async () => {
    const server = await serveBridged(staticApp());
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    await within(
      new Promise<void>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => {
          socket.write('GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
        });
        let got = 0;
        socket.on('data', (chunk) => {
          got += chunk.length;
          if (got > 256 * 1024) {
            socket.destroy();
            resolve();
          }
        });
        socket.on('error', reject);
      }),
      5000,
      'partial download',
    );
    const deadline = Date.now() + 3000;
    while (fds() > before && Date.now() < deadline) await delay(20);
    expect(fds()).toBeLessThanOrEqual(before);
  });
});

describe('behaviour 21: uploads are byte-exact; a multer limit error reaches the error handler', () => {
  function uploadApp() {
    const app = express();
    const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 64 * 1024 } });
    app.post('/upload', upload.single('file'), (req, res) => {
      const file = req.file as Express.Multer.File;
      res.json({ name: file.originalname, size: file.size, first: file.buffer[0], last: file.buffer[file.size - 1], field: req.body.note });
    });
    app.use((err: Error & { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(413).json({ error: err.code });
    });
    return app;
  }

  it('multipart upload through a real socket', async () => {
    const server = await serveBridged(uploadApp());
    const content = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7) % 256));
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob([content]), 'blob.bin');
    const ok = await fetch(`${server.url}/upload`, { method: 'POST', body: form });
    expect(await ok.json()).toEqual({ name: 'blob.bin', size: 50_000, first: content[0], last: content[49_999], field: 'hello' });
    const tooBig = new FormData();
    tooBig.append('file', new Blob([Buffer.alloc(200_000)]), 'big.bin');
    const limited = await fetch(`${server.url}/upload`, { method: 'POST', body: tooBig });
    expect(limited.status).toBe(413);
    expect(await limited.json()).toEqual({ error: 'LIMIT_FILE_SIZE' });
  });
});

describe('behaviour 4: busboy sees the first part before the upload ends', () => {
  it('the first field is parsed while the body is still arriving', async () => {
    const { default: busboy } = await import('busboy');
    const events: string[] = [];
    const app = express();
    app.post('/', (req, res) => {
      const bb = busboy({ headers: req.headers });
      bb.on('field', (name) => events.push(`field ${name}`));
      bb.on('close', () => res.send(events.join(',')));
      req.pipe(bb);
    });
    const boundary = 'XyZ';
    const ex = run(fromExpress(app), {
      method: 'POST',
      headers: [['host', 'x'], ['content-type', `multipart/form-data; boundary=${boundary}`], ['transfer-encoding', 'chunked']],
      body: null,
    });
    ex.push(`--${boundary}\r\nContent-Disposition: form-data; name="first"\r\n\r\none\r\n--${boundary}\r\n`, true);
    const deadline = Date.now() + 2000;
    while (events.length === 0 && Date.now() < deadline) await delay(5);
    expect(events).toEqual(['field first']);
    ex.push(`Content-Disposition: form-data; name="second"\r\n\r\ntwo\r\n--${boundary}--\r\n`, false);
    await within(ex.done);
    expect(ex.text()).toBe('field first,field second');
  });
});

describe('raw sockets: framing as node:http would choose it', () => {
  it('a response whose head was stored before end() stays chunked on the wire', async () => {
    const app = express();
    app.get('/', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('chunky');
    });
    const server = await serveBridged(app);
    const raw = await within(
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        let text = '';
        socket.on('data', (c) => (text += c.toString('latin1')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      }),
    );
    expect(raw.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(raw).toContain('6\r\nchunky\r\n0\r\n\r\n');
  });
});


describe('wire-level: Expect 100-continue and an aborted response', () => {
  function rawExchange(port: number, request: string, onData?: (text: string, socket: net.Socket) => void) {
    return within(
      new Promise<{ text: string; ended: boolean }>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.on('data', (c) => {
          text += c.toString('latin1');
          onData?.(text, socket);
        });
        socket.on('close', () => resolve({ text, ended: true }));
        socket.on('error', reject);
      }),
      5000,
      'raw exchange',
    );
  }

  it('Expect: 100-continue needs nothing from the app: the 100 comes when the body is read', async () => {
    const app = express();
    app.use(express.text());
    app.post('/', (req, res) => void res.send(`got ${String(req.body)}`));
    const server = await serveBridged(app);
    let sentBody = false;
    const result = await rawExchange(
      server.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
      (text, socket) => {
        if (!sentBody && text.includes('100 Continue')) {
          sentBody = true;
          socket.write('hello');
        }
      },
    );
    expect(result.text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    expect(result.text).toContain('got hello');
  });

  it('an error after the head was sent cuts the connection without the terminating chunk', async () => {
    const app = express();
    app.set('env', 'test');
    app.get('/', (_req, res, next) => {
      res.write('partial');
      setTimeout(() => next(new Error('late failure')), 20);
    });
    const server = await serveBridged(app);
    const result = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(result.text).toContain('7\r\npartial\r\n');
    expect(result.text.endsWith('0\r\n\r\n')).toBe(false);
  });
});
