// A whole Node HTTP server (its 'request' listeners) as one PAGI app.
export { fromNodeServer } from './from-node-server.js';
export type { FromNodeServerOptions } from './from-node-server.js';
