/**
 * busboy through the bridge, compared with native Express: parts are seen
 * while the upload is still going (the request body streams), and the
 * bytes arrive exactly.
 */
import { createHash } from 'node:crypto';
import busboy from 'busboy';
import express from 'express';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { buildRequest } from '../differential/raw-client.js';
import { expectSame, expectSameEvents, json, startPair, type Pair, type Probe } from '../differential/harness.js';
import { multipartBody, multipartType } from './multipart.js';

function app(express: ExpressModule, probe: Probe): express.Express {
  const server = express();
  server.post('/upload', (req, res) => {
    const started = performance.now();
    const seen: Array<{ kind: string; name: string; size?: number; sha?: string }> = [];
    const parser = busboy({ headers: req.headers });
    parser.on('field', (name, value) => seen.push({ kind: 'field', name, sha: value }));
    parser.on('file', (name, stream, info) => {
      probe.values.set('firstFileAt', performance.now() - started);
      probe.record(`file ${name} ${info.filename} ${info.mimeType}`);
      const hash = createHash('sha256');
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      stream.on('end', () => seen.push({ kind: 'file', name, size, sha: hash.digest('hex') }));
    });
    parser.on('close', () => {
      probe.values.set('closeAt', performance.now() - started);
      res.json(seen);
    });
    req.pipe(parser);
  });
  return server;
}

describeEachExpress('busboy through the bridge', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair((probe) => app(express, probe));
  });
  afterAll(async () => {
    await pair.close();
  });
  beforeEach(() => {
    pair.reset();
  });

  it('fields and a binary file arrive exactly', async () => {
    const data = Buffer.concat([Buffer.from('\r\n--almost-a-boundary\r\n0\r\n\r\n'), Buffer.alloc(50_000, 0x5a)]);
    const body = multipartBody({ a: 'first', b: 'ü' }, [{ field: 'f', filename: 'f.bin', type: 'application/octet-stream', data }]);
    const result = await pair.request({ method: 'POST', path: '/upload', headers: [multipartType], body });
    expectSame(result);
    expect(json(result.bridged)).toContainEqual({ kind: 'file', name: 'f', size: data.length, sha: createHash('sha256').update(data).digest('hex') });
    await expectSameEvents(pair);
  });

  it('the first part is seen before the upload ends', async () => {
    const body = multipartBody({}, [{ field: 'f', filename: 'slow.txt', type: 'text/plain', data: Buffer.alloc(2000, 0x61) }]);
    const request = buildRequest({ method: 'POST', path: '/upload', headers: [multipartType, ['Content-Length', String(body.length)]] });
    const result = await pair.exchange({
      request,
      body: [{ data: body.subarray(0, 400) }, { data: body.subarray(400), delayMs: 400 }],
      methods: ['POST'],
    });
    expectSame(result);
    await expectSameEvents(pair);
    for (const side of [pair.native, pair.bridged]) {
      const fileAt = side.probe.values.get('firstFileAt') as number;
      const closeAt = side.probe.values.get('closeAt') as number;
      expect(closeAt - fileAt, `${side.name}: file event must come well before the end`).toBeGreaterThanOrEqual(250);
    }
  });
});
