import { describe, expect, it } from 'vitest';
import { buildHead } from '../../src/adapter/response-head.js';
import { formatSseComment, formatSseEvent, formatSseKeepalive } from '../../src/protocol/sse-format.js';
import type { HeaderPair } from '../../src/protocol/types.js';

describe('buildHead', () => {
  it.each<[string, HeaderPair[], number | undefined, boolean, string[], boolean]>([
    ['passes pairs through, duplicates kept', [['x-a', '1'], ['set-cookie', 'a'], ['set-cookie', 'b']], undefined, false, ['x-a', '1', 'set-cookie', 'a', 'set-cookie', 'b'], false],
    ['drops transfer-encoding and connection', [['transfer-encoding', 'gzip'], ['connection', 'keep-alive'], ['x', 'y']], undefined, false, ['x', 'y'], false],
    ['adds connection: upgrade with an upgrade header', [['upgrade', 'h2c']], undefined, false, ['upgrade', 'h2c', 'connection', 'upgrade'], false],
    ['adds a known length', [['content-type', 'text/plain']], 12, false, ['content-type', 'text/plain', 'content-length', '12'], false],
    ['keeps the app length over a known one', [['content-length', '3']], 12, false, ['content-length', '3'], true],
    ['adds no length when trailers are promised', [], 12, true, [], false],
  ])('%s', (_name, headers, known, trailers, flat, hasLength) => {
    const head = buildHead(headers, known, trailers);
    expect(head.flat).toEqual(flat);
    expect(head.hasContentLength).toBe(hasLength);
  });

  it('drops HTTP/2 connection-specific fields but keeps te: trailers', () => {
    const head = buildHead(
      [['keep-alive', 'x'], ['upgrade', 'y'], ['proxy-connection', 'z'], ['te', 'gzip'], ['connection', 'close'], ['x-a', '1']],
      undefined,
      false,
      true,
    );
    expect(head.flat).toEqual(['x-a', '1']);
    expect(head.close).toBe(false);
    expect(buildHead([['te', 'trailers']], undefined, false, true).flat).toEqual(['te', 'trailers']);
  });

  it('reports connection: close instead of dropping it', () => {
    expect(buildHead([['connection', 'Close']], undefined, false)).toMatchObject({ flat: [], close: true, dropped: undefined });
    expect(buildHead([['connection', 'keep-alive, close']], undefined, false).close).toBe(true);
    expect(buildHead([['connection', 'closed']], undefined, false)).toMatchObject({ close: false, dropped: ['connection'] });
  });

  it("reports an app's own connection: keep-alive (HTTP/1.x only) instead of dropping it", () => {
    expect(buildHead([['connection', 'Keep-Alive']], undefined, false)).toMatchObject({ flat: [], keepAlive: 'Keep-Alive', dropped: undefined });
    expect(buildHead([['connection', 'keep-alive, close']], undefined, false).keepAlive).toBeUndefined();
    expect(buildHead([['connection', 'keep-alive']], undefined, false, true)).toMatchObject({ keepAlive: undefined, dropped: ['connection'] });
    expect(buildHead([['connection', 'keep-alive, upgrade']], undefined, false)).toMatchObject({ keepAlive: undefined, dropped: ['connection'] });
  });
});

describe('SSE wire format', () => {
  it.each<[string, Parameters<typeof formatSseEvent>, string]>([
    ['data only', ['x'], 'data: x\n\n'],
    ['empty data', [''], 'data: \n\n'],
    ['all fields', ['d', 'e', 'i', 0], 'event: e\ndata: d\nid: i\nretry: 0\n\n'],
    ['CRLF, CR and LF split', ['a\r\nb\rc\nd'], 'data: a\ndata: b\ndata: c\ndata: d\n\n'],
    ['trailing newline gives an empty line', ['a\n'], 'data: a\ndata: \n\n'],
    ['empty event and id are left out', ['d', '', ''], 'data: d\n\n'],
  ])('%s', (_name, args, wire) => {
    expect(formatSseEvent(...args)).toBe(wire);
  });

  it('formats comments and keepalives', () => {
    expect(formatSseComment('hi')).toBe(':hi\n\n');
    expect(formatSseComment('a\n:b')).toBe(':a\n:b\n\n');
    expect(formatSseComment('')).toBe(':\n\n');
    expect(formatSseKeepalive('')).toBe(':\n\n');
    expect(formatSseKeepalive('ping')).toBe(':ping\n\n');
    expect(formatSseKeepalive('a\nb')).toBe(':a\n:b\n\n');
  });
});
