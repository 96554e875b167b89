/**
 * Memory proofs measure what is still alive, not what the collector has not
 * reached yet. Node 24's V8 lets dead Buffers (external memory) pile up to
 * about 100 MB before a GC, so an unforced RSS sample of a 100 MB transfer
 * reads like a buffered body even when every chunk was dropped at once.
 * Collecting before each sample keeps the proof exact on every Node: a body
 * that is really held stays alive through the GC and shows in full.
 */

/** The exposed collector; `vitest.config.ts` starts the test workers with `--expose-gc`. */
function collector(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('memory proofs need --expose-gc (set in vitest.config.ts execArgv)');
  return gc;
}

/** Peak RSS growth over the starting value while `work` runs, sampled every `intervalMs` after a full GC. */
export async function peakLiveRssGrowth(work: () => Promise<void>, intervalMs = 20): Promise<number> {
  const gc = collector();
  gc();
  const start = process.memoryUsage.rss();
  let peak = start;
  const sample = (): void => {
    gc();
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, intervalMs);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  sample();
  return peak - start;
}
