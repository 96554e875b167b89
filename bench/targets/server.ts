// Entry point of one benchmark server process, `<node> .build/server.mjs <scenario> <target>` (the
// esbuild bundle of this file, see bench/lib/build.mjs) or the same through tsx. Talks to the scenario script over the IPC channel: reports `ready` with its port,
// answers `rss` with its own memory samples, and exits on `stop` (a normal exit, so `--cpu-prof`
// gets written).
import { catalog } from './catalog.js';

const RSS_SAMPLE_MS = 20;

const [scenario = '', target = ''] = process.argv.slice(2);
const build = catalog[scenario]?.[target];

function reply(message: Record<string, unknown>): Promise<void> {
  // Resolves once the message is handed over, so an exit right after it does not lose it.
  return new Promise((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(message, () => resolve());
  });
}

let baselineRss = 0;
let peakRss = 0;
let sampler: NodeJS.Timeout | undefined;

function sampleRss(): void {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
}

// Sampling runs only between 'rss-reset' and 'rss' (the memory scenario): reading RSS costs a
// syscall, which would otherwise tax every throughput measurement a little.
process.on('message', function onControl(message: { type?: string }) {
  switch (message.type) {
    case 'rss-reset':
      baselineRss = process.memoryUsage.rss();
      peakRss = baselineRss;
      clearInterval(sampler);
      sampler = setInterval(sampleRss, RSS_SAMPLE_MS);
      void reply({ type: 'rss-reset', baselineRss });
      break;
    case 'rss':
      clearInterval(sampler);
      sampleRss();
      void reply({ type: 'rss', baselineRss, peakRss, rss: process.memoryUsage.rss() });
      break;
    case 'stop':
      process.exit(0);
  }
});
// The scenario process owns us: if it dies, go with it.
process.on('disconnect', () => process.exit(0));

if (build === undefined) {
  await reply({ type: 'failed', error: `unknown target ${scenario}/${target}` });
  process.exit(2);
}
try {
  const hosted = await build();
  // Monotonic microseconds, the clock of .cpuprofile timestamps: lets the profile summary skip start-up.
  await reply({ type: 'ready', port: hosted.port, readyMicros: Number(process.hrtime.bigint() / 1000n) });
} catch (error) {
  await reply({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
