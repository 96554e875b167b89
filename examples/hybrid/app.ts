// The hybrid demo: a legacy Express app and native PAGI endpoints, composed into one PAGI app.
import { cascade, fromExpress, mount, type App } from 'pagi';
import { createMemoryLayer, withChannels, type ChannelLayer } from 'pagi/channels';
import { CHAT_HISTORY, ChatRoom } from './chat-room.js';
import { createLegacyApp } from './legacy-app.js';
import { createLiveApp, type LiveOptions } from './live.js';
import { createNativeApi } from './native-api.js';

export interface AppOptions extends LiveOptions {
  /** Where the chat lives (default: a memory layer, one process). server.ts picks cluster or Redis. */
  channels?: ChannelLayer;
}

export function createApp({ channels = createMemoryLayer({ history: CHAT_HISTORY }), ...options }: AppOptions = {}): App {
  const room = new ChatRoom(channels);
  const app = mount({
    // New async endpoints get their own prefix: SSE at /live/events, WebSocket at /live/chat.
    '/live': createLiveApp(room, options),
    // Everything else: native routes first, and the untouched Express app behind them.
    '/': cascade(createNativeApi(room), fromExpress(createLegacyApp(room))),
  });
  // Every scope carries the layer (scope['pagi.channels']), so any code can publish to the chat.
  return withChannels(app, channels);
}
