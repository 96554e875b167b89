import { describe, expect, it } from 'vitest';
import { SSEParser } from '../../src/testing/index.js';

describe('SSEParser', () => {
  it('handles CRLF, CR and LF line ends, a BOM, chunks split anywhere, and id persistence', () => {
    const parser = new SSEParser();
    const wire = '\uFEFFdata: a\r\ndata:b\r\rid: 1\nevent: x\ndata: c\n\ndata: d\n\n';
    const events = [];
    for (const ch of wire) events.push(...parser.push(ch));
    expect(events).toEqual([
      { event: 'message', data: 'a\nb', id: undefined, lastEventId: '', retry: undefined },
      { event: 'x', data: 'c', id: '1', lastEventId: '1', retry: undefined },
      { event: 'message', data: 'd', id: undefined, lastEventId: '1', retry: undefined },
    ]);
  });

  it('keeps comments, ignores blocks without data, takes only numeric retry', () => {
    const parser = new SSEParser();
    const events = parser.push(':keepalive\n\nretry: abc\ndata: x\n\nretry: 10\nevent: e\n\n');
    expect(events).toEqual([{ event: 'message', data: 'x', id: undefined, lastEventId: '', retry: undefined }]);
    expect(parser.comments).toEqual(['keepalive']);
  });

  it('decodes UTF-8 split across chunks', () => {
    const parser = new SSEParser();
    const bytes = Buffer.from('data: é\n\n');
    expect(parser.push(bytes.subarray(0, 7))).toEqual([]);
    expect(parser.push(bytes.subarray(7))[0]?.data).toBe('é');
  });
});
