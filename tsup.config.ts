import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'server/index': 'src/server/index.ts',
    'server/cli': 'src/server/cli.ts',
    'testing/index': 'src/testing/index.ts',
    express: 'src/express.ts',
    'channels/index': 'src/channels/index.ts',
    'toolkit/index': 'src/toolkit/index.ts',
  },
  format: ['esm', 'cjs'],
  // Declarations come from tsc, one file per source (scripts/build-types.mjs), not rolled into chunks.
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  // One shared chunk for code used by several entries, so `instanceof Disconnected`
  // holds whichever subpath (pagi, pagi/server, pagi/testing, pagi/channels, pagi/toolkit) created the error.
  splitting: true,
});
