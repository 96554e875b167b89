/**
 * `mount()`/`cascade()` hand `lifespan` to every app, most of which are plain
 * HTTP handlers that never look at `scope.type`. On a real `pagi-server`:
 * such an app is left out of lifespan with one warning naming its mount path
 * (whether it fails at once, never awaits, or first reads `lifespan.startup`
 * as its body), the server starts and serves every route; an app that
 * received `lifespan.startup` and then fails makes startup fail loudly (the
 * cause on stderr, exit 1).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, killChildren, runCli } from './helpers.js';

afterAll(() => killChildren());

const FIXTURE = path.join(FIXTURES, 'mount-lifespan.mjs');

async function text(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('pagi-server with mount() over plain HTTP handlers', () => {
  it('starts, warns once per handler left out of lifespan, serves every route, runs the real lifespan', async () => {
    const child = runCli(['--port', '0', '--no-access-log', FIXTURE]);
    const url = (await child.waitOutput(/listening on (http:\/\/\S+)/))[1] as string;
    expect(await text(`${url}/plain/x`)).toBe('plain /x');
    expect(await text(`${url}/db`)).toBe('db open');
    const echoed = await fetch(`${url}/echo`, { method: 'POST', body: 'hi', signal: AbortSignal.timeout(5000) });
    expect(await echoed.text()).toBe('hi');

    const log = child.stderr();
    expect(count(log, "pagi warn: mount '/plain': it does not handle lifespan (it sent http.response.start on the lifespan scope: InvalidEvent: http.response.start: unknown event type for a 'lifespan' scope); serving it without lifespan")).toBe(1);
    expect(count(log, "pagi warn: mount '/echo': it does not handle lifespan (it sent http.response.start on the lifespan scope")).toBe(1);
    expect(count(log, "mount '/plain'")).toBe(1); // its second unawaited send is not reported again
    expect(count(log, "mount '/db'")).toBe(0);
    expect(log).not.toMatch(/Unhandled|Node\.js v|error:/);

    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(child.stderr()).toContain('db closed');
  });

  it('an app that fails after receiving lifespan.startup stops the server: the cause on stderr, exit 1', async () => {
    const child = runCli(['--port', '0', '--no-access-log', FIXTURE], { PAGI_MOUNT_CASE: 'db-fails' });
    expect(await child.exited()).toBe(1);
    const log = child.stderr();
    expect(log).toContain("pagi-server: error: application startup failed: mount '/db': failed during lifespan startup: connect ECONNREFUSED 127.0.0.1:5432");
    expect(log).not.toContain('listening on');
  });

  it('cascade() follows the same rule', async () => {
    const child = runCli(['--port', '0', '--no-access-log', FIXTURE], { PAGI_MOUNT_CASE: 'cascade' });
    const url = (await child.waitOutput(/listening on (http:\/\/\S+)/))[1] as string;
    expect(await text(`${url}/x`)).toBe('plain /x');
    expect(count(child.stderr(), "pagi warn: cascade app #0: it does not handle lifespan (it sent http.response.start on the lifespan scope")).toBe(1);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(child.stderr()).toContain('db closed');
  });
});
