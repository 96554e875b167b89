/**
 * `websocket.keepalive` (PROTOCOL.md §5.6): a ping every `interval` seconds
 * and, with a `timeout`, a deadline for the pong. Clients answer pings on
 * their own; a missing pong means the peer (or the path to it) is gone.
 */
import { WebSocket } from 'ws';

export class Keepalive {
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private timeout = 0;

  /** `onTimeout` runs once when a pong is late; the session then ends with keepalive_timeout. */
  constructor(
    private readonly ws: WebSocket,
    private readonly onTimeout: (seconds: number) => void,
  ) {
    ws.on('pong', this.onPong);
  }

  /** Replaces the settings; `interval` 0 stops pinging. */
  configure(interval: number, timeout: number | undefined): void {
    this.stop();
    if (interval === 0) return;
    this.timeout = timeout ?? 0;
    this.pingTimer = setInterval(this.ping, interval * 1000);
  }

  stop(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  private readonly ping = (): void => {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.ping();
    // One deadline at a time: a pong answers every ping sent before it.
    if (this.timeout > 0 && !this.pongTimer) this.pongTimer = setTimeout(this.expire, this.timeout * 1000);
  };

  private readonly onPong = (): void => {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  };

  private readonly expire = (): void => {
    this.pongTimer = undefined;
    this.stop();
    this.onTimeout(this.timeout);
  };
}
