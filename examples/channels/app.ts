// Notifications for a legacy Express app: Express keeps its JSON API and publishes; native PAGI
// endpoints stream the notifications to browsers (SSE, resuming after a reconnect) and to WebSocket
// clients. Every process sharing the layer delivers to its own clients.
import express from 'express';
import { cascade, fromExpress, mount, type App } from 'pagi';
import { channelsOf, interleave, streamGroupsToSSE, withChannels, type ChannelLayer } from 'pagi/channels';

const GROUP = 'notifications';

/** The Express side: it only publishes, through the layer on its request's scope. */
function createApi() {
  const api = express();
  api.post('/api/notify', express.json({ limit: '10kb' }), async (req, res) => {
    const text: unknown = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '') {
      res.status(400).json({ error: 'text must be a non-empty string' });
      return;
    }
    const published = await channelsOf(req).publish(GROUP, { text: text.trim(), at: new Date().toISOString(), pid: process.pid });
    res.status(202).json(published);
  });
  api.get('/api/notifications', async (req, res) => {
    const { messages } = await channelsOf(req).history(GROUP);
    res.json(messages.map((m) => ({ id: m.id, ...(m.data as object) })));
  });
  return api;
}

/** GET /events (SSE): every notification with its id; a reconnecting browser gets what it missed. */
const events: App = async (scope, receive, send) => {
  if (scope.type !== 'sse') throw new Error('GET /events with Accept: text/event-stream');
  await streamGroupsToSSE(scope, receive, send, { groups: [GROUP], event: 'notification', retry: 1000 });
};

/** /ws (WebSocket): notifications out; a text frame in is published to everybody but its sender. */
const socket: App = async (scope, receive, send) => {
  if (scope.type !== 'websocket') throw new Error('/ws is a WebSocket endpoint');
  const layer = channelsOf(scope);
  // Subscribed before accepting: once the client sees the socket open, it hears every notification.
  const subscription = await layer.subscribe({ scope, groups: [GROUP] });
  await send({ type: 'websocket.accept' });
  for await (const step of interleave(receive, subscription)) {
    if (step.type === 'client' && step.event.type === 'websocket.receive' && step.event.text) {
      await layer.publish(GROUP, { text: step.event.text, at: new Date().toISOString(), pid: process.pid }, { exclude: subscription });
    } else if (step.type === 'channel') {
      await send({ type: 'websocket.send', text: JSON.stringify(step.delivery.type === 'message' ? { id: step.delivery.id, ...(step.delivery.data as object) } : step.delivery) });
    }
  }
};

export function createApp(layer: ChannelLayer): App {
  return withChannels(mount({ '/events': events, '/ws': socket, '/': cascade(fromExpress(createApi())) }), layer);
}
