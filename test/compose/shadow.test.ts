/**
 * `shadow(primary, candidate)` over a real socket: the client gets the
 * primary's answer whatever the candidate does; differences are found, none
 * are invented; the report counts every outcome; sse/websocket/lifespan follow
 * the documented policy.
 */
import { once } from 'node:events';
import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { shadow, type ShadowCandidateError, type ShadowDifference, type ShadowOptions, type ShadowedApp } from '../../src/compose/index.js';
import { cookieShape, parsePointer, toPointer } from '../../src/compose/shadow-compare.js';
import type { App, HTTPScope, Scope } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';
import { servePagi, waitUntil, withDeadline, type PagiServer } from '../helpers/server.js';

const servers: PagiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Recorded {
  app: ShadowedApp;
  server: PagiServer;
  differences: ShadowDifference[];
  failures: ShadowCandidateError[];
}

async function serveShadow(primary: App, candidate: App, options: ShadowOptions = {}): Promise<Recorded> {
  const differences: ShadowDifference[] = [];
  const failures: ShadowCandidateError[] = [];
  const app = shadow(primary, candidate, {
    ...options,
    onDifference: (d) => differences.push(d),
    onCandidateError: (f) => failures.push(f),
  });
  const server = await servePagi(app);
  servers.push(server);
  return { app, server, differences, failures };
}

/** Status, headers (without date) and body, as a client sees them. */
async function snapshot(response: Response): Promise<{ status: number; headers: Array<[string, string]>; body: string }> {
  const headers = [...response.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive');
  return { status: response.status, headers, body: await response.text() };
}

function json(status: number, value: unknown, extra: Array<[string, string]> = []): App {
  return async (_scope, _receive, send) => {
    await send({ type: 'http.response.start', status, headers: [['content-type', 'application/json; charset=utf-8'], ...extra] });
    await send({ type: 'http.response.body', body: JSON.stringify(value) });
  };
}

function legacyUsers(): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/users/:id', (req, res) => {
    res.json({ id: Number(req.params.id), name: 'Ada Lovelace', updatedAt: Date.now() });
  });
  app.get('/hello', (_req, res) => {
    res.type('text').send('hello');
  });
  return app;
}

describe('shadow: differences', () => {
  it('reports status, header and JSON differences with both sides, and serves the primary', async () => {
    const candidate: App = async (scope, _receive, send) => {
      const s = scope as HTTPScope;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (s.path === '/hello') {
        await send({ type: 'http.response.start', status: 201, headers: [['content-type', 'text/plain; charset=utf-8'], ['x-extra', '1']] });
        await send({ type: 'http.response.body', body: 'hello' });
        return;
      }
      await json(200, { updatedAt: 1, name: 'Ada', id: 7 })(scope, _receive, send);
    };
    const { app, server, differences } = await serveShadow(fromExpress(legacyUsers()), candidate, { ignorePaths: ['/updatedAt'] });

    const user = await fetch(`${server.url}/users/7?full=1`);
    expect(user.status).toBe(200);
    expect(await user.json()).toMatchObject({ id: 7, name: 'Ada Lovelace' });
    const hello = await fetch(`${server.url}/hello`);
    expect(await snapshot(hello)).toMatchObject({ status: 200, body: 'hello' });
    await withDeadline(app.idle(), 5000, 'idle');

    expect(differences).toHaveLength(2);
    const [first, second] = [...differences].sort((a, b) => a.path.localeCompare(b.path));
    expect(first).toMatchObject({
      method: 'GET',
      path: '/hello',
      target: '/hello',
      route: 'GET /hello',
      differences: [
        { kind: 'status', primary: 200, candidate: 201 },
        { kind: 'header', name: 'x-extra', primary: [], candidate: ['1'] },
      ],
      primary: { status: 200, bodyExcerpt: 'hello', bodyBytes: 5 },
      candidate: { status: 201, bodyExcerpt: 'hello' },
    });
    expect(second).toMatchObject({
      path: '/users/7',
      target: '/users/7?full=1',
      differences: [{ kind: 'body', compared: 'json', paths: ['/name'] }],
      primary: { status: 200 },
      candidate: { status: 200, bodyExcerpt: '{"updatedAt":1,"name":"Ada","id":7}' },
    });
    expect(second!.candidate.durationMs).toBeGreaterThanOrEqual(15);
    expect(second!.primary.durationMs).toBeGreaterThan(0);

    const report = app.report();
    expect(report.total).toEqual({ shadowed: 2, matched: 0, differed: 2, candidateErrors: 0, candidateTimeouts: 0, skipped: 0 });
    expect(Object.keys(report.routes).sort()).toEqual(['GET /hello', 'GET /users/7']);
  });

  it('compares bytes of non-JSON bodies, trailers, and missing headers', async () => {
    const primary: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['x-a', '1'], ['x-a', '2']], trailers: true });
      await send({ type: 'http.response.body', body: 'abc', more: true });
      await send({ type: 'http.response.body', body: 'def', more: true });
      await send({ type: 'http.response.trailers', headers: [['x-digest', 'one']] });
    };
    const candidate: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['x-a', '2'], ['x-a', '1']], trailers: true });
      await send({ type: 'http.response.body', body: 'abcdeg', more: true });
      await send({ type: 'http.response.trailers', headers: [['x-digest', 'two']] });
    };
    const { app, server, differences } = await serveShadow(primary, candidate);
    expect(await (await fetch(server.url)).text()).toBe('abcdef');
    await app.idle();
    expect(differences[0]?.differences).toEqual([
      { kind: 'header', name: 'x-a', primary: ['1', '2'], candidate: ['2', '1'] },
      { kind: 'header', name: 'trailer:x-digest', primary: ['one'], candidate: ['two'] },
      { kind: 'body', compared: 'bytes' },
    ]);
  });

  it('applies ignoreHeaders, the set-cookie rule, ignorePaths wildcards and the jsonLimit fallback', async () => {
    const primary = json(200, { items: [{ id: 1, at: 'x' }, { id: 2, at: 'y' }], n: 1 }, [
      ['set-cookie', 'sid=aaa; Path=/; Expires=Wed, 01 Jan 2031 10:00:00 GMT; HttpOnly'],
      ['x-request-id', 'r1'],
      ['x-trace', 't1'],
    ]);
    const candidate = json(200, { n: 1, items: [{ at: 'p', id: 1 }, { id: 2, at: 'q' }] }, [
      ['set-cookie', 'sid=bbb; Path=/; Expires=Wed, 01 Jan 2031 10:00:01 GMT; HttpOnly'],
      ['x-request-id', 'r2'],
      ['x-trace', 't2'],
    ]);
    const first = await serveShadow(primary, candidate, { ignoreHeaders: ['date', 'x-request-id', 'X-Trace'], ignorePaths: ['/items/*/at'] });
    await fetch(first.server.url).then((r) => r.text());
    await first.app.idle();
    expect(first.differences).toEqual([]);
    expect(first.app.report().total.matched).toBe(1);

    // The defaults compare x-trace; cookie values when asked; a JSON body over jsonLimit by digest.
    const second = await serveShadow(primary, candidate, { compareCookieValues: true, jsonLimit: 10 });
    await fetch(second.server.url).then((r) => r.text());
    await second.app.idle();
    const found = second.differences[0]?.differences ?? [];
    expect(found.map((d) => (d.kind === 'header' ? d.name : d.kind))).toEqual(['set-cookie', 'x-trace', 'body']);
    expect(found[2]).toEqual({ kind: 'body', compared: 'bytes', note: 'primary body is larger than jsonLimit' });
  });

  it('groups requests by the route option and caps the route table', async () => {
    const { app, server } = await serveShadow(json(200, { ok: true }), json(200, { ok: true }), {
      route: (scope) => `${scope.method} ${scope.path.replace(/\/\d+/g, '/:id')}`,
      maxRoutes: 2,
    });
    for (const path of ['/users/1', '/users/2', '/teams/3', '/x', '/y']) await fetch(server.url + path).then((r) => r.text());
    await app.idle();
    const routes = app.report().routes;
    expect(Object.keys(routes)).toEqual(['GET /users/:id', 'GET /teams/:id', '(other routes)']);
    expect(routes['GET /users/:id']).toMatchObject({ shadowed: 2, matched: 2 });
    expect(routes['(other routes)']).toMatchObject({ shadowed: 2, matched: 2 });
    app.reset();
    expect(app.report().total.shadowed).toBe(0);
  });
});

describe('shadow: no invented differences', () => {
  /** An Express app exercising what real apps do; two instances serve the two sides. */
  function richApp(): express.Express {
    const app = express();
    app.use(express.json());
    app.get('/json', (req, res) => {
      res.json({ q: req.query, list: [1, 2, 3], nested: { a: 'é', b: null } });
    });
    app.get('/text', (_req, res) => {
      res.type('text').send('plain text');
    });
    app.get('/html', (_req, res) => {
      res.send('<p>hi</p>');
    });
    app.get('/missing', (_req, res) => {
      res.status(404).json({ error: 'nope' });
    });
    app.get('/redirect', (_req, res) => {
      res.redirect('/json');
    });
    app.get('/cookie', (_req, res) => {
      res.cookie('session', String(Math.random()), { maxAge: 60_000, httpOnly: true });
      res.cookie('theme', 'dark');
      res.send('ok');
    });
    app.get('/stream', (_req, res) => {
      res.type('application/octet-stream');
      let n = 0;
      const tick = (): void => {
        if (n++ < 5) {
          res.write(Buffer.alloc(1000, n));
          setTimeout(tick, 2);
        } else {
          res.end();
        }
      };
      tick();
    });
    app.get('/binary', (_req, res) => {
      res.send(Buffer.from([0, 13, 10, 48, 13, 10, 13, 10, 255]));
    });
    app.get('/empty', (_req, res) => {
      res.status(204).end();
    });
    app.get('/big', (_req, res) => {
      res.json({ rows: Array.from({ length: 5000 }, (_, i) => ({ i, label: `row ${i}` })) });
    });
    app.post('/echo', (req, res) => {
      res.status(201).json({ got: req.body as unknown });
    });
    app.put('/upload', (req, res) => {
      let size = 0;
      req.on('data', (chunk: Buffer) => (size += chunk.length));
      req.on('end', () => res.json({ size }));
    });
    return app;
  }

  it('finds nothing between two instances of the same Express app, across many scenarios', async () => {
    const { app, server, differences, failures } = await serveShadow(fromExpress(richApp()), fromExpress(richApp()), {
      methods: ['GET', 'HEAD', 'POST', 'PUT'],
    });
    const url = server.url;
    const requests: Array<[string, RequestInit?]> = [
      ['/json?a=1&b=two'],
      ['/json', { method: 'HEAD' }],
      ['/text'],
      ['/html', { headers: { 'accept-encoding': 'identity' } }],
      ['/missing'],
      ['/redirect', { redirect: 'manual' }],
      ['/cookie'],
      ['/stream'],
      ['/binary'],
      ['/empty'],
      ['/big'],
      ['/nothing-here'],
      ['/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: [1, 2] }) }],
      ['/upload', { method: 'PUT', body: Buffer.alloc(200_000, 7) }],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(url + path, init);
      await response.arrayBuffer();
    }
    // An ETag round trip: the client's If-None-Match reaches both sides. (fetch would add
    // `cache-control: no-cache` to a conditional request, which makes Express answer 200.)
    const etag = (await fetch(`${url}/text`).then(async (r) => (await r.text(), r.headers.get('etag')))) as string;
    const conditional = http.get(`${url}/text`, { headers: { 'if-none-match': etag } });
    const [notModified] = (await once(conditional, 'response')) as [http.IncomingMessage];
    notModified.resume();
    expect(notModified.statusCode).toBe(304);
    await withDeadline(app.idle(), 5000, 'idle');

    expect(failures).toEqual([]);
    expect(differences).toEqual([]);
    expect(app.report().total).toMatchObject({ shadowed: requests.length + 2, matched: requests.length + 2, differed: 0, skipped: 0 });
  });

  it('finds nothing between two native apps streaming the same bytes in different chunks, or from a file', async () => {
    const bytes = Buffer.alloc(300_000, 'x');
    const chunked: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['content-length', String(bytes.length)]] });
      for (let i = 0; i < bytes.length; i += 7000) await send({ type: 'http.response.body', body: bytes.subarray(i, i + 7000), more: true });
      await send({ type: 'http.response.body' });
    };
    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/shadow-`);
    try {
      await writeFile(`${dir}/body.txt`, Buffer.concat([Buffer.from('head'), bytes]));
      const fromFile: App = async (_scope, _receive, send) => {
        await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
        await send({ type: 'http.response.body', file: `${dir}/body.txt`, offset: 4 });
      };
      const { app, server, differences } = await serveShadow(chunked, fromFile);
      expect((await (await fetch(server.url)).arrayBuffer()).byteLength).toBe(bytes.length);
      const reversed = await serveShadow(fromFile, chunked);
      expect((await (await fetch(reversed.server.url)).arrayBuffer()).byteLength).toBe(bytes.length);
      await Promise.all([app.idle(), reversed.app.idle()]);
      expect([...differences, ...reversed.differences]).toEqual([]);
      expect(app.report().total.matched + reversed.app.report().total.matched).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('shadow: the candidate cannot hurt the client', () => {
  const primaryBody = 'the primary answer';
  const primary: App = async (_scope, _receive, send) => {
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['x-side', 'primary']] });
    await send({ type: 'http.response.body', body: primaryBody });
  };

  const candidates: Record<string, { app: App; expect: 'error' | 'timeout'; message?: RegExp }> = {
    'throws synchronously': {
      app: (() => {
        throw new Error('sync boom');
      }) as unknown as App,
      expect: 'error',
      message: /sync boom/,
    },
    rejects: {
      app: async () => {
        throw new Error('async boom');
      },
      expect: 'error',
      message: /async boom/,
    },
    'throws after the start': {
      app: async (_s, _r, send) => {
        await send({ type: 'http.response.start', status: 200 });
        throw new Error('half way');
      },
      expect: 'error',
      message: /half way/,
    },
    hangs: { app: () => new Promise<void>(() => {}), expect: 'timeout', message: /within 1 s/ },
    'is slow': {
      app: async (_s, _r, send) => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'late' });
      },
      expect: 'timeout',
    },
    'sends garbage': {
      app: async (_s, _r, send) => {
        await send({ type: 'http.response.start', status: 'two hundred' } as never);
      },
      expect: 'error',
      message: /http\.response\.start: status must be an integer/,
    },
    'sends an unknown event': {
      app: async (_s, _r, send) => {
        await send({ type: 'http.response.banana' } as never);
      },
      expect: 'error',
      message: /banana/,
    },
    'sends out of order': {
      app: async (_s, _r, send) => {
        await send({ type: 'http.response.body', body: 'no start' });
      },
      expect: 'error',
      message: /not allowed in state 'idle'/,
    },
    'returns without a response': { app: async () => {}, expect: 'error', message: /returned without a response/ },
    'forgets the final body': {
      app: async (_s, _r, send) => {
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'x', more: true });
      },
      expect: 'error',
      message: /before its response was complete/,
    },
    'leaves a rejected send unawaited': {
      app: async (_s, _r, send) => {
        void send({ type: 'nonsense' } as never);
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
      expect: 'error',
      message: /nonsense/,
    },
    aborts: {
      app: async (scope) => {
        (scope as HTTPScope)['pagi.connection'].abort('gave up');
      },
      expect: 'error',
      message: /abort\("gave up"\)/,
    },
  };

  for (const [name, candidate] of Object.entries(candidates)) {
    it(`serves the primary, unchanged and on time, when the candidate ${name}`, async () => {
      // A hanging candidate gets 1 s (a margin a loaded machine cannot eat); the others fail at once.
      const timeout = candidate.expect === 'timeout' ? 1 : 0.2;
      const { app, server, failures, differences } = await serveShadow(primary, candidate.app, { timeout });
      const plain = await servePagi(primary);
      servers.push(plain);
      const started = performance.now();
      const shadowed = await snapshot(await fetch(`${server.url}/x`));
      const elapsed = performance.now() - started;
      expect(shadowed).toEqual(await snapshot(await fetch(`${plain.url}/x`)));
      // The answer did not wait for the candidate.
      if (candidate.expect === 'timeout') expect(elapsed).toBeLessThan(timeout * 1000);
      await withDeadline(app.idle(), 5000, 'idle');
      expect(differences).toEqual([]);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ kind: candidate.expect, method: 'GET', path: '/x' });
      if (candidate.message) expect(String((failures[0]!.error as Error).message)).toMatch(candidate.message);
      const total = app.report().total;
      expect(total).toMatchObject({
        shadowed: 1,
        candidateErrors: candidate.expect === 'error' ? 1 : 0,
        candidateTimeouts: candidate.expect === 'timeout' ? 1 : 0,
      });
    });
  }

  it('serves the primary while the candidate answers with a huge body, in a tight loop', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'z');
    let candidateDone = 0;
    const huge: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['x-side', 'primary']] });
      for (let i = 0; i < 50; i++) await send({ type: 'http.response.body', body: chunk, more: true });
      await send({ type: 'http.response.body' });
      candidateDone = performance.now();
    };
    const { app, server, differences } = await serveShadow(primary, huge, { timeout: 20 });
    // Two requests at once: the second is answered while the first one's candidate still churns.
    const answered: number[] = [];
    const bodies = await Promise.all(
      [1, 2].map(async () => {
        const text = await (await fetch(server.url)).text();
        answered.push(performance.now());
        return text;
      }),
    );
    expect(bodies).toEqual([primaryBody, primaryBody]);
    await withDeadline(app.idle(), 15_000, 'idle');
    expect(Math.max(...answered)).toBeLessThan(candidateDone);
    expect(differences).toHaveLength(2);
    expect(differences[0]).toMatchObject({ differences: [{ kind: 'body', compared: 'bytes' }], candidate: { bodyBytes: 50 * chunk.length } });
    expect(differences[0]!.candidate.bodyExcerpt).toBe('z'.repeat(1024));
  });

  it('streams the primary as it comes while the candidate hangs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const streaming: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: 'first ', more: true });
      await gate;
      await send({ type: 'http.response.body', body: 'second' });
    };
    const { app, server } = await serveShadow(streaming, () => new Promise<void>(() => {}), { timeout: 0.2 });
    const response = await fetch(server.url);
    const reader = response.body!.getReader();
    const first = await withDeadline(reader.read(), 2000, 'first chunk before the end');
    expect(Buffer.from(first.value!).toString()).toBe('first ');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe('second');
    await app.idle();
    expect(app.report().total.candidateTimeouts).toBe(1);
  });

  it('gives the candidate its own pagi.connection, ended when it times out', async () => {
    const seen: Array<{ same: boolean; reason: string | undefined; transport: boolean }> = [];
    let primaryConnection: unknown;
    const watching: App = async (scope, receive, send) => {
      primaryConnection = (scope as HTTPScope)['pagi.connection'];
      await primary(scope, receive, send);
    };
    const candidate: App = async (scope) => {
      const s = scope as HTTPScope;
      const reason = await s['pagi.connection'].disconnect_future();
      seen.push({ same: s['pagi.connection'] === primaryConnection, reason, transport: 'pagi.transport' in s });
    };
    const { app, server } = await serveShadow(watching, candidate, { timeout: 0.1 });
    await fetch(server.url).then((r) => r.text());
    await app.idle();
    await waitUntil(() => seen.length === 1, 2000, 'candidate saw its disconnect');
    expect(seen).toEqual([{ same: false, reason: 'client_closed', transport: false }]);
  });

  it('caps concurrent candidates and skips the rest', async () => {
    let running = 0;
    let peak = 0;
    const slow: App = async (scope, receive, send) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 100));
      running--;
      await primary(scope, receive, send);
    };
    const { app, server } = await serveShadow(primary, slow, { maxConcurrent: 2 });
    await Promise.all(Array.from({ length: 5 }, () => fetch(server.url).then((r) => r.text())));
    await app.idle();
    const report = app.report();
    expect(peak).toBe(2);
    expect(report.total).toMatchObject({ shadowed: 2, skipped: 3, matched: 2 });
    expect(report.skippedBy.concurrency).toBe(3);
  });
});

describe('shadow: which requests go to the candidate', () => {
  function counting(): { app: App; calls: Scope[] } {
    const calls: Scope[] = [];
    return {
      calls,
      app: async (scope, receive, send) => {
        calls.push(scope);
        await json(200, { ok: true })(scope, receive, send);
      },
    };
  }

  it('sends GET and HEAD only by default, only what the filter selects, and only the sampled fraction', async () => {
    const candidate = counting();
    const { app, server } = await serveShadow(json(200, { ok: true }), candidate.app);
    await fetch(server.url, { method: 'POST', body: 'x' }).then((r) => r.text());
    await fetch(server.url, { method: 'DELETE' }).then((r) => r.text());
    await fetch(server.url, { method: 'HEAD' }).then((r) => r.text());
    await fetch(server.url).then((r) => r.text());
    await app.idle();
    expect(candidate.calls.map((s) => (s as HTTPScope).method)).toEqual(['HEAD', 'GET']);

    const filtered = counting();
    const only = await serveShadow(json(200, { ok: true }), filtered.app, { filter: (scope) => scope.path.startsWith('/api/users') });
    for (const path of ['/api/users/1', '/about', '/api/usersx']) await fetch(only.server.url + path).then((r) => r.text());
    await only.app.idle();
    expect(filtered.calls.map((s) => (s as HTTPScope).path)).toEqual(['/api/users/1', '/api/usersx']);
    expect(only.app.report().total.shadowed).toBe(2);

    const never = counting();
    const sampled = await serveShadow(json(200, { ok: true }), never.app, { sampleRate: 0 });
    for (let i = 0; i < 5; i++) await fetch(sampled.server.url).then((r) => r.text());
    expect(never.calls).toEqual([]);
    expect(sampled.app.report().total.shadowed).toBe(0);
  });

  it('copies a request body to an opted-in method, byte for byte, as the primary reads it', async () => {
    const bodies: Buffer[] = [];
    const reader = (store: boolean): App => async (_scope, receive, send) => {
      const parts: Buffer[] = [];
      for (;;) {
        const event = await receive();
        if (event.type !== 'http.request') break;
        parts.push(Buffer.from(event.body));
        if (!event.more) break;
      }
      if (store) bodies.push(Buffer.concat(parts));
      await json(200, { size: Buffer.concat(parts).length })(_scope, receive, send);
    };
    const { app, server, differences } = await serveShadow(reader(false), reader(true), { methods: ['POST'] });
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    expect(await (await fetch(server.url, { method: 'POST', body: payload })).json()).toEqual({ size: payload.length });
    await app.idle();
    expect(differences).toEqual([]);
    expect(bodies[0]?.equals(payload)).toBe(true);
  });

  it('skips bodies over bodyLimit (declared or streamed) and bodies the primary never read', async () => {
    let candidateBytes = 0;
    const reads: App = async (scope, receive, send) => {
      for (let e = await receive(); e.type === 'http.request' && e.more; e = await receive());
      await json(200, { ok: true })(scope, receive, send);
    };
    const readingCandidate: App = async (scope, receive, send) => {
      for (let e = await receive(); e.type === 'http.request'; e = await receive()) {
        candidateBytes += e.body.length;
        if (!e.more) break;
      }
      await json(200, { ok: true })(scope, receive, send);
    };
    const { app, server } = await serveShadow(reads, readingCandidate, { methods: ['POST'], bodyLimit: 1000 });
    await fetch(server.url, { method: 'POST', body: Buffer.alloc(5000) }).then((r) => r.text());
    await postChunked(server.port, [Buffer.alloc(600), Buffer.alloc(600)]);
    await app.idle();
    expect(app.report()).toMatchObject({ total: { shadowed: 1, skipped: 2 }, skippedBy: { 'body-limit': 2 } });
    // The streamed one was picked, then cancelled at the limit: the candidate never got more than it.
    expect(candidateBytes).toBeLessThanOrEqual(1000);

    // A candidate that answers without the body is compared; one that waits for it is not.
    const ignoresBody = await serveShadow(json(401, { error: 'login' }), json(401, { error: 'login' }), { methods: ['POST'] });
    await fetch(ignoresBody.server.url, { method: 'POST', body: 'secret' }).then((r) => r.text());
    const needsBody = await serveShadow(json(401, { error: 'login' }), readingCandidate, { methods: ['POST'] });
    await fetch(needsBody.server.url, { method: 'POST', body: 'secret' }).then((r) => r.text());
    await Promise.all([ignoresBody.app.idle(), needsBody.app.idle()]);
    expect(ignoresBody.app.report().total).toMatchObject({ shadowed: 1, matched: 1 });
    expect(needsBody.app.report()).toMatchObject({ total: { shadowed: 1, skipped: 1 }, skippedBy: { 'body-unread': 1 } });
  });

  it('passes sse and websocket scopes to the primary only', async () => {
    const candidate = counting();
    const primary: App = async (scope, receive, send) => {
      if (scope.type === 'sse') {
        await send({ type: 'sse.start' });
        await send({ type: 'sse.send', data: 'tick' });
        await send({ type: 'sse.close' });
      } else if (scope.type === 'websocket') {
        await receive();
        await send({ type: 'websocket.accept' });
        await send({ type: 'websocket.send', text: 'hi' });
        await send({ type: 'websocket.close' });
      }
    };
    const client = new TestClient(shadow(primary, candidate.app));
    const feed = await client.sse('/events');
    expect((await feed.take(1))[0]?.data).toBe('tick');
    const socket = await client.websocket('/chat');
    expect(await socket.receiveText()).toBe('hi');
    await socket.close();
    expect(candidate.calls).toEqual([]);
  });

  it('reports the primary failing or the client leaving as skipped, and cancels the candidate', async () => {
    let candidateEnded: Promise<string> | undefined;
    const candidate: App = async (scope) => {
      candidateEnded = (scope as HTTPScope)['pagi.connection'].disconnect_future();
      await candidateEnded;
    };
    const primary: App = async (scope, receive, send) => {
      if ((scope as HTTPScope).path === '/fail') throw new Error('primary failed');
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'x', more: true });
      await (scope as HTTPScope)['pagi.connection'].disconnect_future();
    };
    const { app, server } = await serveShadow(primary, candidate, { timeout: 10 });
    expect((await fetch(`${server.url}/fail`)).status).toBe(500);
    await withDeadline(candidateEnded!, 2000, 'candidate cancelled');
    const request = http.get(`${server.url}/leave`);
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    await once(response, 'data');
    request.destroy();
    await withDeadline(app.idle(), 2000, 'idle after the client left');
    expect(app.report()).toMatchObject({ total: { shadowed: 2, skipped: 2 }, skippedBy: { 'primary-incomplete': 2 } });
  });
});

describe('shadow: lifespan', () => {
  function lifespanApp(name: string, answer: 'complete' | 'failed', log: string[]): App {
    return async (scope, receive, send) => {
      if (scope.type !== 'lifespan') {
        await json(200, { state: Object.keys((scope as HTTPScope).state).sort() })(scope, receive, send);
        return;
      }
      await receive();
      scope.state[name] = true;
      log.push(`${name} startup`);
      await send(answer === 'complete' ? { type: 'lifespan.startup.complete' } : { type: 'lifespan.startup.failed', message: `${name} cannot start` });
      if (answer === 'failed') return;
      await receive();
      log.push(`${name} shutdown`);
      await send({ type: 'lifespan.shutdown.complete' });
    };
  }

  it('runs the candidate lifespan alongside, with its own state, and shuts it down first', async () => {
    const log: string[] = [];
    const app = shadow(lifespanApp('primary', 'complete', log), lifespanApp('candidate', 'complete', log));
    const client = new TestClient(app);
    const lifespan = await client.lifespan();
    expect(app.report().candidateLifespan).toBe('running');
    expect(await (await client.get('/')).json()).toEqual({ state: ['primary'] });
    await app.idle();
    // The candidate saw the primary's state and its own: a difference, as expected here.
    expect(app.report().total.differed).toBe(1);
    await lifespan.stop();
    expect(log).toEqual(['primary startup', 'candidate startup', 'primary shutdown', 'candidate shutdown']);
    expect(app.report().candidateLifespan).toBe('stopped');
  });

  it('keeps serving when the candidate fails its startup, and skips shadowing', async () => {
    const log: string[] = [];
    const app = shadow(lifespanApp('primary', 'complete', log), lifespanApp('candidate', 'failed', log));
    const client = new TestClient(app);
    const lifespan = await client.lifespan();
    expect((await client.get('/')).status).toBe(200);
    expect(app.report()).toMatchObject({ candidateLifespan: 'failed', total: { shadowed: 0, skipped: 1 }, skippedBy: { 'candidate-unavailable': 1 } });
    await lifespan.stop();
  });

  it('shadows a candidate that declines lifespan', async () => {
    const candidate: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') throw new Error('no lifespan here');
      await json(200, { state: ['primary'] })(scope, receive, send);
    };
    const app = shadow(lifespanApp('primary', 'complete', []), candidate);
    const client = new TestClient(app);
    const lifespan = await client.lifespan();
    await waitUntil(() => app.report().candidateLifespan === 'declined', 2000, 'declined');
    await client.get('/');
    await app.idle();
    expect(app.report().total.matched).toBe(1);
    await lifespan.stop();
  });
});

/** POSTs `parts` with chunked framing (no content-length) and reads the answer. */
async function postChunked(port: number, parts: Buffer[]): Promise<void> {
  const request = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'transfer-encoding': 'chunked' } });
  for (const part of parts) request.write(part);
  request.end();
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  response.resume();
  await once(response, 'end');
}

describe('shadow: options and comparison rules', () => {
  it('rejects bad options with a TypeError naming the option', () => {
    const app: App = async () => {};
    expect(() => shadow(app, app, { sampleRate: 2 })).toThrow(/sampleRate/);
    expect(() => shadow(app, app, { timeout: 0 })).toThrow(/timeout/);
    expect(() => shadow(app, app, { bodyLimit: -1 })).toThrow(/bodyLimit/);
    expect(() => shadow(app, app, { ignorePaths: ['updatedAt'] })).toThrow(/JSON Pointer/);
    expect(() => shadow(undefined as never, app)).toThrow(/primary/);
  });

  it('reduces set-cookie to the cookie name and its stable attributes', () => {
    expect(cookieShape('sid=s%3Aabc.def; Path=/; Expires=Thu, 01 Jan 2099 00:00:00 GMT; HttpOnly; SameSite=Lax')).toBe(
      'sid=…; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(cookieShape('flag')).toBe('flag=…');
  });

  it('reads and writes JSON Pointers with RFC 6901 escapes', () => {
    expect(parsePointer('/a~1b/~0c/*')).toEqual(['a/b', '~c', '*']);
    expect(toPointer(['a/b', '~c', '0'])).toBe('/a~1b/~0c/0');
    expect(parsePointer('')).toEqual([]);
  });
});
