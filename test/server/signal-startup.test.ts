/**
 * Signals while lifespan startup is still running (the handlers are installed
 * before lifespan starts): the first SIGTERM lets startup finish, runs the
 * lifespan shutdown, never listens and exits 0; a second signal exits at once
 * with 128 + the signal number (143 for SIGTERM). Before, the default signal
 * action killed the process mid-startup.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, killChildren, runCli } from './helpers.js';

afterAll(() => killChildren());

describe('SIGTERM during lifespan startup', () => {
  it('startup finishes, lifespan shutdown runs, nothing listens, exit 0', async () => {
    const child = runCli(['--port', '0', path.join(FIXTURES, 'slow-startup.mjs')]);
    await child.waitOutput(/starting \d+/);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    const log = child.stderr();
    expect(log).toContain('SIGTERM received: shutting down gracefully');
    expect(log).toContain('stop requested during startup');
    expect(log).toMatch(/lifespan shutdown \d+/);
    expect(log).toContain('stopped before listening');
    expect(log).not.toContain('listening on');
  });

  it('a second signal while startup hangs exits at once with 143', async () => {
    const child = runCli(['--port', '0', path.join(FIXTURES, 'hang-startup.mjs')]);
    await child.waitOutput(/starting \d+/);
    child.proc.kill('SIGTERM');
    await child.waitOutput(/stop requested during startup/);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(143);
    expect(child.stderr()).toContain('SIGTERM received again: exiting now');
  });

  it('SIGINT works the same way', async () => {
    const child = runCli(['--port', '0', path.join(FIXTURES, 'slow-startup.mjs')]);
    await child.waitOutput(/starting \d+/);
    child.proc.kill('SIGINT');
    expect(await child.exited()).toBe(0);
    expect(child.stderr()).toMatch(/lifespan shutdown \d+/);
  });
});
