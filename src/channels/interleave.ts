/**
 * Waiting on the client and on a subscription at once: PROTOCOL.md §10's
 * "race your own events with receive()", done once. Each promise is tagged
 * once and kept until it wins, so a busy group never piles callbacks on a
 * quiet client's pending `receive()`.
 */
import type { Receive, ReceiveEvent } from '../protocol/types.js';
import type { ChannelDelivery, Subscription, SubscriptionEndReason } from './types.js';

/** One step of `interleave()`. */
export type Interleaved<T> =
  | { readonly type: 'client'; readonly event: ReceiveEvent }
  | { readonly type: 'channel'; readonly delivery: ChannelDelivery<T> }
  /** The subscription ended (once); client events keep coming. */
  | { readonly type: 'ended'; readonly reason: SubscriptionEndReason };

/**
 * Yields client events and deliveries in the order they happen, until the
 * client's disconnect event (`http.disconnect`, `sse.disconnect`,
 * `websocket.disconnect`), which is yielded last. When the subscription ends
 * first, one `ended` step says why and client events continue.
 *
 * Leaving the loop early (`break`, `return`) leaves one `receive()` pending:
 * its event is lost, so only do it when the scope is finished with.
 */
export async function* interleave<T>(receive: Receive, subscription: Subscription<T>): AsyncGenerator<Interleaved<T>, void, undefined> {
  let client = receive().then(tagClient);
  let channel: Promise<Interleaved<T> | undefined> | undefined = nextDelivery(subscription);
  for (;;) {
    const step = await (channel ? Promise.race([client, channel]) : client);
    if (step === undefined) {
      // The subscription is done.
      channel = undefined;
      yield { type: 'ended', reason: subscription.endReason ?? 'closed' };
      continue;
    }
    if (step.type === 'client') {
      yield step;
      if (step.event.type.endsWith('.disconnect')) return;
      client = receive().then(tagClient);
    } else {
      yield step;
      // Only now: a delivery taken before the caller is ready would be lost if it stopped here.
      channel = nextDelivery(subscription);
    }
  }
}

function tagClient(event: ReceiveEvent): Interleaved<never> {
  return { type: 'client', event };
}

function nextDelivery<T>(subscription: Subscription<T>): Promise<Interleaved<T> | undefined> {
  return subscription.next().then((result) => (result.done ? undefined : { type: 'channel', delivery: result.value }));
}
