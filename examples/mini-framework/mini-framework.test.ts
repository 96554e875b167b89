import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

describe('examples/mini-framework', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('mini-framework');
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('routes by method and path, with parameters', async () => {
    expect(await (await fetch(`${example.url}/users/2`)).json()).toEqual({ id: '2', name: 'Grace' });
    expect(await (await fetch(`${example.url}/users/%32`)).json()).toEqual({ id: '2', name: 'Grace' });

    const missingUser = await fetch(`${example.url}/users/99`);
    expect(missingUser.status).toBe(404);
    expect(await missingUser.json()).toEqual({ error: 'no user 99' });

    const noRoute = await fetch(`${example.url}/nothing`);
    expect([noRoute.status, await noRoute.json()]).toEqual([404, { error: 'Not Found' }]);

    const wrongMethod = await fetch(`${example.url}/users/1`, { method: 'DELETE' });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect(await wrongMethod.json()).toEqual({ error: 'Method Not Allowed' });
  });

  it('reads JSON bodies and answers malformed ones with 400, other types with 415', async () => {
    const json = { 'content-type': 'application/json' };
    const created = await fetch(`${example.url}/users`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Barbara' }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'Barbara' });

    const malformed = await fetch(`${example.url}/users`, { method: 'POST', headers: json, body: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/^request body is not valid JSON/);

    const missingName = await fetch(`${example.url}/users`, { method: 'POST', headers: json, body: '{}' });
    expect([missingName.status, await missingName.json()]).toEqual([400, { error: 'name is required' }]);

    const text = await fetch(`${example.url}/users`, { method: 'POST', body: '{"name":"x"}' });
    expect(text.status).toBe(415);
    await text.arrayBuffer();
  });

  it('serves a release while the waiting request is still pending (non-blocking dispatch)', async () => {
    const waiting = fetch(`${example.url}/wait/k1`);
    // The waiter may not have reached the server yet; releasing first would open an unrelated gate,
    // so release until the waiter completes (each round is one more proof that dispatch is not blocked).
    let result: Response | undefined;
    for (let round = 0; round < 50 && !result; round++) {
      const release = await fetch(`${example.url}/release/k1`, { method: 'POST', headers: { 'x-released-by': 'test' } });
      expect(release.status).toBe(202);
      result = await Promise.race([waiting, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]);
    }
    expect(result?.status).toBe(200);
    expect(await result?.json()).toEqual({ released: 'test' });
  });

  it('runs slow handlers concurrently', async () => {
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${example.url}/slow?ms=500`).then((r) => r.json())),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, () => ({ waited: 500 })));
    // One after another would take 10 s; concurrently it is about 0.5 s. The bound is far from both.
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
