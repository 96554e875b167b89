// PAGI -> Node: run a PAGI app on node:http (`toNodeListener`) or inside Express (`toExpress`).
// The lower-level pieces are exported for `src/server/` (serve()), which builds on them.

export { toNodeListener, handleRequest, createExchange, startExchange, sendContinueLazily } from './node-listener.js';
export type { NodeListener, PagiNodeListener } from './node-listener.js';
export { LiveExchanges } from './live-exchanges.js';
export type { AdapterOptions, Logger, ResolvedOptions, ResponseEndInfo } from './options.js';
export { resolveOptions } from './options.js';
export { Exchange } from './exchange.js';
export type { ExchangeHooks } from './exchange.js';
export { requestToScope, httpVersionOf } from './request-to-scope.js';
export type { IncomingLike, SocketLike, ScopeOptions } from './request-to-scope.js';
export { wantsEventStream, acceptListsEventStream } from './sse-detect.js';
export { splitTarget } from './paths.js';
export { decodePath, encodePath } from '../protocol/paths.js';
export { tlsExtensionFor, tlsVersionNumber, cipherSuiteNumber } from './tls-extension.js';
export { toExpress, replayableBody } from './express.js';
export type { ToExpressOptions, ExpressMiddleware, ExpressNext, ExpressRequestLike } from './express.js';
export { NodeTransport } from './transport.js';
