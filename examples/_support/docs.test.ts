// Keeps README.md and MIGRATION.md true to the repository: examples, links and CLI flags.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/server/cli-args.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');
const docs = ['README.md', 'MIGRATION.md'] as const;

const examples = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'examples', entry.name, 'server.ts')))
  .map((entry) => entry.name);

describe('README.md and MIGRATION.md', () => {
  it('list every example, each with its README and its test', () => {
    const readme = read('README.md');
    expect(examples.length).toBeGreaterThanOrEqual(11);
    for (const name of examples) {
      expect(readme, name).toContain(`[${name}](examples/${name})`);
      expect(existsSync(join(repoRoot, 'examples', name, 'README.md')), `${name}/README.md`).toBe(true);
      expect(existsSync(join(repoRoot, 'examples', name, `${name}.test.ts`)), `${name}.test.ts`).toBe(true);
    }
  });

  it('document every pagi-server option', () => {
    const readme = read('README.md');
    const flags = [...USAGE.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(readme, flag).toContain(`\`${flag}`);
  });

  it('link only to files that exist', () => {
    for (const doc of docs) {
      const links = [...read(doc).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
      expect(links.length, doc).toBeGreaterThan(0);
      for (const link of links) expect(existsSync(join(repoRoot, dirname(doc), link)), `${doc} → ${link}`).toBe(true);
    }
  });

  it('put the two commands first', () => {
    const readme = read('README.md');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm install\nnpm start/);
    expect(readme.indexOf('npm test')).toBeLessThan(readme.indexOf('## Hello'));
  });
});
