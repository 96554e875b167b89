import { expectTypeOf, test } from 'vitest';
import { narrow } from '../../src/protocol/types.js';
import type {
  App,
  AppFor,
  HTTPSendEvent,
  SSESendEventUnion,
  WebSocketSendEvent,
  LifespanReceiveEvent,
  SSEScope,
} from '../../src/protocol/types.js';

test('checking ctx.type narrows scope, receive and send together', () => {
  const app: App = async (scope, receive, send) => {
    const ctx = narrow(scope, receive, send);
    if (ctx.type === 'sse') {
      expectTypeOf(ctx.scope).toEqualTypeOf<SSEScope>();
      expectTypeOf(ctx.send).parameter(0).toEqualTypeOf<SSESendEventUnion>();
      await ctx.send({ type: 'sse.start' });
      // @ts-expect-error websocket events are not SSE events
      await ctx.send({ type: 'websocket.accept' });
    } else if (ctx.type === 'http') {
      expectTypeOf(ctx.send).parameter(0).toEqualTypeOf<HTTPSendEvent>();
      expectTypeOf(ctx.scope.method).toEqualTypeOf<string>();
      // @ts-expect-error sse.send is not an http event
      await ctx.send({ type: 'sse.send', data: 'x' });
    } else if (ctx.type === 'websocket') {
      expectTypeOf(ctx.send).parameter(0).toEqualTypeOf<WebSocketSendEvent>();
      // @ts-expect-error websocket scopes have no method
      void ctx.scope.method;
    } else {
      expectTypeOf(await ctx.receive()).toEqualTypeOf<LifespanReceiveEvent>();
      await ctx.send({ type: 'lifespan.startup.complete' });
    }
  };
  expectTypeOf(app).toBeFunction();
});

test('an AppFor<"sse"> only sends SSE events', () => {
  const sse: AppFor<'sse'> = async (scope, _receive, send) => {
    expectTypeOf(scope.type).toEqualTypeOf<'sse'>();
    await send({ type: 'sse.send', data: 'hi', event: 'tick' });
    // @ts-expect-error lifespan events are not SSE events
    await send({ type: 'lifespan.startup.complete' });
  };
  expectTypeOf(sse).toBeFunction();
});

test('scope.type narrows the scope itself', () => {
  const app: App = async (scope) => {
    if (scope.type === 'websocket') expectTypeOf(scope.subprotocols).toEqualTypeOf<string[]>();
    if (scope.type === 'lifespan') expectTypeOf(scope.pagi.is_worker).toEqualTypeOf<boolean>();
  };
  expectTypeOf(app).toBeFunction();
});
