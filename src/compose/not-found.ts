/**
 * The answer of a composite when no app takes a request: `404 text/plain
 * "Not Found"`. The same `http.response.*` events serve `http`, `sse` (a
 * refusal, §6.4) and `websocket` (a refusal, §5.3).
 */
import { UnsupportedScope } from '../protocol/errors.js';
import type { Receive, Scope, Send } from '../protocol/types.js';

const BODY = Buffer.from('Not Found');

export async function notFound(scope: Scope, _receive: Receive, send: Send): Promise<void> {
  if (scope.type === 'lifespan') throw new UnsupportedScope(scope.type, 'notFound');
  await send({
    type: 'http.response.start',
    status: 404,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(BODY.length)],
    ],
  });
  await send({ type: 'http.response.body', body: BODY });
}
