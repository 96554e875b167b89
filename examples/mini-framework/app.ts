// A small API written with the mini framework.
import { router } from './framework.js';

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

const routes = router();

routes.get('/', () => 'mini-framework: try /users/1, /hello/you, /slow?ms=500\n');

routes.get('/hello/:name', (req) => `Hello, ${req.params.name}!\n`);

routes.get('/users/:id', (req) => {
  const user = users.get(req.params.id ?? '');
  return user ? { json: user } : { status: 404, json: { error: `no user ${req.params.id}` } };
});

routes.post('/users', async (req) => {
  const { name } = (await req.json()) as { name?: unknown };
  if (typeof name !== 'string' || name === '') return { status: 400, json: { error: 'name is required' } };
  const user = { id: String(users.size + 1), name };
  users.set(user.id, user);
  return { status: 201, json: user };
});

// Handlers are async all the way down: a slow one does not hold up any other request.
routes.get('/slow', async (req) => {
  const ms = Math.min(Number(req.query.get('ms')) || 500, 10_000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { json: { waited: ms } };
});

// `/wait/:key` stays pending until another request hits `/release/:key`; with a blocking dispatcher
// the release could never be served.
routes.get('/wait/:key', async (req) => ({ json: { released: await gate(req.params.key ?? '').promise } }));
routes.post('/release/:key', (req) => {
  const key = req.params.key ?? '';
  gate(key).open(req.header('x-released-by') ?? 'someone');
  gates.delete(key);
  return { status: 202, json: { key } };
});

export const app = routes.app;
