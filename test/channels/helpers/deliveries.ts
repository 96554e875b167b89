/** Reading subscriptions in tests: every wait has a deadline. */
import type { ChannelDelivery, ChannelMessage, Subscription } from 'pagi/channels';

/** The next `count` deliveries; rejects after `ms`. */
export async function take<T = unknown>(subscription: Subscription<T>, count: number, ms = 5000): Promise<Array<ChannelDelivery<T>>> {
  const out: Array<ChannelDelivery<T>> = [];
  const deadline = Date.now() + ms;
  while (out.length < count) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      subscription.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(left, 0)))),
    ]).finally(() => clearTimeout(timer));
    if (result === 'timeout') throw new Error(`got ${out.length} of ${count} deliveries within ${ms} ms: ${JSON.stringify(out)}`);
    if (result.done) throw new Error(`subscription ended (${subscription.endReason}) after ${out.length} of ${count} deliveries`);
    out.push(result.value);
  }
  return out;
}

/** Data of the next `count` deliveries, which must all be messages. */
export async function takeData<T = unknown>(subscription: Subscription<T>, count: number, ms = 5000): Promise<T[]> {
  const deliveries = await take(subscription, count, ms);
  return deliveries.map((delivery) => {
    if (delivery.type !== 'message') throw new Error(`expected a message, got ${JSON.stringify(delivery)}`);
    return delivery.data;
  });
}

/**
 * Reads until the message whose data equals `fence` and returns what came
 * before it: "nothing else arrived" proven by an event, not a sleep (the
 * fence is published after, by the same publisher, so it comes last).
 */
export async function untilFence<T = unknown>(subscription: Subscription<T>, fence: unknown, ms = 5000): Promise<Array<ChannelDelivery<T>>> {
  const before: Array<ChannelDelivery<T>> = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const [delivery] = await take(subscription, 1, Math.max(deadline - Date.now(), 1));
    if (delivery!.type === 'message' && JSON.stringify((delivery as ChannelMessage<T>).data) === JSON.stringify(fence)) return before;
    before.push(delivery!);
  }
}

/** Polls until `check` holds; rejects after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
