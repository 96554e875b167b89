import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toNodeListener } from '../../src/adapter/index.js';
import { fromExpress } from '../../src/bridge/index.js';
import { delay, listen, run, within } from './helpers.js';
import { peakLiveRssGrowth } from '../helpers/memory.js';

/** A stream of `total` bytes produced on demand, recording whether it ever had to wait. */
function generated(total: number, chunkSize = 64 * 1024): Readable & { produced: number } {
  const chunk = Buffer.alloc(chunkSize, 0x61);
  const stream = new Readable({
    read() {
      const left = total - stream.produced;
      if (left <= 0) {
        this.push(null);
        return;
      }
      const piece = left >= chunkSize ? chunk : chunk.subarray(0, left);
      stream.produced += piece.length;
      this.push(piece);
    },
  }) as Readable & { produced: number };
  stream.produced = 0;
  return stream;
}

describe('behaviour 3: backpressure both ways', () => {
  it('res.write() returns false past the high-water mark while send() lags, and drain follows', async () => {
    const log: string[] = [];
    let res!: ServerResponse;
    const ex = run(
      fromExpress((_req: IncomingMessage, r: ServerResponse) => {
        res = r;
        r.on('drain', () => log.push('drain'));
      }),
    );
    await delay(5);
    ex.hold();
    const returns = [res.write(Buffer.alloc(8 * 1024)), res.write(Buffer.alloc(7 * 1024)), res.write(Buffer.alloc(2 * 1024))];
    expect(returns).toEqual([true, true, false]);
    expect(res.writableNeedDrain).toBe(true);
    expect(res.writableLength).toBe(17 * 1024);
    expect(log).toEqual([]);
    ex.release();
    await within(new Promise<void>((resolve) => res.once('drain', () => resolve())), 2000, 'drain');
    expect(res.writableNeedDrain).toBe(false);
    expect(res.writableLength).toBe(0);
    res.end();
    await within(ex.done);
  });

  it('write callbacks run when their send settles', async () => {
    let res!: ServerResponse;
    const ex = run(
      fromExpress((_req: IncomingMessage, r: ServerResponse) => {
        res = r;
      }),
    );
    await delay(5);
    ex.hold();
    let called = false;
    res.write('x', () => (called = true));
    await delay(20);
    expect(called).toBe(false);
    ex.release();
    await delay(5);
    expect(called).toBe(true);
    res.end();
    await within(ex.done);
  });

  it('a piped stream never queues far beyond the high-water mark while sends are slow', async () => {
    let maxQueued = 0;
    let res!: ServerResponse;
    const source = generated(4 * 1024 * 1024);
    const ex = run(
      fromExpress((_req: IncomingMessage, r: ServerResponse) => {
        res = r;
        source.pipe(r);
      }),
    );
    // Slow consumer: let one send through every few milliseconds.
    ex.hold();
    const timer = setInterval(() => {
      maxQueued = Math.max(maxQueued, res?.writableLength ?? 0);
      ex.release();
      ex.hold();
    }, 1);
    try {
      await within(ex.done, 20_000);
    } finally {
      clearInterval(timer);
      ex.release();
    }
    expect(ex.body().length).toBe(4 * 1024 * 1024);
    expect(maxQueued).toBeLessThanOrEqual(16 * 1024 + 64 * 1024);
  }, 30_000);

  it('piping 150 MB to a slow client over a real socket keeps memory growth under 64 MB', async () => {
    const total = 150 * 1024 * 1024;
    let waited = 0;
    const server = await listen(
      toNodeListener(
        fromExpress((_req: IncomingMessage, res: ServerResponse) => {
          const source = generated(total);
          const write = res.write.bind(res);
          res.write = ((chunk: Buffer, ...rest: never[]) => {
            const ok = write(chunk, ...rest);
            if (!ok) waited++;
            return ok;
          }) as typeof res.write;
          source.pipe(res);
        }),
      ),
    );
    let received = 0;
    let growth: number;
    try {
      growth = await peakLiveRssGrowth(async () => {
        received = await within(
          new Promise<number>((resolve, reject) => {
            http
              .get(server.url, (response) => {
                let bytes = 0;
                let sinceBreak = 0;
                response.on('data', (chunk: Buffer) => {
                  bytes += chunk.length;
                  sinceBreak += chunk.length;
                  // Slow reader: a short pause every 4 MB.
                  if (sinceBreak >= 4 * 1024 * 1024) {
                    sinceBreak = 0;
                    response.pause();
                    setTimeout(() => response.resume(), 15);
                  }
                });
                response.on('end', () => resolve(bytes));
                response.on('error', reject);
              })
              .on('error', reject);
          }),
          60_000,
          '150 MB download',
        );
      });
    } finally {
      await server.close();
    }
    expect(received).toBe(total);
    expect(waited).toBeGreaterThan(0);
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  }, 90_000);

  it('the request body is pulled from receive() only as fast as Express reads', async () => {
    let req!: IncomingMessage;
    const ex = run(
      fromExpress((r: IncomingMessage, res: ServerResponse) => {
        req = r;
        r.on('end', () => res.end('read all'));
      }),
      { method: 'POST', headers: [['host', 'x'], ['transfer-encoding', 'chunked']], body: null },
    );
    for (let i = 0; i < 20; i++) ex.push(Buffer.alloc(32 * 1024), true);
    ex.push('', false);
    await delay(30);
    // Nobody reads: nothing is pulled at all.
    expect(ex.receives).toBe(0);
    let reads = 0;
    req.on('readable', () => {
      while (req.read() !== null) reads++;
    });
    await within(ex.done);
    expect(reads).toBeGreaterThan(0);
    expect(ex.receives).toBe(21);
  });
});

