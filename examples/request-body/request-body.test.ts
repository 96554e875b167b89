import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

const LIMIT = 1024;

/** Sends `chunks` as a chunked body (no content-length) and resolves with the answer. */
function postChunked(url: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/upload`, { method: 'POST' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // The server may answer 413 and close while we are still writing; only the answer matters.
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('timed out')));
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('examples/request-body', () => {
  let example: ExampleProcess;
  beforeAll(async () => {
    example = await startExample('request-body', { env: { BODY_LIMIT: String(LIMIT) } });
  });
  afterAll(async () => {
    if (example) expect(await example.stop()).toBe(0);
  });

  it('reads a body within the limit and reports its size and hash', async () => {
    const body = 'x'.repeat(LIMIT);
    const response = await fetch(`${example.url}/upload`, { method: 'POST', body });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      bytes: LIMIT,
      sha256: createHash('sha256').update(body).digest('hex'),
      path: '/upload',
    });
  });

  it('reads a chunked body within the limit', async () => {
    const chunks = [Buffer.from('abc'), Buffer.from('def')];
    const { status, body } = await postChunked(example.url, chunks);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ bytes: 6 });
  });

  it('refuses a body whose content-length is over the limit with 413', async () => {
    const response = await fetch(`${example.url}/upload`, { method: 'POST', body: 'x'.repeat(LIMIT + 1) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: `body over ${LIMIT} bytes` });
  });

  it('refuses a chunked body that crosses the limit with 413', async () => {
    const { status } = await postChunked(example.url, [Buffer.alloc(LIMIT / 2), Buffer.alloc(LIMIT)]);
    expect(status).toBe(413);
  });

  it('answers other methods with 405 and an allow header', async () => {
    const response = await fetch(`${example.url}/upload`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, PUT');
    await response.arrayBuffer();
  });
});
