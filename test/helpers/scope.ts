/** Narrowing helpers for tests that receive the wide `Scope` union. */
import type { ConnectionState, HTTPScope, SSEScope, Scope } from '../../src/protocol/types.js';

/** The scope as an `http`/`sse` scope; throws for any other type. */
export function httpLike(scope: Scope): HTTPScope | SSEScope {
  if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`expected an http or sse scope, got ${scope.type}`);
  return scope;
}

/** `scope['pagi.connection']` of a connection scope. */
export function connectionOf(scope: Scope): ConnectionState {
  if (scope.type === 'lifespan') throw new Error('lifespan scopes have no pagi.connection');
  return scope['pagi.connection'];
}
