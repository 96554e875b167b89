// A small API on pagi/toolkit: routes with path parameters, async handlers, JSON in and out.
import { HttpError, header, query, readJson, router, sendJson } from 'pagi/toolkit';

const users = new Map([
  ['1', { id: '1', name: 'Ada' }],
  ['2', { id: '2', name: 'Grace' }],
]);

/** Promises that `/wait/:key` requests park on until `/release/:key` resolves them. */
const gates = new Map<string, { promise: Promise<string>; open: (by: string) => void }>();
function gate(key: string) {
  let entry = gates.get(key);
  if (!entry) {
    let open!: (by: string) => void;
    const promise = new Promise<string>((resolve) => (open = resolve));
    entry = { promise, open };
    gates.set(key, entry);
  }
  return entry;
}

// Errors (thrown HttpErrors, 404, 405, malformed JSON) answer as JSON too.
export const app = router({ renderError: (error, send) => sendJson(send, error.status, { error: error.message }, error.headers) })
  .get('/', ({ send }) => sendJson(send, 200, { try: ['/users/1', '/slow?ms=500'] }))
  .get('/users/:id', ({ params, send }) => {
    const user = users.get(params.id);
    if (!user) throw new HttpError(404, `no user ${params.id}`);
    return sendJson(send, 200, user);
  })
  .post('/users', async ({ scope, receive, send }) => {
    const { name } = (await readJson(scope, receive)) as { name?: unknown };
    if (typeof name !== 'string' || name === '') throw new HttpError(400, 'name is required');
    const user = { id: String(users.size + 1), name };
    users.set(user.id, user);
    return sendJson(send, 201, user);
  })
  // Handlers are async all the way down: a slow one does not hold up any other request.
  .get('/slow', async ({ scope, send }) => {
    const ms = Math.min(Number(query(scope).get('ms')) || 500, 10_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return sendJson(send, 200, { waited: ms });
  })
  // `/wait/:key` stays pending until another request hits `/release/:key`; with a blocking dispatcher
  // the release could never be served.
  .get('/wait/:key', async ({ params, send }) => sendJson(send, 200, { released: await gate(params.key).promise }))
  .post('/release/:key', ({ scope, params, send }) => {
    gate(params.key).open(header(scope, 'x-released-by') ?? 'someone');
    gates.delete(params.key);
    return sendJson(send, 202, { key: params.key });
  });
