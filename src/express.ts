/**
 * `import 'pagi/express'`: types `req.pagi` for Express handlers.
 *
 * An opt-in module augmentation of `express-serve-static-core`, the module
 * in which both `@types/express` 4 and 5 declare `Request`. Import it once
 * anywhere in a TypeScript project and every handler's `req.pagi` is a
 * `PagiRequestContext`:
 *
 * ```ts
 * import 'pagi/express';
 * app.get('/me', (req, res) => {
 *   res.json({ client: req.pagi.scope.type === 'http' ? req.pagi.scope.client : undefined });
 * });
 * ```
 *
 * At run time the module is empty. The property exists on requests that
 * reached Express through `fromExpress`; on a request Express received from
 * its own `app.listen()` it is `undefined`, whatever the type says.
 */
import type { PagiRequestContext } from './bridge/index.js';

export type { PagiRequestContext };

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * The PAGI side of a request served through `fromExpress`: its `scope`
     * and `state` (the request's copy of the lifespan state). See
     * docs/protocol.md for the scope's keys.
     */
    pagi: PagiRequestContext;
  }
}
