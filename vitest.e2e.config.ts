import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

// Browser end-to-end tests (`npm run test:e2e`): headless Debian chromium driven by playwright-core.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^pagi$/, replacement: src('index.ts') },
      { find: /^pagi\/server$/, replacement: src('server/index.ts') },
      { find: /^pagi\/testing$/, replacement: src('testing/index.ts') },
      { find: /^pagi\/express$/, replacement: src('express.ts') },
      { find: /^pagi\/toolkit$/, replacement: src('toolkit/index.ts') },
    ],
  },
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
