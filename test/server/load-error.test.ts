/**
 * `pagi-server` on an app with a syntax error: the message names the file and
 * line (and shows the source line when Node gives it), for ES modules,
 * CommonJS and TypeScript through tsx. Real CLI processes: inside vitest,
 * `import()` goes through Vite and would not show Node's own errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locationIn } from '../../src/server/load-error.js';
import { killChildren, runCli } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pagi-syntax-'));
  await writeFile(path.join(dir, 'broken.mjs'), 'export const a = 1;\nconsole.log("x";\nexport default async () => {};\n');
  await writeFile(path.join(dir, 'broken.cjs'), 'module.exports = async function (\n');
  await writeFile(path.join(dir, 'broken.ts'), 'const x: number = (;\nexport default x;\n');
  await writeFile(path.join(dir, 'dep.mjs'), 'export const b = ;\n');
  await writeFile(path.join(dir, 'uses-dep.mjs'), "import { b } from './dep.mjs';\nexport default async () => b;\n");
});
afterAll(async () => {
  killChildren();
  await rm(dir, { recursive: true, force: true });
});

async function cliError(file: string): Promise<string> {
  const child = runCli(['--port', '0', path.join(dir, file)]);
  expect(await child.exited()).toBe(1);
  expect(child.stdout()).toBe('');
  return child.stderr();
}

describe('pagi-server: a syntax error in the app', () => {
  it.concurrent('in an ES module: file, line, source line and caret', async () => {
    const file = path.join(dir, 'broken.mjs');
    const [first, source, caret, ...rest] = (await cliError('broken.mjs')).split('\n');
    expect(first).toBe(`pagi-server: error: cannot load ${file}: SyntaxError: missing ) after argument list (${file}:2)`);
    expect(source).toBe('    console.log("x";');
    expect(caret?.trim()).toMatch(/^\^+$/);
    expect(rest).toEqual(['']);
  });

  it.concurrent('in a CommonJS module: file and line', async () => {
    const file = path.join(dir, 'broken.cjs');
    expect((await cliError('broken.cjs')).split('\n')[0]).toBe(`pagi-server: error: cannot load ${file}: SyntaxError: Unexpected end of input (${file}:2)`);
  });

  it.concurrent('in TypeScript compiled by tsx: file, line and column', async () => {
    const file = path.join(dir, 'broken.ts');
    expect(await cliError('broken.ts')).toBe(`pagi-server: error: cannot load ${file}: TransformError: Unexpected ";" (${file}:1:19)\n`);
  });

  it.concurrent('in a module the app imports: the message, still one line', async () => {
    const file = path.join(dir, 'uses-dep.mjs');
    expect(await cliError('uses-dep.mjs')).toBe(`pagi-server: error: cannot load ${file}: SyntaxError: Unexpected token ';'\n`);
  });
});

describe('locationIn', () => {
  it("reads Node's location preamble in its three spellings", () => {
    expect(locationIn('/srv/app.mjs:2\nfoo(;\n    ^\n\nSyntaxError: x')).toEqual({ file: '/srv/app.mjs', line: 2, excerpt: ['foo(;', '    ^'] });
    expect(locationIn('file:///srv/app.mjs:7\n\n\nSyntaxError: x')).toEqual({ file: 'file:///srv/app.mjs', line: 7, excerpt: [] });
    expect(locationIn('C:\\srv\\app.cjs:3\nx\n^')?.line).toBe(3);
    expect(locationIn('SyntaxError: x\n    at compileSourceTextModule')).toBeUndefined();
  });
});
