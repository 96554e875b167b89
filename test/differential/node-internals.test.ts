/**
 * The Node internals the ecosystem touches, native vs bridged: socket and
 * response timeouts, the socket's identity and address fields, cork/uncork,
 * paused-mode and paused/resumed request reading, writable-state fields,
 * write callbacks, pipeline() against a leaving client, and early hints.
 */
import { Readable, pipeline } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, expectSameEvents, first, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from './harness.js';
import { buildRequest } from './raw-client.js';

function internalsApp(express: ExpressModule, probe: Probe): express.Express {
  const app = express();
  app.get('/plain', (_req, res) => {
    res.send('plain answer');
  });
  app.get('/socket-fields', (req, res) => {
    const socket = req.socket;
    res.json({
      sameObject: req.socket === req.connection && res.socket === socket,
      remoteAddress: socket.remoteAddress,
      remoteFamily: socket.remoteFamily,
      localAddress: socket.localAddress,
      readable: socket.readable,
      writable: socket.writable,
      destroyed: socket.destroyed,
      hasSetTimeout: typeof socket.setTimeout,
      hasSetNoDelay: typeof socket.setNoDelay,
      hasSetKeepAlive: typeof socket.setKeepAlive,
      hasRef: typeof socket.ref,
      hasUnref: typeof socket.unref,
      hasAddress: typeof socket.address,
    });
  });
  app.get('/more-fields', (req, res) => {
    const socket = req.socket as typeof req.socket & { readyState?: string; encrypted?: unknown };
    res.json({
      upgrade: (req as typeof req & { upgrade?: unknown }).upgrade,
      httpVersionMajor: req.httpVersionMajor,
      httpVersionMinor: req.httpVersionMinor,
      rawTrailers: req.rawTrailers,
      aborted: (req as typeof req & { aborted?: unknown }).aborted,
      backReferences: res.req === req && req.res === res,
      sendDate: res.sendDate,
      statusMessage: res.statusMessage,
      rawHeaderNames: (res as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames(),
      readableFlowing: req.readableFlowing,
      bytesRead: typeof socket.bytesRead,
      bytesWritten: typeof socket.bytesWritten,
      readyState: socket.readyState ?? null,
      remotePort: typeof socket.remotePort,
      encrypted: typeof socket.encrypted,
    });
  });
  app.get('/res-timeout', (_req, res) => {
    res.setTimeout(150, () => {
      probe.record('response timeout fired');
      res.status(503).send('timed out');
    });
  });
  app.get('/req-timeout', (req, res) => {
    req.setTimeout(150, () => {
      probe.record('request timeout fired');
      res.status(504).send('request timed out');
    });
  });
  app.post('/req-timeout-body', (req, res) => {
    req.setTimeout(150, () => {
      probe.record('request timeout fired');
      res.status(504).send('request timed out');
    });
  });
  app.get('/timeout-cleared', (req, res) => {
    req.setTimeout(100, () => probe.record('must not fire'));
    req.setTimeout(0);
    setTimeout(() => res.send('no timeout'), 250);
  });
  app.get('/cork', (_req, res) => {
    res.type('text');
    res.cork();
    res.write('a;');
    res.write('b;');
    process.nextTick(() => {
      res.uncork();
      setTimeout(() => res.end('c;'), 150);
    });
  });
  app.get('/writable-state', (_req, res) => {
    const before = `${res.writableLength} ${typeof res.writableHighWaterMark} ${String(res.writableNeedDrain)} ${String(res.writableCorked)}`;
    res.write('x', () => probe.record('write callback'));
    res.on('finish', () => probe.record('finish'));
    res.end('y', () => probe.record('end callback'));
    probe.record(`before: ${before}`);
  });
  app.post('/readable-mode', (req, res) => {
    let length = 0;
    req.on('readable', () => {
      let chunk: Buffer | null;
      while ((chunk = req.read() as Buffer | null) !== null) length += chunk.length;
    });
    req.on('end', () => res.json({ length, complete: req.complete, readableEnded: req.readableEnded }));
  });
  app.post('/pause-resume', (req, res) => {
    let length = 0;
    req.pause();
    setTimeout(() => {
      req.on('data', (chunk: Buffer) => {
        length += chunk.length;
      });
      req.on('end', () => res.json({ length }));
      req.resume();
    }, 200);
  });
  app.post('/drain-unread', (req, res) => {
    req.resume();
    req.on('end', () => res.send(`drained, complete=${String(req.complete)}`));
  });
  app.post('/respond-then-read', (req, res) => {
    res.send('answered first');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
    });
    req.on('end', () => probe.record(`read ${length} bytes after answering`));
  });
  app.get('/pipeline-abort', (_req, res) => {
    let n = 0;
    const source = new Readable({
      read() {
        n += 1;
        setTimeout(() => this.push(`tick-${n};`), 30);
      },
    });
    source.on('close', () => probe.record('source closed'));
    pipeline(source, res, (error) => probe.record(`pipeline done ${(error as NodeJS.ErrnoException | null)?.code ?? 'ok'}`));
  });
  app.get('/pipe-abort', (_req, res) => {
    let n = 0;
    const source = new Readable({
      read() {
        n += 1;
        setTimeout(() => this.push(`tick-${n};`), 30);
      },
    });
    source.pipe(res);
    res.on('close', () => {
      setTimeout(() => probe.record(`after close: source destroyed=${source.destroyed} flowing=${String(source.readableFlowing)}`), 100);
    });
  });
  app.get('/write-continue', (_req, res) => {
    res.writeContinue();
    res.writeProcessing();
    res.send('after 100 and 102');
  });
  app.get('/early-hints', (_req, res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    res.send('after early hints');
  });
  app.get('/res-socket-after-finish', (_req, res) => {
    res.on('finish', () => probe.record(`socket at finish: ${res.socket === null ? 'null' : 'set'}`));
    res.on('close', () => setImmediate(() => probe.record(`socket after close: ${res.socket === null ? 'null' : 'set'}`)));
    res.send('ok');
  });
  return app;
}

const upload = Buffer.alloc(300_000, 'u');

const scenarios: Scenario[] = [
  { name: 'socket identity and address fields', spec: { path: '/socket-fields' }, status: 200 },
  {
    name: 'more request, response and socket fields',
    spec: { path: '/more-fields' },
    status: 200,
  },
  { name: 'res.setTimeout fires on an idle response', spec: { path: '/res-timeout' }, status: 503 },
  {
    // The request is already complete, so Node's socket timeout finds no 'timeout' listener that applies and destroys it.
    name: 'req.setTimeout on a complete request: the idle socket is destroyed',
    spec: { path: '/req-timeout' },
    check: ({ native, bridged }) => {
      expect(native.responses).toHaveLength(0);
      expect(bridged.end).toBe('truncated');
    },
  },
  {
    name: 'req.setTimeout while the body is still arriving',
    spec: { method: 'POST', path: '/req-timeout-body', headers: [['Content-Length', '100']], body: 'only part' },
    status: 504,
  },
  { name: 'req.setTimeout(0) clears the timeout', spec: { path: '/timeout-cleared' }, status: 200 },
  { name: 'cork/uncork then a later end', spec: { path: '/cork' }, status: 200 },
  { name: 'paused-mode reading with read()', spec: { method: 'POST', path: '/readable-mode', body: upload }, status: 200 },
  { name: 'pause then resume the request', spec: { method: 'POST', path: '/pause-resume', body: upload }, status: 200 },
  { name: 'draining an unread body with resume()', spec: { method: 'POST', path: '/drain-unread', chunks: ['a', 'b', 'c'] }, status: 200 },
];

describeEachExpress('Node internals: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => internalsApp(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
      await expectSameEvents(pair);
    });
  }

  it('writable state, write and end callbacks, finish', async () => {
    await runScenario(pair, { name: 'state', spec: { path: '/writable-state' }, status: 200 });
    const events = await expectSameEvents(pair);
    expect(events).toContain('end callback');
  });

  it('a handler that answers first while most of the body is still to come', async () => {
    // The rest of the body comes 200 ms after the answer: Node does not deliver it to the handler any more.
    const request = buildRequest({ method: 'POST', path: '/respond-then-read', headers: [['Content-Length', '5000']] });
    const result = await pair.exchange({
      request,
      body: [{ data: 'b'.repeat(1000) }, { data: 'b'.repeat(4000), delayMs: 200 }],
      methods: ['POST'],
    });
    expectSame(result);
    await expectSameEvents(pair, 400);
  });

  // The whole body came with the request: Node delivers all of it even though the response already finished.
  it('a handler that answers first and reads the already-received body afterwards', async () => {
    await runScenario(pair, { name: 'late read', spec: { method: 'POST', path: '/respond-then-read', body: 'b'.repeat(5000) }, status: 200 });
    expect(await expectSameEvents(pair)).toEqual(['read 5000 bytes after answering']);
  });

  it('a handler that answers first and reads an already-received chunked body afterwards', async () => {
    await runScenario(pair, {
      name: 'late chunked read',
      spec: { method: 'POST', path: '/respond-then-read', chunks: ['c'.repeat(2000), 'c'.repeat(3000)] },
      status: 200,
    });
    expect(await expectSameEvents(pair)).toEqual(['read 5000 bytes after answering']);
  });

  it('pipeline() to a response whose client leaves reports a premature close', async () => {
    const result = await pair.request({ path: '/pipeline-abort' }, { abort: { afterBodyBytes: 20 } });
    expect(result.bridged.end).toBe('client-aborted');
    const events = await expectSameEvents(pair, 300);
    expect(events).toContain('pipeline done ERR_STREAM_PREMATURE_CLOSE');
  });

  it('pipe() to a response whose client leaves: what happens to the source', async () => {
    const result = await pair.request({ path: '/pipe-abort' }, { abort: { afterBodyBytes: 20 } });
    expect(result.bridged.end).toBe('client-aborted');
    await expectSameEvents(pair, 300);
  });

  it('res.socket is released after the response', async () => {
    await runScenario(pair, { name: 'socket release', spec: { path: '/res-socket-after-finish' }, status: 200 });
    await expectSameEvents(pair);
  });

  it('a keep-alive pipeline of GET, HEAD, a 404 and a POST', async () => {
    const request = Buffer.concat([
      buildRequest({ path: '/plain' }),
      buildRequest({ method: 'HEAD', path: '/plain' }),
      buildRequest({ path: '/nothing-here' }),
      buildRequest({ method: 'POST', path: '/drain-unread', body: 'pipelined body' }),
    ]);
    const result = await pair.exchange({ request, methods: ['GET', 'HEAD', 'GET', 'POST'] });
    expectSame(result);
    expect(result.bridged.responses.map((r) => r.status)).toEqual([200, 200, 404, 200]);
  });

  it(
    'res.writeContinue and res.writeProcessing send interim 100 and 102 (the interim extension)',
    async () => {
      const result = await pair.request({ path: '/write-continue' });
      expectSame(result);
      expect(first(result.native).interim.map((i) => i.status)).toEqual([100, 102]);
    },
  );

  it(
    'res.writeEarlyHints sends an interim 103 (the interim extension)',
    async () => {
      const result = await pair.request({ path: '/early-hints' });
      expectSame(result);
      expect(first(result.native).interim.map((i) => i.status)).toEqual([103]);
    },
  );
});
