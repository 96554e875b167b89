// One PAGI app: `/live` is native PAGI; everything else — the Express routes and socket.io (polling
// and websocket) — goes to the legacy server, wrapped whole with `fromNodeServer`.
import { fromNodeServer, mount, type App } from 'pagi';
import { createLegacyChat } from './legacy-chat.js';
import { live } from './live.js';

const legacy = createLegacyChat();

export const app: App = mount({ '/live': live }, { fallback: fromNodeServer(legacy.server) });
