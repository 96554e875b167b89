/**
 * Messages are JSON values, checked strictly on publish: what a subscriber
 * receives must equal what was published, on every layer. `JSON.stringify`
 * alone would quietly turn a `Date` into a string, a `Map` into `{}`, `NaN`
 * into `null` and drop `undefined` fields, and the memory layer would hand
 * out the original objects while Redis hands out copies; so each value is
 * walked first, and every layer delivers a frozen parse of the same text.
 */
import { InvalidMessage } from './errors.js';

/** A JSON value: what a channel message carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 100;

/** Checks that `data` is a JSON value and returns its JSON text; throws `InvalidMessage` naming the spot. */
export function toJsonText(data: unknown, maxBytes: number): string {
  check(data, 'data', 0, new Set());
  const text = JSON.stringify(data);
  // Cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    throw new InvalidMessage('data', `is ${Buffer.byteLength(text)} bytes of JSON, above the layer's maxMessageBytes (${maxBytes})`);
  }
  return text;
}

function check(value: unknown, path: string, depth: number, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidMessage(path, `is ${value}, which JSON cannot carry`);
      return;
    case 'object':
      break;
    default:
      throw new InvalidMessage(path, `is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}; ${EXPECTED}`);
  }
  if (value === null) return;
  if (depth >= MAX_DEPTH) throw new InvalidMessage(path, `is nested deeper than ${MAX_DEPTH} levels`);
  if (ancestors.has(value)) throw new InvalidMessage(path, 'refers back to one of its parents (a cycle)');
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`, depth + 1, ancestors);
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      throw new InvalidMessage(path, `is ${typeof name === 'string' && name ? `a ${name}` : 'not a plain object'}; ${EXPECTED}`);
    }
    for (const key of Object.keys(value)) check((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, ancestors);
  }
  ancestors.delete(value);
}

const EXPECTED = 'messages must be JSON values (null, boolean, finite number, string, array, plain object)';

/** Parses JSON text and freezes the result deeply, so subscribers sharing one message cannot change it for each other. */
export function parseFrozen(text: string): JsonValue {
  return deepFreeze(JSON.parse(text) as JsonValue);
}

function deepFreeze(value: JsonValue): JsonValue {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
