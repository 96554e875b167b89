// `npm run example -- <name>` and `npm start` (scripts/run-example.mjs, scripts/start-demo.mjs).
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startExample } from './example-process.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

async function runExampleScript(...args: string[]): Promise<{ code: number; stderr: string }> {
  return runScript('scripts/run-example.mjs', args);
}

async function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [script, ...args], { cwd: repoRoot, timeout: 20_000, env: { ...process.env, ...env } });
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
    for (const name of ['hello', 'hybrid', 'websocket-echo', 'migrate-route-by-route', 'shadow-migration']) expect(stderr).toContain(`  ${name}\n`);
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

describe('a busy port', () => {
  it('ends `npm start` and `npm run example` with one line and exit code 1, not a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);
    try {
      const runs = await Promise.all([
        runScript('scripts/start-demo.mjs', [], { PORT: port, HOST: '127.0.0.1' }),
        runScript('scripts/run-example.mjs', ['hello'], { PORT: port, HOST: '127.0.0.1' }),
      ]);
      for (const [i, name] of ['hybrid', 'hello'].entries()) {
        const { code, stderr } = runs[i]!;
        expect(code, name).toBe(1);
        // The app's own startup lines may come first; the failure is one line, with no stack trace.
        expect(stderr, name).toMatch(new RegExp(`(^|\\n)${name}: error: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(set PORT to use another port\\)\\n$`));
        expect(stderr, name).not.toMatch(/^\s+at /m);
      }
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
