/**
 * What travels through a layer's transport for one message: the id of the
 * subscription to skip (if any), a newline, then the data's JSON text.
 * `JSON.stringify` never emits a raw newline, so the first one is the
 * separator, and subscribers get the data's text without a second
 * stringify (the SSE helper sends it as is).
 */

export function encodeEnvelope(excludeId: string | undefined, dataJson: string): string {
  return `${excludeId === undefined ? '' : JSON.stringify(excludeId)}\n${dataJson}`;
}

/** `undefined` when `payload` was not produced by `encodeEnvelope`. */
export function decodeEnvelope(payload: string): { excludeId: string | undefined; dataJson: string } | undefined {
  const cut = payload.indexOf('\n');
  if (cut === -1) return undefined;
  if (cut === 0) return { excludeId: undefined, dataJson: payload.slice(1) };
  try {
    const excludeId: unknown = JSON.parse(payload.slice(0, cut));
    return typeof excludeId === 'string' ? { excludeId, dataJson: payload.slice(cut + 1) } : undefined;
  } catch {
    return undefined;
  }
}
