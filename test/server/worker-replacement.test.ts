/**
 * Worker replacement under load (issue 13): a real `pagi-server --workers 2
 * --limit-max-requests 5` under a stream of sequential and concurrent
 * requests, each on a fresh connection, across several replacements. The
 * primary hands connections round-robin to the workers, so some land on a
 * worker just as it retires: every one must still get its 200.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runCli, within } from './helpers.js';

afterEach(() => killChildren());

const APP = `export default async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  await send({ type: 'http.response.start', status: 200, headers: [] });
  await send({ type: 'http.response.body', body: 'ok ' + process.pid });
};\n`;

/** Replacements the load must span. */
const REPLACEMENTS = 6;
/** Clients each sending one request after another, all at the same time. */
const CONCURRENT_CLIENTS = 8;
/** A request with no answer by then counts as lost. */
const REQUEST_TIMEOUT_MS = 5000;

interface Outcome {
  ok: boolean;
  detail: string;
}

/** One GET on its own connection (agent: false), never retried: a reset or silence is a lost request. */
function getFresh(url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ ok: res.statusCode === 200 && /^ok \d+$/.test(body), detail: `${res.statusCode} ${body}` }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: `response ${err.code ?? err.message}` }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, detail: err.code ?? err.message }));
  });
}

describe('worker replacement under load', () => {
  it('loses no request across replacements (--workers 2 --limit-max-requests 5)', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pagi-replace-'));
    try {
      const file = path.join(dir, 'app.mjs');
      await writeFile(file, APP);
      const child = runCli(['--port', '0', '--workers', '2', '--limit-max-requests', '5', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      const replacements = () => (child.stdout() + child.stderr()).match(/worker \d replaced \(pid \d+\)/g)?.length ?? 0;

      const failures: string[] = [];
      const pids = new Set<string>();
      let requests = 0;
      const deadline = Date.now() + 60_000;
      const running = () => replacements() < REPLACEMENTS && Date.now() < deadline;
      const client = async () => {
        while (running()) {
          const outcome = await getFresh(url);
          requests++;
          if (outcome.ok) pids.add(outcome.detail.split(' ')[2] as string);
          else failures.push(outcome.detail);
        }
      };
      // Bursts too: a batch of connections opened together, so several are queued to one worker at once.
      const bursts = async () => {
        while (running()) {
          for (const outcome of await Promise.all(Array.from({ length: 10 }, () => getFresh(url)))) {
            requests++;
            if (outcome.ok) pids.add(outcome.detail.split(' ')[2] as string);
            else failures.push(outcome.detail);
          }
        }
      };
      await within(Promise.all([...Array.from({ length: CONCURRENT_CLIENTS }, client), bursts()]), 80_000, 'load');

      expect(replacements(), `replacements in ${requests} requests`).toBeGreaterThanOrEqual(REPLACEMENTS);
      expect(pids.size).toBeGreaterThan(2);
      expect(failures, `${failures.length} of ${requests} requests lost`).toEqual([]);
      child.proc.kill('SIGTERM');
      const code = await child.exited();
      if (code !== 0) console.log(`pagi-server exited with ${code}:\n${child.stdout()}${child.stderr()}`);
      expect(code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
