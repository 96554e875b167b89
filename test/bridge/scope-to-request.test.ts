import { describe, expect, it } from 'vitest';
import {
  bodyFraming,
  scopeToRequestLine,
  versionOf,
} from '../../src/bridge/scope-to-request.js';
import { createConnection } from '../../src/protocol/connection.js';
import { decodePath, encodedRootPrefix } from '../../src/protocol/paths.js';
import { buildScope } from './helpers.js';

function line(url: string, rootPath = '', extra: Parameters<typeof buildScope>[0] = {}) {
  const scope = buildScope({ url, rootPath, ...extra }, createConnection());
  return scopeToRequestLine(scope);
}

describe('behaviour 15: req.url from raw_path (scope-to-request table)', () => {
  it.each([
    // [raw target, root_path, url, originalUrl, baseUrl]
    ['/', '', '/', '/', ''],
    ['/a/b?x=1', '', '/a/b?x=1', '/a/b?x=1', ''],
    ['/%61dmin/%2F?q=%20', '', '/%61dmin/%2F?q=%20', '/%61dmin/%2F?q=%20', ''],
    ['/api/users?id=7', '/api', '/users?id=7', '/api/users?id=7', '/api'],
    ['/api', '/api', '/', '/api', '/api'],
    ['/api?x', '/api', '/?x', '/api?x', '/api'],
    ['/%61pi/v1/x', '/api/v1', '/x', '/%61pi/v1/x', '/%61pi/v1'],
    ['/caf%C3%A9/menu', '/café', '/menu', '/caf%C3%A9/menu', '/caf%C3%A9'],
    ['/a%2Fb/c', '/a/b', '/c', '/a%2Fb/c', '/a%2Fb'],
  ])('%s under root %j', (target, root, url, originalUrl, baseUrl) => {
    const l = line(target, root);
    expect(l.url).toBe(url);
    expect(l.originalUrl).toBe(originalUrl);
    expect(l.baseUrl).toBe(baseUrl);
  });

  it('a root that is not a segment prefix of raw_path falls back to re-encoding path and root', () => {
    const scope = { ...buildScope({ url: '/other/x' }, createConnection()), root_path: '/mnt', path: '/x y' };
    const l = scopeToRequestLine(scope);
    expect(l.url).toBe('/x%20y');
    expect(l.baseUrl).toBe('/mnt');
  });

  it('matches whole segments only', () => {
    expect(encodedRootPrefix('/apix/y', '/api')).toBeUndefined();
    expect(encodedRootPrefix('/api/y', '/api')).toBe('/api');
    expect(encodedRootPrefix('/anything', '')).toBe('');
  });

  it('decodes per §3.3 with the latin1 fallback', () => {
    expect(decodePath('/caf%C3%A9')).toBe('/café');
    expect(decodePath('/%FF')).toBe('/\u00ff');
    expect(decodePath('/a+b%2F')).toBe('/a+b/');
    expect(decodePath('/100%')).toBe('/100%');
  });
});

describe('scope-to-request: versions, raw headers, framing', () => {
  it.each([
    ['1.0', '1.0', 1, 0],
    ['1.1', '1.1', 1, 1],
    ['2', '2.0', 2, 0],
  ])('http_version %s → %s', (input, text, major, minor) => {
    expect(versionOf(input)).toEqual({ text, major, minor });
  });

  it('rawHeaders is the flat scope list in order', () => {
    const l = line('/', '', { headers: [['host', 'h'], ['x-a', '1'], ['x-a', '2'], ['cookie', 'a=1; b=2']] });
    expect(l.rawHeaders).toEqual(['host', 'h', 'x-a', '1', 'x-a', '2', 'cookie', 'a=1; b=2']);
  });

  it.each([
    [[], '1.1', 'none'],
    [[['content-length', '0']], '1.1', 'none'],
    [[['content-length', '12']], '1.1', 'declared'],
    [[['transfer-encoding', 'chunked']], '1.1', 'declared'],
    [[], '2', 'unknown'],
    [[['content-length', '5']], '2', 'declared'],
  ] as Array<[Array<[string, string]>, string, string]>)('headers %j on HTTP/%s → %s', (headers, version, framing) => {
    expect(bodyFraming(headers, version)).toBe(framing);
  });
});
