import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startExample, type ExampleProcess } from '../_support/example-process.js';

describe('examples/lifespan-state', () => {
  let dir: string;
  let example: ExampleProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pagi-lifespan-'));
  });
  afterEach(async () => {
    await example?.stop('SIGKILL');
    example = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('opens the log at startup, shares it with every request, closes it at shutdown', async () => {
    const logPath = join(dir, 'visits.log');
    example = await startExample('lifespan-state', { env: { VISIT_LOG: logPath } });
    expect(example.output()).toContain(`visit log opened: ${logPath}`);

    expect(await (await fetch(`${example.url}/a`)).json()).toEqual({ path: '/a', visits: 1 });
    expect(await (await fetch(`${example.url}/b`)).json()).toEqual({ path: '/b', visits: 2 });

    expect(await example.stop('SIGTERM')).toBe(0);
    expect(example.output()).toContain('visit log closed after 2 visits');
    const lines = (await readFile(logPath, 'utf8')).trim().split('\n');
    expect(lines.map((line) => line.split(' ')[1])).toEqual(['/a', '/b']);
  });

  it('does not serve when startup fails', async () => {
    const logPath = join(dir, 'missing-directory', 'visits.log');
    await expect(startExample('lifespan-state', { env: { VISIT_LOG: logPath } })).rejects.toThrow(
      /exited \([1-9]\d*\) before listening line[\s\S]*cannot open/,
    );
  });
});
