import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

describe('examples/wrap-express', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('wrap-express');
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('serves static files with ETag, 304, Range and HEAD', async () => {
    const file = await readFile(new URL('./public/index.html', import.meta.url));
    const response = await fetch(`${example.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(Buffer.from(await response.arrayBuffer()).equals(file)).toBe(true);
    const etag = response.headers.get('etag')!;

    // fetch adds `cache-control: no-cache` to conditional requests unless one is given, and
    // no-cache tells Express to ignore If-None-Match.
    const cached = await fetch(`${example.url}/index.html`, {
      headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
    });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe('');

    const range = await fetch(`${example.url}/index.html`, { headers: { range: 'bytes=0-14' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 0-14/${file.length}`);
    expect(await range.text()).toBe(file.subarray(0, 15).toString());

    const head = await fetch(`${example.url}/style.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await head.text()).toBe('');
  });

  it('keeps a session through its cookie', async () => {
    const first = await fetch(`${example.url}/api/session`);
    expect(await first.json()).toEqual({ views: 1 });
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const second = await fetch(`${example.url}/api/session`, { headers: { cookie } });
    expect(await second.json()).toEqual({ views: 2 });
    const stranger = await fetch(`${example.url}/api/session`);
    expect(await stranger.json()).toEqual({ views: 1 });
  });

  it('runs the JSON API, its validation and its error handler', async () => {
    const created = await fetch(`${example.url}/api/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'write docs' }),
    });
    expect(created.status).toBe(201);
    const todo = (await created.json()) as { id: number };
    expect(created.headers.get('location')).toBe(`/api/todos/${todo.id}`);

    const patched = await fetch(`${example.url}/api/todos/${todo.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ done: true }),
    });
    expect(await patched.json()).toEqual({ id: todo.id, title: 'write docs', done: true });
    expect(await (await fetch(`${example.url}/api/todos`)).json()).toEqual([{ id: todo.id, title: 'write docs', done: true }]);

    const invalid = await fetch(`${example.url}/api/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":',
    });
    expect(invalid.status).toBe(400);

    const tooLarge = await fetch(`${example.url}/api/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x'.repeat(20_000) }),
    });
    expect(tooLarge.status).toBe(413);

    const missing = await fetch(`${example.url}/nope`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });
});
