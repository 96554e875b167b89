/**
 * Message ids: `<epoch>-<offset>`. The epoch names one lifetime of a group's
 * history (a memory layer's process, a primary's relay, a Redis key set), so
 * an id from an earlier lifetime is recognised and reported instead of being
 * mistaken for a position in the new one. The offset is the layer's own
 * position, whose last number is the group's sequence number (1, 2, 3, …
 * without holes), which is what tells "nothing missed" from "trimmed".
 *
 * - memory and cluster: `3f9a0c12be41-17` (offset = sequence number)
 * - redis: `3f9a0c12be41-1733153045123-17` (offset = the Redis Stream entry id, `<ms>-<seq>`)
 *
 * Ids reach us from clients (`Last-Event-ID`), so parsing is strict and bounded.
 */

/** A message's place in its group's history. */
export interface Position {
  readonly epoch: string;
  /** The layer's offset: the sequence number, or a Redis Stream id `<ms>-<seq>`. */
  readonly offset: string;
  readonly seq: number;
}

const ID = /^([0-9a-z]{1,32})-((?:\d{1,15}-)?(\d{1,15}))$/;

/** `<epoch>-<offset>`. */
export function formatId(position: Position): string {
  return `${position.epoch}-${position.offset}`;
}

/** Parses a message id; `undefined` when it is not one. */
export function parseId(id: string): Position | undefined {
  if (id.length > 64) return undefined;
  const match = ID.exec(id);
  if (!match) return undefined;
  return { epoch: match[1]!, offset: match[2]!, seq: Number(match[3]) };
}

/**
 * One SSE stream may follow several groups, but `Last-Event-ID` is one
 * string, so the id of each event names the last message of every group:
 * `group=id&group=id` (URL-encoded). With a single history group the id is
 * that message's id, unchanged.
 */
export function formatCursor(cursor: ReadonlyMap<string, string>, historyGroups: readonly string[]): string {
  if (historyGroups.length === 1) return cursor.get(historyGroups[0]!) ?? '';
  return new URLSearchParams([...cursor]).toString();
}

/**
 * Reads a cursor back. A bare id applies to the group when exactly one of
 * the stream's groups keeps history (`historyGroups`); anything unreadable
 * gives an empty map plus `invalid: true`.
 */
export function parseCursor(value: string, historyGroups: readonly string[]): { after: Map<string, string>; invalid: boolean } {
  const after = new Map<string, string>();
  if (value.length > 4096) return { after, invalid: true };
  if (!value.includes('=')) {
    if (historyGroups.length === 1) after.set(historyGroups[0]!, value);
    return { after, invalid: historyGroups.length !== 1 };
  }
  for (const [group, id] of new URLSearchParams(value)) {
    if (historyGroups.includes(group)) after.set(group, id);
  }
  return { after, invalid: false };
}
