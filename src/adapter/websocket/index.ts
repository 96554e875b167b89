// The WebSocket session room: one implementation of PROTOCOL.md §5 for every
// transport (HTTP/1.1 Upgrade in serve() and toUpgradeListener, HTTP/2 extended CONNECT).

export { WebSocketSession } from './session.js';
export type { SessionContext, WebSocketSettings } from './session.js';
export type { WebSocketTransport, RefusalWriter, RefusalEvent } from './transport.js';
export { createWebSocketHandler } from './upgrade-handler.js';
export type { WebSocketHandler, WebSocketHandlerOptions, WebSocketScopeSettings } from './upgrade-handler.js';
export { Http1Transport, Http1Handshakes } from './http1-transport.js';
export { isWebSocketUpgrade, handshakeProblem, answeredElsewhere } from './handshake.js';
export { websocketScope, parseSubprotocols } from './scope.js';
export { UpgradeResponse } from './upgrade-response.js';
export { toUpgradeListener } from './upgrade-listener.js';
export type { UpgradeListener, UpgradeListenerOptions } from './upgrade-listener.js';
