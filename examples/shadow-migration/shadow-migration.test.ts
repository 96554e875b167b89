// The shadow stage and the switch, run as real servers (`npm run example -- shadow-migration`):
// clients get the legacy answers while the rewrite is compared; the report finds exactly the one
// deliberate difference; after the switch the rewrite answers.
import { afterAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

const started: ExampleProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((e) => e.stop()));
});

async function start(mode: 'shadow' | 'switched'): Promise<ExampleProcess> {
  const example = await startExample('shadow-migration', { env: { MODE: mode } });
  started.push(example);
  return example;
}

const getJson = async (url: string): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

describe('examples/shadow-migration', () => {
  it('serves the legacy answers, reports the price difference and nothing else, prints the report at shutdown', async () => {
    const example = await start('shadow');
    const product = await getJson(`${example.url}/api/products/1`);
    expect(product).toMatchObject({ status: 200, body: { id: 1, price: '1250.00' } });
    expect((await getJson(`${example.url}/api/products/2`)).body).toMatchObject({ price: '980.50' });
    expect(await getJson(`${example.url}/api/products/99`)).toEqual({ status: 404, body: { error: 'not found' } });
    expect((await getJson(`${example.url}/api/products`)).body).toMatchObject({ count: 3 });
    expect((await getJson(`${example.url}/api/products?tag=looms`)).body).toMatchObject({ count: 1 });
    expect(await (await fetch(example.url)).text()).toContain('<h1>Catalog</h1>');

    await example.waitForOutput('shadow: GET /api/products/:id differs: body /price', 10_000);
    const report = (await getJson(`${example.url}/_shadow/report`)).body as { routes: Record<string, Record<string, number>>; total: Record<string, number> };
    expect(report.routes).toEqual({
      'GET /api/products/:id': { shadowed: 3, matched: 1, differed: 2, candidateErrors: 0, candidateTimeouts: 0, skipped: 0 },
      'GET /api/products': { shadowed: 2, matched: 2, differed: 0, candidateErrors: 0, candidateTimeouts: 0, skipped: 0 },
    });
    // Only the two price answers differ, and only in /price.
    expect(example.output().match(/^shadow: .*$/gm)).toEqual([
      expect.stringMatching(/^shadow: GET \/api\/products\/:id differs: body \/price — legacy .*"price":"1250\.00".* \/ rewrite .*"price":1250,/),
      expect.stringMatching(/^shadow: GET \/api\/products\/:id differs: body \/price — legacy .*"price":"980\.50"/),
    ]);

    expect(await example.stop()).toBe(0);
    expect(example.output()).toMatch(/shadow report: \{"GET \/api\/products\/:id":\{"shadowed":3,"matched":1,"differed":2/);
  });

  it('after the switch the rewrite answers /api/products and Express the rest', async () => {
    const example = await start('switched');
    expect((await getJson(`${example.url}/api/products/1`)).body).toMatchObject({ id: 1, price: 1250 });
    expect(await (await fetch(example.url)).text()).toContain('<h1>Catalog</h1>');
    expect((await fetch(`${example.url}/_shadow/report`)).status).toBe(404);
    expect(await example.stop()).toBe(0);
  });
});
