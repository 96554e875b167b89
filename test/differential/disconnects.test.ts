/**
 * Disconnects, native vs bridged: what Express observes when the client
 * leaves mid-request, mid-response or before any answer, compared event by
 * event (req/res events, `req.destroyed`, `writableFinished`, on-finished
 * callbacks, the result of writes after the close); and what the client sees
 * when the server side cuts the response.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import onFinished from 'on-finished';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, expectSameEvents, startPair, type Pair, type Probe } from './harness.js';
import { buildRequest } from './raw-client.js';

/** Records, in order, everything Express-side code can observe about the end of an exchange. */
function watch(probe: Probe, req: Request, res: Response): void {
  req.on('aborted', () => probe.record('req aborted'));
  req.on('error', (error: NodeJS.ErrnoException) => probe.record(`req error ${error.code ?? error.message}`));
  req.on('close', () => probe.record(`req close complete=${req.complete}`));
  res.on('finish', () => probe.record('res finish'));
  res.on('close', () => {
    probe.record(`res close writableFinished=${res.writableFinished} writableEnded=${res.writableEnded} reqDestroyed=${req.destroyed}`);
  });
  onFinished(res, (error) => probe.record(`on-finished ${error === null ? 'ok' : 'error'}`));
}

function disconnectsApp(express: ExpressModule, probe: Probe): express.Express {
  const app = express();
  app.use((req, res, next) => {
    watch(probe, req, res);
    next();
  });
  app.get('/normal', (_req, res) => {
    res.send('normal finish');
  });
  app.get('/normal-later', (_req, res) => {
    setTimeout(() => res.send('answered later'), 100);
  });
  app.post('/normal-post', express.text(), (req, res) => {
    res.send(`got ${String(req.body).length} characters`);
  });
  app.post('/state-after-read', (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      setTimeout(() => {
        probe.record(`after end: destroyed=${req.destroyed} readableEnded=${req.readableEnded} complete=${req.complete} readable=${req.readable}`);
        res.send('state recorded');
      }, 30);
    });
  });
  app.post('/unread-then-answer', (_req, res) => {
    setTimeout(() => res.send('never read the body'), 50);
  });
  app.get('/stream-forever', (_req, res) => {
    res.type('text/plain');
    res.write('first;');
    const timer = setInterval(() => {
      const returned = res.write('more;');
      if (res.destroyed || !returned) {
        probe.record(`write after close returned ${String(returned)}`);
        clearInterval(timer);
      }
    }, 50);
    res.on('close', () => {
      // Give the interval one more tick to observe a write after the close, then stop it for good.
      setTimeout(() => clearInterval(timer), 200);
    });
  });
  app.get('/hang', (_req, res) => {
    res.on('close', () => {
      try {
        res.send('too late');
        probe.record(`late send did not throw, headersSent=${res.headersSent}`);
      } catch (error) {
        probe.record(`late send threw ${(error as NodeJS.ErrnoException).code ?? ''}`);
      }
    });
  });
  app.get('/late', (_req, res) => {
    setTimeout(() => {
      const returned = res.json({ late: true });
      probe.record(`late json returned ${returned === res ? 'res' : 'other'} headersSent=${res.headersSent} writableEnded=${res.writableEnded}`);
    }, 400);
  });
  app.get('/destroy-with-error', (_req, res) => {
    res.on('error', (error: Error) => probe.record(`res error ${error.message}`));
    res.write('partial;');
    setTimeout(() => res.destroy(new Error('deliberate')), 30);
  });
  app.post('/socket-destroy-mid-body', (req, res) => {
    req.once('data', () => {
      probe.record('got data, destroying the socket');
      req.socket.destroy();
    });
    res.on('close', () => probe.record(`destroyed: req=${req.destroyed} res=${res.destroyed}`));
  });
  app.get('/write-callbacks-after-close', (_req, res) => {
    res.write('first;');
    res.on('close', () => {
      setTimeout(() => {
        const returned = res.write('late;', (error) => probe.record(`late write callback ${(error as NodeJS.ErrnoException | null | undefined)?.code ?? 'none'}`));
        probe.record(`late write returned ${String(returned)}`);
        res.end('end;', () => probe.record('late end callback'));
        probe.record(`after late end: writableEnded=${res.writableEnded}`);
      }, 20);
    });
  });
  app.get('/flushed-then-hang', (_req, res) => {
    res.flushHeaders();
  });
  app.post('/read-body', (req, res) => {
    let first = true;
    req.on('data', () => {
      if (first) probe.record('req first data');
      first = false;
    });
    req.on('end', () => res.send('whole body read'));
  });
  app.post('/json-body', express.json(), (_req, res) => {
    res.send('parsed');
  });
  app.use((error: Error & { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    probe.record(`error handler ${error.type ?? error.message} headersSent=${res.headersSent}`);
    next(error);
  });
  return app;
}

describeEachExpress('disconnects: what Express observes, native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => disconnectsApp(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  it('a normal finish emits finish then close, on-finished once', async () => {
    const result = await pair.request({ path: '/normal' });
    expectSame(result);
    const events = await expectSameEvents(pair);
    expect(events.filter((e) => e.startsWith('on-finished'))).toEqual(['on-finished ok']);
    expect(events.indexOf('res finish')).toBeLessThan(events.findIndex((e) => e.startsWith('res close')));
  });

  it('a normal finish after an asynchronous answer', async () => {
    expectSame(await pair.request({ path: '/normal-later' }));
    await expectSameEvents(pair);
  });

  it('a normal finish of a POST whose body was read', async () => {
    expectSame(await pair.request({ method: 'POST', path: '/normal-post', headers: [['Content-Type', 'text/plain']], body: 'x'.repeat(3000) }));
    await expectSameEvents(pair);
  });

  it('request stream state between the end of the body and the response', async () => {
    expectSame(await pair.request({ method: 'POST', path: '/state-after-read', body: 'y'.repeat(2000) }));
    await expectSameEvents(pair);
  });

  it('a normal finish of a POST whose body was never read', async () => {
    expectSame(await pair.request({ method: 'POST', path: '/unread-then-answer', body: 'z'.repeat(2000) }));
    await expectSameEvents(pair);
  });

  it('client leaves mid-response: close before finish, later writes return false', async () => {
    const result = await pair.request({ path: '/stream-forever' }, { abort: { afterBodyBytes: 1 } });
    expect(result.native.end).toBe('client-aborted');
    expect(result.bridged.end).toBe('client-aborted');
    const events = await expectSameEvents(pair, 400);
    expect(events).toContain('res close writableFinished=false writableEnded=false reqDestroyed=true');
    expect(events.filter((e) => e.startsWith('on-finished'))).toHaveLength(1);
  });

  it('client leaves an Accept: text/event-stream response (sse scope) mid-stream', async () => {
    const result = await pair.request({ path: '/stream-forever', headers: [['Accept', 'text/event-stream']] }, { abort: { afterBodyBytes: 1 } });
    expect(result.bridged.end).toBe('client-aborted');
    const events = await expectSameEvents(pair, 400);
    expect(events).toContain('res close writableFinished=false writableEnded=false reqDestroyed=true');
  });

  it('client leaves while a handler is still waiting to answer late', async () => {
    const result = await pair.request({ path: '/late' }, { abort: { afterMs: 150 } });
    expect(result.bridged.end).toBe('client-aborted');
    await expectSameEvents(pair, 500);
  });

  it('client leaves before any response: close once, a late res.send does not throw', async () => {
    const result = await pair.request({ path: '/hang' }, { abort: { afterMs: 200 } });
    expect(result.bridged.end).toBe('client-aborted');
    const events = await expectSameEvents(pair, 300);
    expect(events.filter((e) => e.startsWith('res close'))).toHaveLength(1);
  });

  it('client leaves after the flushed head', async () => {
    const result = await pair.request({ path: '/flushed-then-hang' }, { abort: { afterHead: true } });
    expect(result.bridged.end).toBe('client-aborted');
    await expectSameEvents(pair, 300);
  });

  it('client leaves mid-request-body while the handler reads it', async () => {
    const request = buildRequest({ method: 'POST', path: '/read-body', headers: [['Content-Length', '10000']] });
    const result = await pair.exchange({ request, body: 'x'.repeat(100), abort: { afterMs: 250 }, methods: ['POST'] });
    expect(result.bridged.end).toBe('client-aborted');
    const events = await expectSameEvents(pair, 300);
    expect(events).toContain('req first data');
  });

  it('client leaves mid-request-body while express.json reads it', async () => {
    const request = buildRequest({
      method: 'POST',
      path: '/json-body',
      headers: [['Content-Type', 'application/json'], ['Content-Length', '5000']],
    });
    const result = await pair.exchange({ request, body: '{"partial":', abort: { afterMs: 250 }, methods: ['POST'] });
    expect(result.bridged.end).toBe('client-aborted');
    await expectSameEvents(pair, 300);
  });

  it('res.destroy(error) mid-response: the client sees a truncation, Express the same events', async () => {
    const result = await pair.request({ path: '/destroy-with-error' });
    expectSame(result);
    expect(result.bridged.end).toBe('truncated');
    await expectSameEvents(pair, 300);
  });

  it('req.socket.destroy() while the body is arriving', async () => {
    const request = buildRequest({ method: 'POST', path: '/socket-destroy-mid-body', headers: [['Content-Length', '4000']] });
    const result = await pair.exchange({ request, body: [{ data: 'q'.repeat(1000) }, { data: 'q'.repeat(3000), delayMs: 300 }], methods: ['POST'] });
    expectSame(result);
    expect(result.bridged.end).toBe('truncated');
    await expectSameEvents(pair, 300);
  });

  it('writes and end after the client left: return values and callbacks', async () => {
    const result = await pair.request({ path: '/write-callbacks-after-close' }, { abort: { afterBodyBytes: 1 } });
    expect(result.bridged.end).toBe('client-aborted');
    await expectSameEvents(pair, 400);
  });

  it('the server keeps serving after aborted exchanges', async () => {
    await pair.request({ path: '/hang' }, { abort: { afterMs: 50 } });
    const result = await pair.request({ path: '/normal' });
    expectSame(result);
  });
});
