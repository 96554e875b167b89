// The hybrid demo: a legacy Express app and native PAGI endpoints, composed into one PAGI app.
import { cascade, fromExpress, mount, type App } from 'pagi';
import { ChatRoom } from './chat-room.js';
import { createLegacyApp } from './legacy-app.js';
import { createLiveApp, type LiveOptions } from './live.js';
import { createNativeApi } from './native-api.js';

export function createApp(options: LiveOptions = {}): App {
  const room = new ChatRoom();
  return mount({
    // New async endpoints get their own prefix: SSE at /live/events, WebSocket at /live/chat.
    '/live': createLiveApp(room, options),
    // Everything else: native routes first, and the untouched Express app behind them.
    '/': cascade(createNativeApi(room), fromExpress(createLegacyApp(room))),
  });
}
