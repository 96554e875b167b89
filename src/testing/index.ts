// Public entry point of `pagi/testing`: drive PAGI apps in-process.
export { TestClient } from './client.js';
export type { TestClientOptions, RequestInit, WebSocketInit } from './client.js';
export { TestResponse, ResponseHeaders } from './response.js';
export { CookieJar } from './cookie-jar.js';
export { SSEStream } from './sse-stream.js';
export { SSEParser, readSSE } from './sse-reader.js';
export type { SSEEvent } from './sse-reader.js';
export { WebSocketSession } from './websocket-session.js';
export type { WebSocketMessage } from './websocket-session.js';
export type { LifespanHandle } from './lifespan.js';
export type { HeadersInit, QueryInit } from './scope.js';
export {
  NoResponse,
  IncompleteResponse,
  WebSocketDenied,
  WebSocketClosed,
  SSERefused,
  LifespanUnsupported,
  LifespanShutdownFailed,
  TestTimeout,
} from './errors.js';
