import { describe, expect, it } from 'vitest';
import { createConnection } from '../../src/protocol/connection.js';
import { requestToScope, type IncomingLike } from '../../src/adapter/request-to-scope.js';
import { splitTarget } from '../../src/adapter/paths.js';
import { decodePath } from '../../src/protocol/paths.js';
import { acceptListsEventStream, wantsEventStream } from '../../src/adapter/sse-detect.js';
import { cipherSuiteNumber, tlsVersionNumber } from '../../src/adapter/tls-extension.js';

const socket = { remoteAddress: '127.0.0.1', remotePort: 50000, localAddress: '127.0.0.1', localPort: 8080 };

function incoming(overrides: Partial<IncomingLike> = {}): IncomingLike {
  return { method: 'GET', url: '/', httpVersion: '1.1', rawHeaders: ['Host', 'example.test'], socket, ...overrides };
}

describe('splitTarget', () => {
  it.each([
    ['/', '/', ''],
    ['/a/b?x=1&y=2', '/a/b', 'x=1&y=2'],
    ['/a?', '/a', ''],
    ['/a?b?c', '/a', 'b?c'],
    ['/%2F?q=%20', '/%2F', 'q=%20'],
    ['http://host.test/p/q?z=1', '/p/q', 'z=1'],
    ['http://host.test', '/', ''],
    ['http://host.test?k=v', '/', 'k=v'],
    ['https://host.test:8443/x', '/x', ''],
    ['*', '*', ''],
  ])('%s → raw_path %s, query %s', (target, rawPath, queryString) => {
    expect(splitTarget(target)).toEqual({ rawPath, queryString });
  });
});

describe('decodePath', () => {
  it.each([
    ['/plain', '/plain'],
    ['/a%20b', '/a b'],
    ['/a%2Fb', '/a/b'],
    ['/a+b', '/a+b'],
    ['/%61dmin', '/admin'],
    ['/caf%C3%A9', '/café'],
    ['/%E2%82%AC', '/€'],
    ['/%FF%FE', '/\u00ff\u00fe'], // not UTF-8: one character per byte
    ['/%C3', '/\u00c3'],
    ['/100%', '/100%'], // a stray % stays
    ['/%zz', '/%zz'],
    ['/%2', '/%2'],
    ['/caf\u00c3\u00a9', '/café'], // raw UTF-8 bytes as Node delivers them (latin1 characters)
  ])('%s → %s', (raw, decoded) => {
    expect(decodePath(raw)).toBe(decoded);
  });
});

describe('requestToScope', () => {
  const connection = createConnection().state;

  it('builds a complete http scope', () => {
    const scope = requestToScope(
      incoming({
        method: 'post',
        url: '/caf%C3%A9/x%2Fy+z?q=%20&r',
        rawHeaders: ['Host', 'example.test', 'Cookie', 'a=1', 'X-Forwarded-For', '1.1.1.1', 'cookie', 'b=2', 'X-Forwarded-For', '2.2.2.2'],
      }),
      connection,
      { state: { db: 'handle' } },
    );
    expect(scope).toEqual({
      type: 'http',
      pagi: { version: '0.5', spec_version: '0.6' },
      http_version: '1.1',
      method: 'POST',
      scheme: 'http',
      path: '/café/x/y+z',
      raw_path: '/caf%C3%A9/x%2Fy+z',
      query_string: 'q=%20&r',
      root_path: '',
      headers: [
        ['host', 'example.test'],
        ['cookie', 'a=1; b=2'],
        ['x-forwarded-for', '1.1.1.1'],
        ['x-forwarded-for', '2.2.2.2'],
      ],
      client: ['127.0.0.1', 50000],
      server: ['127.0.0.1', 8080],
      state: { db: 'handle' },
      extensions: {
        fullflush: {},
        interim: {},
        request_target: { target: '/caf%C3%A9/x%2Fy+z?q=%20&r' },
        header_case: { raw_headers: ['Host', 'example.test', 'Cookie', 'a=1', 'X-Forwarded-For', '1.1.1.1', 'cookie', 'b=2', 'X-Forwarded-For', '2.2.2.2'] },
        request_trailers: {},
        reason_phrase: {},
        final_informational: {},
        late_trailers: {},
      },
      'pagi.connection': connection,
    });
  });

  it('request_target keeps the target as sent; header_case shares Node\'s rawHeaders (HTTP/1.x only)', () => {
    const raw = ['Host', 'h', 'Cookie', 'a=1', 'Cookie', 'b=2'];
    const absolute = requestToScope(incoming({ url: 'http://h/q?', rawHeaders: raw }), connection);
    expect(absolute.extensions.request_target).toEqual({ target: 'http://h/q?' });
    expect(absolute.extensions.header_case?.raw_headers).toBe(raw);
    const h2 = requestToScope(incoming({ httpVersion: '2.0', url: '/x', rawHeaders: [':path', '/x'] }), connection);
    expect(h2.extensions.header_case).toBeUndefined();
    expect(h2.extensions.request_trailers).toEqual({});
    const old = requestToScope(incoming({ httpVersion: '1.0' }), connection);
    expect(old.extensions.request_trailers).toBeUndefined();
  });

  it.each([
    ['http://h;x/admin', 'http://h;x/admin'],
    ["http://h'x/admin", "http://h'x/admin"],
    ['http://h:x/admin', 'http://h:x/admin'],
    ["http://h/it's", "http://h/it's"],
    ['javascript://h/admin', 'javascript://h/admin'],
    ['http://u:p@h:80/admin', '/admin'],
    ['http://[::1]:8080/admin', '/admin'],
  ])('absolute-form %s: raw_path %s (only what url.parse reads as that path is reduced to it)', (target, rawPath) => {
    expect(requestToScope(incoming({ url: target }), connection).raw_path).toBe(rawPath);
  });

  it('copies state shallowly and gives each scope its own pagi/extensions objects', () => {
    const state = { shared: { n: 1 } };
    const a = requestToScope(incoming(), connection, { state });
    const b = requestToScope(incoming(), connection, { state });
    expect(a.state).not.toBe(state);
    expect(a.state.shared).toBe(state.shared);
    a.state.extra = 1;
    expect(b.state.extra).toBeUndefined();
    expect(a.pagi).not.toBe(b.pagi);
    expect(a.extensions).not.toBe(b.extensions);
  });

  it.each([
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['2.0', '2'],
  ])('http_version %s → %s', (version, expected) => {
    expect(requestToScope(incoming({ httpVersion: version }), connection).http_version).toBe(expected);
  });

  it('drops HTTP/2 pseudo-headers and turns :authority into host', () => {
    const scope = requestToScope(
      incoming({
        httpVersion: '2.0',
        url: '/h2',
        rawHeaders: [':method', 'GET', ':authority', 'example.test:8443', ':scheme', 'https', ':path', '/h2', 'accept', '*/*'],
      }),
      connection,
    );
    expect(scope.http_version).toBe('2');
    expect(scope.headers).toEqual([['host', 'example.test:8443'], ['accept', '*/*']]);
  });

  it('handles absolute-form and OPTIONS *', () => {
    const absolute = requestToScope(incoming({ url: 'http://example.test/p%20q?z' }), connection);
    expect([absolute.raw_path, absolute.path, absolute.query_string]).toEqual(['/p%20q', '/p q', 'z']);
    const star = requestToScope(incoming({ method: 'OPTIONS', url: '*' }), connection);
    expect([star.raw_path, star.path, star.query_string]).toEqual(['*', '*', '']);
  });

  it('prepends a configured root path to raw_path and sets root_path', () => {
    const scope = requestToScope(incoming({ url: '/x?y' }), connection, { rootPath: '/my app' });
    expect([scope.root_path, scope.path, scope.raw_path, scope.query_string]).toEqual(['/my app', '/x', '/my%20app/x', 'y']);
  });

  it('omits fullflush when disabled', () => {
    const always = ['final_informational', 'header_case', 'late_trailers', 'reason_phrase', 'request_target', 'request_trailers'];
    expect(Object.keys(requestToScope(incoming(), connection, { fullflush: false, interim: false }).extensions).sort()).toEqual(always);
    expect(Object.keys(requestToScope(incoming(), connection, { fullflush: false }).extensions).sort()).toEqual(['interim', ...always].sort());
  });

  it('uses [path, null] and no client for a Unix socket', () => {
    const unix = { server: { address: () => '/tmp/app.sock' } };
    const scope = requestToScope(incoming({ socket: unix }), connection);
    expect(scope.server).toEqual(['/tmp/app.sock', null]);
    expect('client' in scope).toBe(false);
  });

  it('keeps IPv6 addresses without brackets', () => {
    const scope = requestToScope(incoming({ socket: { remoteAddress: '::ffff:127.0.0.1', remotePort: 1, localAddress: '::1', localPort: 2 } }), connection);
    expect(scope.client).toEqual(['::ffff:127.0.0.1', 1]);
    expect(scope.server).toEqual(['::1', 2]);
  });

  it('makes an sse scope for Accept: text/event-stream, any method', () => {
    const scope = requestToScope(incoming({ method: 'POST', rawHeaders: ['Accept', 'text/event-stream'] }), connection);
    expect(scope.type).toBe('sse');
    expect(scope.method).toBe('POST');
  });
});

describe('SSE detection (§6.1)', () => {
  it.each([
    ['text/event-stream', true],
    ['TEXT/Event-Stream', true],
    ['text/html, text/event-stream', true],
    ['text/event-stream;q=0.5', true],
    ['text/event-stream; charset=utf-8', true],
    ['text/event-stream;q=0', false],
    ['text/event-stream; q=0.000', false],
    ['text/event-stream;q=bogus', false],
    ['*/*', false],
    ['text/*', false],
    ['application/json', false],
    ['text/event-streamx', false],
    ['', false],
  ])('Accept %j → %s', (accept, expected) => {
    expect(acceptListsEventStream(accept)).toBe(expected);
  });

  it('combines several Accept headers', () => {
    expect(wantsEventStream([['accept', 'text/html'], ['accept', 'text/event-stream']])).toBe(true);
    expect(wantsEventStream([['accept', 'text/html'], ['accept', 'application/json']])).toBe(false);
  });

  it('never classifies an upgrade request as sse', () => {
    expect(wantsEventStream([['accept', 'text/event-stream'], ['upgrade', 'websocket'], ['connection', 'Upgrade']])).toBe(false);
  });
});

describe('tls lookup tables', () => {
  it('maps protocol and cipher names to wire numbers', () => {
    expect(tlsVersionNumber('TLSv1.3')).toBe(0x0304);
    expect(tlsVersionNumber('TLSv1.2')).toBe(0x0303);
    expect(tlsVersionNumber('nope')).toBeNull();
    expect(cipherSuiteNumber('TLS_AES_256_GCM_SHA384')).toBe(0x1302);
    expect(cipherSuiteNumber('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')).toBe(0xc02f);
    expect(cipherSuiteNumber('TLS_UNKNOWN')).toBeNull();
  });
});
