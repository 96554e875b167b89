/**
 * What the server does when the app's promise settles (PROTOCOL.md §2.2,
 * §4.6): the 500 backstop, the incomplete-response abort, and the logging
 * rules (each failure logged once; a `Disconnected` after the client left is
 * silent).
 */
import { Disconnected } from '../protocol/errors.js';
import { describeScope } from '../protocol/unawaited.js';
import type { App } from '../protocol/types.js';
import type { Exchange } from './exchange.js';
import { log } from './options.js';

/** Calls the app and applies the completion rule when it settles. Never throws. */
export function runApp(app: App, exchange: Exchange): void {
  let result: unknown;
  try {
    result = app(exchange.scope, exchange.receive, exchange.send);
  } catch (error) {
    settle(exchange, true, error);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as Promise<void>).then === 'function') {
    (result as Promise<void>).then(
      () => settle(exchange, false, undefined),
      (error: unknown) => settle(exchange, true, error),
    );
  } else {
    settle(exchange, false, undefined);
  }
}

/** Applies the §2.2 table once the app is finished with the scope. */
export function settle(exchange: Exchange, failed: boolean, error: unknown): void {
  if (exchange.appSettled) return;
  exchange.appSettled = true;
  const { connection, validator, options } = exchange;
  const logger = options.logger;
  if (exchange.adopted) {
    settleAdopted(exchange, failed, error);
    return;
  }
  // Express took the request over (next() / next(err)): its handlers may still want the body.
  let handedOff = exchange.fellThrough;

  if (connection.reason !== undefined) {
    // The client side was already gone (or the app aborted): nothing to answer.
    if (failed && !(error instanceof Disconnected)) {
      if (!validator.started) log(logger, 'error', `app failed after the client left (${describeRequest(exchange)})`, error);
      else log(logger, 'debug', `app failed after the client left (${describeRequest(exchange)})`, error);
    }
  } else if (!validator.started) {
    if (exchange.hooks?.unanswered?.(failed, error) === true) {
      handedOff = true;
      // The host answers instead (toExpress: `next(err)`, or `next()` when falling through).
      if (failed) connection.disconnect('server_error', errorText(error));
      else connection.complete();
    } else {
      if (failed) log(logger, 'error', `app failed before starting a response (${describeRequest(exchange)})`, error);
      else log(logger, 'error', `app returned without starting a response (missing await?) (${describeRequest(exchange)})`);
      connection.markStarted();
      exchange.writer.respondGenerated(500);
      connection.disconnect('server_error', failed ? errorText(error) : 'app returned without starting a response');
    }
  } else if (exchange.fellThrough) {
    // toExpress handed the request on at a 404 start; Express owns the response now.
    if (failed) log(logger, 'error', `app failed after falling through (${describeRequest(exchange)})`, error);
    connection.complete();
  } else if (!validator.complete) {
    if (failed) log(logger, 'error', `app failed after starting the response; response aborted (${describeRequest(exchange)})`, error);
    else log(logger, 'error', `app returned before completing the response (missing await?); response aborted (${describeRequest(exchange)})`);
    exchange.writer.abortIncomplete();
    connection.disconnect('server_error', failed ? errorText(error) : 'incomplete response');
  } else if (failed) {
    log(logger, 'error', `app failed after completing the response (${describeRequest(exchange)})`, error);
  }

  exchange.transportGone();
  exchange.finalizeIfDone();
  if (handedOff) {
    exchange.reader.stopReading();
  } else {
    // Node only parses the next request on a keep-alive connection once this body is consumed.
    exchange.reader.discardRest();
  }
}

/**
 * The direct path answered on `res` itself, the way Node's own server would
 * have run Express: nothing to backstop, and the unread body is Node's
 * (it dumps it when the response finishes).
 */
function settleAdopted(exchange: Exchange, failed: boolean, error: unknown): void {
  if (failed) log(exchange.options.logger, 'error', `app failed (${describeRequest(exchange)})`, error);
  exchange.connection.complete();
  exchange.transportGone();
  exchange.finalizeIfDone();
}

function describeRequest(exchange: Exchange): string {
  return describeScope(exchange.scope);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
