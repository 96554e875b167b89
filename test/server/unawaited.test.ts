/**
 * PROTOCOL.md §1 deviation 9 on a real `pagi-server` process: a route that
 * forgets an `await` gets the usual 500 backstop, its late `send()` rejects
 * and nobody handles the rejection — the process must log it once (event
 * type, request, "missing await?") and keep serving, and the scope's reason
 * must say the server ended it (`server_error`), not that the client left.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, killChildren, runCli, type Child } from './helpers.js';

afterAll(() => killChildren());

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('pagi-server survives sends nobody awaited', () => {
  let child: Child;
  let url: string;

  it('answers 500, logs the missing await once, and serves the next request', async () => {
    child = runCli(['--port', '0', '--no-access-log', path.join(FIXTURES, 'unawaited.mjs')]);
    url = (await child.waitOutput(/listening on (http:\/\/\S+)/))[1] as string;

    expect(await get(`${url}/late-start`)).toEqual({ status: 500, text: 'Internal Server Error' });
    await child.waitOutput(/send\(http\.response\.start\) failed and nothing awaited it \(GET \/late-start; missing await\?\)/);
    expect(await get(`${url}/`)).toEqual({ status: 200, text: 'alive' });

    const log = child.stderr();
    expect(count(log, 'pagi error: app returned without starting a response (missing await?) (GET /late-start)')).toBe(1);
    expect(count(log, 'pagi error: send(http.response.start) failed and nothing awaited it (GET /late-start; missing await?)')).toBe(1);
    // The late send's error names the server's end of the scope, not a client who never left.
    expect(log).toContain('Disconnected: the server ended the scope: the app failed or returned before completing its response (server_error)');
    expect(log).not.toMatch(/client disconnected|Unhandled|unhandledRejection|Node\.js v/);
    expect(JSON.parse((await get(`${url}/reasons`)).text)).toEqual(['server_error']);
  });

  it('a send after a completed response: OutOfOrder logged once, the process keeps serving', async () => {
    expect(await get(`${url}/late-body`)).toEqual({ status: 200, text: 'ok' });
    await child.waitOutput(/send\(http\.response\.body\) failed and nothing awaited it \(GET \/late-body; missing await\?\)/);
    expect(await get(`${url}/`)).toEqual({ status: 200, text: 'alive' });
    const log = child.stderr();
    expect(count(log, 'send(http.response.body) failed and nothing awaited it (GET /late-body; missing await?)')).toBe(1);
    expect(log).toContain("OutOfOrder: http.response.body: not allowed in state 'finished'");
    expect(child.proc.exitCode).toBeNull();
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  });
});
