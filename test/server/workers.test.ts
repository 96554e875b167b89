import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killChildren, runCli } from './helpers.js';

afterEach(() => killChildren());

interface StateReply {
  pid: number;
  state: { pagi: { is_worker: boolean; worker_num?: number } };
}

/** One request on a fresh connection, so the cluster can hand it to any worker. */
function getState(url: string): Promise<StateReply> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/state`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(JSON.parse(body) as StateReply));
      })
      .on('error', reject);
  });
}

/** Asks until every worker number answered; returns worker_num → pid. */
async function pidsByWorker(url: string, count: number): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  for (let i = 0; i < 200 && seen.size < count; i++) {
    const reply = await getState(url);
    expect(reply.state.pagi.is_worker).toBe(true);
    seen.set(reply.state.pagi.worker_num as number, reply.pid);
  }
  return seen;
}

describe('pagi-server --workers', () => {
  it('runs a lifespan per worker, restarts a crashed worker, and stops them all on SIGTERM', async () => {
    const child = runCli(['--port', '0', '--workers', '2', '--no-access-log', path.join(FIXTURES, 'app.ts')]);
    const url = (await child.waitOutput(/2 of 2 workers listening on (\S+)/, 30_000))[1] as string;
    const before = await pidsByWorker(url, 2);
    expect([...before.keys()].sort()).toEqual([1, 2]);

    // Crash whichever worker answers; the primary restarts it under the same number.
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${url}/crash`, { agent: false }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    const restart = await child.waitOutput(/worker (\d) \(pid (\d+)\) exited unexpectedly \(code 3\); restarting in \d+ ms/, 20_000);
    const num = Number(restart[1]);
    expect(before.get(num)).toBe(Number(restart[2]));
    await child.waitOutput(new RegExp(`listening on \\S+ \\(worker ${num}\\)[\\s\\S]*listening on \\S+ \\(worker ${num}\\)`), 20_000);
    const after = await pidsByWorker(url, 2);
    expect(after.get(num)).not.toBe(before.get(num));

    child.proc.kill('SIGTERM');
    expect(await child.exited(30_000)).toBe(0);
    // Three lifespans started (two workers and the replacement); the two live ones shut down.
    expect(child.stderr().match(/lifespan shutdown \d+/g)).toHaveLength(2);
  });

  it('exits non-zero when every worker fails lifespan startup, without restarting them', async () => {
    const child = runCli(['--port', '0', '--workers', '2', path.join(FIXTURES, 'startup-fails.mjs')]);
    expect(await child.exited(30_000)).toBe(1);
    const stderr = child.stderr();
    expect(stderr.match(/worker \d failed to start: database unreachable; not restarting it/g)).toHaveLength(2);
    expect(stderr).toMatch(/pagi-server: error: all 2 workers failed to start\n$/);
    expect(stderr).not.toMatch(/restarting in/);
  });

  it('stops workers that are still starting when the primary gets SIGTERM', async () => {
    const child = runCli(['--port', '0', '--workers', '2', path.join(FIXTURES, 'slow-startup.mjs')]);
    await child.waitOutput(/starting \d+[\s\S]*starting \d+/, 30_000);
    child.proc.kill('SIGTERM');
    expect(await child.exited(30_000)).toBe(0);
    expect(child.stderr().match(/lifespan shutdown \d+/g)).toHaveLength(2);
  });
});
