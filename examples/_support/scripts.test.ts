// `npm run example -- <name>` and `npm start` (scripts/run-example.mjs, scripts/start-demo.mjs).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startExample } from './example-process.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

async function runExampleScript(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, ['scripts/run-example.mjs', ...args], { cwd: repoRoot, timeout: 10_000 });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe('scripts/run-example.mjs', () => {
  it('lists the examples and exits 1 for an unknown name', async () => {
    const { code, stderr } = await runExampleScript('no-such-example');
    expect(code).toBe(1);
    expect(stderr).toContain("unknown example 'no-such-example'");
    for (const name of ['hello', 'hybrid', 'websocket-echo', 'migrate-route-by-route']) expect(stderr).toContain(`  ${name}\n`);
    expect(stderr).not.toContain('_support');
  });

  it('prints the usage and exits 1 without a name', async () => {
    const { code, stderr } = await runExampleScript();
    expect(code).toBe(1);
    expect(stderr).toContain('usage: npm run example -- <name>');
  });

  it('runs an example, forwards SIGTERM to it and exits with its code', async () => {
    const example = await startExample('hello', { entry: 'scripts/run-example.mjs', args: ['hello'] });
    try {
      expect(await (await fetch(example.url)).text()).toBe('Hello from PAGI! You asked for /\n');
    } finally {
      expect(await example.stop('SIGTERM')).toBe(0);
    }
  });
});
