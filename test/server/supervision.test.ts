/**
 * Worker supervision with real pagi-server processes: the heartbeat kills and
 * replaces a worker whose event loop is blocked, --limit-max-requests
 * replaces a worker, --reload swaps the app on a change and keeps the port.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killChildren, runCli } from './helpers.js';

afterEach(() => killChildren());

const APP = (greeting: string) => `export default async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  if (scope.path === '/block') { const end = Date.now() + 30000; while (Date.now() < end); }
  await send({ type: 'http.response.start', status: 200, headers: [] });
  await send({ type: 'http.response.body', body: '${greeting} ' + process.pid });
};\n`;

async function withApp<T>(greeting: string, run: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pagi-sup-'));
  try {
    const file = path.join(dir, 'app.mjs');
    await writeFile(file, APP(greeting));
    return await run(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const text = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();

describe('worker supervision', () => {
  it('kills and replaces a worker whose event loop is blocked past --timeout-worker-healthcheck', async () => {
    await withApp('hi', async (file) => {
      const child = runCli(['--port', '0', '--workers', '2', '--timeout-worker-healthcheck', '1', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      fetch(`${url}/block`, { signal: AbortSignal.timeout(20_000) }).catch(() => {});
      await child.waitOutput(/worker \d \(pid \d+\) missed its heartbeat for 1s \(event loop blocked\); killing it/, 15_000);
      await child.waitOutput(/restarting in \d+ ms/, 5000);
      expect(await text(url)).toMatch(/^hi \d+$/);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    });
  });

  it('--limit-max-requests replaces a worker gracefully', async () => {
    await withApp('hi', async (file) => {
      const child = runCli(['--port', '0', '--workers', '2', '--limit-max-requests', '2', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      for (let i = 0; i < 6; i++) expect(await text(url)).toMatch(/^hi \d+$/);
      await child.waitOutput(/worker \d replaced \(pid \d+\)/, 15_000);
      expect(await text(url)).toMatch(/^hi \d+$/);
      child.proc.kill('SIGTERM');
      const code = await child.exited();
      if (code !== 0) console.log(`pagi-server exited with ${code}:\n${child.stdout()}${child.stderr()}`);
      expect(code).toBe(0);
    });
  });

  it('--reload serves the changed app on the same port', async () => {
    await withApp('before', async (file) => {
      const child = runCli(['--port', '0', '--reload', file]);
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/))[1] as string;
      expect(await text(url)).toMatch(/^before /);
      await writeFile(file, APP('after'));
      const deadline = Date.now() + 20_000;
      let last = '';
      while (!last.startsWith('after') && Date.now() < deadline) {
        last = await text(url).catch(() => '');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(last).toMatch(/^after /);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    });
  });
});
