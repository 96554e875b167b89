// The shadow scenario (issue 15): one JSON route served by Express through the bridge (the primary)
// and rewritten natively (the candidate), answering the same bytes so every comparison matches.
import express from 'express';
import type { Express } from 'express';
import type { App } from '../../src/protocol/types.js';

const USER = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'author'], active: true };
const USER_JSON = Buffer.from(JSON.stringify(USER));
const JSON_HEADERS: Array<[string, string]> = [
  ['content-type', 'application/json; charset=utf-8'],
  ['content-length', String(USER_JSON.length)],
];

/** GET /users/42 → a small JSON document (Express adds its ETag, which shadow ignores by default). */
export function userExpress(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/users/:id', function user(_req, res) {
    res.json(USER);
  });
  return app;
}

/** The native rewrite of the same route. */
export const userNative: App = async function user(_scope, _receive, send) {
  await send({ type: 'http.response.start', status: 200, headers: JSON_HEADERS });
  await send({ type: 'http.response.body', body: USER_JSON });
};

/** `shadow(fromExpress(app), native, { sampleRate })`. */
export async function shadowed(primary: App, sampleRate: number): Promise<App> {
  const { shadow } = await import('../../src/compose/index.js');
  const app = shadow(primary, userNative, {
    sampleRate,
    // Every mismatch would be a bug in the scenario: say so on the server's stderr.
    onDifference: (d) => console.error(`shadow bench: unexpected difference ${JSON.stringify(d.differences)}`),
    onCandidateError: (e) => console.error(`shadow bench: candidate ${e.kind}: ${String(e.error)}`),
  });
  return app;
}
