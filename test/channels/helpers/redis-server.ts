/**
 * A real `redis-server` (Debian's package) for tests: a free port, no
 * persistence, ready within a deadline, always killed. `restart()` stops it
 * and starts a fresh one on the same port (everything in it is lost, as after
 * a crash of a Redis without persistence).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL: no shutdown save, no goodbye to clients). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

const READY = /Ready to accept connections/;

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startRedisServer(timeoutMs = 10_000): Promise<RedisServer> {
  if (!hasRedisServer()) {
    throw new Error('redis-server is not installed (Debian: apt-get install redis-server); the channels tests need a real Redis');
  }
  // A port the kernel just handed out is free; two tries cover the rare race with another process.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new Server(port, timeoutMs);
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      await server.kill();
    }
  }
  throw lastError;
}

class Server implements RedisServer {
  readonly port: number;
  readonly url: string;
  readonly #timeoutMs: number;
  #child: ChildProcess | undefined;

  constructor(port: number, timeoutMs: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#timeoutMs = timeoutMs;
  }

  start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    let output = '';
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (READY.test(output)) done();
      };
      const onExit = (code: number | null) => done(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
      const timer = setTimeout(() => done(new Error(`redis-server not ready within ${this.#timeoutMs} ms:\n${output}`)), this.#timeoutMs);
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', onExit);
    });
  }

  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
