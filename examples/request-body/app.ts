// Reading a request body with `receive()`, chunk by chunk, and refusing bodies over a size limit.
import { createHash } from 'node:crypto';
import type { App, Send } from 'pagi';

export interface RequestBodyOptions {
  /** Largest accepted body, in bytes. */
  limit?: number;
}

export function createApp({ limit = 1024 * 1024 }: RequestBodyOptions = {}): App {
  return async (scope, receive, send) => {
    if (scope.type !== 'http') throw new Error(`request-body does not handle '${scope.type}'`);
    if (scope.method !== 'POST' && scope.method !== 'PUT') {
      return respond(send, 405, { error: 'POST or PUT a body' }, [['allow', 'POST, PUT']]);
    }

    // Refuse early when the client announced a size: nothing is read at all.
    const declared = Number(scope.headers.find(([name]) => name === 'content-length')?.[1] ?? 0);
    if (declared > limit) return respond(send, 413, { error: `body over ${limit} bytes` });

    // Chunked bodies have no announced size, so count as they arrive. Nothing is buffered: each
    // chunk goes into the hash and is dropped, and the next one is pulled only when we ask.
    const hash = createHash('sha256');
    let bytes = 0;
    for (;;) {
      const event = await receive();
      if (event.type === 'http.disconnect') return; // the client left; nobody is listening any more
      if (event.type !== 'http.request') continue;
      bytes += event.body.byteLength;
      if (bytes > limit) return respond(send, 413, { error: `body over ${limit} bytes` });
      hash.update(event.body);
      if (!event.more) break;
    }
    return respond(send, 200, { bytes, sha256: hash.digest('hex'), path: scope.path });
  };
}

async function respond(
  send: Send,
  status: number,
  payload: unknown,
  extraHeaders: Array<[string, string]> = [],
): Promise<void> {
  const body = JSON.stringify(payload);
  await send({
    type: 'http.response.start',
    status,
    headers: [['content-type', 'application/json'], ['content-length', String(Buffer.byteLength(body))], ...extraHeaders],
  });
  await send({ type: 'http.response.body', body });
}

export const app = createApp();
