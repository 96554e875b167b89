/**
 * Server-Sent Events written by hand in Express (`text/event-stream` +
 * `res.write`) reaching a real EventSource client (package `eventsource`)
 * event by event, natively and through the bridge; once with EventSource's
 * own `Accept: text/event-stream` (an `sse` scope on the bridged side) and
 * once with `Accept: *\/*` (an `http` scope).
 */
import express from 'express';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { startPair, type Pair, type Probe, type Side } from '../differential/harness.js';

const GAP_MS = 200;

function app(express: ExpressModule, probe: Probe): express.Express {
  const server = express();
  server.get('/events', (req, res) => {
    probe.record(`accept ${req.get('accept') ?? ''}`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('retry: 10000\n\n');
    let n = 0;
    const timer = setInterval(() => {
      n += 1;
      res.write(n === 2 ? `event: update\nid: ${n}\ndata: multi\ndata: line\n\n` : `id: ${n}\ndata: message ${n}\n\n`);
      if (n === 3) clearInterval(timer);
    }, GAP_MS);
    res.on('close', () => {
      clearInterval(timer);
      probe.record(`client left, writableFinished=${res.writableFinished}`);
    });
  });
  return server;
}

interface Received {
  type: string;
  data: string;
  lastEventId: string;
  atMs: number;
}

/** Opens an EventSource, collects `count` events with arrival times, then closes it. */
function collect(side: Side, count: number, accept: string | undefined): Promise<Received[]> {
  const url = `http://127.0.0.1:${side.port}/events`;
  const source =
    accept === undefined
      ? new EventSource(url)
      : new EventSource(url, {
          fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, Accept: accept } }),
        });
  const started = performance.now();
  const received: Received[] = [];
  return new Promise<Received[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`${side.name}: only ${received.length} of ${count} events within 5 s`));
    }, 5000);
    const onEvent = (event: MessageEvent): void => {
      received.push({ type: event.type, data: String(event.data), lastEventId: event.lastEventId, atMs: performance.now() - started });
      if (received.length === count) {
        clearTimeout(timer);
        source.close();
        resolve(received);
      }
    };
    source.addEventListener('message', onEvent);
    source.addEventListener('update', onEvent);
    source.addEventListener('error', (event) => {
      clearTimeout(timer);
      source.close();
      reject(new Error(`${side.name}: EventSource error ${String(event.message)}`));
    });
  });
}

function expectEventByEvent(received: Received[], label: string): void {
  for (let i = 1; i < received.length; i += 1) {
    const gap = (received[i]?.atMs ?? 0) - (received[i - 1]?.atMs ?? 0);
    expect(gap, `${label}: gap before event ${i}`).toBeGreaterThanOrEqual(GAP_MS / 2);
  }
}

describeEachExpress('hand-written SSE reaches an EventSource client', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => app(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  for (const accept of [undefined, '*/*']) {
    const label = accept === undefined ? 'Accept: text/event-stream (sse scope)' : 'Accept: */* (http scope)';
    it(`${label}: same events, event by event`, async () => {
      const [native, bridged] = await Promise.all([collect(pair.native, 3, accept), collect(pair.bridged, 3, accept)]);
      const strip = (list: Received[]): Array<Omit<Received, 'atMs'>> => list.map(({ atMs: _atMs, ...rest }) => rest);
      expect(strip(bridged)).toEqual(strip(native));
      expect(strip(bridged)).toEqual([
        { type: 'message', data: 'message 1', lastEventId: '1' },
        { type: 'update', data: 'multi\nline', lastEventId: '2' },
        { type: 'message', data: 'message 3', lastEventId: '3' },
      ]);
      expectEventByEvent(native, 'native');
      expectEventByEvent(bridged, 'bridged');
      const events = await Promise.all([pair.native.probe.waitFor((e) => e.length === 2), pair.bridged.probe.waitFor((e) => e.length === 2)]);
      expect(events).toHaveLength(2);
      expect(pair.bridged.probe.events).toEqual(pair.native.probe.events);
      expect(pair.bridged.probe.events[0]).toBe(`accept ${accept ?? 'text/event-stream'}`);
      expect(pair.bridged.probe.events[1]).toBe('client left, writableFinished=false');
    });
  }
});
