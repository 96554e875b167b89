/**
 * Flag values shared by the CLI's option groups (`cli-args.ts`,
 * `cli-ops-args.ts`): seconds and byte sizes, each refused with a
 * `UsageError` that names the flag.
 */
import { UsageError } from './usage-error.js';

/** A non-negative number of seconds (`2`, `0.5`). */
export function secondsValue(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`${flag} must be a number of seconds, got '${raw}'`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A byte count with an optional binary unit (`1048576`, `512k`, `10m`), at least `min`. */
export function bytesValue(flag: string, raw: string | undefined, min = 0): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+)\s*([kmg]?)b?$/i.exec(raw.trim());
  const n = match ? Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? NaN) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be a number of bytes (e.g. 1048576, 512k, 10m), got '${raw}'`);
  return n;
}
