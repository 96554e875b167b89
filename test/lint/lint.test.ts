import { describe, expect, it } from 'vitest';
import { LintError, lint, type LintOptions } from '../../src/lint/index.js';
import { createConnection } from '../../src/protocol/connection.js';
import type { App, HTTPScope, Scope, SendEvent } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';

function collecting(mode: LintOptions['mode'] = 'warn'): { warnings: string[]; options: LintOptions } {
  const warnings: string[] = [];
  return { warnings, options: { mode, onWarning: (message) => warnings.push(message) } };
}

/** Runs `app` through lint and the test client, ignoring the client's own verdict. */
async function run(app: App, options: LintOptions, method = 'GET', headers?: Record<string, string>): Promise<unknown> {
  const client = new TestClient(lint(app, options), { timeoutMs: 1000 });
  try {
    const res = await client.request(method, '/p', headers ? { headers } : {});
    await res.text().catch(() => {});
    return await res.settled().catch((e: unknown) => e);
  } catch (error) {
    return error;
  }
}

const good: App = async (_s, receive, send) => {
  await receive();
  await send({ type: 'http.response.start', status: 200 });
  await send({ type: 'http.response.body', body: 'ok' });
};

describe('lint', () => {
  it('a correct app produces no report', async () => {
    const { warnings, options } = collecting();
    expect(await run(good, options)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('wrong order: names the event, the state and what was expected', async () => {
    const { warnings, options } = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'http.response.body', body: 'x' });
    }, options);
    expect(warnings[0]).toMatch(/pagi lint \[http GET \/p\]: http\.response\.body: not allowed in state 'idle' \(expected http\.response\.start\)/);
  });

  it('missing or mistyped keys: names the event and the field', async () => {
    const { warnings, options } = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'http.response.start' } as unknown as SendEvent);
    }, options);
    expect(warnings[0]).toMatch(/http\.response\.start: status must be an integer, got undefined/);
    const second = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['x-a', 1 as unknown as string, 'extra']] } as unknown as SendEvent);
    }, second.options);
    expect(second.warnings[0]).toMatch(/http\.response\.start: headers\[0\] must be a \[name, value\] pair/);
  });

  it('sending after completion', async () => {
    const { warnings, options } = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'done' });
      await send({ type: 'http.response.body', body: 'again' }).catch(() => {});
    }, options);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/http\.response\.body: not allowed in state 'done' \(expected nothing: the response is complete\)/);
  });

  it('returning before the response completed: no start at all', async () => {
    const { warnings, options } = collecting();
    await run(async () => {}, options);
    expect(warnings).toEqual([expect.stringMatching(/returned before the response completed: no http\.response\.start was sent \(missing await\?\)/)]);
  });

  it('returning while a send is still pending (missing await)', async () => {
    const { warnings, options } = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      void send({ type: 'http.response.body', body: 'not awaited' });
    }, options);
    expect(warnings.join('\n')).toMatch(/returned while 1 send\(s\) were still pending \(missing await\?\)/);
  });

  it('a send after the app returned', async () => {
    const { warnings, options } = collecting();
    let late: Promise<void> | undefined;
    const res = await new TestClient(lint(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'x' });
      setTimeout(() => {
        late = send({ type: 'http.response.body', body: 'late' });
        late.catch(() => {}); // asserted below
      }, 5);
    }, options)).get('/');
    await res.settled();
    await new Promise((r) => setTimeout(r, 30));
    await late?.catch(() => {});
    expect(warnings).toEqual([
      expect.stringMatching(/send\(http\.response\.body\) after the app returned \(a send that was not awaited\?\)/),
      expect.stringMatching(/http\.response\.body: not allowed in state 'done'/),
    ]);
  });

  it('more: true never followed by a final body', async () => {
    const { warnings, options } = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'part', more: true });
    }, options);
    expect(warnings).toEqual([expect.stringMatching(/more: true was never followed by a final body \(more: false\)/)]);
  });

  it('unknown event types for the scope', async () => {
    const { warnings, options } = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'sse.start' });
    }, options);
    expect(warnings[0]).toMatch(/sse\.start: unknown event type for a 'http' scope/);
    const ws = collecting();
    await run(async (_s, _r, send) => {
      await send({ type: 'websocket.accept' });
    }, ws.options);
    expect(ws.warnings[0]).toMatch(/websocket\.accept: unknown event type for a 'http' scope/);
  });

  it('mutating the scope: names the key', async () => {
    const { warnings, options } = collecting();
    await run(async (scope, receive, send) => {
      (scope as HTTPScope).path = '/rewritten';
      (scope as unknown as Record<string, unknown>)['myapp.user'] = 'bob';
      await good(scope, receive, send);
    }, options);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/mutated its scope: key 'path' was changed \("\/p" -> "\/rewritten"\), key 'myapp\.user' was added/);
  });

  it('mutating the scope headers in place', async () => {
    const { warnings, options } = collecting();
    await run(async (scope, receive, send) => {
      (scope as HTTPScope).headers.push(['x-injected', '1']);
      await good(scope, receive, send);
    }, options);
    expect(warnings[0]).toMatch(/scope\.headers was modified in place/);
  });

  it("throw mode: a bad send rejects with LintError before reaching the server", async () => {
    let caught: unknown;
    const client = new TestClient(
      lint(async (_s, _r, send) => {
        try {
          await send({ type: 'http.response.body', body: 'early' });
        } catch (error) {
          caught = error;
        }
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'recovered' });
      }, { mode: 'throw' }),
    );
    const res = await client.get('/');
    // The server never saw the bad event, so the response is clean.
    expect(await res.text()).toBe('recovered');
    expect(caught).toBeInstanceOf(LintError);
    expect((caught as LintError).code).toBe('ERR_PAGI_LINT');
    expect((caught as LintError).message).toMatch(/http\.response\.body: not allowed in state 'idle'/);
  });

  it('throw mode: an app that returned with problems rejects with LintError', async () => {
    const app = lint(async (scope, receive, send) => {
      await good(scope, receive, send);
      (scope as HTTPScope).path = '/x';
    }, { mode: 'throw' });
    const res = await new TestClient(app).get('/');
    expect(await res.text()).toBe('ok');
    await expect(res.settled()).rejects.toThrow(LintError);
  });

  it('throw mode: a scope mutation rejects the next send', async () => {
    const app = lint(async (scope, receive, send) => {
      (scope as HTTPScope).path = '/x';
      await good(scope, receive, send);
    }, { mode: 'throw' });
    await expect(new TestClient(app).get('/')).rejects.toThrow(/mutated its scope: key 'path' was changed/);
  });

  it("the app's own error is rethrown unchanged, with the lint report noting it", async () => {
    const { warnings, options } = collecting('throw');
    const boom = new Error('boom');
    const error = await run(async () => {
      throw boom;
    }, options);
    expect(error).toBe(boom);
    expect(warnings).toEqual([expect.stringMatching(/no http\.response\.start was sent \(missing await\?\) \(the app threw: boom\)/)]);
  });

  it('defaults to warn through console.warn', async () => {
    const original = console.warn;
    const seen: unknown[] = [];
    console.warn = (...args: unknown[]) => seen.push(args[0]);
    try {
      const res = await new TestClient(lint(async (_s, _r, send) => {
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'x', more: true });
        await send({ type: 'http.response.body' });
      })).get('/');
      await res.text();
      void (await new TestClient(lint(async () => {})).get('/').catch(() => {}));
    } finally {
      console.warn = original;
    }
    expect(seen).toEqual([expect.stringMatching(/no http\.response\.start was sent/)]);
  });

  it('sse: a stream that ends because the client left needs no sse.close; one that just returns is reported', async () => {
    const { warnings, options } = collecting();
    const streamUntilGone = lint(async (_s, receive, send) => {
      await send({ type: 'sse.start' });
      await receive();
      await receive(); // sse.disconnect when the client leaves
    }, options);
    const sse = await new TestClient(streamUntilGone).sse('/');
    sse.close();
    await sse.settled();
    expect(warnings).toEqual([]);
    const returns = lint(async (_s, _r, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: 'x' });
    }, options);
    const stream = await new TestClient(returns).sse('/');
    await stream.settled();
    expect(warnings).toEqual([expect.stringMatching(/sse\.start was sent but the stream was never closed with sse\.close/)]);
  });

  it('websocket: accepted and never closed is reported; a client close is fine', async () => {
    const { warnings, options } = collecting();
    const ws = await new TestClient(lint(async (_s, _r, send) => {
      await send({ type: 'websocket.accept' });
    }, options)).websocket('/');
    await ws.settled();
    expect(warnings).toEqual([expect.stringMatching(/neither sent websocket\.close nor received websocket\.disconnect/)]);
    warnings.length = 0;
    const polite = await new TestClient(lint(async (_s, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      while ((await receive()).type !== 'websocket.disconnect');
    }, options)).websocket('/');
    polite.close();
    await polite.settled();
    expect(warnings).toEqual([]);
  });

  it('lifespan: a correct lifespan app produces no report; a missing shutdown answer does', async () => {
    const { warnings, options } = collecting();
    const handle = await new TestClient(lint(async (_s, receive, send) => {
      await receive();
      await send({ type: 'lifespan.startup.complete' });
      await receive();
      await send({ type: 'lifespan.shutdown.complete' });
    }, options)).lifespan();
    await handle.stop();
    expect(warnings).toEqual([]);
    const rude = await new TestClient(lint(async (_s, receive, send) => {
      await receive();
      await send({ type: 'lifespan.startup.complete' });
      await receive();
    }, options)).lifespan();
    await expect(rude.stop()).rejects.toThrow();
    expect(warnings).toEqual([expect.stringMatching(/without answering lifespan\.shutdown/)]);
  });

  it('reports a malformed scope handed in, naming the key', async () => {
    const { warnings, options } = collecting();
    const conn = createConnection();
    const scope = {
      type: 'http', method: 'get', scheme: 'http', http_version: '1.1', path: 'p', raw_path: '/p', query_string: '?a',
      root_path: '', headers: [['Host', 'x']], state: {}, extensions: {}, pagi: { version: '0.5' }, 'pagi.connection': conn.state,
    } as unknown as Scope;
    const sent: string[] = [];
    await lint(good, options)(scope, async () => ({ type: 'http.request', body: new Uint8Array(), more: false }), async (e) => {
      sent.push(e.type);
    });
    expect(warnings).toEqual([
      expect.stringMatching(/scope\.path must start with '\/'/),
      expect.stringMatching(/scope\.query_string must not start with '\?'/),
      expect.stringMatching(/scope\.method must be an upper-case string, got "get"/),
      expect.stringMatching(/scope\.headers\[0\]\[0\] must be lower-case, got "Host"/),
    ]);
    expect(sent).toEqual(['http.response.start', 'http.response.body']);
  });
});
