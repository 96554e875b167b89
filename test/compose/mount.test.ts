import { describe, expect, it } from 'vitest';
import { mount } from '../../src/compose/index.js';
import { LifespanStartupFailed } from '../../src/protocol/errors.js';
import type { App, Scope } from '../../src/protocol/types.js';
import { TestClient, WebSocketDenied } from '../../src/testing/index.js';

/** An app that answers with what it saw of the scope. */
function reporter(name: string): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan');
    const seen = { name, type: scope.type, path: scope.path, root_path: scope.root_path, raw_path: scope.raw_path };
    if (scope.type === 'websocket') {
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: JSON.stringify(seen) });
      await send({ type: 'websocket.close' });
      return;
    }
    if (scope.type === 'sse') {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: JSON.stringify(seen) });
      await send({ type: 'sse.close' });
      return;
    }
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
    await send({ type: 'http.response.body', body: JSON.stringify(seen) });
  };
}

async function seen(app: App, target: string): Promise<Record<string, string>> {
  const res = await new TestClient(app).get(target);
  return res.json();
}

describe('mount: routing', () => {
  const app = mount({ '/api': reporter('api'), '/api/v2': reporter('v2'), '/': reporter('root') });

  it('picks the longest matching prefix first', async () => {
    expect(await seen(app, '/api/v2/users')).toMatchObject({ name: 'v2', path: '/users', root_path: '/api/v2' });
    expect(await seen(app, '/api/v1/users')).toMatchObject({ name: 'api', path: '/v1/users', root_path: '/api' });
    expect(await seen(app, '/other')).toMatchObject({ name: 'root', path: '/other', root_path: '' });
  });

  it('matches whole segments only: /api and /api/x, never /apix', async () => {
    expect(await seen(app, '/api')).toMatchObject({ name: 'api' });
    expect(await seen(app, '/api/x')).toMatchObject({ name: 'api' });
    expect(await seen(app, '/apix')).toMatchObject({ name: 'root', path: '/apix' });
    expect(await seen(app, '/api/v2x')).toMatchObject({ name: 'api', path: '/v2x' });
  });

  it("moves the prefix to root_path, path becomes '/' when nothing remains, raw_path stays untouched", async () => {
    expect(await seen(app, '/api')).toMatchObject({ path: '/', root_path: '/api', raw_path: '/api' });
    expect(await seen(app, '/api/')).toMatchObject({ path: '/', root_path: '/api', raw_path: '/api/' });
    expect(await seen(app, '/api/v2/a%20b')).toMatchObject({ path: '/a b', root_path: '/api/v2', raw_path: '/api/v2/a%20b' });
  });

  it('nested mounts extend root_path', async () => {
    const nested = mount({ '/outer': mount({ '/inner': reporter('deep') }) });
    expect(await seen(nested, '/outer/inner/x')).toMatchObject({ path: '/x', root_path: '/outer/inner', raw_path: '/outer/inner/x' });
  });

  it('copies the scope: the incoming scope is never mutated', async () => {
    let outer: Scope | undefined;
    let inner: Scope | undefined;
    const spy: App = async (scope, receive, send) => {
      outer = scope;
      const snapshot = JSON.stringify({ ...scope, 'pagi.connection': undefined });
      await mount({ '/api': async (s, r, sd) => {
        inner = s;
        return reporter('x')(s, r, sd);
      } })(scope, receive, send);
      expect(JSON.stringify({ ...scope, 'pagi.connection': undefined })).toBe(snapshot);
    };
    await (await new TestClient(spy).get('/api/a')).text();
    expect(inner).not.toBe(outer);
    expect((outer as { path: string }).path).toBe('/api/a');
    // The copy is shallow on purpose: connection and state objects are shared (§11).
    expect((inner as { 'pagi.connection': unknown })['pagi.connection']).toBe((outer as { 'pagi.connection': unknown })['pagi.connection']);
  });

  it('accepts [prefix, app] pairs and rejects malformed or duplicate prefixes', () => {
    expect(() => mount([['/a', reporter('a')]])).not.toThrow();
    expect(() => mount({ api: reporter('a') })).toThrow(/must start with '\/'/);
    expect(() => mount({ '/a': reporter('a'), '/a/': reporter('b') })).toThrow(/are the same/);
    expect(() => mount({ '/a': reporter('a'), '/A': reporter('b') })).toThrow(/are the same/);
    expect(() => mount({ '/a': reporter('a'), '/A': reporter('b') }, { caseSensitive: true })).not.toThrow();
  });
});

describe('mount: scope types', () => {
  const app = mount({ '/live': reporter('live') });

  it('routes sse scopes', async () => {
    const sse = await new TestClient(app).sse('/live/feed');
    const event = await sse.next();
    expect(JSON.parse(event?.data ?? '')).toMatchObject({ type: 'sse', path: '/feed', root_path: '/live' });
  });

  it('routes websocket scopes', async () => {
    const ws = await new TestClient(app).websocket('/live/socket');
    expect(await ws.receiveJson()).toMatchObject({ type: 'websocket', path: '/socket', root_path: '/live' });
  });

  it('no match: 404 text/plain "Not Found" (http), a 404 refusal (sse, websocket)', async () => {
    const client = new TestClient(app);
    const res = await client.get('/elsewhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('Not Found');
    const refused = await client.get('/elsewhere', { headers: { accept: 'text/event-stream' } });
    expect(refused.status).toBe(404);
    const denied = await client.websocket('/elsewhere').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(WebSocketDenied);
    expect((denied as WebSocketDenied).status).toBe(404);
  });

  it('no match with a fallback app: the fallback answers with the scope unchanged', async () => {
    const withFallback = mount({ '/live': reporter('live') }, { fallback: reporter('fallback') });
    expect(await seen(withFallback, '/x/y')).toMatchObject({ name: 'fallback', path: '/x/y', root_path: '' });
  });
});

describe('mount: lifespan reaches every mounted app', () => {
  function lifespanApp(log: string[], name: string, behaviour: 'ok' | 'fail' | 'decline' | 'return'): App {
    return async (scope, receive, send) => {
      if (scope.type !== 'lifespan') return reporter(name)(scope, receive, send);
      if (behaviour === 'decline') throw new Error(`${name} has no lifespan`);
      if (behaviour === 'return') return;
      await receive();
      log.push(`${name}:startup`);
      if (behaviour === 'fail') {
        await send({ type: 'lifespan.startup.failed', message: `${name} cannot start` });
        return;
      }
      scope.state[name] = true;
      await send({ type: 'lifespan.startup.complete' });
      await receive();
      log.push(`${name}:shutdown`);
      await send({ type: 'lifespan.shutdown.complete' });
    };
  }

  it('each app gets startup and shutdown once (an app mounted twice too); the state is shared', async () => {
    const log: string[] = [];
    const a = lifespanApp(log, 'a', 'ok');
    const app = mount({ '/a': a, '/a2': a, '/b': lifespanApp(log, 'b', 'ok') }, { fallback: lifespanApp(log, 'c', 'ok') });
    const client = new TestClient(app);
    const handle = await client.lifespan();
    expect(log.sort()).toEqual(['a:startup', 'b:startup', 'c:startup']);
    expect(handle.state).toEqual({ a: true, b: true, c: true });
    await handle.stop();
    expect(log.filter((l) => l.endsWith('shutdown')).sort()).toEqual(['a:shutdown', 'b:shutdown', 'c:shutdown']);
  });

  it('the combined startup fails if any app fails, with its message', async () => {
    const log: string[] = [];
    const app = mount({ '/a': lifespanApp(log, 'a', 'ok'), '/b': lifespanApp(log, 'b', 'fail') });
    const error = await new TestClient(app).lifespan().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifespanStartupFailed);
    expect((error as Error).message).toContain('b cannot start');
  });

  it('apps that decline lifespan (throw, or return without answering) are tolerated', async () => {
    const log: string[] = [];
    const app = mount({ '/a': lifespanApp(log, 'a', 'ok'), '/b': lifespanApp(log, 'b', 'decline'), '/c': lifespanApp(log, 'c', 'return') });
    const handle = await new TestClient(app).lifespan();
    expect(handle.state).toEqual({ a: true });
    await handle.stop();
    expect(log).toEqual(['a:startup', 'a:shutdown']);
  });

  it('when every app declines, the mount declines too', async () => {
    const app = mount({ '/b': lifespanApp([], 'b', 'decline') });
    await expect(new TestClient(app).lifespan()).rejects.toMatchObject({ code: 'ERR_PAGI_LIFESPAN_UNSUPPORTED' });
  });
});

describe('mount: prefix matching agrees with Express on case and encoding', () => {
  const app = mount({ '/admin': reporter('admin'), '/': reporter('root') });

  it('refuses /%61dmin (decoded it is /admin, raw it is not): 400 before any app runs', async () => {
    const res = await new TestClient(app).get('/%61dmin/users');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('Bad Request: ambiguous request target (encoding-mismatch)');
  });

  it('is case-insensitive by default, keeping the spelling the client used in root_path', async () => {
    expect(await seen(app, '/ADMIN/x')).toMatchObject({ name: 'admin', root_path: '/ADMIN', path: '/x' });
  });

  it('caseSensitive: true does not fold case', async () => {
    const strict = mount({ '/admin': reporter('admin'), '/': reporter('root') }, { caseSensitive: true });
    expect(await seen(strict, '/ADMIN/x')).toMatchObject({ name: 'root' });
    expect(await seen(strict, '/admin/x')).toMatchObject({ name: 'admin' });
  });

  it('refuses empty and dot segments and %2F where it compares (//admin, /admin%2F..), matches /admin/', async () => {
    const client = new TestClient(app);
    expect((await client.get('//admin/x')).status).toBe(400);
    expect((await client.get('/admin%2F..')).status).toBe(400);
    expect(await seen(app, '/admin/')).toMatchObject({ name: 'admin', path: '/' });
    expect(await seen(app, '/adminx')).toMatchObject({ name: 'root' });
  });
});

describe('mount: one target, one meaning (the full table is targets.test.ts)', () => {
  const refusalOf = async (app: App, target: string, init?: Parameters<TestClient['get']>[1]): Promise<string> => {
    const res = await new TestClient(app).get(target, init);
    expect(res.status).toBe(400);
    return res.text();
  };

  it('a root-only mount compares no segment: only # and \\ are refused', async () => {
    const bare = mount({ '/': reporter('root') });
    for (const target of ['/a%2Fb', '//x', '/../x', '/%FF', '/%00', '/%61dmin', '/x?q=\\']) {
      expect(await seen(bare, target)).toMatchObject({ name: 'root', root_path: '' });
    }
    expect(await refusalOf(bare, '/x#y')).toBe('Bad Request: ambiguous request target (fragment)');
    expect(await refusalOf(bare, '/x\\y')).toBe('Bad Request: ambiguous request target (backslash)');
  });

  it('compares a segment only while some prefix still agrees up to it', async () => {
    const app = mount({ '/api/v2': reporter('v2'), '/': reporter('root') });
    // `users` matches no first segment: nothing after it is compared.
    expect(await seen(app, '/users/a%2Fb')).toMatchObject({ name: 'root', path: '/users/a/b', raw_path: '/users/a%2Fb' });
    // `api` does: the second segment is compared with `v2`, so it must be unambiguous.
    expect(await refusalOf(app, '/api/a%2Fb')).toContain('(encoded-separator)');
    expect(await seen(app, '/api/v2/a%2Fb')).toMatchObject({ name: 'v2', path: '/a/b' });
  });

  it('nested mounts each check the segments they compare', async () => {
    const nested = mount({ '/outer': mount({ '/inner': reporter('deep') }) });
    expect(await seen(nested, '/outer/inner/x')).toMatchObject({ name: 'deep', root_path: '/outer/inner', path: '/x' });
    expect(await refusalOf(nested, '/outer/inn%65r/x')).toContain('(encoding-mismatch)');
    expect(await refusalOf(nested, '/outer//inner/x')).toContain('(empty-segment)');
    expect(await refusalOf(nested, '/outer/inner/..')).toContain('(dot-segment)');
  });

  it('below a server root path (TestClient rootPath builds raw_path as the server does)', async () => {
    const app = mount({ '/admin': reporter('admin'), '/': reporter('root') });
    const client = new TestClient(app, { rootPath: '/base' });
    expect(await (await client.get('/admin/x')).json()).toMatchObject({ name: 'admin', root_path: '/base/admin', path: '/x', raw_path: '/base/admin/x' });
    expect((await client.get('/%61dmin/x')).status).toBe(400);
  });

  it('a refused target reaches neither a prefix app nor the fallback', async () => {
    const calls: string[] = [];
    const counting = (name: string): App => async (scope, receive, send) => {
      calls.push(name);
      return reporter(name)(scope, receive, send);
    };
    const app = mount({ '/admin': counting('admin') }, { fallback: counting('fallback') });
    for (const target of ['/%61dmin', '//admin', '/admin#', '/x/../admin']) expect((await new TestClient(app).get(target)).status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('refuses on websocket and sse scopes too, with the same 400', async () => {
    const app = mount({ '/live': reporter('live') });
    const denied = await new TestClient(app).websocket('/%6Cive/socket').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(WebSocketDenied);
    expect((denied as WebSocketDenied).status).toBe(400);
    expect(await refusalOf(app, '/live%2Ffeed', { headers: { accept: 'text/event-stream' } })).toContain('(encoded-separator)');
  });

  it('OPTIONS * goes to the root app, as Express sends it to app.use(fn); without a root, to the fallback', async () => {
    const withRoot = mount({ '/admin': reporter('admin'), '/': reporter('root') });
    const star = await new TestClient(withRoot).request('OPTIONS', '*');
    expect(await star.json()).toMatchObject({ name: 'root', path: '*', raw_path: '*' });
    expect((await new TestClient(mount({ '/admin': reporter('admin') })).request('OPTIONS', '*')).status).toBe(404);
  });

  it('rejects prefixes no request could match', () => {
    expect(() => mount({ '/a/..': reporter('a') })).toThrow(/no request can match/);
    expect(() => mount({ '/./a': reporter('a') })).toThrow(/no request can match/);
    expect(() => mount({ '/a\\b': reporter('a') })).toThrow(/no request can match/);
    expect(() => mount({ '/a#b': reporter('a') })).toThrow(/no request can match/);
  });
});
