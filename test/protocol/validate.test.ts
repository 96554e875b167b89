import { describe, expect, it } from 'vitest';
import { createConnection } from '../../src/protocol/connection.js';
import { InvalidEvent, OutOfOrder } from '../../src/protocol/errors.js';
import { createSendValidator, type SendValidator } from '../../src/protocol/validate.js';
import type { HTTPScope, LifespanScope, SSEScope, Scope, WebSocketScope } from '../../src/protocol/types.js';

function base() {
  return {
    pagi: { version: '0.5', spec_version: '0.6' },
    http_version: '1.1' as const,
    path: '/',
    raw_path: '/',
    query_string: '',
    root_path: '',
    headers: [],
    state: {},
    extensions: {},
    'pagi.connection': createConnection().state,
  };
}
const httpScope = (extensions = {}): HTTPScope => ({ ...base(), extensions, type: 'http', method: 'GET', scheme: 'http' });
const sseScope = (extensions = {}): SSEScope => ({ ...base(), extensions, type: 'sse', method: 'GET', scheme: 'http' });
const wsScope = (): WebSocketScope => ({ ...base(), type: 'websocket', scheme: 'ws', subprotocols: ['chat', 'json'] });
const lifespanScope = (): LifespanScope => ({ type: 'lifespan', pagi: { version: '0.5', spec_version: '0.3', is_worker: false }, state: {} });

/** Applies events in order, committing each, and returns the validator. */
function run(scope: Scope, ...events: object[]): SendValidator {
  const v = createSendValidator(scope);
  for (const e of events) v.commit(v.check(e));
  return v;
}

function rejects(v: SendValidator, event: unknown, cls: typeof InvalidEvent | typeof OutOfOrder, message: RegExp) {
  const before = v.state;
  let caught: unknown;
  try {
    v.check(event);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(message);
  // A rejected send changes nothing (§2.3).
  expect(v.state).toBe(before);
}

const start = { type: 'http.response.start', status: 200 };

describe('event shape (every protocol)', () => {
  it('rejects a non-object', () => rejects(createSendValidator(httpScope()), 42, InvalidEvent, /send\(\) takes an event object, got number/));
  it('rejects null', () => rejects(createSendValidator(httpScope()), null, InvalidEvent, /got null/));
  it('rejects an array', () => rejects(createSendValidator(httpScope()), [], InvalidEvent, /got array/));
  it('rejects a missing type', () => rejects(createSendValidator(httpScope()), {}, InvalidEvent, /type must be a string, got undefined/));
  it('rejects an unknown type', () =>
    rejects(createSendValidator(httpScope()), { type: 'http.response.begin' }, InvalidEvent, /http.response.begin: unknown event type for a 'http' scope/));
  it('rejects another protocol\'s event type', () =>
    rejects(createSendValidator(httpScope()), { type: 'sse.send', data: 'x' }, InvalidEvent, /unknown event type for a 'http' scope/));
  it('allows extra keys (forward compatibility)', () => {
    const v = run(httpScope(), { ...start, future: 1 }, { type: 'http.response.body', body: 'x', extra: true });
    expect(v.complete).toBe(true);
  });
});

describe('http send state machine', () => {
  it('normalises a start and a string body', () => {
    const v = createSendValidator(httpScope());
    const s = v.check({ type: 'http.response.start', status: 201, headers: [['X-A', '1']] });
    expect(s.event).toEqual({ type: 'http.response.start', status: 201, headers: [['x-a', '1']], trailers: false });
    v.commit(s);
    const b = v.check({ type: 'http.response.body', body: 'hé' });
    expect(b.event).toMatchObject({ kind: 'inline', more: false });
    expect(Buffer.from((b.event as { body: Uint8Array }).body).toString()).toBe('hé');
  });
  it('accepts truthy flags from ported code (more: 1)', () => {
    const v = run(httpScope(), start, { type: 'http.response.body', body: 'a', more: 1 });
    expect(v.state).toBe('streaming');
  });
  it('missing status', () => rejects(createSendValidator(httpScope()), { type: 'http.response.start' }, InvalidEvent, /http.response.start: status must be an integer, got undefined/));
  it('mistyped status', () => rejects(createSendValidator(httpScope()), { type: 'http.response.start', status: '200' }, InvalidEvent, /status must be an integer, got string/));
  it('1xx status', () => rejects(createSendValidator(httpScope()), { type: 'http.response.start', status: 101 }, InvalidEvent, /from 200 to 999, got 101/));
  it('headers not an array', () => rejects(createSendValidator(httpScope()), { ...start, headers: { a: 'b' } }, InvalidEvent, /headers must be an array of \[name, value\] pairs, got object/));
  it('header pair not a pair', () => rejects(createSendValidator(httpScope()), { ...start, headers: [['a']] }, InvalidEvent, /headers\[0\] must be a \[name, value\] pair/));
  it('header value not a string', () => rejects(createSendValidator(httpScope()), { ...start, headers: [['a', null]] }, InvalidEvent, /headers\[0\]\[1\] must be a string, got null/));
  it('CRLF in a header value (injection guard)', () =>
    rejects(createSendValidator(httpScope()), { ...start, headers: [['x', 'a\r\nset-cookie: evil=1']] }, InvalidEvent, /headers\[0\]\[1\] of 'x' contains a forbidden character/));
  it('NUL in a header value', () => rejects(createSendValidator(httpScope()), { ...start, headers: [['x', 'a\0']] }, InvalidEvent, /forbidden character/));
  it('a character above U+00FF in a header value', () => rejects(createSendValidator(httpScope()), { ...start, headers: [['x', '€']] }, InvalidEvent, /forbidden character/));
  it('a space in a header name', () => rejects(createSendValidator(httpScope()), { ...start, headers: [['x y', 'a']] }, InvalidEvent, /headers\[0\]\[0\] is not a valid header name/));
  it('body before start', () => rejects(createSendValidator(httpScope()), { type: 'http.response.body' }, OutOfOrder, /http.response.body: not allowed in state 'idle' \(expected http.response.start\)/));
  it('second start', () => rejects(run(httpScope(), start), start, OutOfOrder, /http.response.start: not allowed in state 'started'/));
  it('body of the wrong type', () =>
    rejects(run(httpScope(), start), { type: 'http.response.body', body: 42 }, InvalidEvent, /^http.response.body: body must be a string or Uint8Array, got number$/));
  it('body and file together', () =>
    rejects(run(httpScope(), start), { type: 'http.response.body', body: 'x', file: '/etc/hostname' }, InvalidEvent, /at most one of body, file and fh/));
  it('relative file path', () => rejects(run(httpScope(), start), { type: 'http.response.body', file: 'x.txt' }, InvalidEvent, /file must be an absolute path/));
  it('fh that is not a FileHandle', () => rejects(run(httpScope(), start), { type: 'http.response.body', fh: 3 }, InvalidEvent, /fh must be a FileHandle/));
  it('negative offset', () => rejects(run(httpScope(), start), { type: 'http.response.body', file: '/x', offset: -1 }, InvalidEvent, /offset must be a non-negative integer/));
  it('fractional length', () => rejects(run(httpScope(), start), { type: 'http.response.body', file: '/x', length: 1.5 }, InvalidEvent, /length must be a non-negative integer/));
  it('file after inline bytes', () =>
    rejects(run(httpScope(), start, { type: 'http.response.body', body: 'a', more: true }), { type: 'http.response.body', file: '/x' }, OutOfOrder, /file\/fh body cannot follow inline bytes/));
  it('a file body is complete by itself', () => {
    expect(run(httpScope(), start, { type: 'http.response.body', file: '/x', more: true }).complete).toBe(true);
  });
  it('body after the response completed', () =>
    rejects(run(httpScope(), start, { type: 'http.response.body' }), { type: 'http.response.body' }, OutOfOrder, /not allowed in state 'done' \(expected nothing: the response is complete\)/));
  it('trailers without the promise', () =>
    rejects(run(httpScope(), start), { type: 'http.response.trailers' }, OutOfOrder, /expected a start with trailers: true first/));
  it('trailers when promised, as the terminal event', () => {
    const v = run(httpScope(), { ...start, trailers: true }, { type: 'http.response.body', body: 'x' });
    expect(v.state).toBe('trailers-due');
    expect(v.complete).toBe(false);
    v.commit(v.check({ type: 'http.response.trailers', headers: [['x-checksum', 'abc']] }));
    expect(v.complete).toBe(true);
  });
  it('trailers directly after a start that promised them', () => {
    expect(run(httpScope(), { ...start, trailers: true }, { type: 'http.response.trailers' }).complete).toBe(true);
  });
  it('bad trailer headers', () =>
    rejects(run(httpScope(), { ...start, trailers: true }), { type: 'http.response.trailers', headers: [['x', '\n']] }, InvalidEvent, /http.response.trailers: headers\[0\]\[1\]/));
  it('http.fullflush without the extension', () =>
    rejects(run(httpScope(), start), { type: 'http.fullflush' }, InvalidEvent, /fullflush extension is not advertised/));
  it('http.fullflush with the extension', () => {
    const v = run(httpScope({ fullflush: {} }), start, { type: 'http.fullflush' });
    expect(v.state).toBe('started');
  });
  it('http.fullflush before start', () =>
    rejects(createSendValidator(httpScope({ fullflush: {} })), { type: 'http.fullflush' }, OutOfOrder, /state 'idle'/));
  const hints = { type: 'http.response.interim', status: 103, headers: [['link', '</a.css>; rel=preload; as=style']] };
  it('http.response.interim without the extension names the event', () =>
    rejects(createSendValidator(httpScope()), hints, InvalidEvent, /http\.response\.interim.*interim extension is not advertised/));
  it('http.response.interim before the start, any number of times, then a normal response', () => {
    const v = createSendValidator(httpScope({ interim: {} }));
    const step = v.check(hints);
    expect(step.event).toEqual({ type: 'http.response.interim', status: 103, headers: [['link', '</a.css>; rel=preload; as=style']] });
    v.commit(step);
    v.commit(v.check({ type: 'http.response.interim', status: 100 }));
    expect([v.state, v.started]).toEqual(['idle', false]);
    v.commit(v.check(start));
    v.commit(v.check({ type: 'http.response.body' }));
    expect(v.complete).toBe(true);
  });
  it('http.response.interim status must be 1xx other than 101', () => {
    for (const status of [101, 99, 200, 100.5, '103']) {
      rejects(createSendValidator(httpScope({ interim: {} })), { ...hints, status }, InvalidEvent, /status must be an integer from 100 to 199 other than 101/);
    }
  });
  it('http.response.interim bad headers', () =>
    rejects(createSendValidator(httpScope({ interim: {} })), { ...hints, headers: [['x', '\r\n']] }, InvalidEvent, /headers\[0\]\[1\]/));
  it('http.response.interim after the start', () =>
    rejects(run(httpScope({ interim: {} }), start), hints, OutOfOrder, /state 'started'/));
  it('http.response.interim is unknown on an sse scope', () =>
    rejects(createSendValidator(sseScope({ interim: {} })), hints, InvalidEvent, /unknown/));
});

describe('sse send state machine', () => {
  const sseStart = { type: 'sse.start' };
  it('defaults the status to 200', () => {
    expect(createSendValidator(sseScope()).check(sseStart).event).toEqual({ type: 'sse.start', status: 200, headers: [] });
  });
  it('stream event before sse.start', () =>
    rejects(createSendValidator(sseScope()), { type: 'sse.send', data: 'x' }, OutOfOrder, /sse.send: not allowed in state 'pending' \(expected sse.start, or http.response.start/));
  it('missing data', () => rejects(run(sseScope(), sseStart), { type: 'sse.send' }, InvalidEvent, /sse.send: data must be a string, got undefined/));
  it('mistyped data', () => rejects(run(sseScope(), sseStart), { type: 'sse.send', data: 5 }, InvalidEvent, /data must be a string, got number/));
  it('newline in event', () => rejects(run(sseScope(), sseStart), { type: 'sse.send', data: '', event: 'a\nb' }, InvalidEvent, /sse.send: event must not contain CR or LF/));
  it('newline in id', () => rejects(run(sseScope(), sseStart), { type: 'sse.send', data: '', id: 'a\rb' }, InvalidEvent, /id must not contain CR or LF/));
  it('negative retry', () => rejects(run(sseScope(), sseStart), { type: 'sse.send', data: '', retry: -1 }, InvalidEvent, /retry must be a non-negative integer/));
  it('missing comment', () => rejects(run(sseScope(), sseStart), { type: 'sse.comment' }, InvalidEvent, /sse.comment: comment must be a string/));
  it('keepalive without interval', () => rejects(run(sseScope(), sseStart), { type: 'sse.keepalive' }, InvalidEvent, /sse.keepalive: interval must be a non-negative number/));
  it('second sse.start', () => rejects(run(sseScope(), sseStart), sseStart, OutOfOrder, /sse.start: not allowed in state 'open'/));
  it('refusal after sse.start', () => rejects(run(sseScope(), sseStart), start, OutOfOrder, /http.response.start: not allowed in state 'open'/));
  it('stream events during a refusal', () => rejects(run(sseScope(), start), { type: 'sse.send', data: 'x' }, OutOfOrder, /sse.send: not allowed in state 'started'/));
  it('a refusal is an ordinary HTTP response that closes the scope', () => {
    const v = run(sseScope(), { type: 'http.response.start', status: 204 }, { type: 'http.response.body', more: true }, { type: 'http.response.body' });
    expect(v.state).toBe('closed');
    expect(v.complete).toBe(true);
  });
  it('sse.close ends the stream; a second one is a no-op', () => {
    const v = run(sseScope(), sseStart, { type: 'sse.send', data: 'a\nb' }, { type: 'sse.close' });
    expect(v.complete).toBe(true);
    expect(v.check({ type: 'sse.close' }).noop).toBe(true);
  });
  it('events after sse.close', () => rejects(run(sseScope(), sseStart, { type: 'sse.close' }), { type: 'sse.send', data: '' }, OutOfOrder, /state 'closed' \(expected nothing: the stream is closed\)/));
  it('legacy sse.http.response.start names the replacement', () =>
    rejects(createSendValidator(sseScope()), { type: 'sse.http.response.start', status: 404 }, InvalidEvent, /use http.response.start/));
});

describe('websocket send state machine', () => {
  const accept = { type: 'websocket.accept' };
  it('accepts an offered subprotocol', () => {
    expect(run(wsScope(), { type: 'websocket.accept', subprotocol: 'chat' }).state).toBe('open');
  });
  it('subprotocol the client did not offer', () =>
    rejects(createSendValidator(wsScope()), { type: 'websocket.accept', subprotocol: 'mqtt' }, InvalidEvent, /websocket.accept: subprotocol must be one the client offered \(chat, json\)/));
  it('handshake-owned accept header', () =>
    rejects(createSendValidator(wsScope()), { type: 'websocket.accept', headers: [['sec-websocket-accept', 'x']] }, InvalidEvent, /handshake-owned header 'sec-websocket-accept'/));
  it('send before accept', () =>
    rejects(createSendValidator(wsScope()), { type: 'websocket.send', text: 'x' }, OutOfOrder, /websocket.send: not allowed in state 'connecting'/));
  it('keepalive before accept', () =>
    rejects(createSendValidator(wsScope()), { type: 'websocket.keepalive', interval: 1 }, OutOfOrder, /state 'connecting'/));
  it('second accept', () => rejects(run(wsScope(), accept), accept, OutOfOrder, /websocket.accept: not allowed in state 'open'/));
  it('both text and bytes', () =>
    rejects(run(wsScope(), accept), { type: 'websocket.send', text: 'a', bytes: new Uint8Array(1) }, InvalidEvent, /exactly one of text \(string\) or bytes/));
  it('neither text nor bytes', () => rejects(run(wsScope(), accept), { type: 'websocket.send' }, InvalidEvent, /exactly one of text/));
  it('mistyped bytes', () => rejects(run(wsScope(), accept), { type: 'websocket.send', bytes: 'abc' }, InvalidEvent, /bytes must be a Uint8Array, got string/));
  it('reserved close code', () => rejects(run(wsScope(), accept), { type: 'websocket.close', code: 1006 }, InvalidEvent, /code must be 1000-1003, 1007-1014 or 3000-4999, got 1006/));
  it('close reason over 123 bytes', () =>
    rejects(run(wsScope(), accept), { type: 'websocket.close', reason: 'é'.repeat(62) }, InvalidEvent, /reason must be at most 123 UTF-8 bytes/));
  it('close before accept refuses (port rule: 403)', () => {
    const v = createSendValidator(wsScope());
    const step = v.check({ type: 'websocket.close' });
    expect(step.event).toEqual({ type: 'websocket.close', code: 1000, reason: '' });
    v.commit(step);
    expect(v.state).toBe('done');
    expect(v.started).toBe(true);
  });
  it('a second close is a no-op, other events are out of order', () => {
    const v = run(wsScope(), accept, { type: 'websocket.close', code: 4000 });
    expect(v.check({ type: 'websocket.close' }).noop).toBe(true);
    rejects(v, { type: 'websocket.send', text: 'late' }, OutOfOrder, /state 'closing'/);
  });
  it('refusal must be >= 300', () =>
    rejects(createSendValidator(wsScope()), { type: 'http.response.start', status: 200 }, InvalidEvent, /status must be an integer from 300 to 999, got 200/));
  it('refusal with a body', () => {
    const v = run(wsScope(), { type: 'http.response.start', status: 401 }, { type: 'http.response.body', body: 'no' });
    expect(v.complete).toBe(true);
  });
  it('http.response.* after accept', () =>
    rejects(run(wsScope(), accept), { type: 'http.response.start', status: 403 }, OutOfOrder, /no HTTP response after websocket.accept/));
  it('legacy websocket.http.response.start names the replacement', () =>
    rejects(createSendValidator(wsScope()), { type: 'websocket.http.response.start', status: 403 }, InvalidEvent, /use http.response.start/));
});

describe('lifespan send state machine', () => {
  it('runs the whole sequence', () => {
    const v = run(lifespanScope(), { type: 'lifespan.startup.complete' });
    expect(v.state).toBe('running');
    v.noteShutdownDelivered();
    v.commit(v.check({ type: 'lifespan.shutdown.complete' }));
    expect(v.state).toBe('done');
  });
  it('shutdown answer before shutdown was delivered', () =>
    rejects(run(lifespanScope(), { type: 'lifespan.startup.complete' }), { type: 'lifespan.shutdown.complete' }, OutOfOrder, /state 'running' \(expected nothing until lifespan.shutdown/));
  it('second startup answer', () =>
    rejects(run(lifespanScope(), { type: 'lifespan.startup.complete' }), { type: 'lifespan.startup.failed' }, OutOfOrder, /lifespan.startup.failed: not allowed in state 'running'/));
  it('mistyped failure message', () =>
    rejects(createSendValidator(lifespanScope()), { type: 'lifespan.startup.failed', message: 7 }, InvalidEvent, /lifespan.startup.failed: message must be a string, got number/));
  it('startup.failed ends the machine', () => {
    const v = run(lifespanScope(), { type: 'lifespan.startup.failed', message: 'db down' });
    expect(v.state).toBe('failed');
    rejects(v, { type: 'lifespan.startup.complete' }, OutOfOrder, /expected nothing: startup failed/);
  });
  it('http events on a lifespan scope', () =>
    rejects(createSendValidator(lifespanScope()), start, InvalidEvent, /unknown event type for a 'lifespan' scope/));
});

describe('response extensions (reason_phrase, final_informational, late_trailers)', () => {
  const offered = { reason_phrase: {}, final_informational: {}, late_trailers: {} };
  const start = { type: 'http.response.start', status: 200 };
  it('reason is normalised onto the start; undefined when absent', () => {
    expect(createSendValidator(httpScope(offered)).check({ ...start, reason: 'Fine\tby\u00ffme' }).event).toMatchObject({ reason: 'Fine\tby\u00ffme' });
    expect(createSendValidator(httpScope()).check(start).event).toMatchObject({ reason: undefined });
  });
  it('reason without the extension, of the wrong type, or with a control char', () => {
    rejects(createSendValidator(httpScope()), { ...start, reason: 'Fine' }, InvalidEvent, /reason needs the reason_phrase extension/);
    rejects(createSendValidator(httpScope(offered)), { ...start, reason: 7 }, InvalidEvent, /reason must be a string, got number/);
    rejects(createSendValidator(httpScope(offered)), { ...start, reason: 'a\u0000b' }, InvalidEvent, /reason must not contain U\+00/);
  });
  it('a final 1xx only on http scopes under final_informational, never 101', () => {
    expect(run(httpScope(offered), { type: 'http.response.start', status: 199 }).state).toBe('started');
    rejects(createSendValidator(httpScope(offered)), { type: 'http.response.start', status: 101 }, InvalidEvent, /got 101 \(101 is only sent by the server/);
    rejects(createSendValidator(httpScope()), { type: 'http.response.start', status: 100 }, InvalidEvent, /needs the final_informational extension/);
    rejects(createSendValidator(sseScope(offered)), { type: 'http.response.start', status: 102 }, InvalidEvent, /from 200 to 999, got 102$/);
  });
  it('late trailers end an open body without a content-length', () => {
    const v = run(httpScope(offered), start, { type: 'http.response.body', body: 'x', more: true });
    v.commit(v.check({ type: 'http.response.trailers', headers: [['x-sum', '1']] }));
    expect(v.complete).toBe(true);
    expect(run(httpScope(offered), start, { type: 'http.response.trailers' }).complete).toBe(true);
  });
  it('late trailers: not after a content-length start, not after the body ended', () => {
    const framed = run(httpScope(offered), { ...start, headers: [['content-length', '1']] }, { type: 'http.response.body', body: 'x', more: true });
    rejects(framed, { type: 'http.response.trailers' }, OutOfOrder, /framed by content-length/);
    rejects(run(httpScope(offered), start, { type: 'http.response.body' }), { type: 'http.response.trailers' }, OutOfOrder, /not allowed in state 'done'/);
  });
});

describe('header_names (header_case)', () => {
  const scope = () => httpScope({ header_case: { raw_headers: [] } });
  it('spells the headers it names, by name (order and extra names do not matter)', () => {
    const event = createSendValidator(scope()).check({
      type: 'http.response.start',
      status: 200,
      headers: [['X-A', '1'], ['x-b', '2'], ['x-a', '3']],
      header_names: ['X-B', 'Unused', 'X-A'],
    }).event;
    expect(event).toMatchObject({ headers: [['x-a', '1'], ['x-b', '2'], ['x-a', '3']], header_names: ['X-A', 'X-B', 'X-A'] });
  });
  it('not an array, or a name that is not a token, is InvalidEvent; without the extension too', () => {
    rejects(createSendValidator(scope()), { type: 'http.response.start', status: 200, header_names: 'X' }, InvalidEvent, /header_names must be an array/);
    rejects(createSendValidator(scope()), { type: 'http.response.start', status: 200, header_names: [1] }, InvalidEvent, /header_names\[0\] is not a valid header name/);
    rejects(createSendValidator(httpScope()), { type: 'http.response.start', status: 200, header_names: [] }, InvalidEvent, /needs the header_case extension/);
  });
});
