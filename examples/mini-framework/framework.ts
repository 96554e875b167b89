// A tiny web framework on raw PAGI: routes with path parameters, async handlers, JSON in and out.
import type { App, HTTPScope, Receive, Send } from 'pagi';

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  header(name: string): string | undefined;
  json(): Promise<unknown>;
}
export type Reply = string | { status?: number; json?: unknown; text?: string };
export type Handler = (req: Request) => Promise<Reply> | Reply;

export function router() {
  const routes: Array<{ method: string; pattern: RegExp; keys: string[]; handler: Handler }> = [];
  const add = (method: string) => (path: string, handler: Handler) => {
    const keys: string[] = [];
    const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, key: string) => (keys.push(key), '([^/]+)'));
    routes.push({ method, pattern: new RegExp(`^${source}/?$`), keys, handler });
  };
  const app: App = async (scope, receive, send) => {
    if (scope.type !== 'http') throw new Error(`router does not handle '${scope.type}'`);
    for (const route of routes) {
      const match = route.pattern.exec(scope.path);
      if (!match || (route.method !== scope.method && !(route.method === 'GET' && scope.method === 'HEAD'))) continue;
      const params = Object.fromEntries(route.keys.map((key, i) => [key, match[i + 1] ?? '']));
      // Awaiting here parks only this request: the event loop serves others meanwhile.
      const reply = await Promise.resolve(route.handler(request(scope, receive, params))).catch(
        (error: Error): Reply => ({ status: error instanceof SyntaxError ? 400 : 500, json: { error: error.message } }),
      );
      return respond(send, reply);
    }
    return respond(send, { status: 404, json: { error: `no route for ${scope.method} ${scope.path}` } });
  };
  return { get: add('GET'), post: add('POST'), put: add('PUT'), delete: add('DELETE'), app };
}

function request(scope: HTTPScope, receive: Receive, params: Record<string, string>): Request {
  const header = (name: string) => scope.headers.find(([key]) => key === name.toLowerCase())?.[1];
  const json = async () => {
    const chunks: Uint8Array[] = [];
    for (let event = await receive(); event.type === 'http.request'; event = await receive()) {
      chunks.push(event.body);
      if (!event.more) break;
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown;
  };
  return { method: scope.method, path: scope.path, params, query: new URLSearchParams(scope.query_string), header, json };
}

async function respond(send: Send, reply: Reply): Promise<void> {
  const { status = 200, json, text } = typeof reply === 'string' ? { text: reply } : reply;
  const [type, body] = json !== undefined ? ['application/json', JSON.stringify(json)] : ['text/plain; charset=utf-8', text ?? ''];
  await send({ type: 'http.response.start', status, headers: [['content-type', type], ['content-length', String(Buffer.byteLength(body))]] });
  await send({ type: 'http.response.body', body });
}
