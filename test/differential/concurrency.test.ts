/**
 * Concurrency, native vs bridged: many overlapping exchanges of different
 * kinds (JSON, uploads echoed back, streamed bodies, 404s, aborts) against
 * one pair of servers, each compared with its native twin.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, startPair, type ExchangeResult, type Pair } from './harness.js';

function concurrencyApp(express: ExpressModule): express.Express {
  const app = express();
  app.get('/json/:n', (req, res) => {
    res.json({ n: Number(req.params['n']), query: req.query });
  });
  app.post('/upload', (req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => res.json({ length, sha: hash.digest('hex') }));
  });
  app.get('/stream/:n', (req, res) => {
    const n = Number(req.params['n']);
    res.type('text');
    let i = 0;
    const timer = setInterval(() => {
      i += 1;
      res.write(`${n}:${i};`);
      if (i === 5) {
        clearInterval(timer);
        res.end();
      }
    }, 10);
    res.on('close', () => clearInterval(timer));
  });
  return app;
}

describeEachExpress('concurrency: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => concurrencyApp(express));
  });
  afterAll(async () => {
    await pair.close();
  });

  it('60 overlapping exchanges of mixed kinds each match their native twin', async () => {
    const jobs: Array<Promise<ExchangeResult>> = [];
    for (let i = 0; i < 60; i += 1) {
      switch (i % 5) {
        case 0:
          jobs.push(pair.request({ path: `/json/${i}?i=${i}` }));
          break;
        case 1:
          jobs.push(pair.request({ method: 'POST', path: '/upload', body: Buffer.alloc(20_000 + i, i) }));
          break;
        case 2:
          jobs.push(pair.request({ path: `/stream/${i}` }));
          break;
        case 3:
          jobs.push(pair.request({ path: `/missing/${i}` }));
          break;
        default:
          jobs.push(pair.request({ path: `/stream/${i}` }, { abort: { afterBodyBytes: 1 } }));
      }
    }
    const results = await Promise.all(jobs);
    for (const [index, result] of results.entries()) {
      if (index % 5 === 4) {
        expect(result.bridged.end).toBe('client-aborted');
        continue;
      }
      expectSame(result);
    }
  });

  it('the pair still answers normally afterwards', async () => {
    expectSame(await pair.request({ path: '/json/1' }));
  });
});
