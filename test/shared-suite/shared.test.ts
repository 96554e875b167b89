/**
 * The same fixture and the same assertions through the in-process TestClient
 * and through a real `toNodeListener` server: they must agree.
 */
import { expect, it } from 'vitest';
import { waitUntil } from '../helpers/server.js';
import { describeMatrix } from './matrix.js';
import { createFixture } from './fixture.js';

describeMatrix('shared suite', createFixture, (transport, fixture) => {
  it('GET: status, headers, body', async () => {
    const res = await transport().request('GET', '/api/hello');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('text/plain');
    expect(res.header('content-length')).toBe('5');
    expect(await res.text()).toBe('hello');
  });

  it('HEAD: the same head, no body', async () => {
    const res = await transport().request('HEAD', '/api/hello');
    expect(res.status).toBe(200);
    expect(res.header('content-length')).toBe('5');
    expect(await res.text()).toBe('');
  });

  it('POST: the body arrives byte-exact (256 KiB binary)', async () => {
    const body = Buffer.alloc(256 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
    const res = await transport().request('POST', '/api/echo', { body, headers: { 'content-type': 'application/x-test' } });
    expect(res.header('x-body-length')).toBe(String(body.length));
    expect(res.header('content-type')).toBe('application/x-test');
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.chunks()) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it('cascade fall-through and mount paths: scope seen by the second app', async () => {
    const res = await transport().request('POST', '/api/info/caf%C3%A9?x=1&y=%20', { body: 'payload', headers: { 'x-test': 'yes' } });
    expect(res.status).toBe(200);
    expect(await res.text().then(JSON.parse)).toEqual({
      type: 'http',
      method: 'POST',
      path: '/info/café',
      root_path: '/api',
      raw_path: '/api/info/caf%C3%A9',
      query_string: 'x=1&y=%20',
      test_header: 'yes',
      body: 'payload',
    });
  });

  it('no match anywhere: the last 404 stands', async () => {
    const res = await transport().request('GET', '/api/nothing');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('nobody has this');
    const outside = await transport().request('GET', '/elsewhere');
    expect(outside.status).toBe(404);
    expect(await outside.text()).toBe('Not Found');
  });

  it('several set-cookie headers stay separate', async () => {
    const res = await transport().request('GET', '/api/cookies');
    expect(res.setCookies()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    await res.text();
  });

  it('streaming: the first chunk arrives before the app sends the second', async () => {
    const res = await transport().request('GET', '/api/stream');
    const iterator = res.chunks()[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('first;');
    fixture().releaseStream();
    let rest = '';
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest += Buffer.from(next.value).toString();
    expect(rest).toBe('second');
  });

  it('a client that leaves mid-response: the app sees http.disconnect, client_closed', async () => {
    const res = await transport().request('GET', '/api/hold');
    const first = await res.chunks()[Symbol.asyncIterator]().next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('holding');
    res.disconnect();
    await waitUntil(() => fixture().seenAfterDisconnect.length > 0, 3000, 'the app to see the disconnect');
    expect(fixture().seenAfterDisconnect).toEqual(['http.disconnect client_closed']);
  });

  it('SSE: parsed events, comment skipped, headers defaulted', async () => {
    const stream = await transport().sse('/events/feed');
    expect(stream.status).toBe(200);
    expect(stream.header('content-type')).toBe('text/event-stream');
    expect(stream.header('cache-control')).toBe('no-cache');
    expect(stream.header('x-stream')).toBe('yes');
    const events = [];
    for (let next = await stream.events.next(); !next.done; next = await stream.events.next()) events.push(next.value);
    expect(events).toEqual([
      { event: 'message', data: 'plain', id: undefined, lastEventId: '', retry: undefined },
      { event: 'update', data: 'line 1\nline 2', id: '42', lastEventId: '42', retry: 2500 },
      { event: 'message', data: '', id: undefined, lastEventId: '42', retry: undefined },
    ]);
  });

  it('SSE refusal: an ordinary response on an event-stream request', async () => {
    const res = await transport().request('GET', '/events/denied', { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('denied');
    const plain = await transport().request('GET', '/events/feed');
    expect(plain.status).toBe(406);
    await plain.text();
  });
});
