// The Express 5 applications. Each is served twice in the benchmarks: natively on node:http, and
// through the bridge (`fromExpress`), so the only difference between the two targets is the bridge.
import express from 'express';
import type { Express, Request, Response } from 'express';
import { Readable } from 'node:stream';
import { STREAM_CHUNK, STREAM_CHUNKS } from './payloads.js';
import { onBroadcast } from './broadcaster.js';

export function helloExpress(): Express {
  const app = express();
  app.get('/', function hello(_req, res) {
    res.type('text/plain').send('Hello, World!');
  });
  return app;
}

export function jsonEchoExpress(): Express {
  const app = express();
  app.use(express.json());
  app.post('/', function echo(req, res) {
    res.json(req.body);
  });
  return app;
}

/** Writes 1 MB in 16 KB writes, honouring `write()`'s backpressure signal. */
function streamOut(_req: Request, res: Response): void {
  res.type('application/octet-stream');
  let written = 0;
  const writeMore = (): void => {
    while (written < STREAM_CHUNKS) {
      written++;
      if (!res.write(STREAM_CHUNK)) {
        res.once('drain', writeMore);
        return;
      }
    }
    res.end();
  };
  writeMore();
}

function countUpload(req: Request, res: Response): void {
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
  });
  req.on('end', () => {
    res.type('text/plain').send(String(size));
  });
}

export function streamExpress(): Express {
  const app = express();
  app.get('/', streamOut);
  app.post('/', countUpload);
  return app;
}

/**
 * A Readable producing `total` bytes in fresh 64 KB buffers. Fresh (not one reused buffer) on
 * purpose: if backpressure failed, queued chunks would be distinct memory and RSS would show it.
 */
function bigBody(total: number): Readable {
  const template = Buffer.alloc(64 * 1024, 0x62);
  let left = total;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const size = Math.min(left, template.length);
      left -= size;
      this.push(Buffer.from(template.subarray(0, size)));
    },
  });
}

/** GET /?bytes=N streams N bytes through `pipe`, the way a file download would. */
export function bigDownloadExpress(): Express {
  const app = express();
  app.get('/', function download(req, res) {
    const total = Number(req.query['bytes'] ?? 0);
    res.type('application/octet-stream');
    res.setHeader('content-length', String(total));
    bigBody(total).pipe(res);
  });
  return app;
}

/** Each client is an open `text/event-stream` response; every tick is written to all of them. */
export function sseFanoutExpress(): Express {
  const app = express();
  const clients = new Set<Response>();
  onBroadcast(function writeTick(data) {
    const frame = `data: ${data}\n\n`;
    for (const res of clients) res.write(frame);
  });
  app.get('/', function events(_req, res) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  return app;
}

/** The `scale` scenario: `GET /bytes/<n>` answers n bytes (preallocated), anything else "Hello, World!". */
export function sizedExpress(): Express {
  const app = express();
  const bodies = new Map<string, Buffer>();
  app.get('/bytes/:size', function sized(req, res) {
    const size = req.params.size;
    let body = bodies.get(size);
    if (body === undefined) {
      body = Buffer.alloc(Math.min(Number(size) || 0, 16 * 1024 * 1024), 0x61);
      bodies.set(size, body);
    }
    res.type('application/octet-stream').send(body);
  });
  app.get('/', function hello(_req, res) {
    res.type('text/plain').send('Hello, World!');
  });
  return app;
}
