/**
 * multer through the bridge, compared with native Express: memory and disk
 * storage (uploads byte-exact), and limits reaching the error handler with
 * no hang.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from '../differential/express-versions.js';
import { expectSameEvents, json, itFor, runScenario, startPair, type Pair, type Probe, type Scenario } from '../differential/harness.js';
import { buildRequest } from '../differential/raw-client.js';
import { multipartBody, multipartType } from './multipart.js';

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

let uploadDir: string;

function app(express: ExpressModule, probe: Probe): express.Express {
  const server = express();
  const memory = multer({ storage: multer.memoryStorage(), limits: { fileSize: 64 * 1024, files: 3 } });
  const disk = multer({ dest: uploadDir });
  server.post('/memory', memory.fields([{ name: 'doc' }, { name: 'pics', maxCount: 2 }]), (req, res) => {
    const files = req.files as Record<string, Express.Multer.File[]>;
    res.json({
      body: req.body as unknown,
      files: Object.fromEntries(
        Object.entries(files).map(([field, list]) => [
          field,
          list.map((f) => ({ name: f.originalname, type: f.mimetype, size: f.size, sha: sha(f.buffer) })),
        ]),
      ),
    });
  });
  server.post('/disk', disk.single('doc'), async (req, res) => {
    const file = req.file;
    if (file === undefined) {
      res.status(400).send('no file');
      return;
    }
    const stored = await readFile(file.path);
    res.json({ name: file.originalname, size: file.size, sha: sha(stored), inDir: path.dirname(file.path) === uploadDir });
  });
  server.use((error: Error & { code?: string; field?: string }, _req: Request, res: Response, next: NextFunction) => {
    probe.record(`error handler: ${error.name} ${error.code ?? error.message}`);
    if (error instanceof multer.MulterError) {
      res.status(413).json({ code: error.code, field: error.field ?? null });
      return;
    }
    next(error);
  });
  return server;
}

const binary = Buffer.concat([Buffer.from('\r\n--not-the-boundary\r\n0\r\n\r\n'), Buffer.alloc(20_000, 0xab)]);

const scenarios: Scenario[] = [
  {
    name: 'memory storage: fields and files are byte-exact',
    spec: {
      method: 'POST',
      path: '/memory',
      headers: [multipartType],
      body: multipartBody({ title: 'Grüße', tag: 'x' }, [
        { field: 'doc', filename: 'a.bin', type: 'application/octet-stream', data: binary },
        { field: 'pics', filename: 'p1.png', type: 'image/png', data: Buffer.alloc(1000, 1) },
        { field: 'pics', filename: 'p2.png', type: 'image/png', data: Buffer.alloc(10, 2) },
      ]),
    },
    status: 200,
    check: ({ bridged }) => {
      expect(json(bridged)).toMatchObject({ files: { doc: [{ size: binary.length, sha: sha(binary) }] } });
    },
  },
  {
    name: 'memory storage: chunked upload',
    spec: {
      method: 'POST',
      path: '/memory',
      headers: [multipartType],
      chunks: (() => {
        const body = multipartBody({ a: '1' }, [{ field: 'doc', filename: 'c.txt', type: 'text/plain', data: Buffer.from('chunked upload') }]);
        return [body.subarray(0, 50), body.subarray(50, 120), body.subarray(120)];
      })(),
    },
    status: 200,
  },
  {
    name: 'file size limit reaches the error handler',
    spec: {
      method: 'POST',
      path: '/memory',
      headers: [multipartType],
      body: multipartBody({}, [{ field: 'doc', filename: 'big.bin', type: 'application/octet-stream', data: Buffer.alloc(100_000, 3) }]),
    },
    status: 413,
  },
  {
    name: 'too many files for a field reaches the error handler',
    spec: {
      method: 'POST',
      path: '/memory',
      headers: [multipartType],
      body: multipartBody({}, [1, 2, 3].map((i) => ({ field: 'pics', filename: `p${i}.png`, type: 'image/png', data: Buffer.alloc(5, i) }))),
    },
    status: 413,
  },
  {
    name: 'disk storage: the stored file is byte-exact',
    spec: {
      method: 'POST',
      path: '/disk',
      headers: [multipartType],
      body: multipartBody({ note: 'disk' }, [{ field: 'doc', filename: 'd.bin', type: 'application/octet-stream', data: binary }]),
    },
    status: 200,
  },
  {
    name: 'malformed multipart gives an error, no hang',
    spec: { method: 'POST', path: '/disk', headers: [multipartType], body: 'this is not multipart' },
  },
];

// Shared by both Express versions' suites, which run concurrently: set up once for the file.
beforeAll(async () => {
  uploadDir = await mkdtemp(path.join(tmpdir(), 'pagi-diff-multer-'));
});
afterAll(async () => {
  await rm(uploadDir, { recursive: true, force: true });
});

describeEachExpress('multer through the bridge', (express) => {
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
  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
      await expectSameEvents(pair);
    });
  }

  it('a client leaving mid-upload reaches the error handler the same way, no hang', async () => {
    const body = multipartBody({ a: '1' }, [{ field: 'doc', filename: 'cut.bin', type: 'application/octet-stream', data: Buffer.alloc(40_000, 9) }]);
    const request = buildRequest({ method: 'POST', path: '/disk', headers: [multipartType, ['Content-Length', String(body.length)]] });
    const result = await pair.exchange({ request, body: body.subarray(0, 10_000), abort: { afterMs: 250 }, methods: ['POST'] });
    expect(result.bridged.end).toBe('client-aborted');
    const events = await expectSameEvents(pair, 300);
    expect(events).toHaveLength(1);
  });
});
