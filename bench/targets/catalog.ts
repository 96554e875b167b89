// Every benchmark target, by scenario and name. The scenario scripts (bench/scenarios) refer to
// these names; bench/targets/server.ts builds one of them per child process.
import { bigDownloadExpress, helloExpress, jsonEchoExpress, sizedExpress, sseFanoutExpress, streamExpress } from './express-apps.js';
import { bridge, cascadeInFront, hostListener, hostPagiListener, hostPagiServe, mountInFront } from './hosts.js';
import { compatHelloListener, hostHttp2Compat, hostPagiServeHttp2, hostRawHttp2Hello } from './http2-hosts.js';
import { hostBridgedSocketIoEcho, hostBridgedWebSocketEcho, hostComposedSocketIoEcho, hostComposedWebSocketEcho, hostSocketIoEcho } from './node-server-apps.js';
import { stackExpress, stackNative, stackRaw } from './stack-apps.js';
import type { Hosted } from './hosts.js';
import { helloApp, jsonEchoApp, sseFanoutApp, streamApp, wsEchoApp } from './pagi-apps.js';
import { itemsExpress, itemsRaw, itemsToolkit } from './toolkit-apps.js';
import { shadowed, userExpress } from './shadow-apps.js';
import { hostFastifyHello, hostHonoHello, hostRawWebSocketEcho, rawHelloListener } from './third-party.js';

type Builder = () => Promise<Hosted>;

export const catalog: Record<string, Record<string, Builder>> = {
  hello: {
    raw: () => hostListener(rawHelloListener),
    express: () => hostListener(helloExpress()),
    'express-bridged': async () => hostPagiListener(await bridge(helloExpress())),
    'express-bridged-serve': async () => hostPagiServe(await bridge(helloExpress())),
    cascade: async () => hostPagiServe(await cascadeInFront(stackNative('/new'), await bridge(helloExpress()))),
    mount: async () => hostPagiServe(await mountInFront(stackNative(''), await bridge(helloExpress()))),
    'pagi-listener': () => hostPagiListener(helloApp),
    'pagi-serve': () => hostPagiServe(helloApp),
    fastify: hostFastifyHello,
    hono: hostHonoHello,
  },
  h2: {
    raw: hostRawHttp2Hello,
    compat: () => hostHttp2Compat(compatHelloListener),
    'pagi-serve': () => hostPagiServeHttp2(helloApp),
    'express-bridged-serve': async () => hostPagiServeHttp2(await bridge(helloExpress())),
  },
  json: {
    express: () => hostListener(jsonEchoExpress()),
    'express-bridged': async () => hostPagiListener(await bridge(jsonEchoExpress())),
    'express-bridged-serve': async () => hostPagiServe(await bridge(jsonEchoExpress())),
    'pagi-listener': () => hostPagiListener(jsonEchoApp),
    'pagi-serve': () => hostPagiServe(jsonEchoApp),
  },
  stack: {
    express: () => hostListener(stackExpress()),
    'express-bridged': async () => hostPagiListener(await bridge(stackExpress())),
    'express-bridged-serve': async () => hostPagiServe(await bridge(stackExpress())),
    cascade: async () => hostPagiServe(await cascadeInFront(stackNative('/new'), await bridge(stackExpress()))),
    mount: async () => hostPagiServe(await mountInFront(stackNative(''), await bridge(stackExpress()))),
    'native-serve': () => hostPagiServe(stackNative('/api')),
    'raw-serve': () => hostPagiServe(stackRaw),
  },
  scale: {
    express: () => hostListener(sizedExpress()),
    'express-bridged': async () => hostPagiListener(await bridge(sizedExpress())),
  },
  toolkit: {
    express: () => hostListener(itemsExpress()),
    'pagi-raw-serve': () => hostPagiServe(itemsRaw),
    'toolkit-serve': () => hostPagiServe(itemsToolkit),
  },
  stream: {
    express: () => hostListener(streamExpress()),
    'express-bridged': async () => hostPagiListener(await bridge(streamExpress())),
    'pagi-listener': () => hostPagiListener(streamApp),
  },
  memory: {
    express: () => hostListener(bigDownloadExpress()),
    'express-bridged': async () => hostPagiListener(await bridge(bigDownloadExpress())),
  },
  websocket: {
    ws: hostRawWebSocketEcho,
    'pagi-serve': () => hostPagiServe(wsEchoApp),
    'ws-bridged': hostBridgedWebSocketEcho,
    'ws-composed': hostComposedWebSocketEcho,
  },
  socketio: {
    socketio: hostSocketIoEcho,
    'socketio-bridged': hostBridgedSocketIoEcho,
    'socketio-composed': hostComposedSocketIoEcho,
  },
  shadow: {
    'express-bridged': async () => hostPagiListener(await bridge(userExpress())),
    'shadow-all': async () => hostPagiListener(await shadowed(await bridge(userExpress()), 1)),
    'shadow-1pct': async () => hostPagiListener(await shadowed(await bridge(userExpress()), 0.01)),
  },
  sse: {
    express: () => hostListener(sseFanoutExpress()),
    'pagi-serve': () => hostPagiServe(sseFanoutApp),
    'express-bridged-serve': async () => hostPagiServe(await bridge(sseFanoutExpress())),
  },
};
