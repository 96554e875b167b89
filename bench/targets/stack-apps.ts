// The `stack` scenario: an Express 5 app as teams run it (helmet, cors, express.json, cookie-parser,
// express-session with its MemoryStore, compression, a router with params, an error handler),
// answering a small JSON document; and the same answer as a native PAGI app on pagi/toolkit, for
// the "routes already moved" target. The migrating targets put the native routes in front of the
// bridged app with `cascade` and `mount`, so the measured request falls through to Express.
import express from 'express';
import type { ErrorRequestHandler, Express } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import cookieParser from 'cookie-parser';
import session from 'express-session';
import compression from 'compression';
import type { App } from '../../src/protocol/types.js';
import { cookies, router, sendJson } from '../../src/toolkit/index.js';

/** The measured request: `GET /api/items/42` with a cookie, answered with about 150 bytes of JSON. */
export const STACK_PATH = '/api/items/42';
export const STACK_HEADERS = { cookie: 'theme=dark; lang=en', origin: 'http://example.test' };

function item(id: string, theme: string | undefined, views: number): Record<string, unknown> {
  return { id, name: `item ${id}`, price: 9.99, tags: ['a', 'b'], theme: theme ?? 'light', views };
}

export function stackExpress(): Express {
  const app = express();
  app.use(helmet());
  app.use(cors());
  app.use(compression());
  app.use(express.json());
  app.use(cookieParser());
  // saveUninitialized false: a request that does not touch its session stores nothing (the
  // benchmark's clients keep no cookies, so every request starts a fresh, unsaved session).
  app.use(session({ secret: 'bench secret', resave: false, saveUninitialized: false }));
  const api = express.Router();
  api.get('/items/:id', function getItem(req, res) {
    const views = (req.session as unknown as { views?: number }).views ?? 0;
    res.json(item(req.params.id, (req.cookies as Record<string, string | undefined>)['theme'], views));
  });
  app.use('/api', api);
  const onError: ErrorRequestHandler = function onError(err: unknown, _req, res, _next) {
    res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
  };
  app.use(onError);
  return app;
}

/** helmet's default headers, read once from helmet itself so both sides send the same set. */
function helmetHeaders(): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const res = {
    setHeader(name: string, value: unknown) {
      headers.push([name.toLowerCase(), String(value)]);
    },
    removeHeader() {},
  };
  helmet()({} as never, res as never, () => undefined);
  return headers;
}

const SECURITY_HEADERS = helmetHeaders();

/**
 * The same work on pagi/toolkit: a router with a parameter, the cookies parsed, security and CORS
 * headers, a JSON answer (small: below compression's 1 KB threshold on the Express side too).
 */
export function stackNative(prefix: string): App {
  const headers: Array<[string, string]> = [...SECURITY_HEADERS, ['access-control-allow-origin', '*'], ['vary', 'Accept-Encoding']];
  return router().get(`${prefix}/items/:id`, async ({ scope, params, send }) => {
    await sendJson(send, 200, item(params.id, cookies(scope)['theme'], 0), headers);
  });
}

const STACK_ITEM = /^\/api\/items\/([^/]+)\/?$/i;
const STACK_HEADERS_OUT: Array<[string, string]> = [
  ['content-type', 'application/json; charset=utf-8'],
  ...SECURITY_HEADERS,
  ['access-control-allow-origin', '*'],
  ['vary', 'Accept-Encoding'],
];

/** The theme cookie, read by hand (`theme=…` up to the next `;`). */
function themeCookie(cookie: string | undefined): string | undefined {
  if (cookie === undefined) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'theme') return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The moved route in raw PAGI, written by hand as a careful user would (the
 * floor the toolkit version is measured against): the same match, cookie,
 * security and CORS headers and JSON answer as `stackNative`, 404 otherwise.
 */
export const stackRaw: App = async function stackRoute(scope, _receive, send) {
  if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`unsupported scope ${scope.type}`);
  const match = scope.method === 'GET' || scope.method === 'HEAD' ? STACK_ITEM.exec(scope.raw_path) : null;
  let status = 404;
  let value: unknown = { error: 'Not Found' };
  if (match) {
    const cookie = scope.headers.find(([name]) => name === 'cookie')?.[1];
    status = 200;
    value = item(decodeURIComponent(match[1] as string), themeCookie(cookie), 0);
  }
  const body = Buffer.from(JSON.stringify(value));
  await send({ type: 'http.response.start', status, headers: [...STACK_HEADERS_OUT, ['content-length', String(body.length)]] });
  await send({ type: 'http.response.body', body });
};
