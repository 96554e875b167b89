import { describe, expect, it } from 'vitest';
import { decodePath } from '../../src/protocol/paths.js';
import { acceptsEventStream, buildHeaders, splitTarget, subprotocolsFrom } from '../../src/testing/scope.js';

describe('test client scope building', () => {
  it('splitTarget keeps escapes, encodes what fetch would, appends query', () => {
    expect(splitTarget('/a%2Fb?x=1', { y: 2 })).toEqual({ raw_path: '/a%2Fb', query_string: 'x=1&y=2' });
    expect(splitTarget('/café')).toEqual({ raw_path: '/caf%C3%A9', query_string: '' });
    expect(splitTarget('', '?q=a b')).toEqual({ raw_path: '/', query_string: 'q=a%20b' });
    expect(splitTarget('*')).toEqual({ raw_path: '*', query_string: '' });
  });

  it('splitTarget builds the raw_path a server builds for the same target: absolute form, #, \\ kept', () => {
    expect(splitTarget('http://h/admin#/x')).toEqual({ raw_path: '/admin#/x', query_string: '' });
    expect(splitTarget('https://h:8443/a/b?q=1')).toEqual({ raw_path: '/a/b', query_string: 'q=1' });
    expect(splitTarget('http://h')).toEqual({ raw_path: '/', query_string: '' });
    expect(splitTarget('/admin#x?y')).toEqual({ raw_path: '/admin#x', query_string: 'y' });
    expect(splitTarget('/a\\b')).toEqual({ raw_path: '/a\\b', query_string: '' });
  });

  it('decodePath: %2F becomes /, + stays, invalid UTF-8 falls back to one char per byte', () => {
    expect(decodePath('/%61dmin/a+b%2Fc')).toBe('/admin/a+b/c');
    expect(decodePath('/%C3%A9')).toBe('/é');
    expect(decodePath('/%FF')).toBe('/\u00ff');
    expect(decodePath('/%zz')).toBe('/%zz');
  });

  it('buildHeaders lower-cases, keeps duplicates, merges cookies, later sources replace by name', () => {
    expect(buildHeaders({ Host: 'a', Cookie: 'x=1' }, [['X-A', '1'], ['x-a', '2'], ['cookie', 'y=2']], { host: 'b' })).toEqual([
      ['x-a', '1'],
      ['x-a', '2'],
      ['cookie', 'y=2'],
      ['host', 'b'],
    ]);
    expect(buildHeaders([['cookie', 'a=1'], ['x', '1'], ['cookie', 'b=2']])).toEqual([
      ['cookie', 'a=1; b=2'],
      ['x', '1'],
    ]);
  });

  it('acceptsEventStream follows §6.1', () => {
    expect(acceptsEventStream([['accept', 'text/event-stream']])).toBe(true);
    expect(acceptsEventStream([['accept', 'text/html, TEXT/Event-Stream;charset=x']])).toBe(true);
    expect(acceptsEventStream([['accept', 'text/event-stream;q=0']])).toBe(false);
    expect(acceptsEventStream([['accept', '*/*'], ['accept', 'text/*']])).toBe(false);
  });

  it('subprotocolsFrom splits and trims', () => {
    expect(subprotocolsFrom([['sec-websocket-protocol', 'a, b'], ['sec-websocket-protocol', 'c']])).toEqual(['a', 'b', 'c']);
  });
});
