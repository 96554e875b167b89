/**
 * `fromNodeServer` (issue 12) under `pagi-server --workers 2`: a socket.io app on the websocket-only
 * transport is served by every worker (polling would need sticky sessions, see README).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { FIXTURES, killChildren, runCli, within } from '../server/helpers.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
  killChildren();
});

describe('fromNodeServer on pagi-server --workers', () => {
  it('serves a websocket-only socket.io app from every worker', async () => {
    const child = runCli(['--port', '0', '--workers', '2', '--no-access-log', path.join(FIXTURES, 'socketio-node-server.ts')]);
    const url = (await child.waitOutput(/2 of 2 workers listening on (\S+)/, 30_000))[1] as string;

    const pids = new Set<number>();
    for (let i = 0; i < 20 && pids.size < 2; i++) {
      const socket = ioClient(url, { transports: ['websocket'], reconnection: false, timeout: 5000, forceNew: true });
      sockets.push(socket);
      const hello = await within(new Promise<{ pid: number }>((resolve) => socket.once('hello', resolve)), 5000, 'hello');
      expect(await within(socket.timeout(5000).emitWithAck('echo', { i }), 5000, 'ack')).toEqual({ i });
      pids.add(hello.pid);
    }
    expect(pids.size).toBe(2);

    for (const socket of sockets.splice(0)) socket.close();
    child.proc.kill('SIGTERM');
    expect(await child.exited(30_000)).toBe(0);
  });
});
