import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppLoadFailed } from '../../src/server/errors.js';
import { loadApp, parseAppSpec, toApp } from '../../src/server/load-app.js';

let dir: string;
beforeAll(async () => {
  // Outside the repository: no node_modules/tsx can be found from here.
  dir = await mkdtemp(path.join(tmpdir(), 'pagi-load-app-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadApp', () => {
  it('splits file and export name, leaving drive letters alone', () => {
    expect(parseAppSpec('./app.js:api')).toEqual({ file: './app.js', exportName: 'api' });
    expect(parseAppSpec('./app.js')).toEqual({ file: './app.js', exportName: undefined });
    expect(parseAppSpec('C:\\srv\\app.js')).toEqual({ file: 'C:\\srv\\app.js', exportName: undefined });
  });

  it('says how to run a .ts app when tsx cannot be found (or loads it through Node\'s own type stripping)', async () => {
    await writeFile(path.join(dir, 'app.ts'), 'export default async () => {};\n');
    const loaded = await loadApp(path.join(dir, 'app.ts'), dir).catch((e: unknown) => e);
    // Node 22.18+ and 24 strip types themselves: no tsx needed there.
    if ((process.features as { typescript?: unknown }).typescript) {
      expect(typeof loaded).toBe('function');
      return;
    }
    expect(loaded).toBeInstanceOf(AppLoadFailed);
    expect((loaded as Error).message).toMatch(/app\.ts is TypeScript: install tsx/);
  });

  it('loads an ESM app from anywhere', async () => {
    await writeFile(path.join(dir, 'app.mjs'), 'export const api = async () => {};\n');
    expect(typeof (await loadApp(`${path.join(dir, 'app.mjs')}:api`, dir))).toBe('function');
  });

  it('calls to_app() once and checks what it returns', () => {
    let calls = 0;
    const app = async () => {};
    expect(toApp({ to_app: () => (calls++, app) }, 'x')).toBe(app);
    expect(calls).toBe(1);
    expect(() => toApp({ to_app: () => 'nope' }, 'app.js')).toThrow('app.js: to_app() returned string, not a function');
    expect(() => toApp({ to_app: () => { throw new Error('bad config'); } }, 'app.js')).toThrow('app.js: to_app() failed: bad config');
    expect(() => toApp(null, 'app.js')).toThrow('app.js is null, not a PAGI app');
    expect(toApp({ __esModule: true, default: app }, 'app.js')).toBe(app);
  });
});
