import express from 'express';
import { describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { cascade } from '../../src/compose/index.js';
import type { App, ReceiveEvent, Receive } from '../../src/protocol/types.js';
import { NoResponse, TestClient, WebSocketDenied } from '../../src/testing/index.js';

function gate(): { open(): void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

function answer(status: number, body: string, log?: string[], name?: string): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan');
    log?.push(name ?? body);
    await send({ type: 'http.response.start', status, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body });
  };
}

async function readBody(receive: Receive): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request' && e.type !== 'sse.request') return `<${e.type}>`;
    chunks.push(e.body);
    if (!e.more) return Buffer.concat(chunks).toString();
  }
}

describe('cascade: trying apps in order', () => {
  it('the first app that does not answer 404 wins; earlier 404s are never seen', async () => {
    const log: string[] = [];
    const app = cascade(answer(404, 'a', log), answer(404, 'b', log), answer(200, 'c', log), answer(200, 'd', log));
    const res = await new TestClient(app).get('/x');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('c');
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('405 declines only when asked (cascade([apps], { declineStatuses }))', async () => {
    const plain = cascade(answer(405, 'method'), answer(200, 'next'));
    expect((await new TestClient(plain).get('/')).status).toBe(405);
    const with405 = cascade([answer(405, 'method'), answer(200, 'next')], { declineStatuses: [404, 405] });
    expect(await (await new TestClient(with405).get('/')).text()).toBe('next');
  });

  it("the last app's 404 is the answer; an empty cascade answers 404", async () => {
    const res = await new TestClient(cascade(answer(404, 'a'), answer(404, 'last'))).get('/');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('last');
    expect((await new TestClient(cascade()).get('/')).status).toBe(404);
  });

  it("a declining app's later body events are swallowed: its sends resolve, nothing reaches the client", async () => {
    const sends: string[] = [];
    const decliner: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 404 });
      sends.push('start resolved');
      await send({ type: 'http.response.body', body: 'not here', more: true });
      await send({ type: 'http.response.body', body: '!' });
      sends.push('body resolved');
    };
    const res = await new TestClient(cascade(decliner, answer(200, 'here'))).get('/');
    expect(await res.text()).toBe('here');
    await res.settled();
    expect(sends).toEqual(['start resolved', 'body resolved']);
    expect(res.events.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body']);
  });

  it('decides at the start: a later app streams chunk by chunk (never buffered)', async () => {
    const next = gate();
    const streamer: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'first', more: true });
      await next.wait;
      await send({ type: 'http.response.body', body: 'second' });
    };
    const app = cascade(answer(404, 'no'), streamer);
    const res = await new TestClient(app).get('/');
    const chunks: string[] = [];
    for await (const chunk of res) {
      chunks.push(Buffer.from(chunk).toString());
      next.open(); // only reachable if 'first' arrived before the app finished
    }
    expect(chunks).toEqual(['first', 'second']);
  });

  it('works on sse scopes: a 404 refusal declines, sse.start answers and streams', async () => {
    const next = gate();
    const refuser: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body', body: 'no stream here' });
    };
    const streamer: App = async (_scope, _receive, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: 'one' });
      await next.wait;
      await send({ type: 'sse.send', data: 'two' });
      await send({ type: 'sse.close' });
    };
    const sse = await new TestClient(cascade(refuser, streamer)).sse('/feed');
    expect((await sse.next())?.data).toBe('one');
    next.open();
    expect((await sse.next())?.data).toBe('two');
    expect(await sse.next()).toBeUndefined();
  });

  it('an app that returns without answering is final (no fall-through)', async () => {
    const silent: App = async () => {};
    await expect(new TestClient(cascade(silent, answer(200, 'x'))).get('/')).rejects.toThrow(NoResponse);
  });

  it("the answering app's error rejects the cascade", async () => {
    const boom = new Error('boom');
    const failing: App = async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'ok' });
      throw boom;
    };
    const res = await new TestClient(cascade(answer(404, 'a'), failing)).get('/');
    expect(await res.text()).toBe('ok');
    await expect(res.settled()).rejects.toBe(boom);
  });
});

describe('cascade: request body replay', () => {
  it('replays a body the declining app read in full', async () => {
    const seen: string[] = [];
    const reader = (name: string, status: number): App => async (_scope, receive, send) => {
      seen.push(`${name}:${await readBody(receive)}`);
      await send({ type: 'http.response.start', status });
      await send({ type: 'http.response.body', body: name });
    };
    const res = await new TestClient(cascade(reader('a', 404), reader('b', 404), reader('c', 200))).post('/', { body: 'payload' });
    expect(await res.text()).toBe('c');
    expect(seen).toEqual(['a:payload', 'b:payload', 'c:payload']);
  });

  it('replays what was read, then continues from the original receive (streamed body, partly read)', async () => {
    const partial: App = async (_scope, receive, send) => {
      await receive(); // only the first chunk
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
    };
    let got = '';
    const full: App = async (_scope, receive, send) => {
      got = await readBody(receive);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: got });
    };
    async function* body(): AsyncGenerator<string> {
      yield 'one,';
      yield 'two,';
      yield 'three';
    }
    const res = await new TestClient(cascade(partial, full)).post('/', { body: body() });
    expect(await res.text()).toBe('one,two,three');
  });

  it('a declined app cannot steal body: past the recorded events it reads http.disconnect', async () => {
    const afterDecline: ReceiveEvent[] = [];
    const declined: App = async (_scope, receive, send) => {
      const first = await receive();
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
      afterDecline.push(first, await receive(), await receive());
    };
    let got = '';
    const answering: App = async (_scope, receive, send) => {
      got = await readBody(receive);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: got });
    };
    async function* body(): AsyncGenerator<string> {
      yield 'a';
      await new Promise((r) => setTimeout(r, 10));
      yield 'b';
    }
    const res = await new TestClient(cascade(declined, answering)).post('/', { body: body() });
    expect(await res.text()).toBe('ab');
    await res.settled();
    expect(afterDecline.map((e) => e.type)).toEqual(['http.request', 'http.disconnect', 'http.disconnect']);
  });

  it('beyond the replay limit there is no further fall-through: the current answer stands, even a 404', async () => {
    const log: string[] = [];
    const greedy: App = async (_scope, receive, send) => {
      log.push(`greedy:${await readBody(receive)}`);
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body', body: 'greedy 404' });
    };
    const app = cascade([greedy, answer(200, 'never', log, 'second')], { replayLimit: 4 });
    const res = await new TestClient(app).post('/', { body: '0123456789' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('greedy 404');
    expect(log).toEqual(['greedy:0123456789']);
  });

  it('only what was read counts against the limit: an unread large body still falls through', async () => {
    const app = cascade([answer(404, 'no'), async (_s, receive, send) => {
      const body = await readBody(receive);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: String(body.length) });
    }], { replayLimit: 4 });
    const res = await new TestClient(app).post('/', { body: 'x'.repeat(100) });
    expect(await res.text()).toBe('100');
  });
});

describe('cascade: websocket and lifespan', () => {
  const accepting: App = async (_scope, receive, send) => {
    await receive();
    await send({ type: 'websocket.accept' });
    await send({ type: 'websocket.send', text: 'accepted by second' });
    await send({ type: 'websocket.close' });
  };

  it('a 404 refusal declines; the next app may accept', async () => {
    const refuse404: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
    };
    const ws = await new TestClient(cascade(refuse404, accepting)).websocket('/ws');
    expect(await ws.receiveText()).toBe('accepted by second');
  });

  it('websocket.close before accept is a deliberate 403, not a decline', async () => {
    const closer: App = async (_scope, _receive, send) => {
      await send({ type: 'websocket.close' });
    };
    const error = await new TestClient(cascade(closer, accepting)).websocket('/ws').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebSocketDenied);
    expect((error as WebSocketDenied).status).toBe(403);
  });

  it('lifespan reaches every app', async () => {
    const log: string[] = [];
    const withLifespan = (name: string): App => async (scope, receive, send) => {
      if (scope.type !== 'lifespan') return answer(404, name)(scope, receive, send);
      await receive();
      log.push(name);
      scope.state[name] = 1;
      await send({ type: 'lifespan.startup.complete' });
      await receive();
      await send({ type: 'lifespan.shutdown.complete' });
    };
    const handle = await new TestClient(cascade(withLifespan('a'), withLifespan('b'))).lifespan();
    expect(log.sort()).toEqual(['a', 'b']);
    expect(handle.state).toEqual({ a: 1, b: 1 });
    await handle.stop();
  });
});

describe('cascade + fromExpress: Express declines cleanly on its final next()', () => {
  function legacy(): express.Express {
    const app = express();
    app.use(express.json());
    app.get('/legacy', (_req, res) => {
      res.send('from express');
    });
    app.post('/echo', (req, res) => {
      res.json({ express: req.body as unknown });
    });
    return app;
  }

  it('a route Express does not have falls through to the next app', async () => {
    const client = new TestClient(cascade(fromExpress(legacy()), answer(200, 'native')));
    expect(await (await client.get('/legacy')).text()).toBe('from express');
    expect(await (await client.get('/new')).text()).toBe('native');
  });

  it('a bare Router declines on its final next() even after draining the body; the next app gets it all', async () => {
    const router = express.Router();
    router.get('/only-this', (_req, res) => {
      res.end('router'); // a bare Router has no Express response methods
    });
    let got = '';
    const native: App = async (_scope, receive, send) => {
      got = await readBody(receive);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: `native got ${got.length} bytes` });
    };
    const client = new TestClient(cascade(fromExpress(router), native));
    expect(await (await client.get('/only-this')).text()).toBe('router');
    const res = await client.post('/upload', { body: 'z'.repeat(50_000) });
    expect(await res.text()).toBe('native got 50000 bytes');
  });

  it('native first, Express behind: Express gets the body the native app already read', async () => {
    const nativeReader: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') return;
      await readBody(receive);
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
    };
    const client = new TestClient(cascade(nativeReader, fromExpress(legacy())));
    const res = await client.post('/echo', { json: { n: 1 } });
    expect(await res.json()).toEqual({ express: { n: 1 } });
  });
});
