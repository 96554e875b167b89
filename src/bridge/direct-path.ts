/**
 * The direct path (issue 11): when the adapter hands over its own Node
 * request/response (see `_internal/native-exchange.ts`), Express runs on them
 * exactly as on `http.createServer(app)` — no fake pair, no events — and the
 * scope still reaches handlers as `req.pagi`. The app's promise settles when
 * the response has closed (and a body the handler is still reading is done),
 * like the fake path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NativePair } from '../_internal/native-exchange.js';
import type { RequestScope } from './scope-to-request.js';
import type { PagiRequestContext } from './fake-request.js';
import { finalResponse } from './final-response.js';
import type { ExchangeOptions, NextFunction, NodeHandler } from './completion.js';

/**
 * Test switch and probe, not exported from the package: `enabled = false`
 * forces the fake path (the differential suite runs both ways); `served`
 * hears which path served each scope.
 */
export const bridgePath: {
  enabled: boolean;
  served: ((path: 'direct' | 'fake', scope: RequestScope) => void) | undefined;
} = { enabled: true, served: undefined };

/** Runs `handler` on the adapter's own `req`/`res`. */
export function serveDirect(
  handler: NodeHandler,
  scope: RequestScope,
  pair: NativePair,
  options: ExchangeOptions,
  application: boolean,
): Promise<void> {
  const { req, res } = pair;
  const context: PagiRequestContext = { scope, state: ('state' in scope ? scope.state : {}) as Record<string, unknown> };
  Object.defineProperty(req, 'pagi', { value: context, writable: true, configurable: true, enumerable: false });
  return new Promise<void>((resolve) => {
    res.once('close', () => {
      const internals = req as IncomingMessage & { _consuming?: boolean };
      // Like the fake path: a handler that answered first may still be reading the body.
      if (internals._consuming === true && !req.complete && !req.destroyed) req.once('close', () => resolve());
      else resolve();
    });
    const finalNext: NextFunction = (err) => {
      const error = err === 'route' || err === 'router' ? undefined : err;
      finalResponse(req, res, error, options.final);
    };
    try {
      const result: unknown = application
        ? (handler as unknown as (req: IncomingMessage, res: ServerResponse) => unknown)(req, res)
        : handler(req, res, finalNext);
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => finalNext(err));
      }
    } catch (error) {
      finalNext(error);
    }
  });
}
