/**
 * `shadow` keeps memory bounded: a 100 MB response (streamed by both sides)
 * and a 100 MB upload (over `bodyLimit`, so skipped) pass through without the
 * server's RSS growing anywhere near the size of the body.
 */
import { once } from 'node:events';
import http from 'node:http';
import express from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { shadow } from '../../src/compose/index.js';
import type { App } from '../../src/protocol/types.js';
import { servePagi, type PagiServer } from '../helpers/server.js';

const TOTAL = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
// Buffering the body anywhere would show as ≥ 100 MB. The client reads in this same process, and
// garbage Buffers count in RSS until a GC runs (later on a loaded machine): the project's memory
// bound (64 MB, as for the 1 GB slow-client download in bench/) leaves room for that, not for a body.
const BOUND = 64 * 1024 * 1024;

const servers: PagiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Peak RSS growth over the baseline while `work` runs, sampled every 10 ms. */
async function peakGrowth(work: () => Promise<void>): Promise<number> {
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage.rss()) - baseline;
}

function bigDownload(): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/big', (_req, res) => {
    res.type('application/octet-stream');
    let sent = 0;
    const more = (): void => {
      while (sent < TOTAL) {
        sent += CHUNK;
        if (!res.write(Buffer.alloc(CHUNK, sent % 251))) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  app.post('/upload', (req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => res.json({ size }));
  });
  return app;
}

const nativeDownload: App = async (_scope, _receive, send) => {
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/octet-stream']] });
  for (let sent = CHUNK; sent <= TOTAL; sent += CHUNK) await send({ type: 'http.response.body', body: Buffer.alloc(CHUNK, sent % 251), more: true });
  await send({ type: 'http.response.body' });
};

describe('shadow: memory', () => {
  // The first large transfer of a process grows V8's heap to its working size; measure after it.
  beforeAll(async () => {
    const warm = await servePagi(fromExpress(bigDownload()));
    try {
      const response = await fetch(`${warm.url}/big`);
      for await (const chunk of response.body!) void chunk;
    } finally {
      await warm.close();
    }
  });

  it('streams a 100 MB response from both sides with bounded RSS, and compares it', async () => {
    const app = shadow(fromExpress(bigDownload()), nativeDownload, { timeout: 30 });
    const server = await servePagi(app);
    servers.push(server);
    let received = 0;
    const growth = await peakGrowth(async () => {
      const response = await fetch(`${server.url}/big`);
      for await (const chunk of response.body!) received += (chunk as Uint8Array).length;
      await app.idle();
    });
    expect(received).toBe(TOTAL);
    expect(app.report().total).toMatchObject({ shadowed: 1, matched: 1 });
    expect(growth).toBeLessThan(BOUND);
  });

  it('passes a 100 MB upload to the primary with bounded RSS and skips it (over bodyLimit)', async () => {
    const app = shadow(fromExpress(bigDownload()), fromExpress(bigDownload()), { methods: ['POST'] });
    const server = await servePagi(app);
    servers.push(server);
    let answer = '';
    const growth = await peakGrowth(async () => {
      const request = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/upload', headers: { 'transfer-encoding': 'chunked' } });
      const chunk = Buffer.alloc(CHUNK, 1);
      for (let sent = 0; sent < TOTAL; sent += CHUNK) if (!request.write(chunk)) await once(request, 'drain');
      request.end();
      const [response] = (await once(request, 'response')) as [http.IncomingMessage];
      for await (const part of response) answer += String(part);
      await app.idle();
    });
    expect(JSON.parse(answer)).toEqual({ size: TOTAL });
    expect(app.report()).toMatchObject({ total: { shadowed: 1, skipped: 1 }, skippedBy: { 'body-limit': 1 } });
    expect(growth).toBeLessThan(BOUND);
  });
});
