import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { fromExpress, type PagiRequestContext } from '../../src/bridge/index.js';
import { createConnection } from '../../src/protocol/connection.js';
import type { LifespanScope, ReceiveEvent, Scope, SendEvent, WebSocketScope } from '../../src/protocol/types.js';
import { run, within } from './helpers.js';

function lifespanDriver() {
  const scope: LifespanScope = { type: 'lifespan', pagi: { version: '0.5', spec_version: '0.3', is_worker: false }, state: {} };
  const incoming: ReceiveEvent[] = [];
  const waiting: Array<(e: ReceiveEvent) => void> = [];
  const sent: SendEvent[] = [];
  const receive = (): Promise<ReceiveEvent> => {
    const e = incoming.shift();
    return e ? Promise.resolve(e) : new Promise((r) => waiting.push(r));
  };
  const send = async (e: SendEvent): Promise<void> => {
    sent.push(e);
  };
  const deliver = (e: ReceiveEvent): void => {
    const w = waiting.shift();
    if (w) w(e);
    else incoming.push(e);
  };
  return { scope, receive, send, sent, deliver };
}

describe('behaviour 22: lifespan is acknowledged once, with optional hooks; a failed startup says so', () => {
  it('startup and shutdown complete; hooks fill the state every request copies', async () => {
    const calls: string[] = [];
    const app = express();
    app.get('/', (req, res) => void res.json((req as unknown as { pagi: PagiRequestContext }).pagi.state));
    const bridged = fromExpress(app, {
      onStartup: async (state) => {
        calls.push('startup');
        state.db = 'connected';
      },
      onShutdown: (state) => {
        calls.push(`shutdown ${String(state.db)}`);
      },
    });
    const life = lifespanDriver();
    const running = bridged(life.scope, life.receive, life.send);
    life.deliver({ type: 'lifespan.startup' });
    await new Promise((r) => setTimeout(r, 10));
    expect(life.sent).toEqual([{ type: 'lifespan.startup.complete' }]);
    const ex = run(bridged, { state: { ...life.scope.state } });
    await within(ex.done);
    expect(JSON.parse(ex.text())).toEqual({ db: 'connected' });
    life.deliver({ type: 'lifespan.shutdown' });
    await within(running);
    expect(life.sent).toEqual([{ type: 'lifespan.startup.complete' }, { type: 'lifespan.shutdown.complete' }]);
    expect(calls).toEqual(['startup', 'shutdown connected']);
  });

  it('without hooks both phases are acknowledged', async () => {
    const life = lifespanDriver();
    const running = fromExpress(express())(life.scope, life.receive, life.send);
    life.deliver({ type: 'lifespan.startup' });
    life.deliver({ type: 'lifespan.shutdown' });
    await within(running);
    expect(life.sent.map((e) => e.type)).toEqual(['lifespan.startup.complete', 'lifespan.shutdown.complete']);
  });

  it('a throwing hook answers *.failed with its message', async () => {
    const life = lifespanDriver();
    const running = fromExpress(express(), {
      onStartup: () => {
        throw new Error('no database');
      },
    })(life.scope, life.receive, life.send);
    life.deliver({ type: 'lifespan.startup' });
    await within(running);
    expect(life.sent).toEqual([{ type: 'lifespan.startup.failed', message: 'no database' }]);
    const life2 = lifespanDriver();
    const running2 = fromExpress(express(), {
      onShutdown: async () => Promise.reject(new Error('flush failed')),
    })(life2.scope, life2.receive, life2.send);
    life2.deliver({ type: 'lifespan.startup' });
    life2.deliver({ type: 'lifespan.shutdown' });
    await within(running2);
    expect(life2.sent.at(-1)).toEqual({ type: 'lifespan.shutdown.failed', message: 'flush failed' });
  });
});

describe('scope policy: websocket, sse, unknown types, req.pagi', () => {
  it('a websocket scope is refused with 403 and a short text body, without running Express', async () => {
    let ran = false;
    const connection = createConnection({ websocket: true });
    const scope: WebSocketScope = {
      type: 'websocket',
      pagi: { version: '0.5', spec_version: '0.6' },
      http_version: '1.1',
      scheme: 'ws',
      path: '/ws',
      raw_path: '/ws',
      query_string: '',
      root_path: '',
      headers: [['host', 'x'], ['upgrade', 'websocket']],
      subprotocols: [],
      state: {},
      extensions: {},
      'pagi.connection': connection.state,
    };
    const sent: SendEvent[] = [];
    await fromExpress(() => {
      ran = true;
    })(scope, () => new Promise(() => undefined), async (e) => void sent.push(e));
    expect(ran).toBe(false);
    expect(sent[0]).toMatchObject({ type: 'http.response.start', status: 403 });
    expect(sent[1]).toMatchObject({ type: 'http.response.body' });
  });

  it('an sse scope runs Express normally; the answer goes out through http.response.* verbatim', async () => {
    const app = express();
    app.use(express.text());
    app.post('/events', (req, res) => {
      const pagi = (req as unknown as { pagi: PagiRequestContext }).pagi;
      res.setHeader('content-type', 'text/event-stream');
      res.write(`data: scope=${pagi.scope.type} body=${String(req.body)}\n\n`);
      res.end();
    });
    const ex = run(fromExpress(app), {
      type: 'sse',
      method: 'POST',
      url: '/events',
      headers: [['host', 'x'], ['accept', 'text/event-stream'], ['content-type', 'text/plain'], ['content-length', '5']],
      body: 'hello',
    });
    await within(ex.done);
    expect(ex.events.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body', 'http.response.body']);
    expect(ex.text()).toBe('data: scope=sse body=hello\n\n');
    expect(ex.complete()).toBe(true);
  });

  it('an sse disconnect reaches Express like an http one', async () => {
    const closed: boolean[] = [];
    const ex = run(
      fromExpress((_req: IncomingMessage, res: ServerResponse) => {
        res.on('close', () => closed.push(res.writableFinished));
        res.write('data: 1\n\n');
      }),
      { type: 'sse', headers: [['host', 'x'], ['accept', 'text/event-stream']] },
    );
    await ex.waitForEvents(2);
    ex.disconnect();
    await within(ex.done);
    expect(closed).toEqual([false]);
  });

  it('req.pagi carries the scope and its state, and is not enumerable', async () => {
    let context: PagiRequestContext | undefined;
    let keys: string[] = [];
    const ex = run(
      fromExpress((req: IncomingMessage, res: ServerResponse) => {
        context = (req as unknown as { pagi: PagiRequestContext }).pagi;
        keys = Object.keys(req);
        res.end();
      }),
      { state: { user: 'ann' } },
    );
    await within(ex.done);
    expect(context?.scope).toBe(ex.scope);
    expect(context?.state).toBe(ex.scope.state);
    expect(keys).not.toContain('pagi');
  });

  it('an unknown scope type rejects with UnsupportedScope', async () => {
    const scope = { type: 'telepathy' } as unknown as Scope;
    await expect(fromExpress(express())(scope, async () => ({ type: 'http.disconnect' }), async () => undefined)).rejects.toMatchObject({
      code: 'ERR_PAGI_UNSUPPORTED_SCOPE',
    });
  });

  it('fromExpress refuses a non-function', () => {
    expect(() => fromExpress(42 as never)).toThrow(TypeError);
  });
});
