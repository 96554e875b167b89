/**
 * Worker supervision with real pagi-server processes: the heartbeat kills and
 * replaces a worker whose event loop is blocked, --limit-max-requests
 * replaces a worker, --reload swaps the app on a change and keeps the port.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
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

/**
 * One GET on a fresh connection, never retried: a worker being replaced
 * answers every connection it accepted (worker-replacement.test.ts). A
 * pooled client could still race the close of an idle keep-alive connection
 * (HTTP lets it; browsers retry): these tests are about the server process,
 * so each request gets its own connection.
 */
const text = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`GET ${url}: no answer within 5 s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });

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

  it('--reload keeps watching through a syntax error at the first start, and starts once it is fixed', async () => {
    await withApp('unused', async (file) => {
      await writeFile(file, 'export default async (scope, receive, send) => {\n  send({ type: ;\n};\n');
      const child = runCli(['--port', '0', '--reload', file]);
      const failure = await child.waitOutput(/worker 1 failed to start \(reload: waiting for a change\): (.*)/, 15_000);
      expect(failure[1]).toMatch(/cannot load .*app\.mjs: SyntaxError/);
      expect(child.proc.exitCode).toBe(null);
      await writeFile(file, APP('fixed'));
      const url = (await child.waitOutput(/workers listening on (http:\/\/\S+)/, 15_000))[1] as string;
      expect(await text(url)).toMatch(/^fixed \d+$/);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    });
  });

  it('--reload: SIGTERM while waiting for a fix exits cleanly', async () => {
    await withApp('unused', async (file) => {
      await writeFile(file, 'export default (;\n');
      const child = runCli(['--port', '0', '--reload', file]);
      await child.waitOutput(/reload: waiting for a change/, 15_000);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    });
  });
});
