/**
 * `reload`'s file watcher: `fs.watch` with `recursive` (supported on Linux
 * since Node 20, on macOS and Windows natively) on every directory, changes
 * under `node_modules` and dot-directories (`.git`, ...) ignored, bursts
 * (an editor's save, a `git checkout`) folded into one call after a quiet
 * `debounceMs`.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger.js';

export interface ReloadWatcher {
  close(): void;
}

const IGNORED_SEGMENT = /(^|[\\/])(node_modules|\.[^\\/]+)([\\/]|$)/;

/** Calls `onChange(file)` (the first changed file of a burst, relative to its watched directory) after each burst. */
export function watchForReload(
  dirs: readonly string[],
  onChange: (file: string) => void,
  logger: Logger,
  debounceMs = 150,
): ReloadWatcher {
  let timer: NodeJS.Timeout | undefined;
  let first: string | undefined;
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      const watcher = watch(dir, { recursive: true }, (_event, file) => {
        const name = file === null ? '' : String(file);
        if (name !== '' && IGNORED_SEGMENT.test(name)) return;
        first ??= path.join(dir, name);
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          const changed = first as string;
          first = undefined;
          onChange(changed);
        }, debounceMs);
      });
      // A directory removed while watched, or too many watches (inotify's limit): say so, keep the rest.
      watcher.on('error', (err) => logger.warn(`reload: stopped watching ${dir}`, err));
      watchers.push(watcher);
    } catch (err) {
      logger.warn(`reload: cannot watch ${dir}`, err);
    }
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
