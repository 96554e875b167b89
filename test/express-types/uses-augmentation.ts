// Compiled by express-types.test.ts against @types/express 4 and 5: `import 'pagi/express'` types req.pagi.
import express, { type NextFunction, type Request, type Response } from 'express';
import 'pagi/express';
import type { PagiRequestContext, Scope } from 'pagi';

const app = express();

app.get('/me', (req, res) => {
  const scope: Scope = req.pagi.scope;
  const state: Record<string, unknown> = req.pagi.state;
  if (scope.type === 'http') res.json({ method: scope.method, client: scope.client, keys: Object.keys(state) });
  else res.sendStatus(400);
});

const router = express.Router();
router.use((req: Request, _res: Response, next: NextFunction) => {
  const context: PagiRequestContext = req.pagi;
  // @ts-expect-error the context is read-only
  req.pagi.scope = context.scope;
  next();
});
app.use('/api', router);

export { app };
