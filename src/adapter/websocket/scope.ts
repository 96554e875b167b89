/**
 * `websocket` scope from an upgrade request (PROTOCOL.md §5.1): pure, apart
 * from reading the request and its socket.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Extensions, WebSocketScope } from '../../protocol/types.js';
import type { ConnectionController } from '../../protocol/connection.js';
import { decodePath, encodePath } from '../../protocol/paths.js';
import { splitTarget } from '../paths.js';
import { httpVersionOf, requestHeaderPairs } from '../request-to-scope.js';
import { tlsExtensionFor } from '../tls-extension.js';

export interface WebSocketScopeOptions {
  /** Server-configured mount prefix (decoded, no trailing slash), prepended to `raw_path`. */
  rootPath: string;
  /** Lifespan state; every scope gets a shallow copy (§9.3). */
  state: Record<string, unknown>;
  connection: ConnectionController;
  maxMessageSize: number;
  maxQueue: number;
}

export function websocketScope(req: IncomingMessage, options: WebSocketScopeOptions): WebSocketScope {
  const { rawPath, queryString } = splitTarget(req.url ?? '/');
  const socket = req.socket;
  const encrypted = (socket as Partial<TLSSocket>).encrypted === true;
  const extensions: Extensions = {};
  if (encrypted) extensions.tls = tlsExtensionFor(socket as TLSSocket);
  const httpVersion = httpVersionOf(req.httpVersion);
  // Over HTTP/2 (extended CONNECT) the list carries pseudo-headers, which the scope leaves out.
  const headers = requestHeaderPairs(req.rawHeaders, httpVersion);
  const scope: WebSocketScope = {
    type: 'websocket',
    pagi: { version: '0.5', spec_version: '0.6' },
    http_version: httpVersion,
    scheme: encrypted ? 'wss' : 'ws',
    path: decodePath(rawPath),
    raw_path: encodePath(options.rootPath) + rawPath,
    query_string: queryString,
    root_path: options.rootPath,
    headers,
    state: { ...options.state },
    extensions,
    subprotocols: parseSubprotocols(req.headers['sec-websocket-protocol']),
    max_frame_size: options.maxMessageSize,
    max_receive_queue: options.maxQueue,
    'pagi.connection': options.connection.state,
  };
  if (socket.remoteAddress !== undefined && socket.remotePort !== undefined) {
    scope.client = [socket.remoteAddress, socket.remotePort];
  }
  if (socket.localAddress !== undefined && socket.localPort !== undefined) {
    scope.server = [socket.localAddress, socket.localPort];
  }
  return scope;
}

/** `sec-websocket-protocol` split on commas and trimmed; `[]` when absent. */
export function parseSubprotocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
