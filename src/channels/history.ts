/**
 * History policies and what a replay means. The rules that turn "the asked
 * position" plus "what the history holds" into messages and, when something
 * cannot be recovered, a gap with its reason live here once, for resuming
 * subscribers, `history()` and the hub's own recovery after a reconnect.
 */
import type { ReplayEntry, ReplayResult, Retention } from './backend.js';
import { InvalidLayerOption } from './errors.js';
import type { Position } from './ids.js';
import type { GapReason, HistoryOption, HistoryPolicy } from './types.js';

const MAX_COUNT = 100_000;

/** Turns the `history` option into a lookup of validated retentions (a table is checked up front). */
export function historyLookup(option: HistoryOption | undefined): (group: string) => Retention | undefined {
  if (option === undefined) return () => undefined;
  if (typeof option === 'function') {
    return (group) => {
      const policy = option(group);
      return policy === undefined ? undefined : toRetention(policy, `history(${JSON.stringify(group)})`);
    };
  }
  if (typeof option !== 'object' || option === null) throw new InvalidLayerOption('history', 'must be a table of group → policy, or a function');
  const table = new Map<string, Retention>();
  for (const [group, policy] of Object.entries(option)) table.set(group, toRetention(policy, `history[${JSON.stringify(group)}]`));
  return (group) => table.get(group);
}

function toRetention(policy: HistoryPolicy, where: string): Retention {
  if (typeof policy !== 'object' || policy === null) throw new InvalidLayerOption(where, 'must be { count, maxAge? }');
  const { count, maxAge = 0 } = policy;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new InvalidLayerOption(`${where}.count`, `must be an integer from 1 to ${MAX_COUNT} (got ${String(count)})`);
  }
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0) {
    throw new InvalidLayerOption(`${where}.maxAge`, `must be a number of seconds ≥ 0 (got ${String(maxAge)})`);
  }
  return { count, maxAgeMs: Math.round(maxAge * 1000) };
}

/** Back from a retention to the policy users wrote. */
export function toPolicy(retention: Retention): HistoryPolicy {
  return retention.maxAgeMs > 0 ? { count: retention.count, maxAge: retention.maxAgeMs / 1000 } : { count: retention.count };
}

/**
 * What `result` (a replay after `after`, or from the start when `after` is
 * undefined) yields: the entries that come after `after`, and the gap in
 * front of them when the history cannot prove nothing is missing.
 */
export function interpretReplay(
  after: Position | undefined,
  result: ReplayResult,
): { gap: { reason: GapReason; missed: number | undefined } | undefined; entries: readonly ReplayEntry[] } {
  if (result.epoch === undefined) return { gap: after ? { reason: 'epoch', missed: undefined } : undefined, entries: [] };
  // Another epoch: what the client had is gone; everything of the current one is new to it.
  if (after && after.epoch !== result.epoch) return { gap: { reason: 'epoch', missed: undefined }, entries: result.entries };
  // A position ahead of the group's own: not an id this history handed out.
  if (after && after.seq > result.seq) return { gap: { reason: 'invalid_id', missed: undefined }, entries: [] };
  const from = after?.seq ?? 0;
  const entries = result.entries.filter((entry) => entry.seq > from);
  const first = entries[0]?.seq ?? result.seq + 1;
  const missed = first - from - 1;
  return { gap: missed > 0 ? { reason: 'trimmed', missed } : undefined, entries };
}
