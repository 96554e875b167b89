/**
 * What `npm pack`/`npm publish` ship: the build (through `prepack`, so a
 * forgotten `npm run build` cannot publish an empty package), the MIT
 * LICENSE and the docs (README, MIGRATION, docs/protocol.md, which the
 * types' TSDoc links to). The listing reuses the existing build
 * (`--ignore-scripts`) to stay fast; `prepack` itself is checked to run it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${root}dist/index.js`);
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string>; license: string };

describe('npm pack', () => {
  it('builds before packing (prepack runs the build script)', () => {
    expect(pkg.scripts.prepack).toMatch(/^npm run build\b/);
    // tsup writes the JavaScript, scripts/build-types.mjs the declarations (one file per source).
    expect(pkg.scripts.build).toBe('tsup && node scripts/build-types.mjs');
  });

  it('ships an MIT LICENSE for "pagi contributors", 2026', () => {
    const text = readFileSync(`${root}LICENSE`, 'utf8');
    expect(pkg.license).toBe('MIT');
    expect(text).toMatch(/^MIT License\n/);
    expect(text).toContain('Copyright (c) 2026 pagi contributors');
    expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });

  it.skipIf(!built)('lists the build, the type declarations, the CLI and LICENSE', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, npm_config_loglevel: 'silent' },
    });
    const [report] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
    const files = new Set(report?.files.map((f) => f.path));
    for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/protocol/types.d.ts', 'dist/express.d.ts', 'dist/server/cli.js', 'dist/testing/index.js', 'LICENSE', 'README.md', 'MIGRATION.md', 'docs/protocol.md', 'package.json']) {
      expect(files.has(file), file).toBe(true);
    }
    expect([...files].filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });
});
