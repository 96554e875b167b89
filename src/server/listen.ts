/**
 * Where a server process listens: TCP `host:port` (with `backlog`), a Unix
 * socket (`uds`, chmod'ed to `udsMode`) or an inherited listening socket
 * (`fd`). Failures become `ListenFailed` with a one-line reason.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { ResolvedConfig } from './config.js';
import { ListenFailed } from './errors.js';
import type { NodeServer } from './http.js';

/** What the server ended up bound to. */
export interface BoundAddress {
  /** The IP, or the socket path for `uds`. */
  host: string;
  /** The port; 0 for a Unix socket. */
  port: number;
  /** `http://127.0.0.1:8000`, `https://[::1]:8443`, `http+unix:///run/app.sock`. */
  url: string;
}

export function listen(server: NodeServer, config: ResolvedConfig): Promise<BoundAddress> {
  if (config.uds !== undefined) removeStaleSocket(config.uds);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      reject(listenError(err, config));
    };
    const onListening = () => {
      server.removeListener('error', onError);
      try {
        if (config.uds !== undefined && config.udsMode !== undefined) chmodSync(config.uds, config.udsMode);
      } catch (err) {
        server.close();
        reject(listenError(err as NodeJS.ErrnoException, config));
        return;
      }
      resolve(boundAddress(server, config));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (config.fd !== undefined) server.listen({ fd: config.fd });
    else if (config.uds !== undefined) server.listen({ path: config.uds, backlog: config.backlog });
    else server.listen({ port: config.port, host: config.host, backlog: config.backlog });
  });
}

/**
 * A socket file left by a server that did not close (a crash, SIGKILL) would
 * make the bind fail with EADDRINUSE although nobody listens: remove it, but
 * only when it is a socket (never a regular file someone mistyped).
 */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there (the usual case), or not ours to remove: the bind will say.
  }
}

function boundAddress(server: NodeServer, config: ResolvedConfig): BoundAddress {
  const scheme = config.tls ? 'https' : 'http';
  const address = server.address();
  if (typeof address === 'string') return { host: address, port: 0, url: `${scheme}+unix://${encodeURIComponent(address)}` };
  const bound = address as AddressInfo;
  return { host: bound.address, port: bound.port, url: `${scheme}://${urlHost(bound.address)}:${bound.port}` };
}

/** Where the listen was asked for, in messages. */
export function describeTarget(config: ResolvedConfig): string {
  if (config.fd !== undefined) return `fd ${config.fd}`;
  if (config.uds !== undefined) return config.uds;
  return `${urlHost(config.host)}:${config.port}`;
}

function listenError(err: NodeJS.ErrnoException, config: ResolvedConfig): ListenFailed {
  const where = describeTarget(config);
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenFailed(`cannot listen on ${where}: the address is already in use`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new ListenFailed(`cannot listen on ${where}: permission denied`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new ListenFailed(`cannot listen on ${where}: the address is not available on this machine`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenFailed(`cannot listen on ${where}: unknown host ${config.host}`, { cause: err });
    case 'EBADF':
    case 'ENOTSOCK':
    case 'EINVAL':
      return new ListenFailed(`cannot listen on ${where}: not a listening socket (${err.code})`, { cause: err });
    default:
      return new ListenFailed(`cannot listen on ${where}: ${err.message}`, { cause: err });
  }
}

export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
