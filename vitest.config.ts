import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name, as users do; inside the repo that means the sources.
    alias: [
      { find: /^pagi$/, replacement: src('index.ts') },
      { find: /^pagi\/server$/, replacement: src('server/index.ts') },
      { find: /^pagi\/testing$/, replacement: src('testing/index.ts') },
      { find: /^pagi\/express$/, replacement: src('express.ts') },
      { find: /^pagi\/channels$/, replacement: src('channels/index.ts') },
      { find: /^pagi\/toolkit$/, replacement: src('toolkit/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The memory proofs collect garbage before each sample (test/helpers/memory.ts).
    execArgv: ['--expose-gc'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.typetest.json' },
  },
});
