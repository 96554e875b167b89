/**
 * The plain-text answers of composites: `404 "Not Found"` when no app takes a
 * request, `400` when `mount` refuses an ambiguous target. The same
 * `http.response.*` events serve `http`, `sse` (a refusal, §6.4) and
 * `websocket` (a refusal, §5.3).
 */
import { UnsupportedScope } from '../protocol/errors.js';
import type { App, Receive, Scope, Send } from '../protocol/types.js';
import type { TargetAmbiguity } from '../protocol/target-check.js';

/** An app that answers every connection scope with `status` and `text` as `text/plain`. */
function plainText(status: number, text: string, component: string): App {
  const body = Buffer.from(text);
  const headers: Array<[string, string]> = [
    ['content-type', 'text/plain; charset=utf-8'],
    ['content-length', String(body.length)],
  ];
  return async (scope: Scope, _receive: Receive, send: Send): Promise<void> => {
    if (scope.type === 'lifespan') throw new UnsupportedScope(scope.type, component);
    await send({ type: 'http.response.start', status, headers: headers.map(([n, v]) => [n, v]) });
    await send({ type: 'http.response.body', body });
  };
}

/** `404 "Not Found"`: the answer when no app takes a request. */
export const notFound: App = plainText(404, 'Not Found', 'notFound');

const refusals = new Map<TargetAmbiguity, App>();

/** `400 "Bad Request: ambiguous request target (<reason>)"`. */
export function ambiguousTarget(reason: TargetAmbiguity): App {
  let app = refusals.get(reason);
  if (app === undefined) {
    app = plainText(400, `Bad Request: ambiguous request target (${reason})`, 'mount');
    refusals.set(reason, app);
  }
  return app;
}
