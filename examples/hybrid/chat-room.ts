// State shared by both worlds, and by every worker and instance: the chat lives in a channel layer
// (pagi/channels). Express routes post and read history through it; the native WebSocket endpoint
// follows the `chat` group. With the cluster layer (WORKERS=4) or the Redis layer (REDIS_URL), a
// message posted anywhere reaches every socket on every process.
import type { ChannelLayer, HistoryOption, ScopeSource, Subscription } from 'pagi/channels';

export interface ChatMessage {
  /** The message's id in the chat's history. */
  id: string;
  from: string;
  text: string;
  at: string;
}

/**
 * What chat sockets hear: a new message, or how many people are connected to this server process
 * (`pid` says which one: presence is counted per process, messages are shared by all).
 */
export type RoomEvent = { type: 'message'; message: ChatMessage } | { type: 'presence'; online: number; pid: number };

const CHAT = 'chat';
const PRESENCE = `presence:${process.pid}`;
const MAX_TEXT = 500;

/** Give this to the layer: the chat keeps its last 50 messages (for the page, /api/messages and reconnects). */
export const CHAT_HISTORY: HistoryOption = { [CHAT]: { count: 50 } };

export class ChatRoom {
  readonly #layer: ChannelLayer;
  #online = 0;

  constructor(layer: ChannelLayer) {
    this.#layer = layer;
  }

  /** Publishes a message (trimmed, capped) to every chat socket everywhere; resolves with it. */
  async post(from: string, text: string): Promise<ChatMessage> {
    const body = { from, text: text.trim().slice(0, MAX_TEXT), at: new Date().toISOString() };
    const { id } = await this.#layer.publish(CHAT, { type: 'message', message: body });
    return { id: id!, ...body };
  }

  /** The most recent messages, oldest first (from the shared history). */
  async history(): Promise<ChatMessage[]> {
    const { messages } = await this.#layer.history<{ message: Omit<ChatMessage, 'id'> }>(CHAT);
    return messages.map((m) => ({ id: m.id!, ...m.data.message }));
  }

  /** How many chat sockets this process holds. */
  get online(): number {
    return this.#online;
  }

  /**
   * Joins a chat socket: it follows the chat and this process's presence. Call `leave()` when the
   * socket ends (the subscription also ends by itself with the scope it is tied to).
   */
  async join(scope: ScopeSource): Promise<{ events: Subscription<RoomEvent>; leave: () => Promise<void> }> {
    const events = await this.#layer.subscribe<RoomEvent>({ scope, groups: [CHAT, PRESENCE] });
    this.#online += 1;
    await this.#announce();
    let left = false;
    const leave = async () => {
      if (left) return;
      left = true;
      this.#online -= 1;
      await events.close();
      await this.#announce();
    };
    return { events, leave };
  }

  #announce(): Promise<unknown> {
    return this.#layer.publish(PRESENCE, { type: 'presence', online: this.#online, pid: process.pid });
  }
}

/** A chat message as a socket receives it: the layer's id becomes the message's id. */
export function withId(event: RoomEvent, id: string | undefined): RoomEvent {
  return event.type === 'message' && id !== undefined ? { type: 'message', message: { ...event.message, id } } : event;
}
